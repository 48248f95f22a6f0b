#include "bulwark/change/change_service.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "bulwark/config/path.h"
#include "bulwark/config/sensitivity.h"
#include "bulwark/config/schema.h"
#include "bulwark/core/encoding.h"
#include "bulwark/core/secret_bytes.h"
#include "bulwark/service/record_seal.h"

namespace bulwark::change {
namespace {

using config::Path;
using config::Value;
using request::Action;
using request::RequestContext;

constexpr std::string_view kRecordPrefix = ".bulwark/changes/";
constexpr int kSaveAttempts = 5;

bool IsToken(const Value& v) {
  if (!v.is_string()) return false;
  const std::string& s = v.AsString();
  return s.starts_with("ENC[") && s.ends_with("]");
}

Status RejectTokens(const Value& v, std::string_view field) {
  bool found = false;
  config::WalkLeaves(v, [&](const Path&, const Value& leaf) { found = found || IsToken(leaf); });
  if (found) {
    return InvalidArgumentError(fmt::format(
        "{}: holds an ENC[...] token; give plaintext values (Bulwark encrypts them)", field));
  }
  return OkStatus();
}

std::string DocumentId(std::string_view id) { return fmt::format("bulwark-change/v1/{}", id); }

Path OpRoot(std::size_t i, const ChangeOp& op) {
  return Path().Key("ops").Index(i).Key(op.kind == ChangeOp::Kind::kPut ? "document" : "value");
}

std::vector<Path> Paths(const request::SharedList<Path>& l) {
  return std::vector<Path>(l.begin(), l.end());
}

bool Valid(std::string_view id) {
  if (id.size() != 13 || !id.starts_with("cr-")) return false;
  return std::all_of(id.begin() + 3, id.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// Before and after of a change, and which paths are sensitive on either side.
struct Computed {
  Value before = Value::EmptyMap();
  Value after = Value::EmptyMap();
  std::vector<Path> sensitive;
};

std::vector<std::string> Failing(const compliance::Report& rep) {
  std::vector<std::string> out;
  for (const auto& r : rep.rules) {
    if (r.status == compliance::RuleStatus::kFail || r.status == compliance::RuleStatus::kError) {
      out.push_back(fmt::format("{} {}", r.id, compliance::SeverityName(r.severity)));
    }
  }
  return out;
}

}  // namespace

std::string RecordNamespace(std::string_view id) { return fmt::format("{}{}", kRecordPrefix, id); }

struct ChangeService::Impl {
  ChangeServiceDeps d;

  // ---- audit: one record per operation ----
  struct Op {
    Impl& s;
    request::AuditRecord rec;
    bool recorded = false;
    Op(Impl& impl, const RequestContext& ctx, std::string operation, Action action)
        : s(impl) {
      rec.time = s.d.runtime.clock->Now();
      rec.operation = std::move(operation);
      rec.action = action;
      rec.context = ctx;
      rec.resource_kind = request::ResourceKind::kChangeRequest;
      if (rec.context.request_id.empty()) {
        auto b = s.d.runtime.random->Bytes(8);
        rec.context.request_id = b ? HexEncode(std::span<const std::uint8_t>(*b)) : "change";
      }
    }
    void Name(const ChangeRequest& r) {
      rec.resource_name = r.id;
      rec.namespace_name = r.ns;
    }
    template <typename T>
    Result<T> Finish(Result<T> result) {
      if (recorded) return result;
      recorded = true;
      if (result) {
        rec.outcome = request::Outcome::kSuccess;
      } else {
        rec.outcome = result.error().code() == ErrorCode::kPermissionDenied
                          ? request::Outcome::kDenied
                          : request::Outcome::kFailure;
        rec.reason = result.error().message();
      }
      auto appended = s.d.audit->Append(rec);
      if (!appended && result) {
        return std::unexpected(Error(ErrorCode::kUnavailable,
                                     fmt::format("{} succeeded but could not be audited: {}",
                                                 rec.operation, appended.error().message())));
      }
      return result;
    }
  };

  Status Authorize(const RequestContext& ctx, Action action, std::string_view ns) const {
    request::Resource res{std::string(ns), {}, false};
    const request::Decision dec = d.authorizer->Authorize(ctx, action, res);
    if (!dec.allowed) {
      return PermissionDeniedError(fmt::format("{} on {} denied: {}", request::ActionName(action),
                                               ns, dec.reason));
    }
    return OkStatus();
  }

  Result<const ApprovalPolicies*> Policies() const {
    if (!*d.policies) return std::unexpected(d.policies->error());
    return &**d.policies;
  }

  Result<ApprovalPolicy> PolicyFor(std::string_view ns) const {
    BULWARK_ASSIGN_OR_RETURN(const ApprovalPolicies* ps, Policies());
    const ApprovalPolicy* p = ps->Find(ns);
    return p != nullptr ? *p : DefaultPolicy();
  }

  Result<std::int64_t> LatestVersion(std::string_view ns) const {
    auto h = d.store->History(ns, store::HistoryOptions{.limit = 1});
    if (!h) {
      if (h.error().code() == ErrorCode::kNotFound) return 0;
      return std::unexpected(h.error());
    }
    return h->empty() ? 0 : h->front().version;
  }

  // ---- records ----
  // Change records are sealed under the store's MAC key (service/record_seal.h).
  service::RecordSeal Seal() const { return service::RecordSeal(d.store_mac, "bulwark-change/v1"); }

  struct Loaded {
    ChangeRequest r;
    store::Version record_version = 0;
  };

  Result<Loaded> Load(std::string_view id) const {
    if (!Valid(id)) {
      return InvalidArgumentError(
          fmt::format("change request id '{}': expected cr- and 10 hex digits", id));
    }
    auto snap = d.store->Get(RecordNamespace(id), store::VersionRef::Latest());
    if (!snap) {
      if (snap.error().code() == ErrorCode::kNotFound) {
        return NotFoundError(fmt::format("change request {} not found", id));
      }
      return std::unexpected(snap.error());
    }
    BULWARK_RETURN_IF_ERROR(Seal().Verify(snap->info, fmt::format("change request {}", id)));
    BULWARK_ASSIGN_OR_RETURN(ChangeRequest r, FromValue(snap->content));
    if (r.id != id) return DataLossError(fmt::format("change request {}: record names {}", id, r.id));
    return Loaded{std::move(r), snap->info.version};
  }

  Status Save(const ChangeRequest& r, store::Version expected, const std::string& author,
              std::string_view what) const {
    store::WriteOptions w;
    w.author = author;
    w.message = std::string(what);
    w.expected_version = expected;
    w.seal = Seal().Sealer();
    auto put = d.store->Put(RecordNamespace(r.id), ToValue(r), w);
    if (!put) {
      if (put.error().code() == ErrorCode::kConflict) {
        return ConflictError(fmt::format(
            "change request {} was changed by another process meanwhile; run the command again",
            r.id));
      }
      return std::unexpected(put.error());
    }
    return OkStatus();
  }

  // Load, change, save with compare-and-set, retrying when another process got in between.
  // `mutate` may fail (then nothing is saved).
  Result<ChangeRequest> Update(std::string_view id, const std::string& author, std::string_view what,
                               const std::function<Status(ChangeRequest&)>& mutate) const {
    for (int attempt = 0;; ++attempt) {
      BULWARK_ASSIGN_OR_RETURN(Loaded l, Load(id));
      BULWARK_RETURN_IF_ERROR(mutate(l.r));
      auto saved = Save(l.r, l.record_version, author, what);
      if (saved) return std::move(l.r);
      if (saved.error().code() != ErrorCode::kConflict || attempt + 1 >= kSaveAttempts) {
        return std::unexpected(saved.error());
      }
    }
  }

  // A request left open by an apply that wrote the namespace but ended before it recorded the
  // outcome (a crash, a lost connection): the version after its base names it in its tags. The
  // record is completed here (by whoever next looks at it).
  Result<ChangeRequest> Recover(ChangeRequest r, std::int64_t latest) const {
    if (r.stored != StoredState::kOpen || latest <= r.base_version) return r;
    auto next = d.store->Get(r.ns, store::VersionRef::Number(r.base_version + 1));
    if (!next) return r;
    const auto& tags = next->info.tags;
    if (std::find(tags.begin(), tags.end(), "change:" + r.id) == tags.end()) return r;
    const store::VersionInfo info = next->info;
    return Update(r.id, info.author, "apply recovered", [&](ChangeRequest& x) -> Status {
      if (x.stored != StoredState::kOpen) return OkStatus();
      x.stored = StoredState::kApplied;
      x.applied_by = info.author;
      x.applied_at = info.created_at;
      x.applied_version = info.version;
      return OkStatus();
    });
  }

  Result<ChangeView> View(ChangeRequest r) const {
    ChangeView v;
    BULWARK_ASSIGN_OR_RETURN(ApprovalPolicy p, PolicyFor(r.ns));
    BULWARK_ASSIGN_OR_RETURN(v.latest_version, LatestVersion(r.ns));
    BULWARK_ASSIGN_OR_RETURN(r, Recover(std::move(r), v.latest_version));
    const TimePoint now = d.runtime.clock->Now();
    v.state = StateOf(r, p, now, v.latest_version);
    v.policy = p.name;
    v.approvals_required = p.approvals;
    v.approvals_counting = static_cast<std::int64_t>(CountingApprovals(r, p, now).size());
    v.missing = MissingQuorum(r, p, now);
    v.unoverridden = UnoverriddenRules(r, p, now);
    v.review_overdue = ReviewOverdue(r, now);
    v.request = std::move(r);
    return v;
  }

  // What a transition of an existing request starts with: the record (completed first if an
  // earlier apply wrote it and ended before recording that), the caller authorized for `action` on
  // its namespace, the audit log writable, the covering policy, the caller and the time.
  struct Prepared {
    ChangeRequest r;
    ApprovalPolicy p;
    Identity who;
    std::int64_t latest = 0;
    TimePoint now;
  };
  Result<Prepared> Prepare(Op& op, const RequestContext& ctx, std::string_view id,
                           Action action) const {
    BULWARK_ASSIGN_OR_RETURN(Loaded l, Load(id));
    op.Name(l.r);
    BULWARK_RETURN_IF_ERROR(Authorize(ctx, action, l.r.ns));
    BULWARK_RETURN_IF_ERROR(d.audit->HealthCheck());
    Prepared x;
    BULWARK_ASSIGN_OR_RETURN(x.p, PolicyFor(l.r.ns));
    x.who = d.identify(ctx);
    BULWARK_ASSIGN_OR_RETURN(x.latest, LatestVersion(l.r.ns));
    BULWARK_ASSIGN_OR_RETURN(x.r, Recover(std::move(l.r), x.latest));
    x.now = d.runtime.clock->Now();
    return x;
  }

  // Refuses a request that can no longer be approved or applied (applied, rejected, expired,
  // stale); open and approved requests pass.
  static Status StillLive(const ChangeRequest& r, State st, std::int64_t latest) {
    switch (st) {
      case State::kApplied:
        return FailedPreconditionError(fmt::format("change {} is already applied (version {})",
                                                   r.id, r.applied_version.value_or(0)));
      case State::kRejected:
        return FailedPreconditionError(fmt::format("change {} was rejected", r.id));
      case State::kExpired:
        return FailedPreconditionError(
            fmt::format("change {} expired at {}", r.id, FormatRfc3339(r.expires_at)));
      case State::kStale:
        return FailedPreconditionError(fmt::format(
            "change {} is stale: {} is at version {}, the change was made against version {}; "
            "rebase it first (bulwark change rebase {})",
            r.id, r.ns, latest, r.base_version, r.id));
      case State::kOpen:
      case State::kApproved:
        break;
    }
    return OkStatus();
  }

  // ---- change-sets ----
  Status ValidateProposal(const ProposeRequest& req, bool emergency) const {
    if (req.ns.empty()) return InvalidArgumentError("namespace: required");
    if (req.ns == ".bulwark" || req.ns.starts_with(".bulwark/")) {
      return InvalidArgumentError(fmt::format("namespace {}: reserved", req.ns));
    }
    if (req.ops.empty()) {
      return InvalidArgumentError(
          "change-set: empty (give --file, --set, --set-secret, --unset or --rollback-to)");
    }
    if (req.justification.empty()) {
      return InvalidArgumentError(emergency ? "justification: required for an emergency change"
                                            : "justification: required");
    }
    for (std::size_t i = 0; i < req.ops.size(); ++i) {
      const ChangeOp& op = req.ops[i];
      const std::string field = fmt::format("ops[{}]", i);
      switch (op.kind) {
        case ChangeOp::Kind::kPut:
          if (!op.value.is_map()) return InvalidArgumentError(field + ".document: must be a map");
          BULWARK_RETURN_IF_ERROR(RejectTokens(op.value, field + ".document"));
          if (i != 0) {
            return InvalidArgumentError(field + ": a whole document (put) must come first");
          }
          break;
        case ChangeOp::Kind::kSet:
        case ChangeOp::Kind::kUnset: {
          auto p = Path::ParseAny(op.path);
          if (!p) {
            return InvalidArgumentError(
                fmt::format("{}.path '{}': {}", field, op.path, p.error().message()));
          }
          if (p->empty()) return InvalidArgumentError(field + ".path: empty");
          if (op.kind == ChangeOp::Kind::kSet) {
            BULWARK_RETURN_IF_ERROR(RejectTokens(op.value, field + ".value"));
          }
          break;
        }
        case ChangeOp::Kind::kRollback:
          if (op.to < 1) return InvalidArgumentError(field + ".to: a version number (1 or more)");
          if (i != 0) return InvalidArgumentError(field + ": a rollback must come first");
          break;
      }
    }
    return OkStatus();
  }

  // The ops with every ENC token of the request decrypted (reveal) or replaced by "[redacted]".
  Result<std::vector<ChangeOp>> PlainOps(const ChangeRequest& r, bool reveal) const {
    std::vector<ChangeOp> out = r.ops;
    for (std::size_t i = 0; i < out.size(); ++i) {
      ChangeOp& op = out[i];
      if (op.kind != ChangeOp::Kind::kPut && op.kind != ChangeOp::Kind::kSet) continue;
      std::vector<Path> tokens;
      config::WalkLeaves(op.value, [&](const Path& p, const Value& v) {
        if (IsToken(v)) tokens.push_back(p);
      });
      for (const Path& p : tokens) {
        Value* leaf = config::Find(op.value, p);
        if (!reveal) {
          op.secret = true;
          *leaf = Value("[redacted]");
          continue;
        }
        BULWARK_ASSIGN_OR_RETURN(
            Value plain, d.cipher->Decrypt(leaf->AsString(), DocumentId(r.id), OpRoot(i, op).Concat(p)));
        *leaf = std::move(plain);
        op.secret = true;
      }
    }
    return out;
  }

  // Applies plaintext (or redacted) ops to the base version read through the service.
  Result<Computed> Compute(const RequestContext& ctx, std::string_view ns, std::int64_t base,
                           const std::vector<ChangeOp>& ops, bool reveal) const {
    Computed c;
    if (base > 0) {
      service::ReadRequest rr;
      rr.version = store::VersionRef::Number(base);
      rr.reveal = reveal;
      BULWARK_ASSIGN_OR_RETURN(service::ReadResult got, d.config->Get(ctx, ns, rr));
      c.before = std::move(got.value);
      c.sensitive = Paths(got.sensitive);
    }
    c.after = c.before;
    std::vector<Path> marked;
    for (std::size_t i = 0; i < ops.size(); ++i) {
      const ChangeOp& op = ops[i];
      const std::string field = fmt::format("ops[{}]", i);
      switch (op.kind) {
        case ChangeOp::Kind::kPut:
          c.after = op.value;
          break;
        case ChangeOp::Kind::kSet: {
          BULWARK_ASSIGN_OR_RETURN(Path p, Path::ParseAny(op.path));
          if (auto s = config::Set(c.after, p, op.value); !s) {
            return InvalidArgumentError(
                fmt::format("{} set {}: {}", field, op.path, s.error().message()));
          }
          if (op.secret) marked.push_back(p);
          break;
        }
        case ChangeOp::Kind::kUnset: {
          BULWARK_ASSIGN_OR_RETURN(Path p, Path::ParseAny(op.path));
          if (auto s = config::Remove(c.after, p); !s) {
            return InvalidArgumentError(
                fmt::format("{} unset {}: {}", field, op.path, s.error().message()));
          }
          break;
        }
        case ChangeOp::Kind::kRollback: {
          service::ReadRequest rr;
          rr.version = store::VersionRef::Number(op.to);
          rr.reveal = reveal;
          BULWARK_ASSIGN_OR_RETURN(service::ReadResult got, d.config->Get(ctx, ns, rr));
          c.after = std::move(got.value);
          for (const Path& p : got.sensitive) marked.push_back(p);
          break;
        }
      }
    }
    // Sensitive after: the schema, the name heuristic, what was marked, what was sensitive before.
    std::unique_ptr<config::Schema> schema;
    if (base > 0) {
      BULWARK_ASSIGN_OR_RETURN(std::optional<Value> schema_doc, d.config->SchemaOf(ctx, ns));
      if (schema_doc) {
        BULWARK_ASSIGN_OR_RETURN(schema, config::Schema::Create(*schema_doc, std::string(ns)));
      }
    }
    BULWARK_ASSIGN_OR_RETURN(auto classifier, config::SensitivityClassifier::Create(schema.get(), {}));
    for (Path& p : classifier.Classify(c.after)) c.sensitive.push_back(std::move(p));
    for (Path& p : classifier.Classify(c.before)) c.sensitive.push_back(std::move(p));
    for (Path& p : marked) c.sensitive.push_back(std::move(p));
    return c;
  }

  std::vector<DiffLine> DiffOf(const Computed& c) const {
    std::map<std::string, std::pair<std::optional<Value>, std::optional<Value>>> leaves;
    std::map<std::string, bool> sens;
    config::WalkLeaves(c.before, [&](const Path& p, const Value& v) {
      leaves[p.ToString()].first = v;
      sens[p.ToString()] = config::IsUnder(p, c.sensitive);
    });
    config::WalkLeaves(c.after, [&](const Path& p, const Value& v) {
      leaves[p.ToString()].second = v;
      sens[p.ToString()] = sens[p.ToString()] || config::IsUnder(p, c.sensitive);
    });
    std::vector<DiffLine> out;
    for (auto& [path, sides] : leaves) {
      auto& [a, b] = sides;
      if (a && b && *a == *b) continue;
      DiffLine line;
      line.path = path;
      line.kind = !a ? DiffLine::Kind::kAdded : !b ? DiffLine::Kind::kRemoved : DiffLine::Kind::kChanged;
      line.sensitive = sens[path];
      if (!line.sensitive) {
        line.old_value = a;
        line.new_value = b;
      }
      out.push_back(std::move(line));
    }
    return out;
  }

  Impact ImpactOf(std::string_view ns, std::int64_t base, const Computed& c) const {
    Impact imp;
    for (const DiffLine& l : DiffOf(c)) {
      imp.paths.push_back(l.path);
      if (l.sensitive) imp.sensitive_paths.push_back(l.path);
    }
    request::AuditRecord rec;
    rec.operation = "config.put";
    rec.action = Action::kWrite;
    rec.namespace_name = std::string(ns);
    rec.paths = imp.paths;
    rec.sensitive_paths = imp.sensitive_paths;
    const audit::Impact level = d.classifier.Classify(rec);
    imp.level = std::string(audit::ImpactLevelName(level.level));
    imp.reasons = level.reasons;
    if (d.compliance) {
      auto evaluate = [&](const Value& doc, std::int64_t version) {
        config::Document document;
        document.root = doc;
        return d.compliance->Evaluate(
            document, compliance::EvalContext{.target = fmt::format("{}@{}", ns, version),
                                              .environment = service::EnvironmentOf(ns),
                                              .ns = std::string(ns),
                                              .version = version,
                                              .sensitive = c.sensitive});
      };
      std::set<std::string> failing_before;
      if (base > 0) {
        const compliance::Report before = evaluate(c.before, base);
        imp.compliance_before = Failing(before);
        for (const auto& r : before.rules) {
          if (r.status == compliance::RuleStatus::kFail || r.status == compliance::RuleStatus::kError) {
            failing_before.insert(r.id);
          }
        }
      }
      const compliance::Report after = evaluate(c.after, base + 1);
      imp.compliance_after = Failing(after);
      for (const auto& r : after.rules) {
        if ((r.status == compliance::RuleStatus::kFail || r.status == compliance::RuleStatus::kError) &&
            r.severity == compliance::Severity::kCritical && !failing_before.contains(r.id)) {
          imp.blocking_rules.push_back(r.id);
        }
      }
    }
    return imp;
  }

  // Stores the ops with their sensitive leaves encrypted, bound to the request.
  Result<std::vector<ChangeOp>> SealOps(const std::string& id, const std::vector<ChangeOp>& plain,
                                        const std::vector<Path>& sensitive) const {
    std::vector<ChangeOp> out = plain;
    for (std::size_t i = 0; i < out.size(); ++i) {
      ChangeOp& op = out[i];
      if (op.kind != ChangeOp::Kind::kPut && op.kind != ChangeOp::Kind::kSet) continue;
      Path target;  // where the op's value lands in the document
      if (op.kind == ChangeOp::Kind::kSet) {
        BULWARK_ASSIGN_OR_RETURN(target, Path::ParseAny(op.path));
      }
      std::vector<Path> leaves;
      config::WalkLeaves(op.value, [&](const Path& p, const Value& v) {
        if (!v.is_container() && (op.secret || config::IsUnder(target.Concat(p), sensitive))) {
          leaves.push_back(p);
        }
      });
      for (const Path& p : leaves) {
        Value* leaf = config::Find(op.value, p);
        BULWARK_ASSIGN_OR_RETURN(std::string token,
                                 d.cipher->Encrypt(*leaf, DocumentId(id), OpRoot(i, op).Concat(p)));
        *leaf = Value(std::move(token));
      }
      op.secret = false;
    }
    return out;
  }

  Result<std::string> NewId() const {
    BULWARK_ASSIGN_OR_RETURN(auto b, d.runtime.random->Bytes(5));
    return "cr-" + HexEncode(std::span<const std::uint8_t>(b));
  }

  // Builds a new request (not saved) from a proposal: base = latest, impact computed.
  Result<ChangeRequest> Build(const RequestContext& ctx, const ProposeRequest& req,
                              const Identity& who, const ApprovalPolicy& p, bool emergency) const {
    ChangeRequest r;
    BULWARK_ASSIGN_OR_RETURN(r.id, NewId());
    r.ns = req.ns;
    r.emergency = emergency;
    r.requester = who.id;
    r.justification = req.justification;
    r.rollback_plan = req.rollback_plan;
    r.tags = req.tags;
    r.created_at = d.runtime.clock->Now();
    r.expires_at = r.created_at + p.request_ttl;
    r.policy = p.name;
    BULWARK_ASSIGN_OR_RETURN(r.base_version, LatestVersion(req.ns));
    BULWARK_ASSIGN_OR_RETURN(Computed c, Compute(ctx, r.ns, r.base_version, req.ops, /*reveal=*/true));
    r.impact = ImpactOf(r.ns, r.base_version, c);
    BULWARK_ASSIGN_OR_RETURN(r.ops, SealOps(r.id, req.ops, c.sensitive));
    BULWARK_ASSIGN_OR_RETURN(r.change_hash, ChangeHash(r));
    return r;
  }

  // Writes the change to the namespace (compare-and-set on the base); the new version's tags
  // name the request and its approvers.
  Result<store::VersionInfo> Write(const RequestContext& ctx, const ChangeRequest& r,
                                   const std::vector<std::string>& approvers) const {
    BULWARK_ASSIGN_OR_RETURN(std::vector<ChangeOp> plain, PlainOps(r, /*reveal=*/true));
    BULWARK_ASSIGN_OR_RETURN(Computed c, Compute(ctx, r.ns, r.base_version, plain, /*reveal=*/true));
    service::PutRequest put;
    std::string first_line = r.justification.substr(0, r.justification.find('\n'));
    put.message = fmt::format("{}change {}: {}", r.emergency ? "emergency " : "", r.id, first_line);
    put.tags.push_back("change:" + r.id);
    if (r.emergency) put.tags.push_back("emergency");
    for (const std::string& a : approvers) put.tags.push_back("approved-by:" + a);
    put.expected_version = r.base_version;
    auto scope = OpenApplyScope(r.ns);
    auto info = d.config->Put(ctx, r.ns, c.after, put);
    if (!info && info.error().code() == ErrorCode::kConflict) {
      return ConflictError(fmt::format(
          "{} moved past version {} while change {} was applied (another change won); rebase it "
          "(bulwark change rebase {})",
          r.ns, r.base_version, r.id, r.id));
    }
    return info;
  }
};

ChangeService::ChangeService(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ChangeService::~ChangeService() = default;

std::unique_ptr<ApplyScope> ChangeService::OpenApplyScope(std::string ns) {
  return std::unique_ptr<ApplyScope>(new ApplyScope(std::move(ns)));
}

Result<std::unique_ptr<ChangeService>> ChangeService::Create(ChangeServiceDeps deps) {
  if (!deps.config || !deps.store || !deps.store_mac || !deps.cipher || !deps.authorizer ||
      !deps.audit || !deps.policies || !deps.identify || !deps.runtime.clock ||
      !deps.runtime.random) {
    return InvalidArgumentError("change service: a dependency is missing");
  }
  auto impl = std::make_unique<Impl>();
  impl->d = std::move(deps);
  return std::unique_ptr<ChangeService>(new ChangeService(std::move(impl)));
}

Result<ChangeView> ChangeService::Propose(const RequestContext& ctx, const ProposeRequest& req) {
  Impl& s = *impl_;
  Impl::Op op(s, ctx, "change.propose", Action::kWrite);
  op.rec.namespace_name = req.ns;
  auto run = [&]() -> Result<ChangeView> {
    BULWARK_RETURN_IF_ERROR(s.ValidateProposal(req, false));
    BULWARK_RETURN_IF_ERROR(s.Authorize(ctx, Action::kWrite, req.ns));
    BULWARK_RETURN_IF_ERROR(s.d.audit->HealthCheck());
    BULWARK_ASSIGN_OR_RETURN(ApprovalPolicy p, s.PolicyFor(req.ns));
    const Identity who = s.d.identify(ctx);
    BULWARK_ASSIGN_OR_RETURN(ChangeRequest r, s.Build(ctx, req, who, p, false));
    op.Name(r);
    op.rec.version_before = r.base_version;
    op.rec.paths = r.impact.paths;
    op.rec.sensitive_paths = r.impact.sensitive_paths;
    BULWARK_RETURN_IF_ERROR(s.Save(r, 0, who.id, "propose"));
    return s.View(std::move(r));
  };
  return op.Finish(run());
}

Result<std::vector<ChangeView>> ChangeService::List(const RequestContext& ctx,
                                                    std::string_view prefix,
                                                    std::optional<State> state) {
  Impl& s = *impl_;
  Impl::Op op(s, ctx, "change.list", Action::kList);
  op.rec.namespace_name = std::string(prefix);
  auto run = [&]() -> Result<std::vector<ChangeView>> {
    BULWARK_ASSIGN_OR_RETURN(auto all, s.d.store->List(kRecordPrefix));
    std::vector<ChangeView> out;
    for (const auto& n : all) {
      const std::string_view id = std::string_view(n.name).substr(kRecordPrefix.size());
      BULWARK_ASSIGN_OR_RETURN(Impl::Loaded l, s.Load(id));
      if (!prefix.empty()) {
        const std::string_view ns = l.r.ns;
        const std::string_view pre = prefix.ends_with('/') ? prefix.substr(0, prefix.size() - 1) : prefix;
        if (!(ns == pre || (ns.starts_with(pre) && ns.size() > pre.size() && ns[pre.size()] == '/'))) {
          continue;
        }
      }
      if (!s.Authorize(ctx, Action::kRead, l.r.ns)) continue;  // what the caller may not read
      BULWARK_ASSIGN_OR_RETURN(ChangeView v, s.View(std::move(l.r)));
      if (state && v.state != *state) continue;
      out.push_back(std::move(v));
    }
    std::sort(out.begin(), out.end(), [](const ChangeView& a, const ChangeView& b) {
      if (a.request.created_at != b.request.created_at) return a.request.created_at > b.request.created_at;
      return a.request.id < b.request.id;
    });
    return out;
  };
  return op.Finish(run());
}

Result<ChangeView> ChangeService::Show(const RequestContext& ctx, std::string_view id) {
  Impl& s = *impl_;
  Impl::Op op(s, ctx, "change.show", Action::kRead);
  op.rec.resource_name = std::string(id);
  auto run = [&]() -> Result<ChangeView> {
    BULWARK_ASSIGN_OR_RETURN(Impl::Loaded l, s.Load(id));
    op.Name(l.r);
    BULWARK_RETURN_IF_ERROR(s.Authorize(ctx, Action::kRead, l.r.ns));
    return s.View(std::move(l.r));
  };
  return op.Finish(run());
}

Result<std::vector<DiffLine>> ChangeService::Diff(const RequestContext& ctx, std::string_view id) {
  Impl& s = *impl_;
  Impl::Op op(s, ctx, "change.diff", Action::kRead);
  op.rec.resource_name = std::string(id);
  auto run = [&]() -> Result<std::vector<DiffLine>> {
    BULWARK_ASSIGN_OR_RETURN(Impl::Loaded l, s.Load(id));
    op.Name(l.r);
    BULWARK_RETURN_IF_ERROR(s.Authorize(ctx, Action::kRead, l.r.ns));
    BULWARK_ASSIGN_OR_RETURN(std::vector<ChangeOp> plain, s.PlainOps(l.r, /*reveal=*/false));
    BULWARK_ASSIGN_OR_RETURN(Computed c, s.Compute(ctx, l.r.ns, l.r.base_version, plain, false));
    for (const std::string& p : l.r.impact.sensitive_paths) {
      if (auto parsed = Path::Parse(p)) c.sensitive.push_back(*parsed);
    }
    std::vector<DiffLine> lines = s.DiffOf(c);
    // Redacted on both sides, a changed secret looks unchanged: the impact computed with the
    // plaintext at propose says which changed.
    for (const std::string& p : l.r.impact.sensitive_paths) {
      if (std::any_of(lines.begin(), lines.end(), [&](const DiffLine& x) { return x.path == p; })) continue;
      auto parsed = Path::Parse(p);
      if (!parsed) continue;
      DiffLine line;
      line.path = p;
      line.sensitive = true;
      const bool had = config::Find(c.before, *parsed) != nullptr;
      const bool has = config::Find(c.after, *parsed) != nullptr;
      line.kind = !had ? DiffLine::Kind::kAdded : !has ? DiffLine::Kind::kRemoved : DiffLine::Kind::kChanged;
      lines.push_back(std::move(line));
    }
    std::sort(lines.begin(), lines.end(), [](const DiffLine& a, const DiffLine& b) { return a.path < b.path; });
    return lines;
  };
  return op.Finish(run());
}

Result<ChangeView> ChangeService::Approve(const RequestContext& ctx, std::string_view id,
                                          const ApproveRequest& req) {
  Impl& s = *impl_;
  Impl::Op op(s, ctx, "change.approve", Action::kApprove);
  op.rec.resource_name = std::string(id);
  auto run = [&]() -> Result<ChangeView> {
    BULWARK_ASSIGN_OR_RETURN(Impl::Prepared x, s.Prepare(op, ctx, id, Action::kApprove));
    const ApprovalPolicy& p = x.p;
    const Identity& who = x.who;
    const TimePoint now = x.now;
    BULWARK_ASSIGN_OR_RETURN(
        ChangeRequest r, s.Update(id, who.id, "approve", [&](ChangeRequest& r) -> Status {
          if (r.emergency) {
            return FailedPreconditionError(fmt::format(
                "change {} is an emergency change: review it (bulwark change review {})", r.id, r.id));
          }
          BULWARK_RETURN_IF_ERROR(Impl::StillLive(r, StateOf(r, p, now, x.latest), x.latest));
          BULWARK_RETURN_IF_ERROR(CheckApprover(r, p, who));
          for (const Approval& a : r.approvals) {
            if (a.by == who.id && a.change_hash == r.change_hash &&
                a.base_version == r.base_version && now < a.expires_at) {
              return AlreadyExistsError(
                  fmt::format("{} already approved change {}", who.id, r.id));
            }
          }
          for (const std::string& rule : req.overrides) {
            if (std::find(r.impact.blocking_rules.begin(), r.impact.blocking_rules.end(), rule) ==
                r.impact.blocking_rules.end()) {
              std::string blocking;
              for (const auto& b : r.impact.blocking_rules) blocking += (blocking.empty() ? "" : ", ") + b;
              return InvalidArgumentError(fmt::format(
                  "--override {}: not a blocking compliance rule of change {} (blocking: {})", rule,
                  r.id, blocking.empty() ? "none" : blocking));
            }
          }
          Approval a;
          a.by = who.id;
          a.roles = who.roles;
          a.at = now;
          a.expires_at = now + p.approval_ttl;
          a.comment = req.comment;
          a.overrides = req.overrides;
          a.change_hash = r.change_hash;
          a.base_version = r.base_version;
          r.approvals.push_back(std::move(a));
          return OkStatus();
        }));
    op.rec.reason = fmt::format("approved by {}", who.id);
    if (!req.overrides.empty()) {
      std::string rules;
      for (const auto& o : req.overrides) rules += (rules.empty() ? "" : ", ") + o;
      op.rec.reason += fmt::format(", overriding {}", rules);
    }
    return s.View(std::move(r));
  };
  return op.Finish(run());
}

Result<ChangeView> ChangeService::Reject(const RequestContext& ctx, std::string_view id,
                                         std::string_view comment) {
  Impl& s = *impl_;
  Impl::Op op(s, ctx, "change.reject", Action::kApprove);
  op.rec.resource_name = std::string(id);
  auto run = [&]() -> Result<ChangeView> {
    if (comment.empty()) return InvalidArgumentError("comment: required to reject");
    BULWARK_ASSIGN_OR_RETURN(Impl::Loaded first, s.Load(id));
    op.Name(first.r);
    const Identity who = s.d.identify(ctx);
    const bool withdraw = who.id == first.r.requester;
    BULWARK_RETURN_IF_ERROR(
        s.Authorize(ctx, withdraw ? Action::kWrite : Action::kApprove, first.r.ns));
    BULWARK_RETURN_IF_ERROR(s.d.audit->HealthCheck());
    BULWARK_ASSIGN_OR_RETURN(ApprovalPolicy p, s.PolicyFor(first.r.ns));
    const TimePoint now = s.d.runtime.clock->Now();
    BULWARK_ASSIGN_OR_RETURN(
        ChangeRequest r, s.Update(id, who.id, "reject", [&](ChangeRequest& r) -> Status {
          if (r.stored != StoredState::kOpen) {
            return FailedPreconditionError(fmt::format(
                "change {} is already {}", r.id,
                r.stored == StoredState::kApplied ? "applied" : "rejected"));
          }
          if (!withdraw) BULWARK_RETURN_IF_ERROR(CheckApprover(r, p, who));
          r.stored = StoredState::kRejected;
          r.rejections.push_back(Note{who.id, now, std::string(comment)});
          return OkStatus();
        }));
    op.rec.reason = fmt::format("{} by {}", withdraw ? "withdrawn" : "rejected", who.id);
    return s.View(std::move(r));
  };
  return op.Finish(run());
}

Result<ChangeView> ChangeService::Apply(const RequestContext& ctx, std::string_view id) {
  Impl& s = *impl_;
  Impl::Op op(s, ctx, "change.apply", Action::kWrite);
  op.rec.resource_name = std::string(id);
  auto run = [&]() -> Result<ChangeView> {
    BULWARK_ASSIGN_OR_RETURN(Impl::Prepared x, s.Prepare(op, ctx, id, Action::kWrite));
    ChangeRequest& r = x.r;
    const ApprovalPolicy& p = x.p;
    const Identity& who = x.who;
    const TimePoint now = x.now;
    op.rec.version_before = r.base_version;
    const State st = StateOf(r, p, now, x.latest);
    BULWARK_RETURN_IF_ERROR(Impl::StillLive(r, st, x.latest));
    if (st == State::kOpen) {
      return FailedPreconditionError(fmt::format("change {} is not approved: it needs {}", r.id,
                                                 MissingQuorum(r, p, now)));
    }
    if (auto rules = UnoverriddenRules(r, p, now); !rules.empty()) {
      std::string list;
      for (const auto& x : rules) list += (list.empty() ? "" : ", ") + x;
      return FailedPreconditionError(fmt::format(
          "change {} breaks critical compliance rule(s) {}; an approval must override each "
          "(bulwark change approve {} --override RULE)",
          r.id, list, r.id));
    }
    std::vector<std::string> approvers;
    for (const Approval* a : CountingApprovals(r, p, now)) approvers.push_back(a->by);
    op.rec.paths = r.impact.paths;
    op.rec.sensitive_paths = r.impact.sensitive_paths;
    auto written = s.Write(ctx, r, approvers);
    if (!written && written.error().code() == ErrorCode::kConflict) {
      // Lost a race: to the same change applied by another process, or to another change.
      auto latest_info = s.d.store->History(r.ns, store::HistoryOptions{.limit = 1});
      if (latest_info && !latest_info->empty()) {
        const auto& tags = latest_info->front().tags;
        if (std::find(tags.begin(), tags.end(), "change:" + r.id) != tags.end()) {
          return ConflictError(fmt::format(
              "change {} was applied meanwhile by another process (version {})", r.id,
              latest_info->front().version));
        }
      }
    }
    BULWARK_ASSIGN_OR_RETURN(store::VersionInfo info, std::move(written));
    op.rec.version_after = info.version;
    BULWARK_ASSIGN_OR_RETURN(
        ChangeRequest done, s.Update(id, who.id, "apply", [&](ChangeRequest& x) -> Status {
          x.stored = StoredState::kApplied;
          x.applied_by = who.id;
          x.applied_at = now;
          x.applied_version = info.version;
          return OkStatus();
        }));
    std::string names;
    for (const auto& a : approvers) names += (names.empty() ? "" : ", ") + a;
    op.rec.reason = fmt::format("applied by {}, approved by {}", who.id, names);
    return s.View(std::move(done));
  };
  return op.Finish(run());
}

Result<ChangeView> ChangeService::Rebase(const RequestContext& ctx, std::string_view id) {
  Impl& s = *impl_;
  Impl::Op op(s, ctx, "change.rebase", Action::kWrite);
  op.rec.resource_name = std::string(id);
  auto run = [&]() -> Result<ChangeView> {
    BULWARK_ASSIGN_OR_RETURN(Impl::Prepared l, s.Prepare(op, ctx, id, Action::kWrite));
    const Identity& who = l.who;
    const std::int64_t latest = l.latest;
    const State st = StateOf(l.r, l.p, l.now, latest);
    if (st != State::kStale) {
      return FailedPreconditionError(fmt::format(
          "change {} is {}, not stale: only a change whose namespace moved on is rebased", l.r.id,
          StateName(st)));
    }
    BULWARK_ASSIGN_OR_RETURN(std::vector<ChangeOp> plain, s.PlainOps(l.r, /*reveal=*/true));
    BULWARK_ASSIGN_OR_RETURN(Computed c, s.Compute(ctx, l.r.ns, latest, plain, /*reveal=*/true));
    BULWARK_ASSIGN_OR_RETURN(std::vector<ChangeOp> sealed, s.SealOps(l.r.id, plain, c.sensitive));
    const Impact impact = s.ImpactOf(l.r.ns, latest, c);
    op.rec.version_before = l.r.base_version;
    op.rec.version_after = latest;
    BULWARK_ASSIGN_OR_RETURN(
        ChangeRequest r, s.Update(id, who.id, "rebase", [&](ChangeRequest& x) -> Status {
          if (x.stored != StoredState::kOpen || x.base_version != l.r.base_version) {
            return ConflictError(fmt::format("change {} changed meanwhile; run the command again", x.id));
          }
          x.base_version = latest;
          x.ops = sealed;
          x.impact = impact;
          BULWARK_ASSIGN_OR_RETURN(x.change_hash, ChangeHash(x));
          return OkStatus();
        }));
    return s.View(std::move(r));
  };
  return op.Finish(run());
}

Result<ChangeView> ChangeService::Emergency(const RequestContext& ctx, const ProposeRequest& req) {
  Impl& s = *impl_;
  Impl::Op op(s, ctx, "change.emergency", Action::kApprove);
  op.rec.namespace_name = req.ns;
  auto run = [&]() -> Result<ChangeView> {
    BULWARK_RETURN_IF_ERROR(s.ValidateProposal(req, true));
    BULWARK_RETURN_IF_ERROR(s.Authorize(ctx, Action::kApprove, req.ns));
    BULWARK_RETURN_IF_ERROR(s.Authorize(ctx, Action::kWrite, req.ns));
    BULWARK_RETURN_IF_ERROR(s.d.audit->HealthCheck());
    BULWARK_ASSIGN_OR_RETURN(const ApprovalPolicies* ps, s.Policies());
    const ApprovalPolicy* found = ps->Find(req.ns);
    if (found == nullptr) {
      return FailedPreconditionError(fmt::format(
          "no approval policy covers {}: write it directly (an emergency change is for covered "
          "namespaces)",
          req.ns));
    }
    const ApprovalPolicy& p = *found;
    const Identity who = s.d.identify(ctx);
    if (!who.HoldsAny(p.emergency_roles)) {
      std::string roles;
      for (const auto& x : p.emergency_roles) roles += (roles.empty() ? "" : ", ") + x;
      return PermissionDeniedError(fmt::format(
          "{} holds none of the emergency roles of policy {} ({})", who.id, p.name, roles));
    }
    BULWARK_ASSIGN_OR_RETURN(ChangeRequest r, s.Build(ctx, req, who, p, true));
    op.Name(r);
    op.rec.version_before = r.base_version;
    op.rec.paths = r.impact.paths;
    op.rec.sensitive_paths = r.impact.sensitive_paths;
    const TimePoint now = s.d.runtime.clock->Now();
    change::Review review;
    review.required = p.review_approvals;
    review.deadline = now + p.review_deadline;
    r.review = review;
    // The record (with its review) exists before the write, so an applied emergency change always
    // has its review; a write that fails marks it rejected.
    BULWARK_RETURN_IF_ERROR(s.Save(r, 0, who.id, "emergency"));
    auto info = s.Write(ctx, r, {});
    if (!info) {
      (void)s.Update(r.id, who.id, "emergency failed", [&](ChangeRequest& x) -> Status {
        x.stored = StoredState::kRejected;
        x.review.reset();
        x.rejections.push_back(Note{who.id, now, "the emergency write failed: " + info.error().message()});
        return OkStatus();
      });
      return std::unexpected(info.error());
    }
    op.rec.version_after = info->version;
    BULWARK_ASSIGN_OR_RETURN(
        ChangeRequest done, s.Update(r.id, who.id, "emergency applied", [&](ChangeRequest& x) -> Status {
          x.stored = StoredState::kApplied;
          x.applied_by = who.id;
          x.applied_at = now;
          x.applied_version = info->version;
          return OkStatus();
        }));
    op.rec.reason = fmt::format("break-glass by {}: {}", who.id, req.justification);
    return s.View(std::move(done));
  };
  return op.Finish(run());
}

Result<ChangeView> ChangeService::Comment(const RequestContext& ctx, std::string_view id,
                                          std::string_view text) {
  Impl& s = *impl_;
  Impl::Op op(s, ctx, "change.comment", Action::kApprove);
  op.rec.resource_name = std::string(id);
  auto run = [&]() -> Result<ChangeView> {
    if (text.empty()) return InvalidArgumentError("comment: required");
    BULWARK_ASSIGN_OR_RETURN(Impl::Loaded first, s.Load(id));
    op.Name(first.r);
    // Those who may approve the namespace, or write it (the requester's side), may comment.
    if (!s.Authorize(ctx, Action::kApprove, first.r.ns)) {
      op.rec.action = Action::kWrite;
      BULWARK_RETURN_IF_ERROR(s.Authorize(ctx, Action::kWrite, first.r.ns));
    }
    BULWARK_RETURN_IF_ERROR(s.d.audit->HealthCheck());
    const Identity who = s.d.identify(ctx);
    const TimePoint now = s.d.runtime.clock->Now();
    BULWARK_ASSIGN_OR_RETURN(
        ChangeRequest r, s.Update(id, who.id, "comment", [&](ChangeRequest& x) -> Status {
          x.comments.push_back(Note{who.id, now, std::string(text)});
          return OkStatus();
        }));
    op.rec.reason = fmt::format("comment by {}", who.id);
    return s.View(std::move(r));
  };
  return op.Finish(run());
}

Result<ChangeView> ChangeService::Review(const RequestContext& ctx, std::string_view id,
                                         std::string_view comment) {
  Impl& s = *impl_;
  Impl::Op op(s, ctx, "change.review", Action::kApprove);
  op.rec.resource_name = std::string(id);
  auto run = [&]() -> Result<ChangeView> {
    BULWARK_ASSIGN_OR_RETURN(Impl::Prepared x, s.Prepare(op, ctx, id, Action::kApprove));
    const ApprovalPolicy& p = x.p;
    const Identity& who = x.who;
    const TimePoint now = x.now;
    BULWARK_ASSIGN_OR_RETURN(
        ChangeRequest r, s.Update(id, who.id, "review", [&](ChangeRequest& x) -> Status {
          if (!x.review || x.stored != StoredState::kApplied) {
            return FailedPreconditionError(fmt::format(
                "change {} has no follow-up review (only an applied emergency change has one)", x.id));
          }
          if (x.review->closed_at) {
            return FailedPreconditionError(fmt::format("the review of change {} is already closed", x.id));
          }
          BULWARK_RETURN_IF_ERROR(CheckApprover(x, p, who));
          for (const Note& n : x.review->reviews) {
            if (n.by == who.id) {
              return AlreadyExistsError(fmt::format("{} already reviewed change {}", who.id, x.id));
            }
          }
          x.review->reviews.push_back(Note{who.id, now, std::string(comment)});
          if (static_cast<std::int64_t>(x.review->reviews.size()) >= x.review->required) {
            x.review->closed_at = now;
          }
          return OkStatus();
        }));
    op.rec.reason = fmt::format("reviewed by {}{}", who.id,
                                r.review && r.review->closed_at ? "; review closed" : "");
    return s.View(std::move(r));
  };
  return op.Finish(run());
}

}  // namespace bulwark::change
