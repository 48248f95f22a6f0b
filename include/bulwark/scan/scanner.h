// The Scanner interface: anything that turns a target into findings (docs/scan.md section 1).
//
// Built in: SecretScanner (secret_scanner.h); the settings, version and plugin scanners follow the
// same contract. A Scanner reports problems with one target (unreadable, unparsable, a failing
// plugin) as an error value; the caller records it and goes on with the other targets.
//
// Thread safety: Scan may be called concurrently from several threads on one Scanner.
#ifndef BULWARK_SCAN_SCANNER_H_
#define BULWARK_SCAN_SCANNER_H_

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/core/error.h"
#include "bulwark/scan/finding.h"

namespace bulwark::scan {

// One thing to scan. A file is read from `path` (in chunks, see byte_source.h); the other kinds
// carry their bytes in `content`.
struct Target {
  enum class Kind { kFile, kEnvironment, kNamespace };
  Kind kind = Kind::kFile;
  std::string name;  // what findings name: the path as given, "env:NAME", "ns:NAME@VERSION"
  std::filesystem::path path;  // kFile
  std::string content;         // kEnvironment, kNamespace (a JSON document, ENC tokens in place)
  std::string format;          // "yaml", "json", "toml", "dotenv", "ini", or "" if unknown
};

class Scanner {
 public:
  virtual ~Scanner() = default;
  // A short stable name ("secrets", "settings", "versions", "plugin:NAME").
  virtual std::string_view name() const = 0;
  // Appends the findings for `target` to `out`. Errors: kNotFound / kInvalidArgument /
  // kUnavailable for a target that cannot be read, as the byte source reports them; scanners
  // that parse return kInvalidArgument for input they cannot parse.
  virtual Status Scan(const Target& target, std::vector<Finding>& out) const = 0;
};

}  // namespace bulwark::scan

#endif  // BULWARK_SCAN_SCANNER_H_
