// The plaintext-secret detector: one Hyperscan pass over the bytes, RE2 confirmation in windows
// around each hit, filters for placeholders, references, ENC tokens, entropy and allowlists, and
// decoding of base64, hex and percent-encoded values (docs/scan.md section 1.1).
//
// Memory is bounded by `chunk_size` whatever the size of the target or of its lines; matches
// longer than `overlap` may be cut (no built-in rule comes close).
//
// Thread safety: Scan and ScanBytes may be called concurrently (Hyperscan scratch space is taken
// from an internal pool).
#ifndef BULWARK_SCAN_SECRET_SCANNER_H_
#define BULWARK_SCAN_SECRET_SCANNER_H_

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/core/error.h"
#include "bulwark/scan/byte_source.h"
#include "bulwark/scan/rule.h"
#include "bulwark/scan/scanner.h"

namespace bulwark::scan {

struct SecretScanOptions {
  std::size_t chunk_size = std::size_t{8} << 20;
  std::size_t overlap = std::size_t{64} << 10;  // must be < chunk_size / 2
  bool decode = true;  // base64 / hex / percent decoding of values assigned to secret-like keys
  // Also decode every base64/hex/percent-looking run anywhere (slower: Hyperscan then tracks
  // patterns without literals; see docs/scan.md section 1.1).
  bool decode_everywhere = false;
  bool inline_ignores = true;                   // bulwark:allow, gitleaks:allow
  // Where compiled Hyperscan databases are kept between runs (keyed by a hash of the Hyperscan
  // version and every pattern); empty: no cache. A missing or unreadable cache is rebuilt.
  std::filesystem::path cache_dir;
};

class SecretScanner final : public Scanner {
 public:
  // Compiles `rules` into one Hyperscan database. kInvalidArgument for bad options;
  // kInternal if Hyperscan fails for a reason other than a pattern it cannot take (such rules
  // fall back to keywords or to RE2 over whole chunks, see slow_rules()).
  static Result<std::unique_ptr<SecretScanner>> Create(std::shared_ptr<const RuleSet> rules,
                                                       SecretScanOptions options = {});
  ~SecretScanner() override;

  std::string_view name() const override { return "secrets"; }
  Status Scan(const Target& target, std::vector<Finding>& out) const override;

  // Scans a byte source; findings name `target_name`. Errors are the source's.
  Status ScanSource(ByteSource& source, std::string_view target_name,
                    std::vector<Finding>& out) const;
  // Scans bytes in memory.
  std::vector<Finding> ScanBytes(std::string_view bytes, std::string_view target_name) const;

  const RuleSet& rules() const;
  // Ids of rules Hyperscan could not prefilter: matched by keywords, or (without keywords) by
  // RE2 over every chunk.
  std::vector<std::string> keyword_rules() const;
  std::vector<std::string> slow_rules() const;

  class Impl;

 private:
  explicit SecretScanner(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bulwark::scan

#endif  // BULWARK_SCAN_SECRET_SCANNER_H_
