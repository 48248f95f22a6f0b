// The `monitor:` section of <home>/config.yaml (docs/monitor.md "Configuration"): rule files,
// disabled built-ins, settings, cool-down, history, bounds, anomaly detectors and channels.
//
// Errors are kInvalidArgument naming the file, line, column and field
// ("config.yaml:12:15: monitor.channels[0].port: expected an integer in [1, 65535]"). Secrets
// (webhook HMAC keys) are only named (secret_env / secret_file), never written in the file.
//
// Thread safety: values and pure functions.
#ifndef BULWARK_MONITOR_MONITOR_CONFIG_H_
#define BULWARK_MONITOR_MONITOR_CONFIG_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "bulwark/config/document.h"
#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"
#include "bulwark/monitor/alert_rule.h"
#include "bulwark/monitor/anomaly.h"
#include "bulwark/monitor/channel.h"
#include "bulwark/monitor/evaluator.h"

namespace bulwark::monitor {

struct MonitorConfig {
  std::vector<std::filesystem::path> rule_files;  // resolved against the home
  std::vector<std::string> disable;               // rule ids and "anomaly.<detector>"
  RuleSettings settings;
  std::chrono::seconds cooldown{600};
  std::uint64_t history = 100000;
  std::size_t max_groups = 10000;
  AnomalyOptions anomalies;
  std::vector<std::string> anomaly_channels;
  std::chrono::seconds anomaly_cooldown{3600};
  std::vector<ChannelConfig> channels;
};

// Parses `monitor` of a loaded document (absent: the defaults, no channels).
Result<MonitorConfig> ParseMonitorConfig(const config::Document& doc,
                                         const std::filesystem::path& base_dir);
// Loads `file` (YAML); a missing file gives the defaults.
Result<MonitorConfig> LoadMonitorConfig(FileSystem& fs, const std::filesystem::path& file);

// The rules in effect: the built-ins not disabled, each replaced by a rule of the same id from a
// file, then the files' other rules (a rule file's own duplicates are errors). kInvalidArgument
// when a rule names a channel that is not configured, or `disable` names nothing known.
Result<std::vector<AlertRule>> EffectiveRules(const MonitorConfig& config, const FileSystem& fs);

// The evaluator's options for `config` (rules as EffectiveRules).
Result<EvaluatorOptions> EvaluatorOptionsFor(const MonitorConfig& config, const FileSystem& fs);

}  // namespace bulwark::monitor

#endif  // BULWARK_MONITOR_MONITOR_CONFIG_H_
