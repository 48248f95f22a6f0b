#include "bulwark/monitor/window.h"

#include <algorithm>
#include <vector>

#include "monitor/internal/group_table.h"

namespace bulwark::monitor {

struct WindowCounter::Impl {
  struct Group {
    std::vector<std::int64_t> times;  // ascending, at most threshold + 1
  };
  Impl(std::int64_t w, std::uint32_t t, std::size_t max) : window(w), threshold(t), table(max) {}
  std::int64_t window;
  std::uint32_t threshold;
  internal::GroupTable<Group> table;
  std::uint64_t evicted_live = 0;
  std::int64_t newest_seen = 0;  // over every group, to tell live evictions from stale ones
};

WindowCounter::WindowCounter(std::int64_t window_us, std::uint32_t threshold,
                             std::size_t max_groups)
    : impl_(std::make_unique<Impl>(window_us, threshold, max_groups)) {}
WindowCounter::~WindowCounter() = default;
WindowCounter::WindowCounter(WindowCounter&&) noexcept = default;
WindowCounter& WindowCounter::operator=(WindowCounter&&) noexcept = default;

std::optional<std::uint32_t> WindowCounter::Observe(std::string_view group, std::int64_t t) {
  Impl& m = *impl_;
  m.newest_seen = std::max(m.newest_seen, t);
  Impl::Group& g = m.table.Touch(group, [&m](const Impl::Group& victim) {
    if (!victim.times.empty() && victim.times.back() > m.newest_seen - m.window) ++m.evicted_live;
  });
  auto& times = g.times;
  const std::size_t keep = static_cast<std::size_t>(m.threshold) + 1;
  // Insert in time order (usually at the end).
  times.insert(std::upper_bound(times.begin(), times.end(), t), t);
  if (times.size() > keep) times.erase(times.begin());
  if (times.size() < keep) return std::nullopt;
  // The (threshold + 1)-th newest is times.front(); the window is (newest - window, newest].
  if (times.front() > times.back() - m.window) {
    times.clear();
    return static_cast<std::uint32_t>(keep);
  }
  return std::nullopt;
}

std::size_t WindowCounter::groups() const { return impl_->table.size(); }
std::uint64_t WindowCounter::evicted_live() const { return impl_->evicted_live; }

struct DistinctWindowCounter::Impl {
  struct Item {
    std::uint64_t id;
    std::int64_t time;
  };
  struct Group {
    std::vector<Item> items;  // distinct ids, at most threshold + 1
    std::int64_t newest = 0;
  };
  Impl(std::int64_t w, std::uint32_t t, std::size_t max) : window(w), threshold(t), table(max) {}
  std::int64_t window;
  std::uint32_t threshold;
  internal::GroupTable<Group> table;
  std::uint64_t evicted_live = 0;
  std::int64_t newest_seen = 0;
};

DistinctWindowCounter::DistinctWindowCounter(std::int64_t window_us, std::uint32_t threshold,
                                             std::size_t max_groups)
    : impl_(std::make_unique<Impl>(window_us, threshold, max_groups)) {}
DistinctWindowCounter::~DistinctWindowCounter() = default;
DistinctWindowCounter::DistinctWindowCounter(DistinctWindowCounter&&) noexcept = default;
DistinctWindowCounter& DistinctWindowCounter::operator=(DistinctWindowCounter&&) noexcept = default;

std::optional<std::uint32_t> DistinctWindowCounter::Observe(std::string_view group,
                                                            std::uint64_t item, std::int64_t t) {
  Impl& m = *impl_;
  m.newest_seen = std::max(m.newest_seen, t);
  Impl::Group& g = m.table.Touch(group, [&m](const Impl::Group& victim) {
    if (!victim.items.empty() && victim.newest > m.newest_seen - m.window) ++m.evicted_live;
  });
  g.newest = g.items.empty() ? t : std::max(g.newest, t);
  auto found = std::find_if(g.items.begin(), g.items.end(),
                            [item](const Impl::Item& i) { return i.id == item; });
  if (found != g.items.end()) {
    found->time = std::max(found->time, t);
  } else {
    g.items.push_back({item, t});
    const std::size_t keep = static_cast<std::size_t>(m.threshold) + 1;
    if (g.items.size() > keep) {
      // Drop the item seen longest ago: it is the first to leave the window.
      auto oldest = std::min_element(
          g.items.begin(), g.items.end(),
          [](const Impl::Item& a, const Impl::Item& b) { return a.time < b.time; });
      g.items.erase(oldest);
    }
  }
  std::uint32_t in_window = 0;
  for (const auto& i : g.items) {
    if (i.time > g.newest - m.window) ++in_window;
  }
  if (in_window > m.threshold) {
    g.items.clear();
    return in_window;
  }
  return std::nullopt;
}

std::size_t DistinctWindowCounter::groups() const { return impl_->table.size(); }
std::uint64_t DistinctWindowCounter::evicted_live() const { return impl_->evicted_live; }

}  // namespace bulwark::monitor
