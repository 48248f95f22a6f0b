#include "bulwark/lifecycle/metadata.h"

#include <fmt/format.h>

#include <algorithm>

#include "bulwark/config/field_reader.h"
#include "bulwark/core/duration.h"

namespace bulwark::lifecycle {
namespace {

using config::FieldReader;
using config::Path;
using config::Value;
using config::ValueList;
using config::ValueMap;

constexpr Seconds kDay{86400};
constexpr Seconds kMaxPeriod{10 * 366 * 86400};

std::string Time(TimePoint t) { return FormatRfc3339(t); }

Result<std::optional<TimePoint>> TimeField(const FieldReader& r, const Value& m, const Path& at,
                                           std::string_view key) {
  BULWARK_ASSIGN_OR_RETURN(std::string s, r.String(m, at, key));
  if (s.empty()) return std::optional<TimePoint>();
  auto t = ParseRfc3339(s);
  if (!t) return std::unexpected(r.Bad(at.Key(std::string(key)), "expected an RFC 3339 time"));
  return std::optional<TimePoint>(*t);
}

Result<std::optional<Version>> VersionField(const FieldReader& r, const Value& m, const Path& at,
                                            std::string_view key) {
  if (m.Get(key) == nullptr) return std::optional<Version>();
  BULWARK_ASSIGN_OR_RETURN(std::int64_t v, r.Int(m, at, key, 0, 1, INT64_MAX));
  return std::optional<Version>(v);
}

Result<HookSpec> ReadHook(const FieldReader& r, const Value& v, const Path& at) {
  BULWARK_RETURN_IF_ERROR(r.OnlyKnown(v, at, {"command", "timeout", "env"}));
  HookSpec h;
  BULWARK_ASSIGN_OR_RETURN(h.command, r.StringList(v, at, "command"));
  if (h.command.empty()) return std::unexpected(r.Bad(at.Key("command"), "required (program and arguments)"));
  BULWARK_ASSIGN_OR_RETURN(h.timeout, r.Duration(v, at, "timeout", h.timeout, Seconds(1), kDay));
  if (const Value* env = v.Get("env")) {
    const Path ep = at.Key("env");
    if (!env->is_map()) return std::unexpected(r.Bad(ep, "expected a map of names to strings"));
    for (const auto& e : env->AsMap()) {
      if (!e.value.is_string()) return std::unexpected(r.Bad(ep.Key(e.key), "expected a string"));
      if (e.key.empty() || e.key.find('=') != std::string::npos) {
        return std::unexpected(r.Bad(ep.Key(e.key), "not a variable name"));
      }
      h.env.emplace_back(e.key, e.value.AsString());
    }
  }
  return h;
}

Value HookValue(const HookSpec& h) {
  ValueMap m;
  ValueList cmd;
  for (const auto& a : h.command) cmd.emplace_back(a);
  m.Set("command", Value(std::move(cmd)));
  m.Set("timeout", Value(FormatScheduleDuration(h.timeout)));
  if (!h.env.empty()) {
    ValueMap env;
    for (const auto& [k, v] : h.env) env.Set(k, Value(v));
    m.Set("env", Value(std::move(env)));
  }
  return Value(std::move(m));
}

Result<VerifySpec> ReadVerify(const FieldReader& r, const Value& v, const Path& at) {
  BULWARK_RETURN_IF_ERROR(r.OnlyKnown(v, at, {"command", "timeout", "env", "http", "attempts", "interval"}));
  VerifySpec s;
  if (const Value* h = v.Get("http")) {
    const Path hp = at.Key("http");
    if (v.Get("command") != nullptr) {
      return std::unexpected(r.Bad(hp, "a verification is a command or an http check, not both"));
    }
    BULWARK_RETURN_IF_ERROR(r.OnlyKnown(*h, hp, {"url", "expect", "timeout"}));
    HttpCheck c;
    BULWARK_ASSIGN_OR_RETURN(c.url, r.String(*h, hp, "url", true));
    if (!c.url.starts_with("http://") && !c.url.starts_with("https://")) {
      return std::unexpected(r.Bad(hp.Key("url"), "expected an http:// or https:// URL"));
    }
    if (c.url.substr(0, c.url.find('/', 8)).find('@') != std::string::npos) {
      return std::unexpected(r.Bad(hp.Key("url"), "credentials in the URL are refused"));
    }
    if (const Value* e = h->Get("expect")) {
      const Path xp = hp.Key("expect");
      if (!e->is_list()) return std::unexpected(r.Bad(xp, "expected a list of HTTP status codes"));
      for (std::size_t i = 0; i < e->AsList().size(); ++i) {
        const Value& code = e->AsList()[i];
        if (!code.is_int() || code.AsInt() < 100 || code.AsInt() > 599) {
          return std::unexpected(r.Bad(xp.Index(i), "expected an HTTP status code"));
        }
        c.expect.push_back(static_cast<unsigned>(code.AsInt()));
      }
    }
    BULWARK_ASSIGN_OR_RETURN(c.timeout, r.Duration(*h, hp, "timeout", c.timeout, Seconds(1), Seconds(600)));
    s.http = std::move(c);
  } else if (v.Get("command") != nullptr) {
    ValueMap hook;
    for (const char* k : {"command", "timeout", "env"}) {
      if (const Value* x = v.Get(k)) hook.Set(k, *x);
    }
    BULWARK_ASSIGN_OR_RETURN(HookSpec h, ReadHook(r, Value(std::move(hook)), at));
    s.command = std::move(h);
  } else {
    return std::unexpected(r.Bad(at, "needs a command or an http check"));
  }
  BULWARK_ASSIGN_OR_RETURN(std::int64_t attempts, r.Int(v, at, "attempts", 3, 1, 100));
  s.attempts = static_cast<std::uint32_t>(attempts);
  BULWARK_ASSIGN_OR_RETURN(s.interval, r.Duration(v, at, "interval", s.interval, Seconds(0), Seconds(3600)));
  return s;
}

Value VerifyValue(const VerifySpec& s) {
  ValueMap m;
  if (s.command) {
    Value h = HookValue(*s.command);
    for (const auto& e : h.AsMap()) m.Set(e.key, e.value);
  }
  if (s.http) {
    ValueMap h;
    h.Set("url", Value(s.http->url));
    if (!s.http->expect.empty()) {
      ValueList codes;
      for (unsigned c : s.http->expect) codes.emplace_back(static_cast<std::int64_t>(c));
      h.Set("expect", Value(std::move(codes)));
    }
    h.Set("timeout", Value(FormatScheduleDuration(s.http->timeout)));
    m.Set("http", Value(std::move(h)));
  }
  m.Set("attempts", Value(static_cast<std::int64_t>(s.attempts)));
  m.Set("interval", Value(FormatScheduleDuration(s.interval)));
  return Value(std::move(m));
}

Result<StrategyKind> ParseStrategyKind(const FieldReader& r, const std::string& s, const Path& at) {
  for (StrategyKind k : {StrategyKind::kNone, StrategyKind::kPassword, StrategyKind::kRandomBytes,
                         StrategyKind::kEd25519, StrategyKind::kRsa, StrategyKind::kCommand}) {
    if (StrategyKindName(k) == s) return k;
  }
  return std::unexpected(r.Bad(at, fmt::format("'{}': expected none, password, random_bytes, ed25519, rsa or command", s)));
}

Status ReadStrategy(const FieldReader& r, const Value& v, const Path& at, Strategy& s) {
  if (v.is_string()) {
    BULWARK_ASSIGN_OR_RETURN(StrategyKind k, ParseStrategyKind(r, v.AsString(), at));
    if (k != s.kind) s = Strategy{};
    s.kind = k;
    if (k == StrategyKind::kCommand) return std::unexpected(r.Bad(at, "a command strategy needs {kind: command, command: [...]}"));
    return OkStatus();
  }
  BULWARK_RETURN_IF_ERROR(r.OnlyKnown(v, at, {"kind", "length", "classes", "symbols", "bytes", "encoding",
                                               "bits", "public_path", "command", "timeout", "env"}));
  BULWARK_ASSIGN_OR_RETURN(std::string kind, r.String(v, at, "kind", true));
  BULWARK_ASSIGN_OR_RETURN(StrategyKind k, ParseStrategyKind(r, kind, at.Key("kind")));
  if (k != s.kind) s = Strategy{};
  s.kind = k;
  BULWARK_ASSIGN_OR_RETURN(std::int64_t length, r.Int(v, at, "length", s.length, 8, 1024));
  s.length = static_cast<std::uint32_t>(length);
  if (v.Get("classes") != nullptr) {
    BULWARK_ASSIGN_OR_RETURN(s.classes, r.StringList(v, at, "classes"));
    if (s.classes.empty()) return std::unexpected(r.Bad(at.Key("classes"), "at least one class"));
    for (std::size_t i = 0; i < s.classes.size(); ++i) {
      const std::string& c = s.classes[i];
      if (c != "lower" && c != "upper" && c != "digit" && c != "symbol") {
        return std::unexpected(r.Bad(at.Key("classes").Index(i), fmt::format("'{}': expected lower, upper, digit or symbol", c)));
      }
    }
  }
  if (v.Get("symbols") != nullptr) {
    BULWARK_ASSIGN_OR_RETURN(s.symbols, r.String(v, at, "symbols", true));
    for (char c : s.symbols) {
      if (c <= ' ' || c > '~' || std::isalnum(static_cast<unsigned char>(c))) {
        return std::unexpected(r.Bad(at.Key("symbols"), "printable ASCII punctuation only"));
      }
    }
  }
  BULWARK_ASSIGN_OR_RETURN(std::int64_t bytes, r.Int(v, at, "bytes", s.bytes, 16, 4096));
  s.bytes = static_cast<std::uint32_t>(bytes);
  BULWARK_ASSIGN_OR_RETURN(std::string enc, r.String(v, at, "encoding"));
  if (!enc.empty()) {
    if (enc != "base64url" && enc != "base64" && enc != "hex") {
      return std::unexpected(r.Bad(at.Key("encoding"), fmt::format("'{}': expected base64url, base64 or hex", enc)));
    }
    s.encoding = enc;
  }
  BULWARK_ASSIGN_OR_RETURN(std::int64_t bits, r.Int(v, at, "bits", s.bits, 2048, 4096));
  if (bits != 2048 && bits != 3072 && bits != 4096) {
    return std::unexpected(r.Bad(at.Key("bits"), "expected 2048, 3072 or 4096"));
  }
  s.bits = static_cast<std::uint32_t>(bits);
  BULWARK_ASSIGN_OR_RETURN(std::string pub, r.String(v, at, "public_path"));
  if (!pub.empty()) {
    auto p = Path::Parse(pub);
    if (!p) return std::unexpected(r.Bad(at.Key("public_path"), p.error().message()));
    s.public_path = p->ToString();
  }
  if (k == StrategyKind::kCommand) {
    ValueMap hook;
    for (const char* key : {"command", "timeout", "env"}) {
      if (const Value* x = v.Get(key)) hook.Set(key, *x);
    }
    BULWARK_ASSIGN_OR_RETURN(s.command, ReadHook(r, Value(std::move(hook)), at));
  }
  return OkStatus();
}

Value StrategyValue(const Strategy& s) {
  ValueMap m;
  m.Set("kind", Value(std::string(StrategyKindName(s.kind))));
  switch (s.kind) {
    case StrategyKind::kPassword: {
      m.Set("length", Value(static_cast<std::int64_t>(s.length)));
      ValueList classes;
      for (const auto& c : s.classes) classes.emplace_back(c);
      m.Set("classes", Value(std::move(classes)));
      m.Set("symbols", Value(s.symbols));
      break;
    }
    case StrategyKind::kRandomBytes:
      m.Set("bytes", Value(static_cast<std::int64_t>(s.bytes)));
      m.Set("encoding", Value(s.encoding));
      break;
    case StrategyKind::kRsa:
      m.Set("bits", Value(static_cast<std::int64_t>(s.bits)));
      [[fallthrough]];
    case StrategyKind::kEd25519:
      if (!s.public_path.empty()) m.Set("public_path", Value(s.public_path));
      break;
    case StrategyKind::kCommand: {
      Value h = HookValue(s.command);
      for (const auto& e : h.AsMap()) m.Set(e.key, e.value);
      break;
    }
    case StrategyKind::kNone:
      break;
  }
  return Value(std::move(m));
}

Status ReadPolicy(const FieldReader& r, const Value& v, const Path& at, RotationPolicy& p) {
  BULWARK_RETURN_IF_ERROR(r.OnlyKnown(v, at, {"interval", "grace", "max_retries", "notify_before", "strategy",
                                               "apply", "verify", "revoke", "notify"}));
  if (const Value* i = v.Get("interval")) {
    if (i->is_null() || (i->is_string() && i->AsString() == "none")) {
      p.interval.reset();
    } else {
      BULWARK_ASSIGN_OR_RETURN(Seconds d, r.Duration(v, at, "interval", Seconds(0), Seconds(3600), kMaxPeriod));
      p.interval = d;
    }
  }
  BULWARK_ASSIGN_OR_RETURN(p.grace, r.Duration(v, at, "grace", p.grace, Seconds(0), 90 * kDay));
  BULWARK_ASSIGN_OR_RETURN(std::int64_t retries, r.Int(v, at, "max_retries", p.max_retries, 0, 100));
  p.max_retries = static_cast<std::uint32_t>(retries);
  BULWARK_ASSIGN_OR_RETURN(p.notify_before, r.Duration(v, at, "notify_before", p.notify_before, Seconds(0), kMaxPeriod));
  if (const Value* s = v.Get("strategy")) BULWARK_RETURN_IF_ERROR(ReadStrategy(r, *s, at.Key("strategy"), p.strategy));
  for (auto [key, field] : {std::pair{"apply", &p.apply}, std::pair{"revoke", &p.revoke}, std::pair{"notify", &p.notify}}) {
    if (const Value* h = v.Get(key)) {
      if (h->is_null()) {
        field->reset();
      } else {
        BULWARK_ASSIGN_OR_RETURN(HookSpec hook, ReadHook(r, *h, at.Key(key)));
        *field = std::move(hook);
      }
    }
  }
  if (const Value* vs = v.Get("verify")) {
    if (vs->is_null()) {
      p.verify.reset();
    } else {
      BULWARK_ASSIGN_OR_RETURN(VerifySpec spec, ReadVerify(r, *vs, at.Key("verify")));
      p.verify = std::move(spec);
    }
  }
  return OkStatus();
}

Value PolicyValue(const RotationPolicy& p) {
  ValueMap m;
  m.Set("interval", p.interval ? Value(FormatScheduleDuration(*p.interval)) : Value("none"));
  m.Set("grace", Value(FormatScheduleDuration(p.grace)));
  m.Set("max_retries", Value(static_cast<std::int64_t>(p.max_retries)));
  m.Set("notify_before", Value(FormatScheduleDuration(p.notify_before)));
  m.Set("strategy", StrategyValue(p.strategy));
  if (p.apply) m.Set("apply", HookValue(*p.apply));
  if (p.verify) m.Set("verify", VerifyValue(*p.verify));
  if (p.revoke) m.Set("revoke", HookValue(*p.revoke));
  if (p.notify) m.Set("notify", HookValue(*p.notify));
  return Value(std::move(m));
}

Result<RotationJournal> ReadJournal(const FieldReader& r, const Value& v, const Path& at) {
  RotationJournal j;
  BULWARK_ASSIGN_OR_RETURN(j.id, r.String(v, at, "id", true));
  BULWARK_ASSIGN_OR_RETURN(j.phase, r.String(v, at, "phase", true));
  BULWARK_ASSIGN_OR_RETURN(j.step, r.String(v, at, "step", true));
  BULWARK_ASSIGN_OR_RETURN(j.emergency, r.Bool(v, at, "emergency", false));
  BULWARK_ASSIGN_OR_RETURN(j.reason, r.String(v, at, "reason"));
  BULWARK_ASSIGN_OR_RETURN(j.by, r.String(v, at, "by"));
  BULWARK_ASSIGN_OR_RETURN(auto started, TimeField(r, v, at, "started"));
  if (!started) return std::unexpected(r.Bad(at.Key("started"), "required"));
  j.started = *started;
  BULWARK_ASSIGN_OR_RETURN(j.old_version, VersionField(r, v, at, "old_version"));
  BULWARK_ASSIGN_OR_RETURN(j.new_version, VersionField(r, v, at, "new_version"));
  BULWARK_ASSIGN_OR_RETURN(j.grace_until, TimeField(r, v, at, "grace_until"));
  BULWARK_ASSIGN_OR_RETURN(std::int64_t attempts, r.Int(v, at, "attempts", 0, 0, 1000000));
  j.attempts = static_cast<std::uint32_t>(attempts);
  BULWARK_ASSIGN_OR_RETURN(j.error, r.String(v, at, "error"));
  return j;
}

Value JournalValue(const RotationJournal& j) {
  ValueMap m;
  m.Set("id", Value(j.id));
  m.Set("phase", Value(j.phase));
  m.Set("step", Value(j.step));
  if (j.emergency) m.Set("emergency", Value(true));
  if (!j.reason.empty()) m.Set("reason", Value(j.reason));
  if (!j.by.empty()) m.Set("by", Value(j.by));
  m.Set("started", Value(Time(j.started)));
  if (j.old_version) m.Set("old_version", Value(*j.old_version));
  if (j.new_version) m.Set("new_version", Value(*j.new_version));
  if (j.grace_until) m.Set("grace_until", Value(Time(*j.grace_until)));
  if (j.attempts > 0) m.Set("attempts", Value(static_cast<std::int64_t>(j.attempts)));
  if (!j.error.empty()) m.Set("error", Value(j.error));
  return Value(std::move(m));
}

Result<HistoryEntry> ReadHistory(const FieldReader& r, const Value& v, const Path& at) {
  HistoryEntry h;
  BULWARK_ASSIGN_OR_RETURN(h.id, r.String(v, at, "id", true));
  BULWARK_ASSIGN_OR_RETURN(auto started, TimeField(r, v, at, "started"));
  BULWARK_ASSIGN_OR_RETURN(auto finished, TimeField(r, v, at, "finished"));
  if (!started || !finished) return std::unexpected(r.Bad(at, "started and finished are required"));
  h.started = *started;
  h.finished = *finished;
  BULWARK_ASSIGN_OR_RETURN(h.outcome, r.String(v, at, "outcome", true));
  BULWARK_ASSIGN_OR_RETURN(h.old_version, VersionField(r, v, at, "old_version"));
  BULWARK_ASSIGN_OR_RETURN(h.new_version, VersionField(r, v, at, "new_version"));
  BULWARK_ASSIGN_OR_RETURN(h.emergency, r.Bool(v, at, "emergency", false));
  BULWARK_ASSIGN_OR_RETURN(h.reason, r.String(v, at, "reason"));
  BULWARK_ASSIGN_OR_RETURN(h.by, r.String(v, at, "by"));
  BULWARK_ASSIGN_OR_RETURN(h.error, r.String(v, at, "error"));
  return h;
}

Value HistoryValue(const HistoryEntry& h) {
  ValueMap m;
  m.Set("id", Value(h.id));
  m.Set("started", Value(Time(h.started)));
  m.Set("finished", Value(Time(h.finished)));
  m.Set("outcome", Value(h.outcome));
  if (h.old_version) m.Set("old_version", Value(*h.old_version));
  if (h.new_version) m.Set("new_version", Value(*h.new_version));
  if (h.emergency) m.Set("emergency", Value(true));
  if (!h.reason.empty()) m.Set("reason", Value(h.reason));
  if (!h.by.empty()) m.Set("by", Value(h.by));
  if (!h.error.empty()) m.Set("error", Value(h.error));
  return Value(std::move(m));
}

// The metadata fields a user may set (also the stored ones, plus created/updated/state/history).
Status ReadMetadata(const FieldReader& r, const Value& v, const Path& at, SecretRecord& rec) {
  BULWARK_ASSIGN_OR_RETURN(std::string type, r.String(v, at, "type"));
  if (!type.empty()) {
    auto t = ParseSecretType(type);
    if (!t) return std::unexpected(r.Bad(at.Key("type"), t.error().message()));
    if (*t != rec.type) rec.rotation = DefaultPolicy(*t);
    rec.type = *t;
  }
  if (v.Get("owner") != nullptr) {
    BULWARK_ASSIGN_OR_RETURN(rec.owner, r.String(v, at, "owner"));
  }
  if (v.Get("description") != nullptr) {
    const Value* d = v.Get("description");
    if (!d->is_string()) return std::unexpected(r.Bad(at.Key("description"), "expected a string"));
    rec.description = d->AsString();
  }
  if (v.Get("tags") != nullptr) {
    BULWARK_ASSIGN_OR_RETURN(rec.tags, r.StringList(v, at, "tags"));
  }
  if (const Value* e = v.Get("expires_at")) {
    if (e->is_null()) {
      rec.expires_at.reset();
    } else {
      BULWARK_ASSIGN_OR_RETURN(rec.expires_at, TimeField(r, v, at, "expires_at"));
    }
  }
  if (const Value* p = v.Get("rotation")) BULWARK_RETURN_IF_ERROR(ReadPolicy(r, *p, at.Key("rotation"), rec.rotation));
  return OkStatus();
}

Result<SecretRecord> ReadRecord(const FieldReader& r, const Value& v, const Path& at) {
  BULWARK_RETURN_IF_ERROR(r.OnlyKnown(v, at, {"type", "owner", "description", "tags", "created", "updated",
                                               "expires_at", "rotation", "state", "history"}));
  SecretRecord rec;
  BULWARK_ASSIGN_OR_RETURN(std::string type, r.String(v, at, "type", true));
  BULWARK_ASSIGN_OR_RETURN(rec.type, [&]() -> Result<SecretType> {
    auto t = ParseSecretType(type);
    if (!t) return std::unexpected(r.Bad(at.Key("type"), t.error().message()));
    return *t;
  }());
  rec.rotation = DefaultPolicy(rec.type);
  BULWARK_RETURN_IF_ERROR(ReadMetadata(r, v, at, rec));
  BULWARK_ASSIGN_OR_RETURN(auto created, TimeField(r, v, at, "created"));
  BULWARK_ASSIGN_OR_RETURN(auto updated, TimeField(r, v, at, "updated"));
  if (!created || !updated) return std::unexpected(r.Bad(at, "created and updated are required"));
  rec.created = *created;
  rec.updated = *updated;
  if (const Value* s = v.Get("state")) {
    const Path sp = at.Key("state");
    BULWARK_RETURN_IF_ERROR(r.OnlyKnown(*s, sp, {"last_rotated", "next_due", "previous_version", "failures",
                                                   "notified_for", "overdue_noted", "rotation"}));
    BULWARK_ASSIGN_OR_RETURN(rec.last_rotated, TimeField(r, *s, sp, "last_rotated"));
    BULWARK_ASSIGN_OR_RETURN(rec.next_due, TimeField(r, *s, sp, "next_due"));
    BULWARK_ASSIGN_OR_RETURN(rec.previous_version, VersionField(r, *s, sp, "previous_version"));
    BULWARK_ASSIGN_OR_RETURN(std::int64_t failures, r.Int(*s, sp, "failures", 0, 0, 1000000));
    rec.failures = static_cast<std::uint32_t>(failures);
    BULWARK_ASSIGN_OR_RETURN(rec.notified_for, TimeField(r, *s, sp, "notified_for"));
    BULWARK_ASSIGN_OR_RETURN(rec.overdue_noted, TimeField(r, *s, sp, "overdue_noted"));
    if (const Value* j = s->Get("rotation")) {
      BULWARK_ASSIGN_OR_RETURN(RotationJournal journal, ReadJournal(r, *j, sp.Key("rotation")));
      rec.in_progress = std::move(journal);
    }
  }
  if (const Value* h = v.Get("history")) {
    const Path hp = at.Key("history");
    if (!h->is_list()) return std::unexpected(r.Bad(hp, "expected a list"));
    for (std::size_t i = 0; i < h->AsList().size(); ++i) {
      BULWARK_ASSIGN_OR_RETURN(HistoryEntry e, ReadHistory(r, h->AsList()[i], hp.Index(i)));
      rec.history.push_back(std::move(e));
    }
  }
  return rec;
}

Value RecordValue(const SecretRecord& rec) {
  ValueMap m;
  m.Set("type", Value(std::string(SecretTypeName(rec.type))));
  if (!rec.owner.empty()) m.Set("owner", Value(rec.owner));
  if (!rec.description.empty()) m.Set("description", Value(rec.description));
  if (!rec.tags.empty()) {
    ValueList tags;
    for (const auto& t : rec.tags) tags.emplace_back(t);
    m.Set("tags", Value(std::move(tags)));
  }
  m.Set("created", Value(Time(rec.created)));
  m.Set("updated", Value(Time(rec.updated)));
  if (rec.expires_at) m.Set("expires_at", Value(Time(*rec.expires_at)));
  m.Set("rotation", PolicyValue(rec.rotation));
  ValueMap state;
  if (rec.last_rotated) state.Set("last_rotated", Value(Time(*rec.last_rotated)));
  if (rec.next_due) state.Set("next_due", Value(Time(*rec.next_due)));
  if (rec.previous_version) state.Set("previous_version", Value(*rec.previous_version));
  if (rec.failures > 0) state.Set("failures", Value(static_cast<std::int64_t>(rec.failures)));
  if (rec.notified_for) state.Set("notified_for", Value(Time(*rec.notified_for)));
  if (rec.overdue_noted) state.Set("overdue_noted", Value(Time(*rec.overdue_noted)));
  if (rec.in_progress) state.Set("rotation", JournalValue(*rec.in_progress));
  m.Set("state", Value(std::move(state)));
  if (!rec.history.empty()) {
    ValueList h;
    for (const auto& e : rec.history) h.push_back(HistoryValue(e));
    m.Set("history", Value(std::move(h)));
  }
  return Value(std::move(m));
}

}  // namespace

std::string_view SecretTypeName(SecretType t) {
  switch (t) {
    case SecretType::kPassword:
      return "password";
    case SecretType::kApiKey:
      return "api_key";
    case SecretType::kCertificate:
      return "certificate";
    case SecretType::kEncryptionKey:
      return "encryption_key";
    case SecretType::kConnectionString:
      return "connection_string";
    case SecretType::kGeneric:
      return "generic";
  }
  return "generic";
}

Result<SecretType> ParseSecretType(std::string_view name) {
  for (SecretType t : {SecretType::kPassword, SecretType::kApiKey, SecretType::kCertificate,
                       SecretType::kEncryptionKey, SecretType::kConnectionString, SecretType::kGeneric}) {
    if (SecretTypeName(t) == name) return t;
  }
  return InvalidArgumentError(fmt::format(
      "secret type '{}': expected password, api_key, certificate, encryption_key, connection_string or generic",
      name));
}

std::string_view StrategyKindName(StrategyKind k) {
  switch (k) {
    case StrategyKind::kNone:
      return "none";
    case StrategyKind::kPassword:
      return "password";
    case StrategyKind::kRandomBytes:
      return "random_bytes";
    case StrategyKind::kEd25519:
      return "ed25519";
    case StrategyKind::kRsa:
      return "rsa";
    case StrategyKind::kCommand:
      return "command";
  }
  return "none";
}

std::string FormatScheduleDuration(Seconds d) {
  std::int64_t s = d.count();
  if (s == 0) return "0s";
  std::string out;
  if (s < 0) {
    out += '-';
    s = -s;
  }
  for (const auto& [unit, size] :
       {std::pair<char, std::int64_t>{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}}) {
    if (s >= size) {
      out += fmt::format("{}{}", s / size, unit);
      s %= size;
    }
  }
  return out;
}

std::string LifecycleNamespace(std::string_view ns) { return fmt::format(".bulwark/lifecycle/{}", ns); }

RotationPolicy DefaultPolicy(SecretType type) {
  RotationPolicy p;
  switch (type) {
    case SecretType::kPassword:
    case SecretType::kConnectionString:
      p.interval = 30 * kDay;
      p.grace = kDay;
      break;
    case SecretType::kApiKey:
    case SecretType::kEncryptionKey:
      p.interval = 90 * kDay;
      p.grace = 7 * kDay;
      break;
    case SecretType::kCertificate:
      p.interval = 365 * kDay;
      p.grace = 30 * kDay;
      break;
    case SecretType::kGeneric:
      break;
  }
  if (type == SecretType::kPassword) p.strategy.kind = StrategyKind::kPassword;
  if (type == SecretType::kApiKey || type == SecretType::kEncryptionKey) {
    p.strategy.kind = StrategyKind::kRandomBytes;
  }
  p.notify_before = p.interval && *p.interval < 7 * kDay ? kDay : 7 * kDay;
  return p;
}

Result<LifecycleDocument> ParseLifecycleDocument(const config::Value& value, std::string_view ns) {
  config::Document doc;
  doc.root = value;
  FieldReader r(doc);
  auto fail = [&](const Error& e) {
    return DataLossError(fmt::format("lifecycle metadata of {}: {}", ns, e.message()));
  };
  LifecycleDocument out;
  const Path root;
  if (auto s = r.OnlyKnown(value, root, {"version", "secrets"}); !s) return fail(s.error());
  auto version = r.Int(value, root, "version", 0, 1, 1);
  if (!version) return fail(version.error());
  if (const Value* secrets = value.Get("secrets")) {
    if (!secrets->is_map()) return fail(r.Bad(root.Key("secrets"), "expected a map"));
    for (const auto& e : secrets->AsMap()) {
      auto rec = ReadRecord(r, e.value, root.Key("secrets").Key(e.key));
      if (!rec) return fail(rec.error());
      out.secrets.emplace(e.key, std::move(*rec));
    }
  }
  return out;
}

config::Value LifecycleDocumentValue(const LifecycleDocument& doc) {
  ValueMap secrets;
  for (const auto& [path, rec] : doc.secrets) secrets.Set(path, RecordValue(rec));
  ValueMap m;
  m.Set("version", Value(std::int64_t{1}));
  m.Set("secrets", Value(std::move(secrets)));
  return Value(std::move(m));
}

Status ApplyMetadataPatch(SecretRecord& record, const config::Document& doc, const config::Path& at) {
  const Value* v = config::Find(doc.root, at);
  FieldReader r(doc);
  if (v == nullptr) return std::unexpected(r.Bad(at, "missing"));
  BULWARK_RETURN_IF_ERROR(r.OnlyKnown(*v, at, {"type", "owner", "description", "tags", "expires_at", "rotation"}));
  return ReadMetadata(r, *v, at, record);
}

bool HasHooks(const RotationPolicy& p) {
  return p.apply || p.revoke || p.notify || (p.verify && p.verify->command) ||
         p.strategy.kind == StrategyKind::kCommand;
}

}  // namespace bulwark::lifecycle
