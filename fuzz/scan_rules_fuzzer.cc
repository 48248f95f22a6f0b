// Fuzzes the scan rule loader: any input (Bulwark YAML, or gitleaks TOML when the first byte is
// odd) gives a rule set or an error (no crash, no hang), errors name the source, and an accepted
// rule set compiles into a scanner that scans a small document without crashing.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "bulwark/scan/rule.h"
#include "bulwark/scan/secret_scanner.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0 || size > 64 * 1024) return 0;
  const bool toml = (data[0] & 1) != 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string source = toml ? "fuzz.toml" : "fuzz.yaml";
  auto rules = bulwark::scan::RuleSet::Parse(text, source);
  if (!rules) {
    if (rules.error().message().find(source) == std::string::npos &&
        rules.error().message().find("scan rules") == std::string::npos) {
      std::abort();  // an error that names nothing
    }
    return 0;
  }
  if ((*rules)->rules().size() > 8) return 0;  // keep Hyperscan compiles short
  auto scanner = bulwark::scan::SecretScanner::Create(*rules);
  if (!scanner) return 0;
  auto findings = (*scanner)->ScanBytes("password: hunter2-Zx8f\ntoken: abc\n" + std::string(text.substr(0, 256)),
                                        "doc.yaml");
  for (const auto& f : findings) {
    if (f.rule.empty()) std::abort();
  }
  return 0;
}
