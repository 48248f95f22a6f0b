#include "bulwark/service/key_service.h"

#include <fmt/format.h>

#include "bulwark/keyops/key_usage_index.h"
#include "bulwark/keyops/key_usage_lock.h"
#include "bulwark/keys/kek_shred.h"
#include "bulwark/secfile/token.h"
#include "bulwark/service/keyring_value_cipher.h"
#include "service/audited_operation.h"
#include "service/usage_index_lock.h"

namespace bulwark::service {
namespace fs = std::filesystem;
using internal::AuditedOperation;
using request::Action;
using request::ResourceKind;

namespace {

class ServiceStoredNamespaces final : public keyops::StoredNamespaces {
 public:
  ServiceStoredNamespaces(ConfigService& svc, request::RequestContext ctx,
                          std::shared_ptr<const keys::Keyring> keyring)
      : svc_(svc), ctx_(std::move(ctx)), keyring_(std::move(keyring)) {}

  Result<std::vector<keyops::StoredNamespace>> List() override {
    BULWARK_ASSIGN_OR_RETURN(auto list, svc_.List(ctx_, ""));
    std::vector<keyops::StoredNamespace> out;
    out.reserve(list.size());
    for (const auto& n : list) out.push_back({n.name, n.latest_version});
    return out;
  }

  Result<std::vector<keyops::StoredValueToken>> Tokens(
      std::string_view ns, std::optional<std::int64_t> version) override {
    BULWARK_ASSIGN_OR_RETURN(
        auto tokens,
        svc_.Tokens(ctx_, ns,
                    version ? store::VersionRef::Number(*version) : store::VersionRef::Latest()));
    std::vector<keyops::StoredValueToken> out;
    out.reserve(tokens.size());
    for (auto& t : tokens) out.push_back({std::move(t.path), std::move(t.token)});
    return out;
  }

  Status MoveOffKey(std::string_view ns, keys::KeyId key, std::string_view message) override {
    if (!mover_) mover_ = NewKeyringValueCipherForReencryption(keyring_);
    auto select = [key](std::string_view text) {
      auto token = secfile::ParseToken(text);
      return token && token->key_id == key;
    };
    WriteRequest req;
    req.message = std::string(message);
    BULWARK_ASSIGN_OR_RETURN(auto r, svc_.Reencrypt(ctx_, ns, select, *mover_, req));
    (void)r;
    return OkStatus();
  }

