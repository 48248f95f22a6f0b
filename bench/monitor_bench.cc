// Monitoring throughput (bench/results/monitor.md): audit events through alert rules with
// windows, on one core.
//
//   monitor_bench [--benchmark_repetitions=5 ...]
//
// Workload (deterministic, generated here): 200,000 audit events built the way the log builds
// them (service AuditRecord -> impact classifier -> RecordLeaf, ~600-700 bytes each): 70% reads,
// 10% writes, 5% reveals of sensitive values, 5% denials, 5% failed logins, 3% lists, 2% deletes;
// 1,000 principals (a few very active) each working from the CLI or up to three addresses of
// its own, 200 namespaces (a quarter production), one event every 2 ms of audit time on average.
// Rules: the 20 windowed rules of bench/workloads/monitor-rules.yaml; "All" adds the 9 built-in
// rules and the 4 anomaly detectors. Reference measured in the same run: the audit log's own
// batched append rate (AuditLog::AppendBatch on SQLite, durable), the rate monitoring has to keep
// up with.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>

#include "bulwark/audit/event.h"
#include "bulwark/audit/event_store.h"
#include "bulwark/monitor/monitor.h"
#include "bulwark/testing/temp_dir.h"

namespace {

using namespace bulwark;

constexpr std::size_t kEvents = 200'000;

const std::vector<audit::StoredEvent>& Events() {
  static const std::vector<audit::StoredEvent> events = [] {
    std::mt19937_64 rng(42);
    std::vector<audit::StoredEvent> out;
    out.reserve(kEvents);
    const auto classifier = audit::ImpactClassifier::Default();
    TimePoint t(std::chrono::seconds(1'767'607'200));
    for (std::size_t i = 0; i < kEvents; ++i) {
      request::AuditRecord r;
      t += std::chrono::microseconds(rng() % 4000);
      r.time = t;
      // Skewed principals: half the events from 20 principals.
      const std::uint64_t p = rng() % 2 == 0 ? rng() % 20 : rng() % 1000;
      r.context.principal.id = fmt::format("{}:user{}", p % 10 == 0 ? "token" : "local", p);
      r.context.principal.kind = p % 10 == 0 ? "token" : "local";
      r.context.principal.roles = {"dev"};
      // Each principal works from the CLI or from up to three addresses of its own.
      r.context.source_address =
          p % 3 == 0 ? "local" : fmt::format("10.{}.{}.{}", p % 7, p % 256, rng() % 3);
      r.context.client = "bulwark-cli/0.1.0";
      r.context.request_id = fmt::format("{:016x}", rng());
      const std::uint64_t n = rng() % 200;
      r.namespace_name = fmt::format("{}/app{}", n % 4 == 0 ? "production" : "dev", n);
      const unsigned kind = static_cast<unsigned>(rng() % 100);
      r.paths = {fmt::format("services[{}].database.host", rng() % 50)};
      if (kind < 70) {
        r.operation = "config.get";
        r.action = request::Action::kRead;
      } else if (kind < 80) {
        r.operation = "config.set";
        r.action = request::Action::kWrite;
        r.version_before = static_cast<std::int64_t>(i);
        r.version_after = static_cast<std::int64_t>(i + 1);
        if (kind % 3 == 0) r.paths = {"database.ssl_mode"};
      } else if (kind < 85) {
        r.operation = "config.get";
        r.action = request::Action::kReveal;
        r.paths = {fmt::format("services[{}].database.password", rng() % 50)};
        r.sensitive_paths = r.paths;
        r.revealed = true;
      } else if (kind < 90) {
        r.operation = "config.set";
        r.action = request::Action::kWrite;
        r.outcome = request::Outcome::kDenied;
        r.reason = "statement 3 of policy prod-writers denies";
      } else if (kind < 95) {
        r.operation = "auth.login";
        r.action = request::Action::kRead;
        r.outcome = request::Outcome::kFailure;
        r.reason = "bad credentials";
        r.paths.clear();
      } else if (kind < 98) {
        r.operation = "namespace.list";
        r.action = request::Action::kList;
        r.namespace_name.clear();
        r.paths.clear();
      } else {
        r.operation = "config.unset";
        r.action = request::Action::kDelete;
      }
      auto leaf = audit::RecordLeaf(r, classifier.Classify(r), fmt::format("{:032x}", i),
                                    "bulwark://bench/config");
      if (!leaf) std::abort();
      audit::StoredEvent e;
      e.index = i;
      e.leaf = std::move(*leaf);
      e.time_us =
          std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
      out.push_back(std::move(e));
    }
    return out;
  }();
  return events;
}

std::vector<monitor::AlertRule> BenchRules() {
  auto fs = NewLocalFileSystem();
  auto rules = monitor::LoadAlertRulesFile(
      *fs, std::string(BULWARK_WORKLOADS_DIR) + "/monitor-rules.yaml");
  if (!rules || rules->size() != 20) std::abort();
  return std::move(*rules);
}

std::unique_ptr<monitor::Evaluator> MakeEvaluator(bool all) {
  monitor::EvaluatorOptions o;
  o.rules = BenchRules();
  if (all) {
    for (auto& r : monitor::BuiltinAlertRules()) o.rules.push_back(std::move(r));
    o.anomalies = monitor::AnomalyOptions{};
  }
  auto e = monitor::Evaluator::Create(std::move(o));
  if (!e) std::abort();
  return std::move(*e);
}

void BM_Parse(benchmark::State& state) {
  const auto& events = Events();
  std::size_t i = 0;
  for (auto _ : state) {
    auto v = monitor::ParseEventView(events[i]);
    benchmark::DoNotOptimize(v);
    if (++i == events.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}

void Evaluate(benchmark::State& state, bool all) {
  const auto& events = Events();
  // One pass over the workload per iteration: windows see the event stream in order.
  std::uint64_t alerts = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto ev = MakeEvaluator(all);
    std::vector<monitor::Alert> out;
    state.ResumeTiming();
    for (const auto& e : events) {
      auto v = monitor::ParseEventView(e);
      if (!v) std::abort();
      out.clear();
      ev->Process(*v, out);
      alerts += out.size();
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(events.size()));
  state.counters["alerts_per_pass"] =
      static_cast<double>(alerts) / static_cast<double>(state.iterations());
}
void BM_Evaluate20Windowed(benchmark::State& state) { Evaluate(state, false); }
void BM_EvaluateAll(benchmark::State& state) { Evaluate(state, true); }

// The log the monitor follows, filled once (SQLite, durable appends in batches of 1000).
struct BenchLog {
  testing::TempDir dir{"bulwark-monitor-bench"};
  std::shared_ptr<audit::AuditLog> log;
};

std::shared_ptr<audit::AuditLog> OpenLog(const std::filesystem::path& file) {
  audit::AuditLogOptions o;
  o.path = file;
  o.origin = "bulwark.bench/audit";
  auto log = audit::AuditLog::Open(std::move(o));
  if (!log) std::abort();
  return std::shared_ptr<audit::AuditLog>(std::move(*log));
}

void AppendAll(audit::AuditLog& log, std::size_t n) {
  const auto& events = Events();
  for (std::size_t i = 0; i < n; i += 1000) {
    std::vector<std::pair<std::string, audit::EventColumns>> batch;
    for (std::size_t k = i; k < std::min(n, i + 1000); ++k) {
      batch.emplace_back(events[k].leaf,
                         audit::ColumnsOfEvent(nlohmann::json::parse(events[k].leaf)));
    }
    if (!log.AppendBatch(std::move(batch))) std::abort();
  }
}

BenchLog& FilledLog() {
  static BenchLog* b = [] {
    auto* bl = new BenchLog();
    bl->log = OpenLog(bl->dir.path() / "audit.db");
    AppendAll(*bl->log, kEvents);
    return bl;
  }();
  return *b;
}

// End to end: Monitor::RunOnce from the start of a SQLite log (Scan, parse, 20 windowed rules +
// built-ins + detectors, alerts dispatched to no channel and not audited, state file written).
void BM_MonitorFromLog(benchmark::State& state) {
  BenchLog& bl = FilledLog();
  for (auto _ : state) {
    state.PauseTiming();
    std::filesystem::remove(bl.dir.path() / "monitor-state.json");
    auto disp = monitor::Dispatcher::Create({});
    monitor::MonitorOptions mo;
    mo.log = bl.log;
    mo.state_file = bl.dir.path() / "monitor-state.json";
    mo.from_start = true;
    mo.history = 0;
    auto m = monitor::Monitor::Create(std::move(mo), MakeEvaluator(true), std::move(*disp));
    if (!m) std::abort();
    state.ResumeTiming();
    auto n = (*m)->RunOnce();
    if (!n || *n != kEvents) std::abort();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kEvents));
}

// Reference: what the audit log itself takes in (batched durable appends of the same events,
// columns extracted as LogAuditSink does), so monitoring is compared with the rate it follows.
void BM_ReferenceAuditAppend(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    testing::TempDir dir("bulwark-monitor-bench-append");
    auto log = OpenLog(dir.path() / "audit.db");
    state.ResumeTiming();
    AppendAll(*log, 50'000);
    state.PauseTiming();
    log.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * 50'000);
}

BENCHMARK(BM_Parse);
BENCHMARK(BM_Evaluate20Windowed)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_EvaluateAll)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_MonitorFromLog)->Unit(benchmark::kMillisecond)->Iterations(2);
BENCHMARK(BM_ReferenceAuditAppend)->Unit(benchmark::kMillisecond)->Iterations(2);

}  // namespace

BENCHMARK_MAIN();
