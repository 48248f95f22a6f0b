#include "bulwark/access/action.h"

#include <array>

namespace bulwark::access {
namespace {

constexpr std::array<std::string_view, kActionCount> kNames = {
    "read", "reveal", "write", "delete", "list", "rotate", "approve", "admin", "audit.read"};

}  // namespace

std::string_view ActionName(Action action) {
  auto i = static_cast<std::size_t>(action);
  return i < kNames.size() ? kNames[i] : std::string_view("unknown");
}

std::optional<Action> ParseAction(std::string_view name) {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<Action>(i);
  }
  return std::nullopt;
}

std::string ActionSet::ToString() const {
  if (is_all()) return "*";
  std::string out;
  for (std::size_t i = 0; i < kActionCount; ++i) {
    if (!Contains(static_cast<Action>(i))) continue;
    if (!out.empty()) out += ", ";
    out += kNames[i];
  }
  return out;
}

}  // namespace bulwark::access
