#include "cli/lifecycle_print.h"

#include <fmt/format.h>

#include <string>

namespace bulwark::cli {
namespace {

using json = nlohmann::ordered_json;

std::string Str(const json& j, const char* key, const char* otherwise = "") {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string(otherwise);
}

std::string Version(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? std::to_string(it->get<std::int64_t>()) : "?";
}

}  // namespace

void PrintRotation(std::ostream& out, const json& r) {
  const std::string state = Str(r, "state");
  std::string line = fmt::format("{} {}: rotation {}{} ", Str(r, "namespace"), Str(r, "path"), Str(r, "rotation_id"),
                                 r.value("resumed", false) ? " (resumed)" : "");
  if (state == "done") {
    line += fmt::format("done: version {} is current, the previous value is retired", Version(r, "new_version"));
  } else if (state == "in_grace") {
    line += fmt::format("in grace: version {} is current; the previous value is served until {} "
                        "(then bulwark rotate due revokes it)",
                        Version(r, "new_version"), Str(r, "grace_until", "?"));
  } else {
    line += fmt::format("{}: {}", state == "rolled_back" ? "ROLLED BACK" : state, Str(r, "error"));
  }
  out << line << "\n";
}

void PrintDueItems(std::ostream& out, const json& items) {
  for (const auto& i : items) {
    const std::string detail = Str(i, "detail");
    out << fmt::format("{:<8} {:<12} {} {}{}\n", Str(i, "action"), Str(i, "outcome"), Str(i, "namespace"),
                       Str(i, "path"), detail.empty() ? "" : ": " + detail);
  }
  if (items.empty()) out << "nothing due\n";
}

bool PrintDueSecrets(std::ostream& out, const json& secrets, std::string_view within) {
  bool problems = false;
  for (const json& x : secrets) {
    const std::string status = Str(x, "status");
    problems = problems || status == "overdue" || status == "expired" || status == "failed";
    out << fmt::format("{:<9} {:<20} {} {}\n", status, Str(x, "when", "-"), Str(x, "namespace"),
                       Str(x, "path"));
  }
  if (secrets.empty()) out << fmt::format("nothing due, expiring or overdue within {}\n", within);
  return problems;
}

}  // namespace bulwark::cli
