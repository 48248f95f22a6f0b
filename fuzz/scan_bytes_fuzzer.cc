// Fuzzes the secret scanner with the built-in rules on arbitrary bytes, with a small chunk size so
// that chunk boundaries, overlaps and decoding are exercised: no crash, every finding lies inside
// the input, and no finding's redacted form or key contains the bytes it reports.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "bulwark/scan/rule.h"
#include "bulwark/scan/secret_scanner.h"

namespace {

const bulwark::scan::SecretScanner& Scanner() {
  static const std::unique_ptr<bulwark::scan::SecretScanner> scanner = [] {
    auto rules = bulwark::scan::RuleSet::Builtin();
    if (!rules) std::abort();
    bulwark::scan::SecretScanOptions opts;
    opts.chunk_size = 16 * 1024;
    opts.overlap = 2048;
    auto s = bulwark::scan::SecretScanner::Create(*rules, opts);
    if (!s) std::abort();
    return std::move(*s);
  }();
  return *scanner;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const auto& f : Scanner().ScanBytes(text, "fuzz.txt")) {
    if (f.offset + f.length > size || f.line == 0 || f.column == 0) std::abort();
    const std::string_view secret = text.substr(f.offset, f.length);
    if (f.decoded.empty() && secret.size() >= 8 &&
        f.redacted.find(secret) != std::string::npos) {
      std::abort();
    }
  }
  return 0;
}
