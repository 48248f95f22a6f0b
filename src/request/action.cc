#include "bulwark/request/action.h"

#include <array>

#include "bulwark/request/audit_record.h"

namespace bulwark::request {
namespace {

constexpr std::array<std::string_view, kActionCount> kActionNames = {
    "read", "reveal", "write", "delete", "list", "rotate", "approve", "admin", "audit.read"};

constexpr std::array<std::string_view, 7> kResourceKindNames = {
    "namespace", "file", "key", "keyring", "audit", "policy", "change_request"};

}  // namespace

std::string_view ActionName(Action action) {
  const auto i = static_cast<std::size_t>(action);
  return i < kActionNames.size() ? kActionNames[i] : "unknown";
}

std::optional<Action> ParseAction(std::string_view name) {
  for (std::size_t i = 0; i < kActionNames.size(); ++i) {
    if (kActionNames[i] == name) return static_cast<Action>(i);
  }
  return std::nullopt;
}

std::string_view ResourceKindName(ResourceKind kind) {
  const auto i = static_cast<std::size_t>(kind);
  return i < kResourceKindNames.size() ? kResourceKindNames[i] : "unknown";
}

std::optional<ResourceKind> ParseResourceKind(std::string_view name) {
  for (std::size_t i = 0; i < kResourceKindNames.size(); ++i) {
    if (kResourceKindNames[i] == name) return static_cast<ResourceKind>(i);
  }
  return std::nullopt;
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
