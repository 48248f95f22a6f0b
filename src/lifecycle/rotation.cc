// The rotation state machine (docs/rotation.md sections 2 and 5) and the schedule (RunDue).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <nlohmann/json.hpp>

#include "bulwark/core/encoding.h"
#include "bulwark/lifecycle/generator.h"
#include "bulwark/lifecycle/hooks.h"
#include "lifecycle/internal/lifecycle_impl.h"

namespace bulwark::lifecycle {
namespace {

constexpr Seconds kOverdueNoteEvery{86400};

std::string RotationTag(const std::string& id) { return "rotation:" + id; }
std::string RollbackTag(const std::string& id) { return "rollback:" + id; }

// One rotation in progress: the journal, and the record it belongs to.
class Run {
 public:
  Run(SecretLifecycle::Impl& m, const RequestContext& ctx, std::string ns, config::Path path,
      SecretRecord rec, RotationJournal journal)
      : m_(m),
        ctx_(ctx),
        ns_(std::move(ns)),
        path_(std::move(path)),
        p_(Canonical(path_)),
        rec_(std::move(rec)),
        j_(std::move(journal)) {}

  // Advances until the rotation is done, rolled back, waiting for its grace to end, or an error
  // stops it (the journal then says where to resume).
  Result<RotationOutcome> Advance() {
    for (;;) {
      if (j_.phase == "generate" && j_.step == "started") {
        BULWARK_RETURN_IF_ERROR(GenerateAndWrite());
        if (finished_) return Outcome("failed");
      } else if (j_.phase == "generate" && j_.step == "written") {
        BULWARK_RETURN_IF_ERROR(Install());
      } else if (j_.phase == "grace") {
        BULWARK_RETURN_IF_ERROR(Grace());
      } else if (j_.phase == "verification") {
        BULWARK_RETURN_IF_ERROR(Verification());
      } else if (j_.phase == "rollback") {
        BULWARK_RETURN_IF_ERROR(Rollback());
        return Outcome("rolled_back");
      } else if (j_.phase == "revoke") {
        if (j_.grace_until && m_.Now() < *j_.grace_until) return Outcome("in_grace");
        BULWARK_RETURN_IF_ERROR(Revoke());
      } else if (j_.phase == "post_rotation") {
        BULWARK_RETURN_IF_ERROR(Post());
        return Outcome("done");
      } else {
        return DataLossError(fmt::format("{} {}: rotation {} journal in an unknown phase {}/{}",
                                         ns_, p_, j_.id, j_.phase, j_.step));
      }
    }
  }

  bool resumed = false;

 private:
  HookContext Hook(std::string phase) const {
    return HookContext{ns_, p_, j_.id, std::move(phase), rec_.type};
  }

  // Only the phases that change or retire a value mark the path as a sensitive value touched
  // (audit impact "sensitive-value-changed"); the others name the path without it.
  service::AuditRecord Rec(std::string_view phase) const {
    auto r = m_.Record(ctx_, fmt::format("secret.rotation.{}", phase), Action::kRotate, ns_, p_);
    if (phase != "generate" && phase != "rollback" && phase != "revoke") r.sensitive_paths = {};
    return r;
  }

  std::string Why(std::string_view what) const {
    std::string out = fmt::format("rotation {}", j_.id);
    if (j_.emergency) out += fmt::format(" (emergency: {})", j_.reason);
    if (!what.empty()) out += fmt::format(": {}", what);
    return out;
  }

  Status Audit(std::string_view phase, Outcome outcome, std::string_view what) {
    return m_.Audit(Rec(phase), outcome, Why(what));
  }

  // Writes the journal (and `change` to the record) with compare-and-set; refuses when another
  // process took the rotation over. `done` clears the journal.
  Status Save(const std::function<void(SecretRecord&)>& change = {}, bool done = false) {
    auto saved = m_.Update(ns_, p_, fmt::format("rotation {} {}/{}", j_.id, j_.phase, j_.step),
                           [&](std::optional<SecretRecord>& r) -> Status {
                             if (!r) return NotFoundError(fmt::format("{} {}: metadata removed during rotation", ns_, p_));
                             if (!r->in_progress || r->in_progress->id != j_.id) {
                               return ConflictError(fmt::format(
                                   "{} {}: rotation {} is no longer the one in progress", ns_, p_, j_.id));
                             }
                             if (change) change(*r);
                             if (done) {
                               r->in_progress.reset();
                             } else {
                               r->in_progress = j_;
                             }
                             return OkStatus();
                           });
    if (!saved) return std::unexpected(saved.error());
    rec_ = std::move(*saved);
    if (m_.deps.step_hook) return m_.deps.step_hook(done ? "finished" : j_.phase, done ? "done" : j_.step);
    return OkStatus();
  }

