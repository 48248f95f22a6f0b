#include "bulwark/monitor/monitor_config.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "bulwark/config/field_reader.h"
#include "bulwark/config/format.h"

namespace bulwark::monitor {
namespace {

namespace fs = std::filesystem;
using config::FieldReader;
using config::Path;
using config::Value;

constexpr std::chrono::seconds kDay{86400};

fs::path Resolve(const fs::path& base, const std::string& s) {
  fs::path p(s);
  return p.is_absolute() ? p : base / p;
}

bool ValidName(std::string_view n) {
  if (n.empty() || n.size() > 64) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
}

Result<Severity> SeverityField(const FieldReader& r, const Value& m, const Path& at,
                               Severity deflt) {
  BULWARK_ASSIGN_OR_RETURN(std::string s, r.String(m, at, "severity"));
  if (s.empty()) return deflt;
  auto sev = ParseSeverity(s);
  if (!sev) return std::unexpected(r.Bad(at.Key("severity"), sev.error().message()));
  return *sev;
}

Result<std::uint32_t> U32(const FieldReader& r, const Value& m, const Path& at, std::string_view k,
                          std::uint32_t deflt, std::int64_t lo, std::int64_t hi) {
  BULWARK_ASSIGN_OR_RETURN(std::int64_t v, r.Int(m, at, k, deflt, lo, hi));
  return static_cast<std::uint32_t>(v);
}

Status ParseAnomalies(const FieldReader& r, const Value& a, const Path& at, MonitorConfig& out) {
  BULWARK_RETURN_IF_ERROR(r.OnlyKnown(
      a, at, {"channels", "cooldown", "new_source", "unusual_hour", "rate_spike", "mass_read"}));
  BULWARK_ASSIGN_OR_RETURN(out.anomaly_channels, r.StringList(a, at, "channels"));
  BULWARK_ASSIGN_OR_RETURN(out.anomaly_cooldown,
                           r.Duration(a, at, "cooldown", out.anomaly_cooldown, {}, 30 * kDay));
  AnomalyOptions& o = out.anomalies;
  if (const Value* v = a.Get("new_source")) {
    const Path p = at.Key("new_source");
    BULWARK_RETURN_IF_ERROR(
        r.OnlyKnown(*v, p, {"enabled", "min_events", "max_addresses", "severity"}));
    BULWARK_ASSIGN_OR_RETURN(o.new_source.enabled, r.Bool(*v, p, "enabled", true));
    BULWARK_ASSIGN_OR_RETURN(o.new_source.min_events,
                             U32(r, *v, p, "min_events", o.new_source.min_events, 0, 1000000));
    BULWARK_ASSIGN_OR_RETURN(o.new_source.max_addresses,
                             U32(r, *v, p, "max_addresses", o.new_source.max_addresses, 1, 1024));
    BULWARK_ASSIGN_OR_RETURN(o.new_source.severity, SeverityField(r, *v, p, o.new_source.severity));
  }
  if (const Value* v = a.Get("unusual_hour")) {
    const Path p = at.Key("unusual_hour");
    BULWARK_RETURN_IF_ERROR(r.OnlyKnown(*v, p, {"enabled", "min_events", "max_share", "severity"}));
    BULWARK_ASSIGN_OR_RETURN(o.unusual_hour.enabled, r.Bool(*v, p, "enabled", true));
    BULWARK_ASSIGN_OR_RETURN(o.unusual_hour.min_events,
                             U32(r, *v, p, "min_events", o.unusual_hour.min_events, 1, 100000000));
    BULWARK_ASSIGN_OR_RETURN(o.unusual_hour.max_share,
                             r.Number(*v, p, "max_share", o.unusual_hour.max_share, 0, 1));
    BULWARK_ASSIGN_OR_RETURN(o.unusual_hour.severity,
                             SeverityField(r, *v, p, o.unusual_hour.severity));
  }
  if (const Value* v = a.Get("rate_spike")) {
    const Path p = at.Key("rate_spike");
    BULWARK_RETURN_IF_ERROR(r.OnlyKnown(
        *v, p, {"enabled", "bucket", "baseline", "min_baseline", "z", "min_count", "severity"}));
    BULWARK_ASSIGN_OR_RETURN(o.rate_spike.enabled, r.Bool(*v, p, "enabled", true));
    BULWARK_ASSIGN_OR_RETURN(o.rate_spike.bucket, r.Duration(*v, p, "bucket", o.rate_spike.bucket,
                                                             std::chrono::seconds(1), kDay));
    BULWARK_ASSIGN_OR_RETURN(o.rate_spike.baseline,
                             U32(r, *v, p, "baseline", o.rate_spike.baseline, 1, 10000));
    BULWARK_ASSIGN_OR_RETURN(o.rate_spike.min_baseline,
                             U32(r, *v, p, "min_baseline", o.rate_spike.min_baseline, 1, 10000));
    if (o.rate_spike.min_baseline > o.rate_spike.baseline) {
      return std::unexpected(r.Bad(p.Key("min_baseline"), "must not exceed baseline"));
    }
    BULWARK_ASSIGN_OR_RETURN(o.rate_spike.z, r.Number(*v, p, "z", o.rate_spike.z, 0, 1000));
    BULWARK_ASSIGN_OR_RETURN(o.rate_spike.min_count,
                             U32(r, *v, p, "min_count", o.rate_spike.min_count, 1, 100000000));
    BULWARK_ASSIGN_OR_RETURN(o.rate_spike.severity, SeverityField(r, *v, p, o.rate_spike.severity));
  }
  if (const Value* v = a.Get("mass_read")) {
    const Path p = at.Key("mass_read");
    BULWARK_RETURN_IF_ERROR(r.OnlyKnown(*v, p, {"enabled", "window", "threshold", "severity"}));
    BULWARK_ASSIGN_OR_RETURN(o.mass_read.enabled, r.Bool(*v, p, "enabled", true));
    BULWARK_ASSIGN_OR_RETURN(o.mass_read.window, r.Duration(*v, p, "window", o.mass_read.window,
                                                            std::chrono::seconds(1), 7 * kDay));
    BULWARK_ASSIGN_OR_RETURN(o.mass_read.threshold,
                             U32(r, *v, p, "threshold", o.mass_read.threshold, 1, 10000));
    BULWARK_ASSIGN_OR_RETURN(o.mass_read.severity, SeverityField(r, *v, p, o.mass_read.severity));
  }
  return OkStatus();
}

Result<ChannelConfig> ParseChannel(const FieldReader& r, const Value& v, const Path& at,
                                   const fs::path& base) {
  BULWARK_RETURN_IF_ERROR(
      r.OnlyKnown(v, at,
                  {"name", "type", "min_severity", "timeout_ms", "retries", "url", "secret_env",
                   "secret_file", "tls", "host", "port", "transport", "command", "path"}));
  ChannelConfig c;
  BULWARK_ASSIGN_OR_RETURN(c.name, r.String(v, at, "name", true));
  if (!ValidName(c.name))
    return std::unexpected(r.Bad(at.Key("name"), "expected [A-Za-z0-9_.-]{1,64}"));
  BULWARK_ASSIGN_OR_RETURN(std::string type, r.String(v, at, "type", true));
  auto only = [&](std::initializer_list<const char*> keys) -> Status {
    for (const char* k : keys) {
      if (v.Get(k) != nullptr) {
        return std::unexpected(r.Bad(at.Key(k), fmt::format("not a field of a {} channel", type)));
      }
    }
    return OkStatus();
  };
  if (type == "webhook") {
    c.type = ChannelType::kWebhook;
    BULWARK_RETURN_IF_ERROR(only({"host", "port", "transport", "command", "path"}));
    BULWARK_ASSIGN_OR_RETURN(c.url, r.String(v, at, "url", true));
    if (!c.url.starts_with("http://") && !c.url.starts_with("https://")) {
      return std::unexpected(r.Bad(at.Key("url"), "expected an http:// or https:// URL"));
    }
    if (c.url.substr(0, c.url.find('/', 8)).find('@') != std::string::npos) {
      return std::unexpected(r.Bad(at.Key("url"), "credentials in the URL are refused"));
    }
    BULWARK_ASSIGN_OR_RETURN(c.secret_env, r.String(v, at, "secret_env"));
    BULWARK_ASSIGN_OR_RETURN(std::string sf, r.String(v, at, "secret_file"));
    if (!sf.empty()) c.secret_file = Resolve(base, sf).string();
    if (!c.secret_env.empty() && !c.secret_file.empty()) {
      return std::unexpected(r.Bad(at.Key("secret_file"), "secret_env or secret_file, not both"));
    }
    BULWARK_ASSIGN_OR_RETURN(c.tls, auditship::ParseTlsConfig(r, v, at, base));
  } else if (type == "syslog") {
    c.type = ChannelType::kSyslog;
    BULWARK_RETURN_IF_ERROR(only({"url", "secret_env", "secret_file", "command", "path"}));
    BULWARK_ASSIGN_OR_RETURN(c.host, r.String(v, at, "host", true));
    if (v.Get("port") == nullptr) return std::unexpected(r.Bad(at.Key("port"), "required"));
    BULWARK_ASSIGN_OR_RETURN(std::int64_t port, r.Int(v, at, "port", 0, 1, 65535));
    c.port = static_cast<std::uint16_t>(port);
    BULWARK_ASSIGN_OR_RETURN(std::string transport, r.String(v, at, "transport"));
    if (transport == "relp") {
      c.transport = auditship::SyslogTransport::kRelp;
    } else if (!transport.empty() && transport != "tcp") {
      return std::unexpected(
          r.Bad(at.Key("transport"), fmt::format("'{}': expected tcp or relp", transport)));
    }
    BULWARK_ASSIGN_OR_RETURN(c.tls, auditship::ParseTlsConfig(r, v, at, base));
  } else if (type == "command") {
    c.type = ChannelType::kCommand;
    BULWARK_RETURN_IF_ERROR(
        only({"url", "secret_env", "secret_file", "tls", "host", "port", "transport", "path"}));
    BULWARK_ASSIGN_OR_RETURN(c.command, r.StringList(v, at, "command"));
    if (c.command.empty())
      return std::unexpected(r.Bad(at.Key("command"), "required (a list: program and arguments)"));
  } else if (type == "file") {
    c.type = ChannelType::kFile;
    BULWARK_RETURN_IF_ERROR(
        only({"url", "secret_env", "secret_file", "tls", "host", "port", "transport", "command"}));
    BULWARK_ASSIGN_OR_RETURN(std::string path, r.String(v, at, "path", true));
    c.path = Resolve(base, path);
  } else {
    return std::unexpected(r.Bad(
        at.Key("type"), fmt::format("'{}': expected webhook, syslog, command or file", type)));
  }
  BULWARK_ASSIGN_OR_RETURN(c.min_severity, [&]() -> Result<Severity> {
    BULWARK_ASSIGN_OR_RETURN(std::string s, r.String(v, at, "min_severity"));
    if (s.empty()) return Severity::kInfo;
    auto sev = ParseSeverity(s);
    if (!sev) return std::unexpected(r.Bad(at.Key("min_severity"), sev.error().message()));
    return *sev;
  }());
  BULWARK_ASSIGN_OR_RETURN(std::int64_t timeout, r.Int(v, at, "timeout_ms", 10000, 1, 600000));
  c.timeout = std::chrono::milliseconds(timeout);
  BULWARK_ASSIGN_OR_RETURN(c.retries, U32(r, v, at, "retries", 2, 0, 10));
  return c;
}

}  // namespace

Result<MonitorConfig> ParseMonitorConfig(const config::Document& doc, const fs::path& base_dir) {
  MonitorConfig out;
  const Value* m = doc.root.Get("monitor");
  if (m == nullptr) return out;
  FieldReader r(doc);
  const Path at = Path().Key("monitor");
  BULWARK_RETURN_IF_ERROR(r.OnlyKnown(*m, at,
                                      {"rules", "disable", "settings", "cooldown", "history",
                                       "max_groups", "anomalies", "channels"}));
  BULWARK_ASSIGN_OR_RETURN(std::vector<std::string> files, r.StringList(*m, at, "rules"));
  for (const auto& f : files) out.rule_files.push_back(Resolve(base_dir, f));
  BULWARK_ASSIGN_OR_RETURN(out.disable, r.StringList(*m, at, "disable"));
  if (const Value* s = m->Get("settings")) {
    const Path p = at.Key("settings");
    BULWARK_RETURN_IF_ERROR(
        r.OnlyKnown(*s, p, {"timezone", "work_start", "work_end", "work_days"}));
    BULWARK_ASSIGN_OR_RETURN(std::string tz, r.String(*s, p, "timezone"));
    if (!tz.empty()) out.settings.timezone = tz;
    BULWARK_ASSIGN_OR_RETURN(out.settings.work_start, r.Int(*s, p, "work_start", 8, 0, 23));
    BULWARK_ASSIGN_OR_RETURN(out.settings.work_end, r.Int(*s, p, "work_end", 18, 1, 24));
    if (out.settings.work_end <= out.settings.work_start) {
      return std::unexpected(r.Bad(p.Key("work_end"), "must be after work_start"));
    }
    if (const Value* days = s->Get("work_days")) {
      const Path dp = p.Key("work_days");
      if (!days->is_list())
        return std::unexpected(r.Bad(dp, "expected a list of days 0-6 (0 = Sunday)"));
      out.settings.work_days.clear();
      for (std::size_t i = 0; i < days->AsList().size(); ++i) {
        const Value& d = days->AsList()[i];
        if (!d.is_int() || d.AsInt() < 0 || d.AsInt() > 6) {
          return std::unexpected(r.Bad(dp.Index(i), "expected a day 0-6 (0 = Sunday)"));
        }
        out.settings.work_days.push_back(d.AsInt());
      }
    }
  }
  BULWARK_ASSIGN_OR_RETURN(out.cooldown,
                           r.Duration(*m, at, "cooldown", out.cooldown, {}, 30 * kDay));
  BULWARK_ASSIGN_OR_RETURN(std::int64_t history, r.Int(*m, at, "history", 100000, 0, 100000000));
  out.history = static_cast<std::uint64_t>(history);
  BULWARK_ASSIGN_OR_RETURN(std::int64_t groups, r.Int(*m, at, "max_groups", 10000, 1, 10000000));
  out.max_groups = static_cast<std::size_t>(groups);
  if (const Value* a = m->Get("anomalies")) {
    BULWARK_RETURN_IF_ERROR(ParseAnomalies(r, *a, at.Key("anomalies"), out));
  }
  if (const Value* ch = m->Get("channels")) {
    const Path cp = at.Key("channels");
    if (!ch->is_list()) return std::unexpected(r.Bad(cp, "expected a list"));
    std::set<std::string, std::less<>> names;
    for (std::size_t i = 0; i < ch->AsList().size(); ++i) {
      BULWARK_ASSIGN_OR_RETURN(ChannelConfig c,
                               ParseChannel(r, ch->AsList()[i], cp.Index(i), base_dir));
      if (!names.insert(c.name).second) {
        return std::unexpected(
            r.Bad(cp.Index(i).Key("name"), fmt::format("duplicate channel name '{}'", c.name)));
      }
      out.channels.push_back(std::move(c));
    }
  }
  for (const std::string& ch : out.anomaly_channels) {
    if (std::none_of(out.channels.begin(), out.channels.end(),
                     [&](const ChannelConfig& c) { return c.name == ch; })) {
      return std::unexpected(
          r.Bad(at.Key("anomalies").Key("channels"), fmt::format("no channel named '{}'", ch)));
    }
  }
  return out;
}

Result<MonitorConfig> LoadMonitorConfig(FileSystem& fs, const fs::path& file) {
  BULWARK_ASSIGN_OR_RETURN(bool exists, fs.Exists(file));
  if (!exists) return MonitorConfig{};
  BULWARK_ASSIGN_OR_RETURN(config::Document doc, config::LoadFile(fs, file, config::Format::kYaml));
  return ParseMonitorConfig(doc, file.parent_path());
}

Result<std::vector<AlertRule>> EffectiveRules(const MonitorConfig& c, const FileSystem& fs) {
  std::vector<AlertRule> rules = BuiltinAlertRules();
  if (rules.empty()) return InternalError("monitor: the built-in alert rules do not load");
  std::set<std::string, std::less<>> seen_in_files;
  for (const fs::path& f : c.rule_files) {
    BULWARK_ASSIGN_OR_RETURN(std::vector<AlertRule> loaded, LoadAlertRulesFile(fs, f));
    for (AlertRule& r : loaded) {
      if (!seen_in_files.insert(r.id).second) {
        return InvalidArgumentError(
            fmt::format("{}: rule {}: defined in another rule file too", r.source, r.id));
      }
      auto same = std::find_if(rules.begin(), rules.end(),
                               [&](const AlertRule& b) { return b.id == r.id; });
      if (same != rules.end()) {
        *same = std::move(r);
      } else {
        rules.push_back(std::move(r));
      }
    }
  }
  static constexpr std::string_view kDetectors[] = {"anomaly.new_source", "anomaly.unusual_hour",
                                                    "anomaly.rate_spike", "anomaly.mass_read"};
  for (const std::string& d : c.disable) {
    auto it =
        std::find_if(rules.begin(), rules.end(), [&](const AlertRule& r) { return r.id == d; });
    if (it != rules.end()) {
      it->enabled = false;
    } else if (std::find(std::begin(kDetectors), std::end(kDetectors), d) == std::end(kDetectors)) {
      return InvalidArgumentError(
          fmt::format("monitor.disable: '{}' is neither a rule nor a detector (anomaly.new_source, "
                      "anomaly.unusual_hour, anomaly.rate_spike, anomaly.mass_read)",
                      d));
    }
  }
  for (const AlertRule& r : rules) {
    for (const std::string& ch : r.channels) {
      if (std::none_of(c.channels.begin(), c.channels.end(),
                       [&](const ChannelConfig& cc) { return cc.name == ch; })) {
        return InvalidArgumentError(
            fmt::format("{}: rule {}: channels: no channel named '{}' in monitor.channels",
                        r.source, r.id, ch));
      }
    }
  }
  return rules;
}

Result<EvaluatorOptions> EvaluatorOptionsFor(const MonitorConfig& c, const FileSystem& fs) {
  EvaluatorOptions o;
  BULWARK_ASSIGN_OR_RETURN(o.rules, EffectiveRules(c, fs));
  o.anomalies = c.anomalies;
  auto disabled = [&](std::string_view d) {
    return std::find(c.disable.begin(), c.disable.end(), d) != c.disable.end();
  };
  if (disabled("anomaly.new_source")) o.anomalies->new_source.enabled = false;
  if (disabled("anomaly.unusual_hour")) o.anomalies->unusual_hour.enabled = false;
  if (disabled("anomaly.rate_spike")) o.anomalies->rate_spike.enabled = false;
  if (disabled("anomaly.mass_read")) o.anomalies->mass_read.enabled = false;
  o.anomaly_channels = c.anomaly_channels;
  o.anomaly_cooldown = c.anomaly_cooldown;
  o.settings = c.settings;
  o.default_cooldown = c.cooldown;
  o.max_groups = c.max_groups;
  return o;
}

}  // namespace bulwark::monitor
