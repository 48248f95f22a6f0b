#include "cli/change_print.h"

#include <fmt/format.h>

#include "bulwark/config/format.h"

namespace bulwark::cli {
namespace {

using json = nlohmann::ordered_json;

std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::int64_t Int(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<std::int64_t>() : 0;
}

std::size_t Count(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_array() ? it->size() : 0;
}

std::string Join(const json& j, const char* key, std::string_view sep = ", ") {
  std::string out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const auto& s : *it) {
    if (!out.empty()) out += sep;
    out += s.is_string() ? s.get<std::string>() : s.dump();
  }
  return out;
}

// As the values of `bulwark set` print: compact JSON through the config emitter, so that a value
// reads the same whether it came from the service or from the server's JSON.
std::string ValueText(const json& v) {
  auto doc = config::ParseDocument(v.dump(), config::Format::kJson, {.track_locations = false});
  if (!doc) return "?";
  auto text = config::EmitDocument(doc->root, config::Format::kJson, {.indent = 0});
  if (!text) return "?";
  while (!text->empty() && (text->back() == '\n' || text->back() == ' ')) text->pop_back();
  return *text;
}

}  // namespace

std::string ChangeStateLine(const json& v) {
  std::string s = Str(v, "state");
  if (s == "open" && !Str(v, "missing").empty()) s += " (needs " + Str(v, "missing") + ")";
  if (s == "stale") {
    s += fmt::format(" (base {} < latest {}: rebase)", Int(v, "base_version"), Int(v, "latest_version"));
  }
  if (auto r = v.find("review"); r != v.end() && r->is_object()) {
    s += r->value("closed", false)    ? ", review closed"
         : r->value("overdue", false) ? ", review OVERDUE"
                                      : fmt::format(", review open ({}/{})", Count(*r, "reviews"), Int(*r, "required"));
  }
  return s;
}

void PrintChangeView(std::ostream& out, const json& v) {
  static const json kEmpty = json::object();
  const json& impact = v.contains("impact") && v["impact"].is_object() ? v["impact"] : kEmpty;
  out << fmt::format("change {}{} on {}: {}\n", Str(v, "id"), Str(v, "kind") == "emergency" ? " (emergency)" : "",
                     Str(v, "namespace"), ChangeStateLine(v));
  out << fmt::format("  requested by {} at {}; expires {}\n", Str(v, "requester"), Str(v, "created_at"),
                     Str(v, "expires_at"));
  out << fmt::format("  justification: {}\n", Str(v, "justification"));
  if (!Str(v, "rollback_plan").empty()) out << fmt::format("  rollback plan: {}\n", Str(v, "rollback_plan"));
  if (Count(v, "tags") > 0) out << fmt::format("  tags: {}\n", Join(v, "tags"));
  out << fmt::format("  base version {}, change {}\n", Int(v, "base_version"), Str(v, "change_hash").substr(0, 16));
  const std::int64_t required = Int(v, "approvals_required");
  out << fmt::format("  policy: {} ({} approval{} required, {} counting)\n",
                     Str(v, "policy").empty() ? "(none)" : Str(v, "policy"), required, required == 1 ? "" : "s",
                     Int(v, "approvals_counting"));
  out << fmt::format("  impact: {}{}\n", Str(impact, "level"),
                     Count(impact, "reasons") == 0 ? "" : " (" + Join(impact, "reasons") + ")");
  out << fmt::format("  paths: {}\n", Count(impact, "paths") == 0 ? "(none)" : Join(impact, "paths"));
  if (Count(impact, "sensitive_paths") > 0) {
    out << fmt::format("  sensitive paths: {}\n", Join(impact, "sensitive_paths"));
  }
  const std::size_t before = Count(impact, "compliance_before"), after = Count(impact, "compliance_after");
  if (before > 0 || after > 0) {
    out << fmt::format("  compliance failing before: {}; after: {}\n",
                       before == 0 ? "none" : Join(impact, "compliance_before"),
                       after == 0 ? "none" : Join(impact, "compliance_after"));
  }
  if (Count(impact, "blocking_rules") > 0) {
    out << fmt::format("  blocking critical rules: {}{}\n", Join(impact, "blocking_rules"),
                       Count(impact, "unoverridden") == 0 ? " (overridden)" : "");
  }
  for (const auto& a : v.value("approvals", json::array())) {
    out << fmt::format("  approved by {} at {}{}{}{}\n", Str(a, "by"), Str(a, "at"),
                       a.value("current", true) ? "" : " (for an earlier base or change-set)",
                       Count(a, "overrides") == 0 ? "" : ", overriding " + Join(a, "overrides"),
                       Str(a, "comment").empty() ? "" : ": " + Str(a, "comment"));
  }
  for (const auto& n : v.value("rejections", json::array())) {
    out << fmt::format("  rejected by {} at {}: {}\n", Str(n, "by"), Str(n, "at"), Str(n, "comment"));
  }
  for (const auto& n : v.value("comments", json::array())) {
    out << fmt::format("  comment by {} at {}: {}\n", Str(n, "by"), Str(n, "at"), Str(n, "comment"));
  }
  if (auto a = v.find("applied"); a != v.end() && a->is_object()) {
    out << fmt::format("  applied by {} as version {}\n", Str(*a, "by"), Int(*a, "version"));
  }
  if (auto r = v.find("review"); r != v.end() && r->is_object()) {
    out << fmt::format("  follow-up review: {}/{} by {}\n", Count(*r, "reviews"), Int(*r, "required"),
                       Str(*r, "deadline"));
    for (const auto& n : r->value("reviews", json::array())) {
      out << fmt::format("    reviewed by {} at {}{}\n", Str(n, "by"), Str(n, "at"),
                         Str(n, "comment").empty() ? "" : ": " + Str(n, "comment"));
    }
  }
}

void PrintChangeList(std::ostream& out, const json& views) {
  for (const auto& v : views) {
    out << fmt::format("{}  {}  {}  {}  {}\n", Str(v, "id"), Str(v, "namespace"), ChangeStateLine(v),
                       Str(v, "requester"), Str(v, "justification").substr(0, 60));
  }
  if (views.empty()) out << "no change requests\n";
}

void PrintChangeDiff(std::ostream& out, const json& lines) {
  for (const auto& l : lines) {
    const std::string kind = Str(l, "kind"), path = Str(l, "path");
    const bool sensitive = l.value("sensitive", true);
    const json none;
    const json& old_value = l.contains("old") ? l["old"] : none;
    const json& new_value = l.contains("new") ? l["new"] : none;
    if (kind == "added") {
      out << fmt::format("+ {}{}\n", path, sensitive ? " (sensitive)" : " = " + ValueText(new_value));
    } else if (kind == "removed") {
      out << fmt::format("- {}{}\n", path, sensitive ? " (sensitive)" : " (was " + ValueText(old_value) + ")");
    } else {
      out << fmt::format("~ {}{}\n", path,
                         sensitive ? " (sensitive)" : ": " + ValueText(old_value) + " -> " + ValueText(new_value));
    }
  }
  out << fmt::format("{} difference{}\n", lines.size(), lines.size() == 1 ? "" : "s");
}

}  // namespace bulwark::cli
