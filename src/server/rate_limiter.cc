#include "bulwark/server/rate_limiter.h"

#include <algorithm>

namespace bulwark::server {

RateLimiter::RateLimiter(double per_second, double burst)
    : per_second_(per_second), burst_(std::max(burst, per_second > 0 ? 1.0 : 0.0)) {}

RateLimiter::Verdict RateLimiter::Allow(std::string_view principal, Clock::time_point now) {
  if (per_second_ <= 0) return {};
  std::lock_guard l(mu_);
  if (now - last_sweep_ > std::chrono::minutes(1)) {
    // Buckets idle for a minute are full again: forgetting them changes nothing.
    std::erase_if(buckets_, [&](const auto& kv) { return now - kv.second.last > std::chrono::minutes(1); });
    last_sweep_ = now;
  }
  auto [it, inserted] = buckets_.try_emplace(std::string(principal), Bucket{burst_, now});
  Bucket& b = it->second;
  if (!inserted) {
    const double elapsed = std::chrono::duration<double>(now - b.last).count();
    b.tokens = std::min(burst_, b.tokens + std::max(0.0, elapsed) * per_second_);
    b.last = now;
  }
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return {};
  }
  return {false, (1 - b.tokens) / per_second_};
}

}  // namespace bulwark::server