 private:
  ConfigService& svc_;
  request::RequestContext ctx_;
  std::shared_ptr<const keys::Keyring> keyring_;
  std::unique_ptr<ValueCipher> mover_;
};

std::string KidName(keys::KeyId id) { return keys::FormatKeyId(id); }

}  // namespace

std::unique_ptr<keyops::StoredNamespaces> NewStoredNamespaces(
    ConfigService& service, request::RequestContext ctx,
    std::shared_ptr<const keys::Keyring> keyring) {
  return std::make_unique<ServiceStoredNamespaces>(service, std::move(ctx), std::move(keyring));
}

Result<std::unique_ptr<KeyService>> KeyService::Create(KeyServiceDeps deps) {
  if (!deps.keys || !deps.authorizer || !deps.audit) {
    return InvalidArgumentError("key service: keys, authorizer and audit sink are required");
  }
  return std::unique_ptr<KeyService>(new KeyService(std::move(deps)));
}

Result<InitResult> KeyService::Init(const request::RequestContext& ctx, const InitRequest& req) {
  AuditedOperation op(deps_.runtime, *deps_.audit, *deps_.authorizer, ctx, "key.init",
                      Action::kAdmin, ResourceKind::kKeyring, deps_.home.string());
  BULWARK_RETURN_IF_ERROR(op.Begin());
  if (!deps_.initialize) return op.Fail(Error(ErrorCode::kFailedPrecondition, "no initializer"));
  return op.Finish(deps_.initialize(req));
}

Result<std::vector<keys::KeyInfo>> KeyService::List(const request::RequestContext& ctx) {
  AuditedOperation op(deps_.runtime, *deps_.audit, *deps_.authorizer, ctx, "key.list",
                      Action::kRead, ResourceKind::kKeyring, deps_.home.string());
  BULWARK_RETURN_IF_ERROR(op.Begin({}, false, /*needs_audit=*/false));
  auto run = [&]() -> Result<std::vector<keys::KeyInfo>> {
    BULWARK_ASSIGN_OR_RETURN(auto k, deps_.keys(keys::KeyringAccess::kRead));
    return k->keyring->List();
  };
  return op.Finish(run());
}

Result<RotateResult> KeyService::Rotate(const request::RequestContext& ctx,
                                        std::optional<crypto::AeadAlgorithm> algorithm) {
  AuditedOperation op(deps_.runtime, *deps_.audit, *deps_.authorizer, ctx, "key.rotate",
                      Action::kRotate, ResourceKind::kKeyring, deps_.home.string());
  BULWARK_RETURN_IF_ERROR(op.Begin());
  auto run = [&]() -> Result<RotateResult> {
    BULWARK_ASSIGN_OR_RETURN(auto k, deps_.keys(keys::KeyringAccess::kUpdate));
    RotateResult r;
    r.previous = k->keyring->primary_id();
    BULWARK_ASSIGN_OR_RETURN(r.primary, k->keyring->Rotate(algorithm));
    BULWARK_RETURN_IF_ERROR(k->Save());
    // The event names the new key.
    op.record().resource_kind = ResourceKind::kKey;
    op.record().resource_name = KidName(r.primary);
    return r;
  };
  return op.Finish(run());
}

Result<std::string> KeyService::Rewrap(const request::RequestContext& ctx) {
  AuditedOperation op(deps_.runtime, *deps_.audit, *deps_.authorizer, ctx, "key.rewrap",
                      Action::kRotate, ResourceKind::kKeyring, deps_.home.string());
  BULWARK_RETURN_IF_ERROR(op.Begin());
  auto run = [&]() -> Result<std::string> {
    BULWARK_ASSIGN_OR_RETURN(auto k, deps_.keys(keys::KeyringAccess::kUpdate));
    BULWARK_RETURN_IF_ERROR(k->provider->RotateKek());
    BULWARK_RETURN_IF_ERROR(k->Save());
    return k->provider->Describe();
  };
  return op.Finish(run());
}

Status KeyService::Disable(const request::RequestContext& ctx, keys::KeyId key) {
  return SetEnabled(ctx, key, false);
}

Status KeyService::Enable(const request::RequestContext& ctx, keys::KeyId key) {
  return SetEnabled(ctx, key, true);
}

Status KeyService::SetEnabled(const request::RequestContext& ctx, keys::KeyId key, bool enable) {
  AuditedOperation op(deps_.runtime, *deps_.audit, *deps_.authorizer, ctx,
                      enable ? "key.enable" : "key.disable", Action::kAdmin, ResourceKind::kKey,
                      KidName(key));
  BULWARK_RETURN_IF_ERROR(op.Begin());
  auto run = [&]() -> Status {
    BULWARK_ASSIGN_OR_RETURN(auto k, deps_.keys(keys::KeyringAccess::kUpdate));
    BULWARK_RETURN_IF_ERROR(enable ? k->keyring->Enable(key) : k->keyring->Disable(key));
    return k->Save();
  };
  return op.Finish(run());
}

// Crypto-shreds after a key was destroyed in `k`'s keyring (in memory, not yet saved): rotates
// the KEK, writes the keyring re-wrapped under it (the commit point of the destroy), removes the
// old KEKs (keys/kek_shred.h, docs/formats-keys.md section 9). `committed` tells whether the
// keyring was written.
Result<std::size_t> KeyService::Shred(keys::UnlockedKeys& k, bool& committed) {
  keys::ShredOptions options;
  options.hook = [&](keys::ShredStep step) -> Status {
    if (step == keys::ShredStep::kKeyringWritten) committed = true;
    if (deps_.crash_point) {
      deps_.crash_point(step == keys::ShredStep::kKekRotated ? "shred.after-rotate"
                                                             : "shred.after-keyring");
    }
    return OkStatus();
  };
  BULWARK_ASSIGN_OR_RETURN(keys::ShredReport report,
                           keys::ShredKeks(*k.keyring, *k.provider, *k.runtime.fs, k.keyring_path,
                                           options));
  return report.retired_keks;
}

Result<DestroyResult> KeyService::Destroy(const request::RequestContext& ctx,
                                          const DestroyRequest& req) {
  const std::string kid = KidName(req.key);
  AuditedOperation op(deps_.runtime, *deps_.audit, *deps_.authorizer, ctx, "key.destroy",
                      Action::kDelete, ResourceKind::kKey, kid);
  BULWARK_RETURN_IF_ERROR(op.Begin());
  bool committed = false;
  auto shred = [&](keys::UnlockedKeys& k, DestroyResult& out) -> Status {
    auto retired = Shred(k, committed);
    if (!retired) {
      if (!committed) {
        return std::unexpected(retired.error().WithContext(fmt::format(
            "key {} was not destroyed (the keyring is unchanged; a new key-encryption key may be "
            "left unused until the next destroy removes it); run the command again",
            kid)));
      }
      return std::unexpected(retired.error().WithContext(fmt::format(
          "key {} is destroyed and the key-encryption key was rotated ({}), but the old "
          "key-encryption key(s) are still held, so keyring copies made before this command "
          "still contain it; run 'bulwark keys destroy {}' again to finish",
          kid, k.provider->Describe(), kid)));
    }
    out.retired_keks = *retired;
    out.provider = k.provider->Describe();
    return OkStatus();
  };
  auto run = [&]() -> Result<DestroyResult> {
    BULWARK_ASSIGN_OR_RETURN(auto k, deps_.keys(keys::KeyringAccess::kUpdate));
    DestroyResult out;
    BULWARK_ASSIGN_OR_RETURN(keys::KeyInfo info, k->keyring->Get(req.key));
    if (info.state == keys::KeyState::kDestroyed) {
      out.already_destroyed = true;
      BULWARK_RETURN_IF_ERROR(shred(*k, out));
      return out;
    }
    if (info.state == keys::KeyState::kPrimary) {
      return FailedPreconditionError(fmt::format(
          "key {} is the primary key; rotate first ('bulwark keys rotate'), move its data "
          "('bulwark keys reencrypt FILE...'), then destroy it",
          kid));
    }
    // Held until the destroy is decided: no other process updates the index meanwhile.
    BULWARK_ASSIGN_OR_RETURN(keyops::KeyUsageLock usage_lock,
                             internal::LockUsageIndex(deps_.usage_index, deps_.notice));
    BULWARK_ASSIGN_OR_RETURN(keyops::KeyUsageIndex index,
                             keyops::KeyUsageIndex::Load(*k->runtime.fs, deps_.usage_index));
    std::unique_ptr<keyops::StoredNamespaces> stored;
    if (deps_.store) {
      BULWARK_ASSIGN_OR_RETURN(ConfigService * svc, deps_.store());
      if (svc != nullptr) stored = NewStoredNamespaces(*svc, ctx, k->keyring);
    }
    keyops::UsageSources sources{&index, req.check_files, stored.get(), /*scan_history=*/true};
    BULWARK_ASSIGN_OR_RETURN(out.usage, keyops::FindKeyUsage(req.key, sources, *k->runtime.fs,
                                                             *k->runtime.clock));
    BULWARK_RETURN_IF_ERROR(index.Save(*k->runtime.fs));
    if (!out.usage.unused() && !req.force) {
      return FailedPreconditionError(fmt::format(
          "refused: key {} still protects {} value(s); destroying it would make these "
          "unreadable:\n{}Move them to the primary key first ('bulwark keys reencrypt FILE...'; "
          "'bulwark keys compromised {}' moves every file and namespace), or pass --force",
          kid, out.usage.value_count(), out.usage.Describe(), kid));
    }
    if (!out.usage.problems.empty() && !req.force) {
      // Fail safe: a file that could not be read may well depend on the key.
      return FailedPreconditionError(fmt::format(
          "refused: some files could not be checked for key {}:\n{}Make them readable (or "
          "remove them), or pass --force",
          kid, out.usage.Describe()));
    }
    BULWARK_RETURN_IF_ERROR(k->keyring->Destroy(req.key));
    BULWARK_RETURN_IF_ERROR(shred(*k, out));
    return out;
  };
  auto r = run();
  if (!r && committed) {
    // The key is destroyed (the keyring was written) even though the shredding did not finish:
    // that is what happened, and what an investigator must see.
    op.record().reason = r.error().message();
    BULWARK_RETURN_IF_ERROR(op.Succeed());
    return r;
  }
  return op.Finish(std::move(r));
}

Result<keyops::CompromiseReport> KeyService::Compromised(const request::RequestContext& ctx,
                                                         const CompromisedRequest& req) {
  const std::string kid = KidName(req.key);
  AuditedOperation op(deps_.runtime, *deps_.audit, *deps_.authorizer, ctx, "key.compromised",
                      Action::kAdmin, ResourceKind::kKey, kid);
  BULWARK_RETURN_IF_ERROR(op.Begin());
  const fs::path journal = deps_.home / fmt::format("compromise-{}.journal", kid);
  auto run = [&]() -> Result<keyops::CompromiseReport> {
    BULWARK_ASSIGN_OR_RETURN(auto k, deps_.keys(keys::KeyringAccess::kUpdate));
    BULWARK_ASSIGN_OR_RETURN(bool pending, k->runtime.fs->Exists(journal));
    if (req.resume_only && !pending) {
      return NotFoundError(fmt::format("nothing to resume: no journal at {}", journal.string()));
    }
    BULWARK_ASSIGN_OR_RETURN(keys::KeyInfo info, k->keyring->Get(req.key));
    if (info.state != keys::KeyState::kCompromised) {
      BULWARK_RETURN_IF_ERROR(k->keyring->MarkCompromised(req.key));
      BULWARK_RETURN_IF_ERROR(k->Save());
    }
    if (req.marked) req.marked(k->keyring->primary_id(), pending);
    // Held until the run ends: no other process updates the index meanwhile.
    BULWARK_ASSIGN_OR_RETURN(keyops::KeyUsageLock usage_lock,
                             internal::LockUsageIndex(deps_.usage_index, deps_.notice));
    BULWARK_ASSIGN_OR_RETURN(keyops::KeyUsageIndex index,
                             keyops::KeyUsageIndex::Load(*k->runtime.fs, deps_.usage_index));
    std::unique_ptr<keyops::StoredNamespaces> stored;
    if (deps_.store) {
      BULWARK_ASSIGN_OR_RETURN(ConfigService * svc, deps_.store());
      if (svc != nullptr) stored = NewStoredNamespaces(*svc, ctx, k->keyring);
    }
    keyops::CompromiseOptions options;
    options.journal = journal;
    options.files = req.files;
    options.index = &index;
    options.store = stored.get();
    options.progress = req.progress;
    // Every file moved is its own audited re-encryption.
    options.file_moved = [&](const std::string& file, const std::vector<keyops::MovedValue>& moved) {
      AuditedOperation fop(deps_.runtime, *deps_.audit, *deps_.authorizer, ctx, "file.reencrypt",
                           Action::kRotate, ResourceKind::kFile, file);
      std::vector<std::string> paths;
      for (const auto& m : moved) paths.push_back(m.path.ToString());
      fop.record().paths = paths;
      fop.record().sensitive_paths = paths;
      (void)fop.Succeed();
    };
    options.hook = [&](keyops::StepPoint point, std::size_t item) -> Status {
      if (deps_.crash_point) {
        deps_.crash_point(fmt::format("compromise.{}:{}",
                                      point == keyops::StepPoint::kAfterWrite ? "after-write"
                                                                              : "after-commit",
                                      item));
      }
      return OkStatus();
    };
    auto report = keyops::RecoverCompromisedKey(req.key, k->keyring, k->runtime, options);
    // Usage counters of the new key, whatever happened.
    Status saved = k->Save();
    if (!report) {
      return std::unexpected(report.error().WithContext(fmt::format(
          "keys compromised {} stopped (progress is kept in {}; run the command again to resume)",
          kid, journal.string())));
    }
    BULWARK_RETURN_IF_ERROR(saved);
    return report;
  };
  return op.Finish(run());
}

}  // namespace bulwark::service
