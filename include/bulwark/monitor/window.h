// Sliding-window threshold counters in bounded memory (docs/monitor.md "Rule files").
//
// WindowCounter answers, for each matching event of a group, "does this group now have more than
// `threshold` events in the window (newest - window, newest]", where `newest` is the latest time
// observed for the group (events may arrive slightly out of time order: they are placed by their
// time). When the answer is yes the group starts over from zero. It keeps, per group, only the
// `threshold + 1` newest times, which is exact for this question: the count exceeds the threshold
// iff the (threshold + 1)-th newest time lies inside the window.
//
// DistinctWindowCounter is the same over distinct items (e.g. secret paths): a group fires when
// more than `threshold` distinct items were seen within the window, an item counting at its
// latest time; it keeps the `threshold + 1` most recently seen items per group.
//
// Both keep at most `max_groups` groups, evicting the least recently observed one; evictions of
// groups that still had events inside their window are counted (`evicted_live`), since such an
// eviction can hide a count.
//
// Thread safety: none; one counter per evaluating thread.
#ifndef BULWARK_MONITOR_WINDOW_H_
#define BULWARK_MONITOR_WINDOW_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

namespace bulwark::monitor {

class WindowCounter {
 public:
  // window_us > 0; threshold <= 10000; max_groups >= 1.
  WindowCounter(std::int64_t window_us, std::uint32_t threshold, std::size_t max_groups);
  ~WindowCounter();
  WindowCounter(WindowCounter&&) noexcept;
  WindowCounter& operator=(WindowCounter&&) noexcept;

  // Records one event of `group` at `time_us`. Returns the count (threshold + 1) when the group
  // exceeded the threshold with it (the group is then reset), nullopt otherwise.
  std::optional<std::uint32_t> Observe(std::string_view group, std::int64_t time_us);

  std::size_t groups() const;
  std::uint64_t evicted_live() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class DistinctWindowCounter {
 public:
  DistinctWindowCounter(std::int64_t window_us, std::uint32_t threshold, std::size_t max_groups);
  ~DistinctWindowCounter();
  DistinctWindowCounter(DistinctWindowCounter&&) noexcept;
  DistinctWindowCounter& operator=(DistinctWindowCounter&&) noexcept;

  // Records `item` (any stable 64-bit identity, e.g. a hash of the path) for `group` at
  // `time_us`. Returns the number of distinct items in the window (threshold + 1) when it
  // exceeded the threshold (the group is then reset), nullopt otherwise.
  std::optional<std::uint32_t> Observe(std::string_view group, std::uint64_t item,
                                       std::int64_t time_us);

  std::size_t groups() const;
  std::uint64_t evicted_live() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bulwark::monitor

#endif  // BULWARK_MONITOR_WINDOW_H_
