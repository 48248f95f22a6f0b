// SecretLifecycle's shared internals (lifecycle.cc: metadata and listing; rotation.cc: the
// rotation state machine and the schedule).
#ifndef BULWARK_SRC_LIFECYCLE_INTERNAL_LIFECYCLE_IMPL_H_
#define BULWARK_SRC_LIFECYCLE_INTERNAL_LIFECYCLE_IMPL_H_

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <string>

#include "bulwark/core/secret_bytes.h"
#include "bulwark/lifecycle/lifecycle.h"
#include "bulwark/service/record_seal.h"

namespace bulwark::lifecycle {
namespace internal {

using service::Action;
using service::Outcome;
using service::RequestContext;

inline constexpr int kCasAttempts = 8;
inline constexpr std::string_view kLifecyclePrefix = ".bulwark/lifecycle/";

struct LoadedDoc {
  LifecycleDocument doc;
  store::Version version = 0;  // 0: no document yet
};

inline std::string Canonical(const config::Path& p) { return p.ToString(); }

}  // namespace internal

using internal::Action;
using internal::Outcome;
using internal::RequestContext;
using internal::LoadedDoc;
using internal::Canonical;
using internal::kCasAttempts;
using internal::kLifecyclePrefix;

struct SecretLifecycle::Impl {
  LifecycleDeps deps;

  TimePoint Now() const { return deps.runtime.clock->Now(); }

  // ---- audit and authorization --------------------------------------------------------------

  service::AuditRecord Record(const RequestContext& ctx, std::string operation, Action action,
                              std::string_view ns, std::string_view path) const {
    service::AuditRecord r;
    r.time = Now();
    r.operation = std::move(operation);
    r.action = action;
    r.namespace_name = std::string(ns);
    if (!path.empty()) {
      r.paths = {std::string(path)};
      r.sensitive_paths = std::vector<std::string>{std::string(path)};
    }
    r.context = ctx;
    return r;
  }

  Status Audit(service::AuditRecord r, Outcome outcome, std::string reason) const {
    r.outcome = outcome;
    r.reason = std::move(reason);
    return deps.audit->Append(r);
  }

  // Authorizes `action` and checks the audit log can record; a denial is audited.
  Status Authorize(const RequestContext& ctx, const service::AuditRecord& rec) const {
    service::Resource res{rec.namespace_name, rec.paths, !rec.paths.empty()};
    const service::Decision d = deps.authorizer->Authorize(ctx, rec.action, res);
    if (!d.allowed) {
      (void)Audit(rec, Outcome::kDenied, d.reason);
      return PermissionDeniedError(fmt::format("{} {}: {} denied: {}", rec.operation,
                                               rec.namespace_name,
                                               service::ActionName(rec.action), d.reason));
    }
    if (auto h = deps.audit->HealthCheck(); !h) {
      return std::unexpected(h.error().WithContext(
          fmt::format("{}: refused because the audit log is unavailable", rec.operation)));
    }
    return OkStatus();
  }

  // ---- the lifecycle document -----------------------------------------------------------------

  service::RecordSeal Seal() const {
    return service::RecordSeal(deps.store_mac, "bulwark-lifecycle/v1");
  }

  Result<LoadedDoc> Load(std::string_view ns) const {
    auto snap = deps.store->Get(LifecycleNamespace(ns), store::VersionRef::Latest());
    LoadedDoc out;
    if (!snap) {
      if (snap.error().code() == ErrorCode::kNotFound) return out;
      return std::unexpected(snap.error());
    }
    // Sealed like change requests: the document names commands this process runs, so one not
    // written with the store's MAC key is refused before anything reads it.
    BULWARK_RETURN_IF_ERROR(Seal().Verify(
        snap->info, fmt::format("lifecycle metadata of {} ({})", ns, LifecycleNamespace(ns))));
    BULWARK_ASSIGN_OR_RETURN(out.doc, ParseLifecycleDocument(snap->content, ns));
    out.version = snap->info.version;
    return out;
  }

