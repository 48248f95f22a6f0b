#include "bulwark/auditlog/event.h"

#include <fmt/format.h>
#include <fnmatch.h>

#include <algorithm>
#include <array>
#include <bit>
#include <bitset>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "bulwark/audit/jcs.h"
#include "bulwark/core/encoding.h"
#include "bulwark/crypto/hash.h"

namespace bulwark::audit {
namespace {

// The default rules. Keep docs/audit.md ("Impact rules") in sync.
constexpr std::string_view kDefaultRules = R"json({
  "rules": [
    {"name": "tls-weakened", "level": "critical",
     "reason": "TLS or encryption setting changed",
     "when": {"actions": ["write", "delete"], "outcomes": ["success"],
              "paths": ["ssl_mode", "*.ssl_mode", "sslmode", "*.sslmode", "tls", "tls.*", "*.tls",
                        "*.tls.*", "verify", "*.verify", "*.verify_*", "encryption", "encryption.*",
                        "*.encryption", "*.encryption.*", "*.insecure*", "insecure*"]}},
    {"name": "access-policy-changed", "level": "high",
     "reason": "access policy changed",
     "when": {"actions": ["write", "delete", "admin"], "outcomes": ["success"],
              "paths": ["policy", "policy.*", "*.policy", "*.policy.*", "acl", "acl.*", "*.acl",
                        "*.acl.*", "access.*", "*.access.*", "roles.*", "*.roles.*"]}},
    {"name": "access-policy-operation", "level": "high",
     "reason": "access policy changed",
     "when": {"operations": ["policy.*", "*.policy.*", "acl.*"], "outcomes": ["success"]}},
    {"name": "key-destroyed", "level": "critical",
     "reason": "data key destroyed",
     "when": {"operations": ["key.destroy"], "outcomes": ["success"]}},
    {"name": "key-compromised", "level": "critical",
     "reason": "data key marked compromised",
     "when": {"operations": ["key.compromised"], "outcomes": ["success"]}},
    {"name": "key-disabled", "level": "high",
     "reason": "data key disabled",
     "when": {"operations": ["key.disable"], "outcomes": ["success"]}},
    {"name": "key-lifecycle", "level": "medium",
     "reason": "keys changed",
     "when": {"operations": ["key.init", "key.rotate", "key.rewrap", "key.enable",
                             "key.agent.start"],
              "outcomes": ["success"]}},
    {"name": "sensitive-value-changed", "level": "high",
     "reason": "a sensitive value changed",
     "when": {"actions": ["write", "delete", "rotate"], "outcomes": ["success"], "sensitive": true}},
    {"name": "production-changed", "level": "high",
     "reason": "production changed",
     "when": {"actions": ["write", "delete", "rotate", "admin"], "outcomes": ["success"],
              "namespaces": ["production", "production/*", "prod", "prod/*", "*/production",
                             "*/production/*", "*/prod", "*/prod/*"]}},
    {"name": "secret-rotation-failed", "level": "high",
     "reason": "secret rotation failed or overdue",
     "when": {"operations": ["secret.rotation.*", "secret.overdue"], "outcomes": ["failure"]}},
    {"name": "secret-metadata-changed", "level": "medium",
     "reason": "secret metadata or rotation hooks changed",
     "when": {"operations": ["secret.meta"], "outcomes": ["success"]}},
    {"name": "audit-verification-failed", "level": "critical",
     "reason": "audit log verification failed",
     "when": {"operations": ["audit.verify"], "outcomes": ["failure"]}},
    {"name": "security-alert", "level": "high",
     "reason": "security alert raised",
     "when": {"operations": ["monitor.alert"]}},
    {"name": "emergency-approval", "level": "critical",
     "reason": "emergency approval used",
     "when": {"operations": ["*emergency*", "*break_glass*"], "outcomes": ["success"]}},
    {"name": "sensitive-revealed", "level": "medium",
     "reason": "sensitive values revealed",
     "when": {"revealed": true, "outcomes": ["success"]}},
    {"name": "denied", "level": "medium",
     "reason": "operation denied",
     "when": {"outcomes": ["denied"]}},
    {"name": "failed-write", "level": "low",
     "reason": "operation failed",
     "when": {"outcomes": ["failure"]}}
  ]
})json";

