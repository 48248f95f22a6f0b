// A bounded table of per-group state with least-recently-used eviction: the memory bound shared
// by the windowed rules and the anomaly detectors (docs/monitor.md "Memory and throughput").
//
// Find-or-create and touch are O(1) (a hash lookup and a list splice); when a new group arrives
// at capacity, the least recently touched group is evicted first.
//
// Thread safety: none (one evaluator per thread).
#ifndef BULWARK_SRC_MONITOR_INTERNAL_GROUP_TABLE_H_
#define BULWARK_SRC_MONITOR_INTERNAL_GROUP_TABLE_H_

#include <cstddef>
#include <functional>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "bulwark/config/value.h"

namespace bulwark::monitor::internal {

template <typename State>
class GroupTable {
 public:
  explicit GroupTable(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  // The state of `key`, created with State{} (evicting the least recently used group first when
  // full; `on_evict` sees it) and marked most recently used.
  template <typename OnEvict>
  State& Touch(std::string_view key, OnEvict&& on_evict) {
    auto it = map_.find(key);
    if (it != map_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second.position);
      return it->second.state;
    }
    if (map_.size() >= capacity_) {
      auto victim = map_.find(*lru_.back());
      on_evict(static_cast<const State&>(victim->second.state));
      map_.erase(victim);
      lru_.pop_back();
    }
    auto [inserted, ok] = map_.emplace(std::string(key), Entry{});
    lru_.push_front(&inserted->first);
    inserted->second.position = lru_.begin();
    return inserted->second.state;
  }
  State& Touch(std::string_view key) {
    return Touch(key, [](const State&) {});
  }

  // nullptr when absent; does not change the order.
  const State* Find(std::string_view key) const {
    auto it = map_.find(key);
    return it == map_.end() ? nullptr : &it->second.state;
  }

  std::size_t size() const { return map_.size(); }
  std::size_t capacity() const { return capacity_; }

 private:
  struct Entry {
    State state{};
    std::list<const std::string*>::iterator position;
  };
  std::size_t capacity_;
  std::unordered_map<std::string, Entry, config::StringHash, std::equal_to<>> map_;
  std::list<const std::string*> lru_;  // front: most recently touched; points at map_'s keys
};

}  // namespace bulwark::monitor::internal

#endif  // BULWARK_SRC_MONITOR_INTERNAL_GROUP_TABLE_H_
