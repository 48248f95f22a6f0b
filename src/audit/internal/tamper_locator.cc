#include "audit/internal/tamper_locator.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <vector>

#include "audit/internal/range_hashes.h"

namespace bulwark::audit::internal {
namespace {

constexpr std::uint64_t kG = kCachedGroupSize;

// An edit an attacker may have made, undone: authentic position q is stored at Source(q).
struct Edit {
  enum class Kind { kNone, kInsert, kSwap, kMove } kind = Kind::kNone;
  std::uint64_t a = 0;  // kInsert: the inserted position; kSwap: the lower; kMove: stored at
  std::uint64_t b = 0;  // kSwap: the higher; kMove: belongs at

  std::uint64_t Source(std::uint64_t q) const {
    switch (kind) {
      case Kind::kNone:
        return q;
      case Kind::kInsert:
        return q < a ? q : q + 1;
      case Kind::kSwap:
        return q == a ? b : q == b ? a : q;
      case Kind::kMove:
        if (a < b) return q == b ? a : (q >= a && q < b) ? q + 1 : q;
        return q == b ? a : (q > b && q <= a) ? q - 1 : q;
    }
    return q;
  }
  std::uint64_t First() const { return kind == Kind::kMove ? std::min(a, b) : a; }

  std::string Explain(std::uint64_t size) const {
    switch (kind) {
      case Kind::kInsert:
        return fmt::format(
            "event {} was inserted: from index {} on the stored events are shifted by one against "
            "the checkpoint of size {}",
            a, a, size);
      case Kind::kSwap:
        return fmt::format(
            "events {} and {} were swapped (reordered or renumbered): exchanging them gives the "
            "signed tree of size {}",
            a, b, size);
      case Kind::kMove:
        return fmt::format(
            "the event stored at index {} was signed at index {} (moved or renumbered): from index "
            "{} on the order differs from the checkpoint of size {}",
            a, b, std::min(a, b), size);
      case Kind::kNone:
        break;
    }
    return "";
  }
};

class Tree {
 public:
  explicit Tree(const TamperQuery& q) : q_(q) {}

  std::optional<Hash> Leaf(std::uint64_t pos) const {
    if (pos < q_.first_leaf || pos - q_.first_leaf >= q_.leaves.size()) return std::nullopt;
    return q_.leaves[pos - q_.first_leaf];
  }

  // MTH of [lo, hi) of the authentic sequence under `edit`. Groups that end at or before
  // `window_lo` (no edit reaches them) come from the cache when `use_cache`, and every node that
  // ends there is memoized for the next edit.
  std::optional<Hash> Node(std::uint64_t lo, std::uint64_t hi, const Edit& edit, bool use_cache,
                           std::uint64_t window_lo) {
    const bool stable = hi <= window_lo;
    if (stable) {
      if (auto it = memo_.find({lo, hi}); it != memo_.end()) return it->second;
    }
    std::optional<Hash> out;
    if (lo < q_.first_leaf) out = q_.archived ? q_.archived(lo, hi) : std::nullopt;
    if (!out && use_cache && stable && hi - lo == kG && lo % kG == 0 && q_.cached_group) {
      out = q_.cached_group(lo / kG);
    }
    if (!out) {
      if (hi - lo == 1) {
        out = Leaf(edit.Source(lo));
      } else if (hi - lo > 1) {
        const std::uint64_t k = SplitPoint(hi - lo);
        auto l = Node(lo, lo + k, edit, use_cache, window_lo);
        auto r = l ? Node(lo + k, hi, edit, use_cache, window_lo) : std::nullopt;
        if (l && r) out = HashChildren(*l, *r);
      }
    }
    if (stable) memo_[{lo, hi}] = out;
    return out;
  }

  void ForgetMemo() { memo_.clear(); }

 private:
  const TamperQuery& q_;
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::optional<Hash>> memo_;
};

// The edits that keep every position below `lo` and touch one inside [lo, hi).
std::vector<Edit> EditsWithin(std::uint64_t lo, std::uint64_t hi) {
  std::vector<Edit> out;
  for (std::uint64_t p = lo; p < hi; ++p) out.push_back({Edit::Kind::kInsert, p, 0});
  for (std::uint64_t i = lo; i < hi; ++i) {
    for (std::uint64_t j = i + 1; j < hi; ++j) {
      out.push_back({Edit::Kind::kSwap, i, j});
      if (j > i + 1) {  // adjacent moves are swaps
        out.push_back({Edit::Kind::kMove, i, j});
        out.push_back({Edit::Kind::kMove, j, i});
      }
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Edit& x, const Edit& y) { return x.First() < y.First(); });
  return out;
}

TamperLocation Exact(const Edit& e, std::uint64_t size) {
  return {e.First(), e.First() + 1, true, e.Explain(size)};
}

}  // namespace

std::optional<TamperLocation> LocateTampering(const TamperQuery& q) {
  if (q.size == 0 || q.verified >= q.size) return std::nullopt;
  Tree tree(q);
  const Edit none;
  const std::uint64_t full_groups = q.size / kG;
  // 1. The cached groups, if they fold to the signed root, are the signed ones.
  if (q.cached_group && tree.Node(0, q.size, none, true, q.size) == q.root) {
    for (std::uint64_t g = q.verified / kG; g < full_groups; ++g) {
      const std::optional<Hash> signed_hash = q.cached_group(g);
      if (!signed_hash) continue;  // computed from the entries above, so they matched
      const std::uint64_t lo = g * kG;
      if (tree.Node(lo, lo + kG, none, false, 0) == signed_hash) continue;
      for (const Edit& e : EditsWithin(std::max(lo, q.verified), lo + kG)) {
        if (tree.Node(lo, lo + kG, e, false, 0) == signed_hash) return Exact(e, q.size);
      }
      const std::uint64_t first = std::max(lo, q.verified);
      return TamperLocation{
          first, lo + kG, false,
          fmt::format("an event in [{}, {}) was modified, inserted, deleted or reordered: those "
                      "events no longer hash to their subtree in the checkpoint of size {}",
                      first, lo + kG, q.size)};
    }
    return std::nullopt;
  }
  // 2. The entries after the last full group (or all of a short range), against the root.
  // First with the cached groups before the window, then (if the cache was rewritten too) with
  // the groups rebuilt from the entries.
  std::uint64_t window_lo = std::max(q.verified, full_groups * kG);
  if (q.size - q.verified <= 2 * kG) window_lo = q.verified;
  const std::vector<Edit> edits = EditsWithin(window_lo, q.size);
  for (bool use_cache : {true, false}) {
    if (use_cache && !q.cached_group) continue;
    tree.ForgetMemo();
    for (const Edit& e : edits) {
      if (tree.Node(0, q.size, e, use_cache, window_lo) == q.root) return Exact(e, q.size);
    }
  }
  return std::nullopt;
}

}  // namespace bulwark::audit::internal
