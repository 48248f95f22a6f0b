// A token-bucket rate limit per principal: each principal may make `per_second` requests per
// second on average and `burst` at once. Buckets of principals idle for a minute are dropped, so
// memory follows the number of active principals.
//
// Thread safety: Allow may be called concurrently.
#ifndef BULWARK_SERVER_RATE_LIMITER_H_
#define BULWARK_SERVER_RATE_LIMITER_H_

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace bulwark::server {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  // per_second == 0 disables the limit (Allow always true).
  RateLimiter(double per_second, double burst);

  struct Verdict {
    bool allowed = true;
    double retry_after_seconds = 0;  // when refused: until one token is available
  };
  Verdict Allow(std::string_view principal, Clock::time_point now = Clock::now());

 private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point last;
  };
  double per_second_, burst_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
  Clock::time_point last_sweep_{};
};

}  // namespace bulwark::server

#endif  // BULWARK_SERVER_RATE_LIMITER_H_