// A glob of '*' and literal characters only, matched as fnmatch(3) without flags matches it in a
// single-byte locale (the C locale unless the program calls setlocale): '*' matches any bytes.
// Both sides end at their first NUL, as the C strings fnmatch reads do.
bool StarMatch(std::string_view pattern, std::string_view text) {
  std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool Glob(const ImpactClassifier::Pattern& pattern, const std::string& text) {
  if (pattern.star_only && MB_CUR_MAX == 1) {
    return StarMatch(pattern.text, std::string_view(text.c_str()));
  }
  return ::fnmatch(pattern.text.c_str(), text.c_str(), 0) == 0;
}

bool AnyGlob(const std::vector<ImpactClassifier::Pattern>& patterns, const std::string& text) {
  for (const auto& p : patterns) {
    if (Glob(p, text)) return true;
  }
  return false;
}

bool Contains(const std::vector<std::string>& list, std::string_view v) {
  for (const auto& s : list) {
    if (s == v) return true;
  }
  return false;
}

// The enum values (all 256 of the underlying byte) whose name is in `names`.
template <typename Enum>
std::bitset<256> NameSet(const std::vector<std::string>& names, std::string_view (*name_of)(Enum)) {
  std::bitset<256> set;
  for (int v = 0; v < 256; ++v) {
    if (Contains(names, name_of(static_cast<Enum>(v)))) set.set(static_cast<std::size_t>(v));
  }
  return set;
}

}  // namespace

std::string_view ImpactLevelName(ImpactLevel level) {
  switch (level) {
    case ImpactLevel::kLow:
      return "low";
    case ImpactLevel::kMedium:
      return "medium";
    case ImpactLevel::kHigh:
      return "high";
    case ImpactLevel::kCritical:
      return "critical";
  }
  return "low";
}

Result<ImpactLevel> ParseImpactLevel(std::string_view name) {
  if (name == "low") return ImpactLevel::kLow;
  if (name == "medium") return ImpactLevel::kMedium;
  if (name == "high") return ImpactLevel::kHigh;
  if (name == "critical") return ImpactLevel::kCritical;
  return InvalidArgumentError(
      fmt::format("impact level '{}': expected critical, high, medium or low", name));
}

std::string_view DefaultImpactRules() { return kDefaultRules; }

Result<ImpactClassifier> ImpactClassifier::FromJson(std::string_view text) {
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("rules") ||
      !doc["rules"].is_array()) {
    return InvalidArgumentError("impact rules: expected a JSON object with a \"rules\" array");
  }
  ImpactClassifier c;
  std::size_t i = 0;
  for (const auto& r : doc["rules"]) {
    auto bad = [&](std::string_view field) {
      return InvalidArgumentError(
          fmt::format("impact rules: rule {}: bad or missing '{}'", i, field));
    };
    if (!r.is_object()) return bad("rule");
    Rule rule;
    if (!r.contains("name") || !r["name"].is_string()) return bad("name");
    rule.name = r["name"].get<std::string>();
    if (!r.contains("level") || !r["level"].is_string()) return bad("level");
    auto level = ParseImpactLevel(r["level"].get<std::string>());
    if (!level) return bad("level");
    rule.level = *level;
    if (!r.contains("reason") || !r["reason"].is_string()) return bad("reason");
    rule.reason = r["reason"].get<std::string>();
    if (r.contains("when")) {
      const auto& w = r["when"];
      if (!w.is_object()) return bad("when");
      for (auto it = w.begin(); it != w.end(); ++it) {
        const std::string& key = it.key();
        std::vector<std::string>* list = nullptr;
        if (key == "actions")
          list = &rule.actions;
        else if (key == "outcomes")
          list = &rule.outcomes;
        else if (key == "operations")
          list = &rule.operations;
        else if (key == "namespaces")
          list = &rule.namespaces;
        else if (key == "paths")
          list = &rule.paths;
        if (list != nullptr) {
          if (!it->is_array()) return bad(key);
          for (const auto& s : *it) {
            if (!s.is_string()) return bad(key);
            list->push_back(s.get<std::string>());
          }
        } else if (key == "sensitive" || key == "revealed") {
          if (!it->is_boolean()) return bad(key);
          (key == "sensitive" ? rule.sensitive : rule.revealed) = it->get<bool>();
        } else {
          return bad(fmt::format("when.{}", key));
        }
      }
    }
    rule.action_set = NameSet(rule.actions, request::ActionName);
    rule.outcome_set = NameSet(rule.outcomes, request::OutcomeName);
    for (const auto* list : {&rule.operations, &rule.namespaces, &rule.paths}) {
      auto& compiled = list == &rule.operations   ? rule.operation_globs
                       : list == &rule.namespaces ? rule.namespace_globs
                                                  : rule.path_globs;
      for (const std::string& g : *list) {
        Pattern p;
        p.text = std::string(g.c_str());  // fnmatch reads up to the first NUL
        p.star_only = p.text.find_first_of("?[\\") == std::string::npos;
        compiled.push_back(std::move(p));
      }
    }
    c.rules_.push_back(std::move(rule));
    ++i;
  }
  return c;
}

