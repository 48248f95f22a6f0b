// Insecure settings in any configuration shape (docs/scan.md section 1.4): the target is parsed,
// flattened into its leaves and evaluated with compliance packs (the built-in `security` pack by
// default) whose rules run `foreach: config.leaves`. Findings point at the leaf's real path and
// file:line:column, and carry the rule's fix when it has one.
//
// Targets whose format is unknown (by Target::format or the file extension) or that do not parse
// produce no findings and no error: the secret scanner still reads their bytes.
//
// Thread safety: Scan may be called concurrently (the engine is immutable).
#ifndef BULWARK_SCAN_SETTINGS_SCANNER_H_
#define BULWARK_SCAN_SETTINGS_SCANNER_H_

#include <memory>
#include <string>
#include <vector>

#include "bulwark/compliance/engine.h"
#include "bulwark/config/document.h"
#include "bulwark/scan/scanner.h"

namespace bulwark::scan {

class SettingsScanner final : public Scanner {
 public:
  // `environment` is the rules' `env` ("production" enables the production-only rules).
  // kInvalidArgument when a pack does not compile.
  static Result<std::unique_ptr<SettingsScanner>> Create(
      std::vector<std::shared_ptr<const compliance::RulePack>> packs, std::string environment);
  // The built-in `security` pack.
  static Result<std::unique_ptr<SettingsScanner>> CreateBuiltin(std::string environment);

  std::string_view name() const override { return "settings"; }
  Status Scan(const Target& target, std::vector<Finding>& out) const override;
  // Scans a parsed document (e.g. a stored version) whose findings name `target_name`.
  void ScanDocument(const config::Document& doc, const std::string& target_name,
                    std::vector<Finding>& out) const;

 private:
  SettingsScanner(std::shared_ptr<const compliance::Engine> engine, std::string environment)
      : engine_(std::move(engine)), environment_(std::move(environment)) {}
  std::shared_ptr<const compliance::Engine> engine_;
  std::string environment_;
};

// The leaves view the settings rules read: {leaves: [{path, key, parent, pkey, kind, text}]}.
// `paths` receives each leaf's path, in the same order.
config::Value LeavesView(const config::Value& root, std::vector<std::string>& paths);

}  // namespace bulwark::scan

#endif  // BULWARK_SCAN_SETTINGS_SCANNER_H_
