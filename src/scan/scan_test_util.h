// Test helpers: real-looking secrets built at run time (so the sources hold no literal token).
#ifndef BULWARK_SRC_SCAN_SCAN_TEST_UTIL_H_
#define BULWARK_SRC_SCAN_SCAN_TEST_UTIL_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace bulwark::scan::testutil {

inline constexpr std::string_view kAlnum =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
inline constexpr std::string_view kHexLower = "0123456789abcdef";
inline constexpr std::string_view kUpperBase32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

// `prefix` then `n` characters of `alphabet` drawn from a fixed generator seeded with `seed`.
inline std::string Tok(std::string_view prefix, std::string_view alphabet, std::size_t n,
                       std::uint64_t seed = 1) {
  std::string out(prefix);
  std::uint64_t x = seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
  for (std::size_t i = 0; i < n; ++i) {
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    out.push_back(alphabet[(x * 0x2545F4914F6CDD1Dull >> 33) % alphabet.size()]);
  }
  return out;
}

}  // namespace bulwark::scan::testutil

#endif  // BULWARK_SRC_SCAN_SCAN_TEST_UTIL_H_