ImpactClassifier ImpactClassifier::Default() {
  auto c = FromJson(kDefaultRules);
  return std::move(*c);  // the embedded rules are tested to parse
}

Impact ImpactClassifier::Classify(const request::AuditRecord& rec) const {
  Impact impact;
  const auto action = static_cast<std::size_t>(rec.action);
  const auto outcome = static_cast<std::size_t>(rec.outcome);
  for (const Rule& r : rules_) {
    if (!r.actions.empty() && !r.action_set.test(action)) continue;
    if (!r.outcomes.empty() && !r.outcome_set.test(outcome)) continue;
    if (!r.operations.empty() && !AnyGlob(r.operation_globs, rec.operation)) continue;
    if (!r.namespaces.empty() && !AnyGlob(r.namespace_globs, rec.namespace_name)) continue;
    if (!r.paths.empty()) {
      bool any = false;
      for (const auto& p : rec.paths) any = any || AnyGlob(r.path_globs, p);
      for (const auto& p : rec.sensitive_paths) any = any || AnyGlob(r.path_globs, p);
      if (!any) continue;
    }
    if (r.sensitive && *r.sensitive != !rec.sensitive_paths.empty()) continue;
    if (r.revealed && *r.revealed != rec.revealed) continue;
    if (r.level > impact.level) impact.level = r.level;
    if (!Contains(impact.reasons, r.reason)) impact.reasons.push_back(r.reason);
  }
  return impact;
}

nlohmann::json BuildEvent(const request::AuditRecord& r, const Impact& impact, std::string_view id,
                          std::string_view source) {
  nlohmann::json data;
  data["actor"] = {{"id", r.context.principal.id},
                   {"kind", r.context.principal.kind},
                   {"roles", r.context.principal.roles}};
  data["operation"] = r.operation;
  data["action"] = std::string(request::ActionName(r.action));
  data["namespace"] = r.namespace_name;
  data["paths"] = r.paths;
  data["sensitive_paths"] = r.sensitive_paths;
  data["revealed"] = r.revealed;
  data["outcome"] = std::string(request::OutcomeName(r.outcome));
  if (!r.reason.empty()) data["reason"] = r.reason;
  if (r.version_before) data["version_before"] = *r.version_before;
  if (r.version_after) data["version_after"] = *r.version_after;
  data["request"] = {{"source_address", r.context.source_address},
                     {"client", r.context.client},
                     {"request_id", r.context.request_id}};
  if (r.resource_kind != request::ResourceKind::kNamespace) {
    data["resource"] = {{"kind", std::string(request::ResourceKindName(r.resource_kind))},
                        {"name", r.resource_name}};
  }
  data["impact"] = {{"level", std::string(ImpactLevelName(impact.level))},
                    {"reasons", impact.reasons}};
  nlohmann::json ev;
  ev["specversion"] = "1.0";
  ev["id"] = std::string(id);
  ev["source"] = std::string(source);
  ev["type"] = "dev.bulwark." + r.operation;
  ev["time"] = FormatRfc3339(r.time);
  if (!r.namespace_name.empty()) {
    ev["subject"] = r.namespace_name;
  } else if (r.resource_kind != request::ResourceKind::kNamespace && !r.resource_name.empty()) {
    ev["subject"] = r.resource_name;
  }
  ev["datacontenttype"] = "application/json";
  ev["data"] = std::move(data);
  return ev;
}

