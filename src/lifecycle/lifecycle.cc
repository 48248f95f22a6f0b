#include "bulwark/lifecycle/lifecycle.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "bulwark/core/encoding.h"
#include "bulwark/lifecycle/generator.h"
#include "bulwark/lifecycle/hooks.h"
#include "lifecycle/internal/lifecycle_impl.h"

namespace bulwark::lifecycle {
SecretLifecycle::SecretLifecycle(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SecretLifecycle::~SecretLifecycle() = default;

Result<std::unique_ptr<SecretLifecycle>> SecretLifecycle::Create(LifecycleDeps deps) {
  if (!deps.store || !deps.authorizer || !deps.audit || !deps.config || !deps.store_mac ||
      !deps.runtime.clock || !deps.runtime.random) {
    return InvalidArgumentError(
        "secret lifecycle: store, store MAC key, authorizer, audit, config service and runtime are "
        "required");
  }
  if (!deps.sleep) {
    deps.sleep = [](Seconds s) { std::this_thread::sleep_for(s); };
  }
  auto impl = std::make_unique<Impl>();
  impl->deps = std::move(deps);
  return std::unique_ptr<SecretLifecycle>(new SecretLifecycle(std::move(impl)));
}

bool DueReport::problems() const {
  return std::any_of(items.begin(), items.end(), [](const DueItem& i) {
    return i.action == "overdue" || i.outcome == "failed" || i.outcome == "rolled_back";
  });
}

Result<SecretRecord> SecretLifecycle::SetMetadata(const RequestContext& ctx, std::string_view ns,
                                                  const config::Path& path,
                                                  const config::Document& patch,
                                                  const config::Path& at) {
  Impl& m = *impl_;
  const std::string p = Canonical(path);
  auto rec = m.Record(ctx, "secret.meta", Action::kAdmin, ns, p);
  BULWARK_RETURN_IF_ERROR(m.Authorize(ctx, rec));
  auto fail = [&](const Error& e) -> std::unexpected<Error> {
    (void)m.Audit(rec, e.code() == ErrorCode::kPermissionDenied ? Outcome::kDenied : Outcome::kFailure,
                  e.message());
    return std::unexpected(e);
  };
  // The path must hold a sensitive value, or nothing yet (the first rotation creates it).
  service::ReadRequest read;
  read.path = path;
  auto current = m.deps.config->Get(ctx, ns, read);
  if (current) {
    const bool sensitive = std::any_of(current->sensitive.begin(), current->sensitive.end(),
                                       [](const config::Path& s) { return s.empty(); });
    if (!sensitive) {
      return fail(Error(ErrorCode::kInvalidArgument,
                        fmt::format("{} {}: not a sensitive value (metadata is for secrets; store it "
                                    "with bulwark set --secret)",
                                    ns, p)));
    }
  } else if (current.error().code() != ErrorCode::kNotFound) {
    return fail(current.error());
  }
  const TimePoint now = m.Now();
  auto updated = m.Update(ns, p, "secret meta", [&](std::optional<SecretRecord>& r) -> Status {
    if (!r) {
      r.emplace();
      r->created = now;
      r->rotation = DefaultPolicy(r->type);
    }
    BULWARK_RETURN_IF_ERROR(ApplyMetadataPatch(*r, patch, at));
    r->updated = now;
    if (r->rotation.interval && !r->in_progress) {
      r->next_due = r->last_rotated.value_or(r->created) + *r->rotation.interval;
    } else if (!r->rotation.interval) {
      r->next_due.reset();
    }
    return OkStatus();
  });
  if (!updated) return fail(updated.error());
  std::string reason = fmt::format("type {}", SecretTypeName(updated->type));
  if (HasHooks(updated->rotation)) reason += "; hooks set";
  BULWARK_RETURN_IF_ERROR(m.Audit(rec, Outcome::kSuccess, std::move(reason)));
  return updated;
}

Status SecretLifecycle::MoveNamespace(const RequestContext& ctx, std::string_view from,
                                      std::string_view to) {
  Impl& m = *impl_;
  BULWARK_ASSIGN_OR_RETURN(LoadedDoc src, m.Load(from));
  BULWARK_ASSIGN_OR_RETURN(LoadedDoc dst, m.Load(to));
  if (src.doc.secrets.empty() && dst.doc.secrets.empty()) return m.deps.config->Move(ctx, from, to);
  auto rec = m.Record(ctx, "secret.meta.move", Action::kAdmin, from, "");
  rec.paths = {std::string(to)};
  BULWARK_RETURN_IF_ERROR(m.Authorize(ctx, rec));
  auto fail = [&](Error e) -> Status {
    (void)m.Audit(rec, Outcome::kFailure, e.message());
    return std::unexpected(std::move(e));
  };
  if (!dst.doc.secrets.empty()) {
    return fail(Error(ErrorCode::kFailedPrecondition,
                      fmt::format("mv {} {}: {} already has secret lifecycle metadata ({} "
                                  "secret(s)); it would apply to the moved namespace",
                                  from, to, to, dst.doc.secrets.size())));
  }
  for (const auto& [p, r] : src.doc.secrets) {
    if (r.in_progress) {
      return fail(Error(ErrorCode::kFailedPrecondition,
                        fmt::format("mv {} {}: rotation {} of {} is in progress; finish it first "
                                    "(bulwark rotate {} {})",
                                    from, to, r.in_progress->id, p, from, p)));
    }
  }
  auto written = m.Put(to, src.doc, dst.version, fmt::format("moved from {}", from));
  if (!written) return fail(written.error());
  if (auto moved = m.deps.config->Move(ctx, from, to); !moved) {
    (void)m.Put(to, LifecycleDocument{}, *written, fmt::format("move from {} failed", from));
    return fail(moved.error());
  }
  if (auto emptied = m.Put(from, LifecycleDocument{}, src.version, fmt::format("moved to {}", to));
      !emptied) {
    return fail(emptied.error().WithContext(
        fmt::format("the namespace moved to {}, but its old lifecycle metadata was not cleared", to)));
  }
  return m.Audit(rec, Outcome::kSuccess,
                 fmt::format("{} secret(s) moved to {}", src.doc.secrets.size(), to));
}

Result<SecretRecord> SecretLifecycle::Show(const RequestContext& ctx, std::string_view ns,
                                           const config::Path& path) {
  Impl& m = *impl_;
  const std::string p = Canonical(path);
  auto rec = m.Record(ctx, "secret.show", Action::kRead, ns, p);
  BULWARK_RETURN_IF_ERROR(m.Authorize(ctx, rec));
  auto r = m.Find(ns, p);
  (void)m.Audit(rec, r ? Outcome::kSuccess : Outcome::kFailure, r ? "" : r.error().message());
  return r;
}

Result<service::ReadResult> SecretLifecycle::Get(const RequestContext& ctx, std::string_view ns,
                                                 const config::Path& path, bool previous,
                                                 bool reveal) {
  Impl& m = *impl_;
  service::ReadRequest req;
  req.path = path;
  req.reveal = reveal;
  if (previous) {
    BULWARK_ASSIGN_OR_RETURN(SecretRecord r, m.Find(ns, Canonical(path)));
    if (!r.previous_version) {
      return NotFoundError(fmt::format(
          "{} {}: no previous value (one is served only during a rotation's grace period)", ns,
          Canonical(path)));
    }
    req.version = store::VersionRef::Number(*r.previous_version);
  }
  return m.deps.config->Get(ctx, ns, req);
}

Result<std::vector<SecretStatus>> SecretLifecycle::Secrets(const RequestContext& ctx,
                                                           std::optional<Seconds> within) {
  Impl& m = *impl_;
  auto rec = m.Record(ctx, "secret.list", Action::kList, "", "");
  BULWARK_RETURN_IF_ERROR(m.Authorize(ctx, rec));
  auto list = m.deps.store->List(std::string(kLifecyclePrefix.substr(0, kLifecyclePrefix.size() - 1)));
  if (!list) {
    (void)m.Audit(rec, Outcome::kFailure, list.error().message());
    return std::unexpected(list.error());
  }
  const TimePoint now = m.Now();
  std::vector<SecretStatus> out;
  for (const auto& info : *list) {
    const std::string ns = info.name.substr(kLifecyclePrefix.size());
    auto loaded = m.Load(ns);
    if (!loaded) {
      (void)m.Audit(rec, Outcome::kFailure, loaded.error().message());
      return std::unexpected(loaded.error());
    }
    for (const auto& [path, r] : loaded->doc.secrets) {
      SecretStatus s{ns, path, r, "ok", std::nullopt};
      const Seconds horizon = within.value_or(r.rotation.notify_before);
      if (r.in_progress) {
        s.status = "rotating";
        s.when = r.in_progress->grace_until;
      } else if (r.expires_at && *r.expires_at <= now) {
        s.status = "expired";
        s.when = r.expires_at;
      } else if (r.next_due && *r.next_due <= now) {
        const bool stuck = r.rotation.strategy.kind == StrategyKind::kNone ||
                           r.failures >= r.rotation.max_retries;
        s.status = r.failures >= r.rotation.max_retries && r.failures > 0 ? "failed"
                   : stuck                                                 ? "overdue"
                                                                           : "due";
        s.when = r.next_due;
      } else if (r.expires_at && *r.expires_at <= now + horizon) {
        s.status = "expiring";
        s.when = r.expires_at;
      } else if (r.next_due && *r.next_due <= now + horizon) {
        s.status = "upcoming";
        s.when = r.next_due;
      } else {
        s.when = r.next_due ? r.next_due : r.expires_at;
      }
      if (within && s.status == "ok") continue;
      out.push_back(std::move(s));
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const SecretStatus& a, const SecretStatus& b) {
    if (a.when.has_value() != b.when.has_value()) return a.when.has_value();
    return a.when < b.when;
  });
  (void)m.Audit(rec, Outcome::kSuccess, fmt::format("{} secret(s)", out.size()));
  return out;
}

}  // namespace bulwark::lifecycle
