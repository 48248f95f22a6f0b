#include "bulwark/config/field_reader.h"

#include <fmt/format.h>

#include <cmath>

#include "bulwark/core/duration.h"

namespace bulwark::config {

Error FieldReader::Bad(const Path& p, std::string_view what) const {
  const std::optional<SourceLocation> loc = doc_.LocationOf(p);
  return Error(ErrorCode::kInvalidArgument,
               fmt::format("{}{}: {}", loc ? loc->ToString() + ": " : "", p.ToString(), what));
}

Status FieldReader::OnlyKnown(const Value& map, const Path& at,
                              std::initializer_list<std::string_view> known) const {
  if (!map.is_map()) return std::unexpected(Bad(at, "expected a map"));
  for (const auto& e : map.AsMap()) {
    bool ok = false;
    for (std::string_view k : known) ok = ok || k == e.key;
    if (!ok) return std::unexpected(Bad(at.Key(e.key), "unknown field"));
  }
  return OkStatus();
}

Result<std::string> FieldReader::String(const Value& m, const Path& at, std::string_view key,
                                        bool required) const {
  const Value* v = m.Get(key);
  const Path p = at.Key(std::string(key));
  if (v == nullptr) {
    if (required) return std::unexpected(Bad(p, "required"));
    return std::string();
  }
  if (!v->is_string() || v->AsString().empty()) {
    return std::unexpected(Bad(p, "expected a non-empty string"));
  }
  return v->AsString();
}

Result<std::int64_t> FieldReader::Int(const Value& m, const Path& at, std::string_view key,
                                      std::int64_t deflt, std::int64_t lo, std::int64_t hi) const {
  const Value* v = m.Get(key);
  if (v == nullptr) return deflt;
  if (!v->is_int() || v->AsInt() < lo || v->AsInt() > hi) {
    return std::unexpected(
        Bad(at.Key(std::string(key)), fmt::format("expected an integer in [{}, {}]", lo, hi)));
  }
  return v->AsInt();
}

Result<double> FieldReader::Number(const Value& m, const Path& at, std::string_view key,
                                   double deflt, double lo, double hi) const {
  const Value* v = m.Get(key);
  if (v == nullptr) return deflt;
  if (!v->is_number() || std::isnan(v->AsNumber()) || v->AsNumber() < lo || v->AsNumber() > hi) {
    return std::unexpected(
        Bad(at.Key(std::string(key)), fmt::format("expected a number in [{}, {}]", lo, hi)));
  }
  return v->AsNumber();
}

Result<bool> FieldReader::Bool(const Value& m, const Path& at, std::string_view key,
                               bool deflt) const {
  const Value* v = m.Get(key);
  if (v == nullptr) return deflt;
  if (!v->is_bool())
    return std::unexpected(Bad(at.Key(std::string(key)), "expected true or false"));
  return v->AsBool();
}

Result<std::chrono::seconds> FieldReader::Duration(const Value& m, const Path& at,
                                                   std::string_view key, std::chrono::seconds deflt,
                                                   std::chrono::seconds lo,
                                                   std::chrono::seconds hi) const {
  const Value* v = m.Get(key);
  if (v == nullptr) return deflt;
  const Path p = at.Key(std::string(key));
  std::chrono::seconds d;
  if (v->is_int()) {
    d = std::chrono::seconds(v->AsInt());
  } else if (v->is_string()) {
    auto parsed = ParseDuration(v->AsString());
    if (!parsed) return std::unexpected(Bad(p, parsed.error().message()));
    d = *parsed;
  } else {
    return std::unexpected(Bad(p, "expected a duration such as 5m, 24h or 30d"));
  }
  if (d < lo || d > hi) {
    return std::unexpected(Bad(
        p, fmt::format("expected a duration in [{}, {}]", FormatDuration(lo), FormatDuration(hi))));
  }
  return d;
}

Result<std::vector<std::string>> FieldReader::StringList(const Value& m, const Path& at,
                                                         std::string_view key) const {
  std::vector<std::string> out;
  const Value* v = m.Get(key);
  if (v == nullptr) return out;
  const Path p = at.Key(std::string(key));
  if (!v->is_list()) return std::unexpected(Bad(p, "expected a list of strings"));
  for (std::size_t i = 0; i < v->AsList().size(); ++i) {
    const Value& e = v->AsList()[i];
    if (!e.is_string() || e.AsString().empty()) {
      return std::unexpected(Bad(p.Index(i), "expected a non-empty string"));
    }
    out.push_back(e.AsString());
  }
  return out;
}

}  // namespace bulwark::config