Result<std::string> EventLeaf(const nlohmann::json& event) { return CanonicalizeJson(event); }

namespace {

constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
constexpr std::uint64_t kHighBits = 0x8080808080808080ULL;

// The high bit of every byte of `w` that RecordLeaf cannot copy as it is: '"', '\\', a control
// character (escaped) or a non-ASCII byte (validated). Only the lowest flagged byte is certain
// (a borrow may flag bytes above it); none is flagged when no byte is special.
constexpr std::uint64_t SpecialBytes(std::uint64_t w) {
  auto zero = [](std::uint64_t x) { return (x - kOnes) & ~x & kHighBits; };
  return ((w - kOnes * 0x20) & ~w & kHighBits) | zero(w ^ (kOnes * '"')) |
         zero(w ^ (kOnes * '\\')) | (w & kHighBits);
}

constexpr bool IsSpecial(unsigned char c) { return c == '"' || c == '\\' || c < 0x20 || c >= 0x80; }

// The canonical bytes written through a raw cursor into a string sized ahead (one allocation for a
// typical event; std::string::append per token was a third of RecordLeaf). Strings are RFC 8785
// strings (AppendJcsString's rules) and are validated as UTF-8 while they are copied.
class LeafWriter {
 public:
  explicit LeafWriter(std::size_t estimate) {
    buf_.resize(estimate);
    p_ = buf_.data();
    end_ = p_ + buf_.size();
  }

  template <std::size_t N>
  [[gnu::always_inline]] void Lit(const char (&text)[N]) {
    Ensure(N - 1);
    std::memcpy(p_, text, N - 1);  // a constant size: a few moves
    p_ += N - 1;
  }
  void Raw(std::string_view text) {
    Ensure(text.size());
    std::memcpy(p_, text.data(), text.size());
    p_ += text.size();
  }
  void Int(std::int64_t v) {
    Ensure(20);
    p_ = std::to_chars(p_, end_, v).ptr;
  }
  // `s` as an RFC 8785 string; false when it is not valid UTF-8.
  bool Str(std::string_view s) {
    Ensure(s.size() + 2);
    *p_++ = '"';
    if (!Body(s)) return false;
    *p_++ = '"';
    return true;
  }
  // "dev.bulwark." + s as one RFC 8785 string (the prefix needs no escape).
  bool TypeStr(std::string_view s) {
    Ensure(s.size() + 14);
    std::memcpy(p_, "\"dev.bulwark.", 13);
    p_ += 13;
    if (!Body(s)) return false;
    *p_++ = '"';
    return true;
  }
  template <typename List>
  bool Strs(const List& list) {
    Ensure(2);
    *p_++ = '[';
    bool first = true;
    for (const std::string& s : list) {
      if (!first) Lit(",");
      first = false;
      if (!Str(s)) return false;
    }
    Lit("]");
    return true;
  }

  std::string Finish() && {
    buf_.resize(static_cast<std::size_t>(p_ - buf_.data()));
    return std::move(buf_);
  }

