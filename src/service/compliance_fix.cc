#include "bulwark/service/compliance_fix.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

namespace bulwark::service {
using compliance::Finding;
using compliance::FixOp;
using compliance::Report;
using compliance::ResolvedFix;
namespace {

using secfile::FileFormat;
using secfile::QuoteStyle;
using secfile::ValueSpan;

bool IsYamlSpecial(std::string_view s) {
  static constexpr std::string_view kWords[] = {
      "true",  "false", "yes",  "no", "on",  "off", "null", "y",  "n",  "True", "False", "TRUE",
      "FALSE", "Null",  "NULL", "~",  "Yes", "No",  "YES",  "NO", "On", "Off",  "ON",    "OFF"};
  for (std::string_view w : kWords) {
    if (s == w) return true;
  }
  // Anything that starts like a number could be read as one.
  return !s.empty() && ((s[0] >= '0' && s[0] <= '9') || s[0] == '-' || s[0] == '+' || s[0] == '.');
}

bool IsSafePlain(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.' || c == '/';
    if (!ok) return false;
  }
  return true;
}

std::string JsonQuote(std::string_view s) {
  return nlohmann::json(std::string(s))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The replacement bytes for `value` at `span`, and the text a re-scan must then report.
Result<std::pair<std::string, std::string>> RenderScalar(const config::Value& value,
                                                         const ValueSpan& span, FileFormat format) {
  std::string literal;
  switch (value.type()) {
    case config::ValueType::kBool:
      literal = value.AsBool() ? "true" : "false";
      break;
    case config::ValueType::kInt:
      literal = fmt::format("{}", value.AsInt());
      break;
    case config::ValueType::kDouble:
      literal = fmt::format("{}", value.AsDouble());
      if (literal.find_first_of(".eEn") == std::string::npos) literal += ".0";
      break;
    case config::ValueType::kNull:
      if (format == FileFormat::kToml) return InvalidArgumentError("TOML has no null");
      literal = "null";
      break;
    case config::ValueType::kString:
      break;
    default:
      return InvalidArgumentError("the fix value is not a scalar");
  }
  const bool lines = format == FileFormat::kDotenv || format == FileFormat::kIni;
  if (!value.is_string()) {
    if (span.needs_quotes && lines) return std::make_pair(JsonQuote(literal), literal);
    return std::make_pair(literal, literal);
  }
  const std::string& s = value.AsString();
  if (format == FileFormat::kJson || format == FileFormat::kToml || span.needs_quotes) {
    if (format == FileFormat::kToml && span.quote == QuoteStyle::kSingle &&
        s.find_first_of("'\n\r") == std::string::npos) {
      return std::make_pair("'" + s + "'", s);
    }
    return std::make_pair(JsonQuote(s), s);
  }
  if (lines) {
    if (span.quote == QuoteStyle::kPlain && IsSafePlain(s)) return std::make_pair(s, s);
    return std::make_pair(JsonQuote(s), s);
  }
  // YAML.
  if (span.quote == QuoteStyle::kSingle && s.find_first_of("\n\r") == std::string::npos) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
    return std::make_pair(out + "'", s);
  }
  if (span.quote == QuoteStyle::kPlain && IsSafePlain(s) && !IsYamlSpecial(s)) {
    return std::make_pair(s, s);
  }
  return std::make_pair(JsonQuote(s), s);
}

}  // namespace

Result<FixResult> ApplyFixes(std::string_view text, secfile::FileFormat format,
                             const Report& report, std::string source_name) {
  FixResult result;
  result.text = std::string(text);
  std::vector<const Finding*> fixes;
  for (const Finding& f : report.findings) {
    if (f.fix) fixes.push_back(&f);
  }
  if (fixes.empty()) return result;

  secfile::ScanOptions scan_options;
  scan_options.source_name = source_name;
  BULWARK_ASSIGN_OR_RETURN(std::vector<ValueSpan> spans,
                           secfile::ScanValues(text, format, scan_options));
  std::map<config::Path, const ValueSpan*> by_path;
  for (const ValueSpan& s : spans) by_path.emplace(s.path, &s);

  struct Edit {
    const ValueSpan* span;
    std::string bytes;
    std::string expect;
    config::Value value;
  };
  std::map<config::Path, Edit> edits;
  for (const Finding* f : fixes) {
    const ResolvedFix& fix = *f->fix;
    const std::string& id = report.RuleOf(*f).id;
    const std::string path = fix.path.ToString();
    if (fix.op != FixOp::kReplace) {
      result.skipped.push_back(
          {id, path, fmt::format("op '{}' needs a manual change", FixOpName(fix.op))});
      continue;
    }
    auto it = by_path.find(fix.path);
    if (it == by_path.end()) {
      result.skipped.push_back({id, path, "the value is not written in this file"});
      continue;
    }
    if (auto e = edits.find(fix.path); e != edits.end()) {
      if (e->second.value == *fix.value) continue;  // two rules, same fix
      result.skipped.push_back({id, path, "another rule fixes this path to a different value"});
      continue;
    }
    auto rendered = RenderScalar(*fix.value, *it->second, format);
    if (!rendered) {
      result.skipped.push_back({id, path, rendered.error().message()});
      continue;
    }
    edits.emplace(fix.path, Edit{it->second, std::move(rendered->first),
                                 std::move(rendered->second), *fix.value});
    result.applied.push_back({id, path});
  }
  if (edits.empty()) return result;

  std::vector<const Edit*> ordered;
  for (const auto& [p, e] : edits) ordered.push_back(&e);
  std::sort(ordered.begin(), ordered.end(),
            [](const Edit* a, const Edit* b) { return a->span->begin > b->span->begin; });
  for (const Edit* e : ordered) {
    result.text.replace(e->span->begin, e->span->end - e->span->begin, e->bytes);
  }

  // Read back: every edited path must now hold the new text.
  auto rescanned = secfile::ScanValues(result.text, format, scan_options);
  if (!rescanned) {
    return InvalidArgumentError("apply fixes to " + source_name +
                                ": the edited file does not parse: " + rescanned.error().message());
  }
  std::map<config::Path, const ValueSpan*> after;
  for (const ValueSpan& s : *rescanned) after.emplace(s.path, &s);
  for (const auto& [p, e] : edits) {
    auto it = after.find(p);
    if (it == after.end() || it->second->text != e.expect) {
      return InvalidArgumentError("apply fixes to " + source_name + ": " + p.ToString() +
                                  " does not read back as the fixed value");
    }
  }
  return result;
}

}  // namespace bulwark::service
