#include "bulwark/drift/compare.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include "bulwark/config/environment.h"
#include "bulwark/config/format.h"
#include "bulwark/core/encoding.h"
#include "bulwark/crypto/hash.h"

namespace bulwark::drift {
namespace {

constexpr std::string_view kFingerprintDomain{"bulwark-drift/v1\0", 17};

// One unit of a document: its value (not owned) and whether it is sensitive.
struct Unit {
  const config::Value* value = nullptr;
  bool sensitive = false;
};

bool IsLeaf(const config::Value& v) {
  if (v.is_list()) return v.AsList().empty();
  if (v.is_map()) return v.AsMap().empty();
  return true;
}

// Cuts `root` into units: every node whose path is in `sensitive` (outermost first, parents are
// visited before children), every other leaf.
std::map<config::Path, Unit> Units(const config::Value& root, const std::set<config::Path>& sensitive) {
  std::map<config::Path, Unit> out;
  config::Walk(root, [&](const config::Path& p, const config::Value& v) {
    if (sensitive.contains(p)) {
      out.emplace(p, Unit{&v, true});
      return false;
    }
    if (IsLeaf(v)) {
      // The root itself is a unit only when the whole document is a scalar or empty.
      if (!p.empty() || !v.is_container()) out.emplace(p, Unit{&v, false});
      return false;
    }
    return true;
  });
  return out;
}

bool NumbersEqual(const config::Value& a, const config::Value& b) {
  return a.is_number() && b.is_number() && a.AsNumber() == b.AsNumber();
}

}  // namespace

Result<Fingerprinter> Fingerprinter::Create(SecretBytes key) {
  if (key.size() < 32) {
    return InvalidArgumentError("drift fingerprint key: expected at least 32 bytes");
  }
  return Fingerprinter(std::move(key));
}

std::string Fingerprinter::Of(const config::Value& value) const {
  std::string data(kFingerprintDomain);
  std::string text = CanonicalText(value);
  data += text;
  SecureZero(text);
  auto mac = crypto::HmacSha256(
      key_, std::span(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()));
  SecureZero(data);
  // HMAC over a valid key does not fail; if the library does, no fingerprint equals another.
  if (!mac) return "error";
  return HexEncode(*mac);
}

std::string CanonicalText(const config::Value& value) {
  switch (value.type()) {
    case config::ValueType::kNull:
      return "null";
    case config::ValueType::kBool:
      return value.AsBool() ? "true" : "false";
    case config::ValueType::kInt:
      return std::to_string(value.AsInt());
    case config::ValueType::kDouble:
      return fmt::format("{}", value.AsDouble());
    case config::ValueType::kString:
      return value.AsString();
    case config::ValueType::kBytes:
      return Base64Encode(value.AsBytes());
    case config::ValueType::kList:
    case config::ValueType::kMap: {
      auto text = config::EmitDocument(value, config::Format::kJson, {.indent = 0});
      return text ? std::move(*text) : std::string("<unprintable>");
    }
  }
  return {};
}

namespace {

// `text` read as a value of `typed`'s scalar type equals `typed`.
bool CoercesTo(const std::string& text, const config::Value& typed) {
  if (typed.is_string() || typed.is_container() || typed.is_bytes() || typed.is_null()) {
    return false;
  }
  auto coerced = config::CoerceEnvValue("value", text, typed.type());
  return coerced && (*coerced == typed || NumbersEqual(*coerced, typed));
}

}  // namespace

bool SameValue(const config::Value& baseline, const config::Value& live) {
  if (baseline == live || NumbersEqual(baseline, live)) return true;
  if (live.is_string()) return CoercesTo(live.AsString(), baseline);
  if (baseline.is_string()) return CoercesTo(baseline.AsString(), live);
  return false;
}

std::string_view ChangeKindName(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::kAdded:
      return "added";
    case ChangeKind::kRemoved:
      return "removed";
    case ChangeKind::kChanged:
      return "changed";
  }
  return "changed";
}

std::map<config::Path, std::string> FingerprintSensitive(const config::Value& document,
                                                         const std::vector<config::Path>& sensitive,
                                                         const Fingerprinter& fingerprinter) {
  std::map<config::Path, std::string> out;
  for (const config::Path& p : sensitive) {
    if (const config::Value* v = config::Find(document, p)) out[p] = fingerprinter.Of(*v);
  }
  return out;
}

DriftReport Compare(const Baseline& baseline, const Live& live, const IgnoreRules& ignore,
                    const Fingerprinter& fingerprinter) {
  std::set<config::Path> sensitive(baseline.sensitive.begin(), baseline.sensitive.end());
  sensitive.insert(live.sensitive.begin(), live.sensitive.end());
  for (const auto& [p, fp] : baseline.fingerprints) sensitive.insert(p);
  const auto base_units = Units(baseline.document, sensitive);
  const auto live_units = Units(live.document.root, sensitive);

  auto base_fingerprint = [&](const config::Path& p, const Unit& u) {
    auto it = baseline.fingerprints.find(p);
    return it != baseline.fingerprints.end() ? it->second : fingerprinter.Of(*u.value);
  };
  auto provenance = [&](const config::Path& p) {
    auto loc = live.document.LocationOf(p);
    return loc ? loc->ToString() : live.source;
  };

  DriftReport report;
  std::set<config::Path> all;
  for (const auto& [p, u] : base_units) all.insert(p);
  for (const auto& [p, u] : live_units) all.insert(p);
  report.compared = all.size();
  for (const config::Path& p : all) {
    auto b = base_units.find(p);
    auto l = live_units.find(p);
    DriftEntry e;
    e.path = p;
    if (b == base_units.end()) {
      e.kind = ChangeKind::kAdded;
      e.sensitive = l->second.sensitive;
      if (!e.sensitive) e.live = *l->second.value;
      if (e.sensitive) e.live_fingerprint = fingerprinter.Of(*l->second.value);
      e.provenance = provenance(p);
    } else if (l == live_units.end()) {
      e.kind = ChangeKind::kRemoved;
      e.sensitive = b->second.sensitive;
      if (!e.sensitive) e.baseline = *b->second.value;
      e.provenance = live.source;
    } else {
      e.kind = ChangeKind::kChanged;
      e.sensitive = b->second.sensitive || l->second.sensitive;
      bool same;
      if (e.sensitive) {
        e.live_fingerprint = fingerprinter.Of(*l->second.value);
        const std::string bf = base_fingerprint(p, b->second);
        same = ConstantTimeEquals(std::string_view(e.live_fingerprint), std::string_view(bf));
      } else {
        same = SameValue(*b->second.value, *l->second.value);
      }
      if (same) continue;
      if (!e.sensitive) {
        e.baseline = *b->second.value;
        e.live = *l->second.value;
      }
      e.provenance = provenance(p);
    }
    if (ignore.Matches(p)) {
      ++report.ignored;
      continue;
    }
    report.entries.push_back(std::move(e));
  }
  return report;
}

}  // namespace bulwark::drift