 private:
  // Copies `s` escaped. Requires room for s.size() + 1 bytes; keeps room for what is left of `s`
  // and one byte more (the closing quote). Words without a special byte are copied as they are
  // read (the store may run past a special byte: what follows overwrites it).
  bool Body(std::string_view s) {
    const char* q = s.data();
    const char* const end = q + s.size();
    bool escaped = false;  // output and input offsets differ from here on
    for (;;) {
      if constexpr (std::endian::native == std::endian::little) {
        for (; end - q >= 8; q += 8, p_ += 8) {
          std::uint64_t w;
          std::memcpy(&w, q, 8);
          std::memcpy(p_, &w, 8);  // room: what is left of `s` plus one, at least 9
          if (const std::uint64_t m = SpecialBytes(w); m != 0) {
            const int k = std::countr_zero(m) / 8;
            q += k;
            p_ += k;
            break;
          }
        }
        // The last 1-7 bytes of a string of 8 or more, as the word ending with it: its first
        // 8 - n bytes were copied unchanged (nothing escaped yet), so rewriting them is harmless,
        // and they cannot flag a later byte (a borrow starts only at '"', '\\' or a control
        // character, which would have been escaped).
        if (const auto n = end - q; n > 0 && n < 8 && !escaped && end - s.data() >= 8) {
          std::uint64_t w;
          std::memcpy(&w, end - 8, 8);
          std::memcpy(p_ - (8 - n), &w, 8);
          const std::uint64_t m = SpecialBytes(w) & (~std::uint64_t{0} << (8 * (8 - n)));
          if (m == 0) {
            p_ += n;
            return true;
          }
          const auto k = std::countr_zero(m) / 8 - (8 - n);
          q += k;
          p_ += k;
        }
      }
      while (q != end && !IsSpecial(static_cast<unsigned char>(*q))) *p_++ = *q++;
      if (q == end) return true;
      const auto c = static_cast<unsigned char>(*q);
      if (c >= 0x80) {  // as many bytes out as in: the room is kept
        const std::size_t len = Utf8SequenceLength(reinterpret_cast<const unsigned char*>(q),
                                                   reinterpret_cast<const unsigned char*>(end));
        if (len == 0) return false;
        std::memcpy(p_, q, len);
        p_ += len;
        q += len;
        continue;
      }
      Ensure(static_cast<std::size_t>(end - q) + 6);  // up to 6 bytes out for this one in
      escaped = true;
      *p_++ = '\\';
      switch (c) {
        case '"':
        case '\\':
          *p_++ = static_cast<char>(c);
          break;
        case '\b':
          *p_++ = 'b';
          break;
        case '\f':
          *p_++ = 'f';
          break;
        case '\n':
          *p_++ = 'n';
          break;
        case '\r':
          *p_++ = 'r';
          break;
        case '\t':
          *p_++ = 't';
          break;
        default:
          std::memcpy(p_, "u00", 3);
          p_[3] = "0123456789abcdef"[c >> 4];
          p_[4] = "0123456789abcdef"[c & 0xF];
          p_ += 5;
      }
      ++q;
    }
  }

  void Ensure(std::size_t n) {
    if (static_cast<std::size_t>(end_ - p_) < n) Grow(n);
  }
  [[gnu::noinline]] void Grow(std::size_t n) {
    const auto used = static_cast<std::size_t>(p_ - buf_.data());
    buf_.resize(std::max(buf_.size() * 2, used + n));
    p_ = buf_.data() + used;
    end_ = buf_.data() + buf_.size();
  }

