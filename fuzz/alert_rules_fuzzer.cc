// Fuzzes the monitor's parsers: alert rule files (schema, durations, CEL), the `monitor:`
// section of config.yaml (channels, anomalies, settings) and durations. Any input gives a
// result or an error naming where (no crash, no hang); accepted rules run over a few events,
// and every alert they raise names its rule and event.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "bulwark/audit/event.h"
#include "bulwark/config/format.h"
#include "bulwark/core/duration.h"
#include "bulwark/monitor/evaluator.h"
#include "bulwark/monitor/monitor_config.h"

namespace {

const std::vector<bulwark::audit::StoredEvent>& Events() {
  static const auto* events = [] {
    auto* out = new std::vector<bulwark::audit::StoredEvent>();
    const auto classifier = bulwark::audit::ImpactClassifier::Default();
    for (int i = 0; i < 4; ++i) {
      bulwark::request::AuditRecord r;
      r.time = bulwark::TimePoint(std::chrono::seconds(1'767'607'200 + 30 * i));
      r.operation = i % 2 == 0 ? "auth.login" : "config.get";
      r.action = i == 3 ? bulwark::request::Action::kReveal : bulwark::request::Action::kRead;
      r.outcome = i % 2 == 0 ? bulwark::request::Outcome::kFailure : bulwark::request::Outcome::kSuccess;
      r.namespace_name = "production/app";
      r.paths = {"db.password"};
      r.sensitive_paths = r.paths;
      r.revealed = i == 3;
      r.context.principal.id = "local:alice";
      r.context.source_address = "10.0.0.1";
      auto leaf = bulwark::audit::RecordLeaf(r, classifier.Classify(r), "ev", "bulwark://fuzz");
      if (!leaf) std::abort();
      bulwark::audit::StoredEvent e;
      e.index = static_cast<std::uint64_t>(i);
      e.leaf = std::move(*leaf);
      e.time_us = (1'767'607'200LL + 30 * i) * 1'000'000;
      out->push_back(std::move(e));
    }
    return out;
  }();
  return *events;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 64 * 1024) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);

  (void)bulwark::ParseDuration(text.substr(0, text.find('\n')));

  auto rules = bulwark::monitor::ParseAlertRules(text, "fuzz.yaml");
  if (!rules) {
    if (rules.error().message().empty()) std::abort();
  } else {
    bulwark::monitor::EvaluatorOptions o;
    o.rules = std::move(*rules);
    auto ev = bulwark::monitor::Evaluator::Create(std::move(o));
    if (!ev) std::abort();  // rules that parse must compile
    std::vector<bulwark::monitor::Alert> alerts;
    for (const auto& e : Events()) {
      auto view = bulwark::monitor::ParseEventView(e);
      if (!view) std::abort();
      (*ev)->Process(*view, alerts);
    }
    for (const auto& a : alerts) {
      if (a.rule.empty() || a.id.size() != 32) std::abort();
    }
  }

  bulwark::config::ParseOptions popts;
  popts.source_name = "config.yaml";
  auto doc = bulwark::config::ParseDocument(text, bulwark::config::Format::kYaml, popts);
  if (doc) {
    auto c = bulwark::monitor::ParseMonitorConfig(*doc, "/home");
    if (!c && c.error().message().empty()) std::abort();
  }
  return 0;
}
