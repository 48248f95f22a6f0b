#include "bulwark/request/action.h"

#include <array>

#include "bulwark/request/audit_record.h"

namespace bulwark::request {
namespace {

constexpr std::array<std::string_view, kActionCount> kActionNames = {
    "read", "reveal", "write", "delete", "list", "rotate", "approve", "admin", "audit.read"};

constexpr std::array<std::string_view, 7> kResourceKindNames = {
    "namespace", "file", "key", "keyring", "audit", "policy", "change_request"};

// The enum value whose name is `name` in `names` (indexed by value).
template <typename Enum, std::size_t N>
std::optional<Enum> ParseName(const std::array<std::string_view, N>& names, std::string_view name) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == name) return static_cast<Enum>(i);
  }
  return std::nullopt;
}

}  // namespace

std::string_view ActionName(Action action) {
  const auto i = static_cast<std::size_t>(action);
  return i < kActionNames.size() ? kActionNames[i] : "unknown";
}

std::optional<Action> ParseAction(std::string_view name) {
  return ParseName<Action>(kActionNames, name);
}

std::string_view ResourceKindName(ResourceKind kind) {
  const auto i = static_cast<std::size_t>(kind);
  return i < kResourceKindNames.size() ? kResourceKindNames[i] : "unknown";
}

std::optional<ResourceKind> ParseResourceKind(std::string_view name) {
  return ParseName<ResourceKind>(kResourceKindNames, name);
}

std::string_view OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kSuccess: return "success";
    case Outcome::kDenied: return "denied";
    case Outcome::kFailure: return "failure";
  }
  return "unknown";
}

}  // namespace bulwark::request