  // Read-modify-write of one record with compare-and-set, retried on conflicts with writers of
  // other records. `change` may refuse (its error is returned unchanged).
  Result<SecretRecord> Update(std::string_view ns, const std::string& path, std::string_view why,
                              const std::function<Status(std::optional<SecretRecord>&)>& change) {
    for (int attempt = 0;; ++attempt) {
      BULWARK_ASSIGN_OR_RETURN(LoadedDoc loaded, Load(ns));
      std::optional<SecretRecord> rec;
      if (auto it = loaded.doc.secrets.find(path); it != loaded.doc.secrets.end()) rec = it->second;
      BULWARK_RETURN_IF_ERROR(change(rec));
      if (rec) {
        loaded.doc.secrets[path] = *rec;
      } else {
        loaded.doc.secrets.erase(path);
      }
      store::WriteOptions o;
      o.author = "bulwark-lifecycle";
      o.message = std::string(why);
      o.expected_version = loaded.version;
      o.seal = Seal().Sealer();
      auto put = deps.store->Put(LifecycleNamespace(ns), LifecycleDocumentValue(loaded.doc), o);
      if (put) return rec ? *rec : SecretRecord{};
      if (put.error().code() != ErrorCode::kConflict || attempt + 1 >= kCasAttempts) {
        return std::unexpected(put.error().WithContext(fmt::format("lifecycle metadata of {}", ns)));
      }
    }
  }

  // Writes a whole document with compare-and-set on `expected`, sealed; the new version.
  Result<store::Version> Put(std::string_view ns, const LifecycleDocument& doc,
                             store::Version expected, std::string why) const {
    store::WriteOptions o;
    o.author = "bulwark-lifecycle";
    o.message = std::move(why);
    o.expected_version = expected;
    o.seal = Seal().Sealer();
    auto put = deps.store->Put(LifecycleNamespace(ns), LifecycleDocumentValue(doc), o);
    if (!put) return std::unexpected(put.error().WithContext(fmt::format("lifecycle metadata of {}", ns)));
    return put->version;
  }

  Result<SecretRecord> Find(std::string_view ns, const std::string& path) const {
    BULWARK_ASSIGN_OR_RETURN(LoadedDoc loaded, Load(ns));
    auto it = loaded.doc.secrets.find(path);
    if (it == loaded.doc.secrets.end()) {
      return NotFoundError(fmt::format(
          "{} {}: no secret metadata (set it with: bulwark secret meta {} {} --type ...)", ns, path,
          ns, path));
    }
    return it->second;
  }

  // ---- values -------------------------------------------------------------------------------

  // The value at `path` in `version` of `ns`, revealed, as bytes; nullopt when absent.
  Result<std::optional<SecretBytes>> ValueAt(const RequestContext& ctx, std::string_view ns,
                                             const config::Path& path, std::optional<Version> version) {
    if (!version) return std::optional<SecretBytes>();
    service::ReadRequest req;
    req.version = store::VersionRef::Number(*version);
    req.path = path;
    req.reveal = true;
    auto r = deps.config->Get(ctx, ns, req);
    if (!r) {
      if (r.error().code() == ErrorCode::kNotFound) return std::optional<SecretBytes>();
      return std::unexpected(r.error());
    }
    const config::Value& v = r->value;
    if (v.is_string()) {
      SecretBytes out = SecretBytes::FromString(v.AsString());
      SecureZero(const_cast<std::string&>(v.AsString()));
      return std::optional<SecretBytes>(std::move(out));
    }
    if (v.is_int()) return std::optional<SecretBytes>(SecretBytes::FromString(std::to_string(v.AsInt())));
    return InvalidArgumentError(fmt::format("{} {}: the secret is not a string", ns, Canonical(path)));
  }

  // Rotation (rotation.cc).
  Result<RotationOutcome> Rotate(const RequestContext& ctx, std::string_view ns,
                                 const config::Path& path, const RotateOptions& options);

  // The version of `ns` tagged `tag` among its newest versions, if any.
  Result<std::optional<store::VersionInfo>> Tagged(std::string_view ns, const std::string& tag) const {
    auto hist = deps.store->History(ns, {.limit = 64});
    if (!hist) {
      if (hist.error().code() == ErrorCode::kNotFound) return std::optional<store::VersionInfo>();
      return std::unexpected(hist.error());
    }
    for (const auto& v : *hist) {
      if (std::find(v.tags.begin(), v.tags.end(), tag) != v.tags.end()) return std::optional(v);
    }
    return std::optional<store::VersionInfo>();
  }
};


}  // namespace bulwark::lifecycle

#endif  // BULWARK_SRC_LIFECYCLE_INTERNAL_LIFECYCLE_IMPL_H_