  // A crash point between an effect (a value written, a hook run) and the journal write that
  // records it (tests kill the process here too; resuming must not repeat the write).
  Status Point(std::string_view phase, std::string_view step) {
    if (m_.deps.step_hook) return m_.deps.step_hook(phase, step);
    return OkStatus();
  }

  void Move(std::string phase, std::string step) {
    j_.phase = std::move(phase);
    j_.step = std::move(step);
  }

  HistoryEntry Entry(std::string outcome, std::string error) const {
    HistoryEntry h;
    h.id = j_.id;
    h.started = j_.started;
    h.finished = m_.Now();
    h.outcome = std::move(outcome);
    h.old_version = j_.old_version;
    h.new_version = j_.new_version;
    h.emergency = j_.emergency;
    h.reason = j_.reason;
    h.by = j_.by;
    h.error = std::move(error);
    return h;
  }

  static void AddHistory(SecretRecord& r, HistoryEntry h) {
    r.history.push_back(std::move(h));
    if (r.history.size() > kMaxHistory) r.history.erase(r.history.begin());
  }

  Status Fail(const Error& e, std::string_view phase) {
    (void)Audit(phase, Outcome::kFailure, e.message());
    HistoryEntry h = Entry("failed", e.message());
    BULWARK_RETURN_IF_ERROR(Save(
        [&](SecretRecord& r) {
          AddHistory(r, h);
          ++r.failures;
        },
        /*done=*/true));
    finished_ = true;
    error_ = e.message();
    return OkStatus();
  }

  // generate/started: a new value written as current (or the write of a crashed run found).
  Status GenerateAndWrite() {
    BULWARK_ASSIGN_OR_RETURN(auto tagged, m_.Tagged(ns_, RotationTag(j_.id)));
    if (!tagged) {
      const HookContext hc = Hook("generate");
      auto generated = GenerateSecret(rec_.rotation.strategy, *m_.deps.runtime.random,
                                      {{"BULWARK_NAMESPACE", hc.ns},
                                       {"BULWARK_PATH", hc.path},
                                       {"BULWARK_ROTATION_ID", hc.rotation_id},
                                       {"BULWARK_PHASE", hc.phase},
                                       {"BULWARK_SECRET_TYPE", std::string(SecretTypeName(hc.type))}});
      if (!generated) return Fail(generated.error(), "generate");
      service::SetRequest req;
      req.secret = true;
      req.message = fmt::format("rotation {}", j_.id);
      req.tags = {RotationTag(j_.id)};
      std::string text(generated->value.RevealAsString());
      auto info = m_.deps.config->Set(ctx_, ns_, path_, config::Value(text), req);
      SecureZero(text);
      if (!info) {
        // Nothing was written: the old value stays current.
        if (info.error().code() == ErrorCode::kUnavailable) return std::unexpected(info.error());
        return Fail(info.error(), "generate");
      }
      tagged = *info;
      BULWARK_RETURN_IF_ERROR(Point("generate", "value_written"));
    }
    j_.new_version = tagged->version;
    j_.old_version = tagged->parent;
    Move("generate", "written");
    const auto old = j_.old_version;
    return Save([old](SecretRecord& r) { r.previous_version = old; });
  }

