#include "bulwark/monitor/evaluator.h"

#include <fmt/format.h>

#include <set>

#include "bulwark/expr/program.h"
#include "bulwark/expr/template.h"
#include "bulwark/monitor/window.h"

namespace bulwark::monitor {
namespace {

struct Segment {
  std::string literal;
  std::unique_ptr<expr::Program> program;
};

struct CompiledRule {
  AlertRule rule;
  std::unique_ptr<expr::Program> condition;
  std::unique_ptr<expr::Program> group_by;  // null: one group
  std::vector<Segment> summary;
  std::optional<WindowCounter> window;
  RuleStats stats;
};

config::Value SettingsValue(const RuleSettings& s) {
  config::ValueMap m;
  m.Set("timezone", config::Value(s.timezone));
  m.Set("work_start", config::Value(s.work_start));
  m.Set("work_end", config::Value(s.work_end));
  config::ValueList days;
  for (std::int64_t d : s.work_days) days.emplace_back(d);
  m.Set("work_days", config::Value(std::move(days)));
  return config::Value(std::move(m));
}

}  // namespace

struct Evaluator::Impl {
  EvaluatorOptions options;
  std::vector<CompiledRule> rules;
  std::unique_ptr<AnomalyDetectors> detectors;
  config::Value settings;
  expr::Activation vars;
  std::vector<AnomalyFinding> findings;
  std::uint64_t events = 0;

  std::string Render(const CompiledRule& r, std::string_view group, std::uint64_t count) {
    vars.Bind("group", expr::Value::StringView(group));
    vars.Bind("count", expr::Value::Int(static_cast<std::int64_t>(count)));
    vars.Bind("rule", expr::Value::StringView(r.rule.id));
    std::string out;
    for (const Segment& seg : r.summary) {
      if (!seg.program) {
        out += seg.literal;
        continue;
      }
      auto v = seg.program->Evaluate(vars);
      if (v) {
        expr::AppendValueText(*v, out);
      } else {
        out += "<" + v.error().message() + ">";
      }
    }
    return out;
  }

