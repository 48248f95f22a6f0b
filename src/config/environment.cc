#include "bulwark/config/environment.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "config/internal/json_bridge.h"
#include "bulwark/config/format.h"

extern char** environ;

namespace bulwark::config {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Error CoerceError(std::string_view variable, std::string_view expected) {
  return Error(ErrorCode::kInvalidArgument,
               fmt::format("environment variable {}: expected {}", variable, expected));
}

Result<Value> ParseJsonText(std::string_view variable, std::string_view text) {
  auto doc = ParseDocument(text, Format::kJson,
                           ParseOptions{.source_name = fmt::format("env:{}", variable),
                                        .track_locations = false});
  if (!doc) return std::unexpected(doc.error());
  return std::move(doc->root);
}

}  // namespace

std::vector<EnvVar> ReadProcessEnvironment() {
  std::vector<EnvVar> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    const std::size_t eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    out.push_back({std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1))});
  }
  return out;
}

Result<Value> CoerceEnvValue(std::string_view variable, std::string_view text,
                             std::optional<ValueType> expected) {
  if (!expected) {
    const std::size_t first = text.find_first_not_of(" \t\r\n");
    if (first != std::string_view::npos && (text[first] == '[' || text[first] == '{')) {
      if (auto v = ParseJsonText(variable, text)) return std::move(*v);
    }
    return Value(std::string(text));
  }
  switch (*expected) {
    case ValueType::kString:
      return Value(std::string(text));
    case ValueType::kInt: {
      std::int64_t v = 0;
      const char* begin = text.data();
      const char* end = text.data() + text.size();
      if (!text.empty() && text[0] == '+') ++begin;
      auto [p, ec] = std::from_chars(begin, end, v);
      if (text.empty() || ec != std::errc() || p != end) {
        return std::unexpected(CoerceError(variable, "an integer"));
      }
      return Value(v);
    }
    case ValueType::kDouble: {
      double v = 0;
      const char* begin = text.data();
      const char* end = text.data() + text.size();
      if (!text.empty() && text[0] == '+') ++begin;
      auto [p, ec] = std::from_chars(begin, end, v);
      if (text.empty() || ec != std::errc() || p != end || !std::isfinite(v)) {
        return std::unexpected(CoerceError(variable, "a number"));
      }
      return Value(v);
    }
    case ValueType::kBool: {
      const std::string t = Lower(text);
      if (t == "true" || t == "1" || t == "yes" || t == "on") return Value(true);
      if (t == "false" || t == "0" || t == "no" || t == "off") return Value(false);
      return std::unexpected(CoerceError(variable, "a boolean (true/false, 1/0, yes/no, on/off)"));
    }
    case ValueType::kList:
    case ValueType::kMap: {
      auto v = ParseJsonText(variable, text);
      const bool want_list = *expected == ValueType::kList;
      if (!v || (want_list ? !v->is_list() : !v->is_map())) {
        return std::unexpected(
            CoerceError(variable, want_list ? "a JSON array such as [\"a\",\"b\"]"
                                            : "a JSON object such as {\"k\":\"v\"}"));
      }
      return std::move(*v);
    }
    case ValueType::kNull:
    case ValueType::kBytes:
      return Value(std::string(text));
  }
  return Value(std::string(text));
}

Result<std::vector<EnvAssignment>> ResolveEnvironment(const std::vector<EnvVar>& vars,
                                                      const EnvOptions& options) {
  if (options.prefix.empty()) {
    return InvalidArgumentError("environment: a non-empty prefix is required (--env-prefix)");
  }
  std::vector<EnvAssignment> out;
  std::vector<const EnvVar*> selected;
  for (const EnvVar& v : vars) {
    if (v.name.size() > options.prefix.size() && v.name.starts_with(options.prefix)) {
      selected.push_back(&v);
    }
  }
  // Sorted by name, so that the result does not depend on environ's order.
  std::sort(selected.begin(), selected.end(),
            [](const EnvVar* a, const EnvVar* b) { return a->name < b->name; });
  for (const EnvVar* var : selected) {
    std::string_view rest = std::string_view(var->name).substr(options.prefix.size());
    Path path;
    const Value* base = options.base;
    bool bad = false;
    while (!rest.empty() || path.empty()) {
      const std::size_t sep = rest.find("__");
      std::string_view seg = rest.substr(0, sep);
      if (seg.empty()) {
        bad = true;
        break;
      }
      // Prefer the spelling of an existing key; digits address a list element.
      std::optional<PathSegment> chosen;
      if (base != nullptr && base->is_list() && AllDigits(seg)) {
        std::size_t idx = 0;
        std::from_chars(seg.data(), seg.data() + seg.size(), idx);
        chosen = PathSegment::Index(idx);
      } else if (base != nullptr && base->is_map()) {
        for (const MapEntry& e : base->AsMap()) {
          if (EqualsIgnoreCase(e.key, seg)) {
            chosen = PathSegment::Key(e.key);
            break;
          }
        }
      }
      if (!chosen) chosen = PathSegment::Key(Lower(seg));
      base = base != nullptr ? Find(*base, Path({*chosen})) : nullptr;
      path.Push(std::move(*chosen));
      if (sep == std::string_view::npos) break;
      rest = rest.substr(sep + 2);
      if (rest.empty()) bad = true;
    }
    if (bad) {
      return InvalidArgumentError(fmt::format(
          "environment variable {}: empty path segment (use single words joined by __)", var->name));
    }
    std::optional<ValueType> expected;
    if (options.schema != nullptr) expected = options.schema->ExpectedTypeAt(path);
    if (!expected && base != nullptr && !base->is_null()) expected = base->type();
    BULWARK_ASSIGN_OR_RETURN(Value value, CoerceEnvValue(var->name, var->value, expected));
    out.push_back({var->name, std::move(path), std::move(value)});
  }
  return out;
}

Result<Document> ApplyEnvironment(Document doc, const std::vector<EnvVar>& vars,
                                  const EnvOptions& options) {
  EnvOptions opts = options;
  opts.base = &doc.root;
  BULWARK_ASSIGN_OR_RETURN(std::vector<EnvAssignment> assignments, ResolveEnvironment(vars, opts));
  if (!doc.root.is_map() && !doc.root.is_list()) doc.root = Value::EmptyMap();
  for (EnvAssignment& a : assignments) {
    // The new nodes replace the old ones (and their locations).
    if (auto s = Set(doc.root, a.path, std::move(a.value)); !s) {
      return std::unexpected(s.error().WithContext(fmt::format("environment variable {}", a.variable)));
    }
    TagSubtree(*Find(doc.root, a.path), doc.locations.Add(fmt::format("env:{}", a.variable), 0, 0));
  }
  return doc;
}

}  // namespace bulwark::config