  // generate/written: the public key (key pairs) and the apply hook; then grace.
  Status Install() {
    const std::string& pub = rec_.rotation.strategy.public_path;
    std::optional<SecretBytes> value;
    if (!pub.empty() || rec_.rotation.apply) {
      BULWARK_ASSIGN_OR_RETURN(value, m_.ValueAt(ctx_, ns_, path_, j_.new_version));
      if (!value) return DataLossError(fmt::format("{} {}: the rotated value is missing from version {}", ns_, p_, *j_.new_version));
    }
    if (!pub.empty()) {
      BULWARK_ASSIGN_OR_RETURN(std::string public_pem, PublicKeyOf(*value));
      BULWARK_ASSIGN_OR_RETURN(config::Path pp, config::Path::Parse(pub));
      service::SetRequest req;
      req.message = fmt::format("rotation {}: public key", j_.id);
      req.tags = {RotationTag(j_.id) + ":public"};
      auto info = m_.deps.config->Set(ctx_, ns_, pp, config::Value(public_pem), req);
      if (!info) return std::unexpected(info.error());
    }
    if (rec_.rotation.apply) {
      if (auto s = RunHook(*rec_.rotation.apply, *value, Hook("apply")); !s) {
        (void)Audit("generate", Outcome::kFailure, s.error().message());
        j_.error = s.error().message();
        Move("rollback", "started");
        return Save();
      }
      BULWARK_RETURN_IF_ERROR(Point("generate", "applied"));
    }
    BULWARK_RETURN_IF_ERROR(Audit("generate", Outcome::kSuccess,
                                  fmt::format("version {} written", *j_.new_version)));
    const Seconds grace = j_.emergency ? Seconds(0) : rec_.rotation.grace;
    j_.grace_until = m_.Now() + grace;
    Move("grace", "started");
    return Save();
  }

  Status Grace() {
    std::string what = j_.old_version
                           ? fmt::format("current version {}, previous version {} until {}",
                                         *j_.new_version, *j_.old_version, FormatRfc3339(*j_.grace_until))
                           : fmt::format("current version {}, no previous value", *j_.new_version);
    BULWARK_RETURN_IF_ERROR(Audit("grace", Outcome::kSuccess, what));
    Move("verification", "started");
    return Save();
  }

  Status Verification() {
    if (rec_.rotation.verify) {
      BULWARK_ASSIGN_OR_RETURN(auto value, m_.ValueAt(ctx_, ns_, path_, j_.new_version));
      if (!value) return DataLossError(fmt::format("{} {}: the rotated value is missing", ns_, p_));
      auto s = VerifySecret(*rec_.rotation.verify, *value, Hook("verification"), m_.deps.sleep);
      j_.attempts = rec_.rotation.verify->attempts;
      if (!s) {
        (void)Audit("verification", Outcome::kFailure, s.error().message() + "; rolling back");
        j_.error = s.error().message();
        Move("rollback", "started");
        return Save();
      }
      BULWARK_RETURN_IF_ERROR(Audit("verification", Outcome::kSuccess, "verified"));
    } else {
      BULWARK_RETURN_IF_ERROR(Audit("verification", Outcome::kSuccess, "no verification configured"));
    }
    Move("revoke", "started");
    return Save();
  }

  // The previous value back as current, reinstalled at its source; the rotation ends rolled back.
  Status Rollback() {
    BULWARK_ASSIGN_OR_RETURN(auto tagged, m_.Tagged(ns_, RollbackTag(j_.id)));
    BULWARK_ASSIGN_OR_RETURN(auto old, m_.ValueAt(ctx_, ns_, path_, j_.old_version));
    if (!tagged) {
      if (old) {
        service::SetRequest req;
        req.secret = true;
        req.message = fmt::format("rollback of rotation {}", j_.id);
        req.tags = {RollbackTag(j_.id)};
        std::string text(old->RevealAsString());
        auto info = m_.deps.config->Set(ctx_, ns_, path_, config::Value(text), req);
        SecureZero(text);
        if (!info) return std::unexpected(info.error());
        BULWARK_RETURN_IF_ERROR(Point("rollback", "value_written"));
      } else {
        service::WriteRequest req;
        req.message = fmt::format("rollback of rotation {}", j_.id);
        req.tags = {RollbackTag(j_.id)};
        auto info = m_.deps.config->Unset(ctx_, ns_, path_, req);
        if (!info && info.error().code() != ErrorCode::kNotFound) return std::unexpected(info.error());
      }
    }
    std::string what = fmt::format("rolled back after: {}", j_.error);
    if (rec_.rotation.apply && old) {
      if (auto s = RunHook(*rec_.rotation.apply, *old, Hook("rollback")); !s) {
        what += fmt::format("; reinstalling the previous value at its source FAILED: {}", s.error().message());
      }
    }
    (void)Audit("rollback", Outcome::kSuccess, what);
    error_ = what;
    HistoryEntry h = Entry("rolled_back", j_.error);
    return Save(
        [&](SecretRecord& r) {
          AddHistory(r, h);
          ++r.failures;
          r.previous_version.reset();
        },
        /*done=*/true);
  }