  std::string buf_;
  char* p_;
  char* end_;
};

template <typename List>
std::size_t TotalSize(const List& list) {
  std::size_t n = 0;
  for (const std::string& s : list) n += s.size() + 3;
  return n;
}

bool ExactInteger(std::optional<std::int64_t> v) {
  constexpr std::int64_t kMax = std::int64_t{1} << 53;
  return !v || (*v <= kMax && *v >= -kMax);
}

// RecordLeaf's bytes, or nullopt when a string is not valid UTF-8.
std::optional<std::string> WriteLeaf(const request::AuditRecord& r, const Impact& impact,
                                     std::string_view id, std::string_view source) {
  const auto& ctx = r.context;
  // The fixed text (keys, names, time, versions, the quotes of the strings) is at most ~520 bytes;
  // strings without escapes add their size (a typical event needs no second allocation).
  LeafWriter w(
      576 + ctx.principal.id.size() + ctx.principal.kind.size() + TotalSize(ctx.principal.roles) +
      TotalSize(impact.reasons) + 2 * r.namespace_name.size() + 2 * r.operation.size() +
      TotalSize(r.paths) + r.reason.size() + ctx.client.size() + ctx.request_id.size() +
      ctx.source_address.size() + TotalSize(r.sensitive_paths) + id.size() + source.size() +
      2 * r.resource_name.size());
  // Keys in RFC 8785 order (all ASCII, so byte order).
  w.Lit("{\"data\":{\"action\":");
  if (!w.Str(request::ActionName(r.action))) return std::nullopt;
  w.Lit(",\"actor\":{\"id\":");
  if (!w.Str(ctx.principal.id)) return std::nullopt;
  w.Lit(",\"kind\":");
  if (!w.Str(ctx.principal.kind)) return std::nullopt;
  w.Lit(",\"roles\":");
  if (!w.Strs(ctx.principal.roles)) return std::nullopt;
  w.Lit("},\"impact\":{\"level\":");
  if (!w.Str(ImpactLevelName(impact.level))) return std::nullopt;
  w.Lit(",\"reasons\":");
  if (!w.Strs(impact.reasons)) return std::nullopt;
  w.Lit("},\"namespace\":");
  if (!w.Str(r.namespace_name)) return std::nullopt;
  w.Lit(",\"operation\":");
  if (!w.Str(r.operation)) return std::nullopt;
  w.Lit(",\"outcome\":");
  if (!w.Str(request::OutcomeName(r.outcome))) return std::nullopt;
  w.Lit(",\"paths\":");
  if (!w.Strs(r.paths)) return std::nullopt;
  if (!r.reason.empty()) {
    w.Lit(",\"reason\":");
    if (!w.Str(r.reason)) return std::nullopt;
  }
  w.Lit(",\"request\":{\"client\":");
  if (!w.Str(ctx.client)) return std::nullopt;
  w.Lit(",\"request_id\":");
  if (!w.Str(ctx.request_id)) return std::nullopt;
  w.Lit(",\"source_address\":");
  if (!w.Str(ctx.source_address)) return std::nullopt;
  w.Lit("}");
  const bool resource = r.resource_kind != request::ResourceKind::kNamespace;
  if (resource) {
    w.Lit(",\"resource\":{\"kind\":");
    if (!w.Str(request::ResourceKindName(r.resource_kind))) return std::nullopt;
    w.Lit(",\"name\":");
    if (!w.Str(r.resource_name)) return std::nullopt;
    w.Lit("}");
  }
  w.Lit(",\"revealed\":");
  if (r.revealed) {
    w.Lit("true");
  } else {
    w.Lit("false");
  }
  w.Lit(",\"sensitive_paths\":");
  if (!w.Strs(r.sensitive_paths)) return std::nullopt;
  // Integers within 2^53 (checked by the caller): ECMAScript writes them as plain digits.
  if (r.version_after) {
    w.Lit(",\"version_after\":");
    w.Int(*r.version_after);
  }
  if (r.version_before) {
    w.Lit(",\"version_before\":");
    w.Int(*r.version_before);
  }
  w.Lit("},\"datacontenttype\":\"application/json\",\"id\":");
  if (!w.Str(id)) return std::nullopt;
  w.Lit(",\"source\":");
  if (!w.Str(source)) return std::nullopt;
  w.Lit(",\"specversion\":\"1.0\"");
  if (!r.namespace_name.empty()) {
    w.Lit(",\"subject\":");
    w.Str(r.namespace_name);  // validated above
  } else if (resource && !r.resource_name.empty()) {
    w.Lit(",\"subject\":");
    w.Str(r.resource_name);  // validated above
  }
  w.Lit(",\"time\":\"");
  std::array<char, kRfc3339MaxSize> time;
  w.Raw(std::string_view(time.data(), FormatRfc3339To(r.time, time)));  // digits and separators
  w.Lit("\",\"type\":");
  w.TypeStr(r.operation);  // validated above
  w.Lit("}");
  return std::move(w).Finish();
}

}  // namespace

Result<std::string> RecordLeaf(const request::AuditRecord& r, const Impact& impact,
                               std::string_view id, std::string_view source) {
  if (ExactInteger(r.version_before) && ExactInteger(r.version_after)) {
    if (auto leaf = WriteLeaf(r, impact, id, source)) return std::move(*leaf);
  }
  return EventLeaf(BuildEvent(r, impact, id, source));  // the reference path reports the error
}

Result<std::string> AuditValueHash(const SecretBytes& key, std::string_view ns,
                                   std::string_view path, std::string_view value) {
  std::string msg;
  msg.reserve(ns.size() + path.size() + value.size() + 2);
  msg.append(ns).push_back('\0');
  msg.append(path).push_back('\0');
  msg.append(value);
  auto tag = crypto::HmacSha256(
      key, std::span(reinterpret_cast<const std::uint8_t*>(msg.data()), msg.size()));
  SecureZero(msg);
  if (!tag) return std::unexpected(tag.error());
  return "hmac-sha256:" + HexEncode(*tag);
}

}  // namespace bulwark::audit