  static void FillEvent(const EventView& e, Alert& a) {
    a.event_index = e.index;
    a.event_id = std::string(e.id);
    a.event_time = std::string(e.time);
    a.event_time_us = e.time_us;
    a.actor = std::string(e.actor);
    a.operation = std::string(e.operation);
    a.namespace_name = std::string(e.namespace_name);
  }
};

Evaluator::Evaluator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Evaluator::~Evaluator() = default;

Result<std::unique_ptr<Evaluator>> Evaluator::Create(EvaluatorOptions options) {
  auto impl = std::make_unique<Impl>();
  std::set<std::string, std::less<>> ids;
  for (AlertRule& rule : options.rules) {
    if (!ids.insert(rule.id).second) {
      return InvalidArgumentError(
          fmt::format("alert rule {}: defined twice ({})", rule.id, rule.source));
    }
    CompiledRule c;
    c.stats.id = rule.id;
    c.stats.enabled = rule.enabled;
    auto compile = [&](std::string_view field, std::string_view source,
                       const expr::Declarations& decls) -> Result<std::unique_ptr<expr::Program>> {
      expr::CompileOptions copts;
      copts.declarations = &decls;
      auto p = expr::Program::Compile(source, copts);
      if (!p) {
        return InvalidArgumentError(fmt::format("alert rule {} ({}): {}: does not compile: {}",
                                                rule.id, rule.source, field, p.error().message()));
      }
      return std::move(*p);
    };
    BULWARK_ASSIGN_OR_RETURN(c.condition, compile("condition", rule.condition, RuleDeclarations()));
    if (!rule.group_by.empty()) {
      BULWARK_ASSIGN_OR_RETURN(c.group_by, compile("group_by", rule.group_by, RuleDeclarations()));
    }
    std::string summary = rule.summary.empty() ? rule.title : rule.summary;
    auto segments = expr::SplitTemplate(summary);
    if (!segments) {
      return InvalidArgumentError(fmt::format("alert rule {} ({}): summary: {}", rule.id,
                                              rule.source, segments.error().message()));
    }
    for (auto& seg : *segments) {
      Segment s;
      if (seg.is_expression) {
        BULWARK_ASSIGN_OR_RETURN(s.program, compile("summary", seg.text, SummaryDeclarations()));
      } else {
        s.literal = std::move(seg.text);
      }
      c.summary.push_back(std::move(s));
    }
    if (rule.window) {
      c.window.emplace(std::chrono::duration_cast<std::chrono::microseconds>(*rule.window).count(),
                       rule.threshold, options.max_groups);
    }
    if (!rule.cooldown) rule.cooldown = options.default_cooldown;
    c.rule = std::move(rule);
    impl->rules.push_back(std::move(c));
  }
  if (options.anomalies) {
    AnomalyOptions a = *options.anomalies;
    a.timezone = options.settings.timezone;
    a.max_principals = options.max_groups;
    BULWARK_ASSIGN_OR_RETURN(impl->detectors, AnomalyDetectors::Create(std::move(a)));
  }
  impl->settings = SettingsValue(options.settings);
  impl->options = std::move(options);
  impl->options.rules.clear();  // moved into impl->rules
  impl->vars.Bind("settings", expr::Value::Borrow(impl->settings));
  return std::unique_ptr<Evaluator>(new Evaluator(std::move(impl)));
}

void Evaluator::Process(const EventView& e, std::vector<Alert>& alerts) {
  if (IsMonitorEvent(e)) return;
  Impl& m = *impl_;
  ++m.events;
  std::int64_t seconds = e.time_us / 1'000'000;
  std::int64_t micros = e.time_us % 1'000'000;
  if (micros < 0) {
    micros += 1'000'000;
    --seconds;
  }
  m.vars.Bind("event", expr::Value::Borrow(e.event));
  m.vars.Bind("event_time",
              expr::Value::Timestamp(seconds, static_cast<std::int32_t>(micros * 1000)));
  for (CompiledRule& r : m.rules) {
    if (!r.rule.enabled) continue;
    auto matched = r.condition->EvaluateBool(m.vars);
    if (!matched) {
      ++r.stats.errors;
      r.stats.last_error =
          fmt::format("event {}: condition: {}", e.index, matched.error().message());
      continue;
    }
    if (!*matched) continue;
    ++r.stats.matched;
    std::string group;
    if (r.group_by) {
      auto g = r.group_by->Evaluate(m.vars);
      if (!g) {
        ++r.stats.errors;
        r.stats.last_error = fmt::format("event {}: group_by: {}", e.index, g.error().message());
        continue;
      }
      expr::AppendValueText(*g, group);
    }
    std::optional<std::uint32_t> count;
    if (r.window) {
      count = r.window->Observe(group, e.time_us);
      r.stats.groups = r.window->groups();
      r.stats.evicted_live = r.window->evicted_live();
      if (!count) continue;
    }
    Alert a;
    a.rule = r.rule.id;
    a.kind = "rule";
    a.title = r.rule.title;
    a.severity = r.rule.severity;
    a.group = group;
    if (count) {
      a.count = *count;
      a.window_seconds = r.rule.window->count();
    }
    Impl::FillEvent(e, a);
    a.summary = m.Render(r, group, count.value_or(1));
    a.channels = r.rule.channels;
    a.cooldown = *r.rule.cooldown;
    a.id = AlertId(a.rule, a.group, a.event_index);
    ++r.stats.alerts;
    alerts.push_back(std::move(a));
  }
  if (m.detectors) {
    m.findings.clear();
    m.detectors->Observe(e, m.findings);
    for (AnomalyFinding& f : m.findings) {
      Alert a;
      a.rule = "anomaly." + f.detector;
      a.kind = "anomaly";
      a.title = std::move(f.title);
      a.severity = f.severity;
      a.group = std::move(f.group);
      a.summary = std::move(f.summary);
      a.details = std::move(f.details);
      a.count = f.count;
      a.window_seconds = f.window_seconds;
      Impl::FillEvent(e, a);
      a.channels = m.options.anomaly_channels;
      a.cooldown = m.options.anomaly_cooldown;
      a.id = AlertId(a.rule, a.group, a.event_index);
      alerts.push_back(std::move(a));
    }
  }
}

std::vector<RuleStats> Evaluator::Stats() const {
  std::vector<RuleStats> out;
  for (const CompiledRule& r : impl_->rules) out.push_back(r.stats);
  return out;
}

std::uint64_t Evaluator::events() const { return impl_->events; }

}  // namespace bulwark::monitor