  Status Revoke() {
    if (rec_.rotation.revoke && j_.old_version) {
      BULWARK_ASSIGN_OR_RETURN(auto old, m_.ValueAt(ctx_, ns_, path_, j_.old_version));
      if (old) {
        if (auto s = RunHook(*rec_.rotation.revoke, *old, Hook("revoke")); !s) {
          (void)Audit("revoke", Outcome::kFailure, s.error().message() + "; retried by rotate due");
          j_.error = s.error().message();
          BULWARK_RETURN_IF_ERROR(Save());
          return std::unexpected(s.error());
        }
      }
    }
    BULWARK_RETURN_IF_ERROR(Audit("revoke", Outcome::kSuccess, "previous value retired"));
    j_.error.clear();
    Move("post_rotation", "started");
    return Save([](SecretRecord& r) { r.previous_version.reset(); });
  }

  Status Post() {
    std::string what;
    if (rec_.rotation.notify) {
      nlohmann::json summary = {{"namespace", ns_},
                                {"path", p_},
                                {"rotation_id", j_.id},
                                {"outcome", "rotated"},
                                {"emergency", j_.emergency},
                                {"old_version", j_.old_version ? nlohmann::json(*j_.old_version) : nlohmann::json()},
                                {"new_version", *j_.new_version}};
      if (auto s = RunHook(*rec_.rotation.notify, SecretBytes::FromString(summary.dump() + "\n"),
                           Hook("post_rotation"));
          !s) {
        what = fmt::format("notify hook failed: {}; ", s.error().message());
      }
    }
    const TimePoint now = m_.Now();
    std::optional<TimePoint> next;
    if (rec_.rotation.interval) next = now + *rec_.rotation.interval;
    what += next ? fmt::format("next due {}", FormatRfc3339(*next)) : "no schedule";
    HistoryEntry h = Entry("rotated", "");
    // Audited before the journal is cleared: a crash in between repeats the record on resume
    // rather than losing it.
    BULWARK_RETURN_IF_ERROR(Audit("post_rotation", Outcome::kSuccess, what));
    return Save(
        [&](SecretRecord& r) {
          AddHistory(r, h);
          r.last_rotated = now;
          r.next_due = next;
          r.failures = 0;
          r.notified_for.reset();
          r.overdue_noted.reset();
        },
        /*done=*/true);
  }

  Result<RotationOutcome> Outcome(std::string state) const {
    RotationOutcome o;
    o.id = j_.id;
    o.state = std::move(state);
    o.resumed = resumed;
    o.old_version = j_.old_version;
    o.new_version = j_.new_version;
    o.grace_until = j_.grace_until;
    o.error = error_;
    if (o.state == "failed") return UnavailableError(fmt::format("{} {}: rotation {} failed: {}", ns_, p_, j_.id, error_));
    return o;
  }

