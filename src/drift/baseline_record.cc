#include "bulwark/drift/baseline_record.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace bulwark::drift {
namespace {

constexpr std::string_view kFormat = "bulwark-drift-baselines/v1";

bool IsLowerHex(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

Result<BaselineRecords> ParseBaselineRecords(std::string_view text, std::string_view source) {
  auto bad = [&](std::string_view what) {
    return DataLossError(fmt::format("{}: {}", source, what));
  };
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  if (!j.contains("format") || j["format"] != kFormat) {
    return bad(fmt::format("expected \"format\": \"{}\"", kFormat));
  }
  if (!j.contains("baselines") || !j["baselines"].is_object()) return bad("no \"baselines\" object");
  BaselineRecords out;
  for (const auto& [ns, r] : j["baselines"].items()) {
    const std::string where = fmt::format("baseline of '{}'", ns.substr(0, 200));
    if (!r.is_object()) return bad(where + ": not an object");
    BaselineRecord rec;
    if (!r.contains("version") || !r["version"].is_number_integer() ||
        r["version"].get<std::int64_t>() < 1) {
      return bad(where + ": \"version\" must be a positive integer");
    }
    rec.version = r["version"].get<std::int64_t>();
    for (auto [key, field] : {std::pair{"content_hash", &rec.content_hash},
                              std::pair{"recorded_at", &rec.recorded_at},
                              std::pair{"recorded_by", &rec.recorded_by}}) {
      if (r.contains(key)) {
        if (!r[key].is_string()) return bad(fmt::format("{}: \"{}\" must be a string", where, key));
        *field = r[key].get<std::string>();
      }
    }
    if (r.contains("fingerprints")) {
      if (!r["fingerprints"].is_object()) return bad(where + ": \"fingerprints\" must be an object");
      for (const auto& [path, fp] : r["fingerprints"].items()) {
        auto p = config::Path::Parse(path);
        if (!p) return bad(fmt::format("{}: fingerprint path: {}", where, p.error().message()));
        if (!fp.is_string() || !IsLowerHex(fp.get<std::string>())) {
          return bad(fmt::format("{}: fingerprint of {}: expected 64 lower-case hex digits", where,
                                 p->ToString()));
        }
        rec.fingerprints[*p] = fp.get<std::string>();
      }
    }
    out.emplace(ns, std::move(rec));
  }
  return out;
}

std::string SerializeBaselineRecords(const BaselineRecords& records) {
  nlohmann::ordered_json j;
  j["format"] = kFormat;
  j["baselines"] = nlohmann::ordered_json::object();
  for (const auto& [ns, r] : records) {
    nlohmann::ordered_json o;
    o["version"] = r.version;
    o["content_hash"] = r.content_hash;
    o["recorded_at"] = r.recorded_at;
    o["recorded_by"] = r.recorded_by;
    o["fingerprints"] = nlohmann::ordered_json::object();
    for (const auto& [p, fp] : r.fingerprints) o["fingerprints"][p.ToString()] = fp;
    j["baselines"][ns] = std::move(o);
  }
  return j.dump(2) + "\n";
}

}  // namespace bulwark::drift
