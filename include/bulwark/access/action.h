// The actions an access policy speaks about.
//
// `read` is a redacted read and `reveal` a read of a sensitive value in clear: two decisions, so
// that a principal may see a document's shape without its secrets. The set is closed: a policy
// naming another action is invalid (docs/access.md).
#ifndef BULWARK_ACCESS_ACTION_H_
#define BULWARK_ACCESS_ACTION_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bulwark::access {

enum class Action : std::uint8_t {
  kRead,
  kReveal,
  kWrite,
  kDelete,
  kList,
  kRotate,
  kApprove,
  kAdmin,
  kAuditRead,
};
inline constexpr std::size_t kActionCount = 9;

// "read", "reveal", "write", "delete", "list", "rotate", "approve", "admin", "audit.read".
std::string_view ActionName(Action action);
// The action of that name; nullopt for anything else (names are case-sensitive).
std::optional<Action> ParseAction(std::string_view name);

// A set of actions (one bit per action).
class ActionSet {
 public:
  constexpr ActionSet() = default;
  static constexpr ActionSet All() { return ActionSet((1u << kActionCount) - 1); }
  static constexpr ActionSet Of(Action a) { return ActionSet(1u << static_cast<unsigned>(a)); }

  constexpr bool Contains(Action a) const { return (bits_ >> static_cast<unsigned>(a)) & 1u; }
  constexpr void Add(Action a) { bits_ |= 1u << static_cast<unsigned>(a); }
  constexpr ActionSet operator|(ActionSet o) const { return ActionSet(bits_ | o.bits_); }
  constexpr ActionSet operator&(ActionSet o) const { return ActionSet(bits_ & o.bits_); }
  constexpr bool empty() const { return bits_ == 0; }
  constexpr bool is_all() const { return bits_ == All().bits_; }
  // Every action of `o` is in this set.
  constexpr bool Covers(ActionSet o) const { return (o.bits_ & ~bits_) == 0; }
  constexpr std::uint16_t bits() const { return bits_; }
  friend constexpr bool operator==(ActionSet, ActionSet) = default;

  // "*" for every action, else the names joined by ", " in enum order.
  std::string ToString() const;

 private:
  constexpr explicit ActionSet(std::uint16_t bits) : bits_(bits) {}
  std::uint16_t bits_ = 0;
};

}  // namespace bulwark::access

#endif  // BULWARK_ACCESS_ACTION_H_