  SecretLifecycle::Impl& m_;
  const RequestContext& ctx_;
  std::string ns_;
  config::Path path_;
  std::string p_;
  SecretRecord rec_;
  RotationJournal j_;
  bool finished_ = false;
  std::string error_;
};

}  // namespace

Result<RotationOutcome> SecretLifecycle::Impl::Rotate(const RequestContext& ctx, std::string_view ns,
                                                      const config::Path& path,
                                                      const RotateOptions& options) {
  const std::string p = Canonical(path);
  auto pre = Record(ctx, "secret.rotation.pre_rotation", Action::kRotate, ns, p);
  BULWARK_RETURN_IF_ERROR(Authorize(ctx, pre));
  auto refuse = [&](Error e) -> std::unexpected<Error> {
    (void)Audit(pre, Outcome::kFailure, e.message());
    return std::unexpected(std::move(e));
  };
  if (options.emergency && options.reason.empty()) {
    return refuse(Error(ErrorCode::kInvalidArgument, "an emergency rotation needs a reason (--reason)"));
  }
  auto found = Find(ns, p);
  if (!found) return refuse(found.error());
  SecretRecord rec = std::move(*found);
  bool resumed = false;
  RotationJournal journal;
  if (rec.in_progress) {
    resumed = true;
    journal = *rec.in_progress;
    if (options.emergency) {
      journal.emergency = true;
      journal.reason = options.reason;
      journal.grace_until = Now();
    }
  } else {
    if (rec.rotation.strategy.kind == StrategyKind::kNone) {
      return refuse(Error(ErrorCode::kFailedPrecondition,
                          fmt::format("{} {}: no rotation strategy ({}); set a new value with bulwark set, or "
                                      "give the secret a strategy with bulwark secret meta",
                                      ns, p, SecretTypeName(rec.type))));
    }
    if (rec.failures > 0 && rec.failures >= rec.rotation.max_retries && !options.force &&
        !options.emergency) {
      return refuse(Error(ErrorCode::kFailedPrecondition,
                          fmt::format("{} {}: {} failed rotations in a row (max_retries {}); fix the cause "
                                      "and run bulwark rotate with --force",
                                      ns, p, rec.failures, rec.rotation.max_retries)));
    }
    BULWARK_ASSIGN_OR_RETURN(std::vector<std::uint8_t> id, deps.runtime.random->Bytes(8));
    journal.id = HexEncode(id);
    journal.phase = "generate";
    journal.step = "started";
    journal.emergency = options.emergency;
    journal.reason = options.reason;
    journal.by = ctx.principal.id;
    journal.started = Now();
    auto started = Update(ns, p, fmt::format("rotation {} started", journal.id),
                          [&](std::optional<SecretRecord>& r) -> Status {
                            if (!r) return NotFoundError(fmt::format("{} {}: no secret metadata", ns, p));
                            if (r->in_progress) {
                              return ConflictError(fmt::format(
                                  "{} {}: rotation {} is already in progress (run bulwark rotate again to resume it)",
                                  ns, p, r->in_progress->id));
                            }
                            r->in_progress = journal;
                            return OkStatus();
                          });
    if (!started) return refuse(started.error());
    rec = std::move(*started);
    std::string why = fmt::format("rotation {} started", journal.id);
    if (options.emergency) why += fmt::format(" (emergency: {})", options.reason);
    BULWARK_RETURN_IF_ERROR(Audit(pre, Outcome::kSuccess, why));
    if (deps.step_hook) BULWARK_RETURN_IF_ERROR(deps.step_hook("pre_rotation", "done"));
  }
  Run run(*this, ctx, std::string(ns), path, std::move(rec), std::move(journal));
  run.resumed = resumed;
  return run.Advance();
}

Result<RotationOutcome> SecretLifecycle::Rotate(const RequestContext& ctx, std::string_view ns,
                                                const config::Path& path,
                                                const RotateOptions& options) {
  return impl_->Rotate(ctx, ns, path, options);
}

Result<DueReport> SecretLifecycle::RunDue(const RequestContext& ctx, bool dry_run) {
  Impl& m = *impl_;
  auto overview = m.Record(ctx, "secret.due", Action::kList, "", "");
  BULWARK_RETURN_IF_ERROR(m.Authorize(ctx, overview));
  auto list = m.deps.store->List(std::string(kLifecyclePrefix.substr(0, kLifecyclePrefix.size() - 1)));
  if (!list) {
    (void)m.Audit(overview, Outcome::kFailure, list.error().message());
    return std::unexpected(list.error());
  }
  DueReport report;
  std::vector<std::string> refused;
  const TimePoint now = m.Now();
  for (const auto& info : *list) {
    const std::string ns = info.name.substr(kLifecyclePrefix.size());
    auto loaded_or = m.Load(ns);
    if (!loaded_or) {
      // A document that does not verify (altered in the database) or cannot be read: nothing of
      // that namespace runs; the others still do, and the run reports the failure.
      refused.push_back(ns);
      report.items.push_back(DueItem{ns, "*", "refused", "failed", loaded_or.error().message()});
      continue;
    }
    const LoadedDoc& loaded = *loaded_or;
    for (const auto& [p, r] : loaded.doc.secrets) {
      DueItem item{ns, p, "", "", ""};
      auto path = config::Path::Parse(p);
      if (!path) continue;
      auto rotate = [&](const std::string& action) {
        item.action = action;
        if (dry_run) {
          item.outcome = "would";
          return;
        }
        auto out = m.Rotate(ctx, ns, *path, {});
        if (out) {
          item.outcome = out->state;
          item.detail = out->state == "in_grace" && out->grace_until
                            ? fmt::format("revoke at {}", FormatRfc3339(*out->grace_until))
                            : out->error;
        } else {
          item.outcome = "failed";
          item.detail = out.error().message();
        }
      };
      std::string overdue_why;
      if (r.in_progress) {
        rotate("resumed");
      } else if (r.expires_at && *r.expires_at <= now) {
        overdue_why = fmt::format("expired at {}", FormatRfc3339(*r.expires_at));
      } else if (r.next_due && *r.next_due <= now) {
        if (r.rotation.strategy.kind == StrategyKind::kNone) {
          overdue_why = fmt::format("due since {}; no rotation strategy (rotate by hand)", FormatRfc3339(*r.next_due));
        } else if (r.failures > 0 && r.failures >= r.rotation.max_retries) {
          overdue_why = fmt::format("due since {}; {} failed rotations (max_retries {})", FormatRfc3339(*r.next_due),
                                    r.failures, r.rotation.max_retries);
        } else {
          rotate("rotated");
          if (item.outcome == "failed" || item.outcome == "rolled_back") {
            // Counted in failures; reported as overdue once the retries are exhausted.
          }
        }
      } else {
        std::optional<TimePoint> upcoming;
        std::string what;
        if (r.next_due && *r.next_due - r.rotation.notify_before <= now) {
          upcoming = r.next_due;
          what = fmt::format("rotation due at {}", FormatRfc3339(*r.next_due));
        } else if (r.expires_at && *r.expires_at - r.rotation.notify_before <= now) {
          upcoming = r.expires_at;
          what = fmt::format("expires at {}", FormatRfc3339(*r.expires_at));
        }
        if (upcoming && r.notified_for != upcoming) {
          item.action = "noticed";
          item.detail = what;
          if (dry_run) {
            item.outcome = "would";
          } else {
            auto rec = m.Record(ctx, "secret.rotation.upcoming", Action::kRotate, ns, p);
          rec.sensitive_paths = {};  // nothing changed
            BULWARK_RETURN_IF_ERROR(m.Audit(rec, Outcome::kSuccess, what));
            auto saved = m.Update(ns, p, "upcoming notice", [&](std::optional<SecretRecord>& x) -> Status {
              if (x) x->notified_for = upcoming;
              return OkStatus();
            });
            if (!saved) return std::unexpected(saved.error());
            item.outcome = "recorded";
          }
        }
      }
      if (!overdue_why.empty()) {
        item.action = "overdue";
        item.detail = overdue_why;
        if (dry_run) {
          item.outcome = "would";
        } else if (!r.overdue_noted || now - *r.overdue_noted >= kOverdueNoteEvery) {
          auto rec = m.Record(ctx, "secret.overdue", Action::kRotate, ns, p);
          rec.sensitive_paths = {};  // nothing changed
          BULWARK_RETURN_IF_ERROR(m.Audit(rec, Outcome::kFailure, overdue_why));
          auto saved = m.Update(ns, p, "overdue noted", [&](std::optional<SecretRecord>& x) -> Status {
            if (x) x->overdue_noted = now;
            return OkStatus();
          });
          if (!saved) return std::unexpected(saved.error());
          item.outcome = "recorded";
        } else {
          item.outcome = "noted earlier";
        }
      }
      if (!item.action.empty()) report.items.push_back(std::move(item));
    }
  }
  if (!refused.empty()) {
    (void)m.Audit(overview, Outcome::kFailure,
                  fmt::format("{} item(s){}; lifecycle metadata refused for: {}",
                              report.items.size(), dry_run ? " (dry run)" : "",
                              fmt::join(refused, ", ")));
    return report;
  }
  (void)m.Audit(overview, Outcome::kSuccess,
                fmt::format("{} item(s){}", report.items.size(), dry_run ? " (dry run)" : ""));
  return report;
}

}  // namespace bulwark::lifecycle
