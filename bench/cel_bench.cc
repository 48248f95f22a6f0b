// CEL evaluation benchmark: the `when`/`check` expressions of the ten baseline rules
// (bench/workloads/baseline-services.yaml) over the 1,000 services of services-1000.json, each rule
// evaluated once per service with the service bound to `item` (10,000 evaluations). A finding is a
// service where `when` is true (or absent) and `check` is false; the set has exactly 455.
//
// Loading and compiling are not measured. The measured unit is one pass over the whole set; the
// program runs many passes and reports the median and the best.
//
// Usage: cel_bench [passes [rule-major]]   (default 2000 passes, service-major order)
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <optional>
#include <sstream>
#include <vector>

#include "bulwark/config/format.h"
#include "bulwark/expr/program.h"

namespace {

using bulwark::config::Format;
namespace expr = bulwark::expr;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    fmt::print(stderr, "cannot read {}\n", path);
    std::exit(2);
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Rule {
  std::string id;
  std::unique_ptr<expr::Program> when;  // may be null
  std::unique_ptr<expr::Program> check;
};

}  // namespace

int main(int argc, char** argv) {
  int passes = argc > 1 ? std::atoi(argv[1]) : 2000;
  // Service-major order (every rule for one service, then the next service) is the default and
  // what the cel-js reference does; "rule-major" runs one rule over all services at a time.
  bool rule_major = argc > 2 && std::string(argv[2]) == "rule-major";
  std::string dir = BULWARK_WORKLOADS_DIR;
  auto rules_doc =
      bulwark::config::ParseDocument(ReadAll(dir + "/baseline-services.yaml"), Format::kYaml);
  auto services_doc =
      bulwark::config::ParseDocument(ReadAll(dir + "/services-1000.json"), Format::kJson);
  if (!rules_doc || !services_doc) {
    fmt::print(stderr, "cannot parse the workload\n");
    return 2;
  }
  std::vector<Rule> rules;
  for (const auto& r : rules_doc->root.Get("rules")->AsList()) {
    Rule rule;
    rule.id = r.Get("id")->AsString();
    if (const auto* w = r.Get("when")) {
      auto p = expr::Program::Compile(w->AsString());
      if (!p) {
        fmt::print(stderr, "{}: {}\n", rule.id, p.error().ToString());
        return 2;
      }
      rule.when = std::move(*p);
    }
    auto p = expr::Program::Compile(r.Get("check")->AsString());
    if (!p) {
      fmt::print(stderr, "{}: {}\n", rule.id, p.error().ToString());
      return 2;
    }
    rule.check = std::move(*p);
    rules.push_back(std::move(rule));
  }
  const auto& services = services_doc->root.Get("services")->AsList();

  expr::Activation vars;
  auto evaluate = [&](const Rule& rule) {
    if (rule.when) {
      auto w = rule.when->EvaluateBool(vars);
      if (!w || !*w) return 0;
    }
    auto c = rule.check->EvaluateBool(vars);
    return c && !*c ? 1 : 0;
  };
  auto run_once = [&]() -> long {
    long findings = 0;
    if (rule_major) {
      for (const auto& rule : rules) {
        for (const auto& svc : services) {
          vars.BindNode("item", svc);
          findings += evaluate(rule);
        }
      }
      return findings;
    }
    for (const auto& svc : services) {
      vars.BindNode("item", svc);
      for (const auto& rule : rules) findings += evaluate(rule);
    }
    return findings;
  };

  long findings = run_once();
  std::size_t evaluations = rules.size() * services.size();
  if (findings != 455) {
    fmt::print(stderr, "expected 455 findings, got {}\n", findings);
    return 1;
  }
  // Wall-clock time per pass, and the thread's CPU time per pass (the latter is not inflated when
  // the scheduler takes the core away on a busy machine).
  auto cpu_ms = [] {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
  };
  std::vector<double> times, cpu_times;
  times.reserve(static_cast<std::size_t>(passes));
  cpu_times.reserve(static_cast<std::size_t>(passes));
  long sink = 0;
  for (int i = 0; i < passes; ++i) {
    double c0 = cpu_ms();
    auto t0 = std::chrono::steady_clock::now();
    sink += run_once();
    auto t1 = std::chrono::steady_clock::now();
    cpu_times.push_back(cpu_ms() - c0);
    times.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  if (sink != 455L * passes) {
    fmt::print(stderr, "findings changed between passes\n");
    return 1;
  }
  std::sort(times.begin(), times.end());
  std::sort(cpu_times.begin(), cpu_times.end());
  double median = times[times.size() / 2], best = times.front();
  double cpu_median = cpu_times[cpu_times.size() / 2];
  fmt::print("workload: 10 rules x {} services = {} evaluations, {} findings, {} order\n",
             services.size(), evaluations, findings, rule_major ? "rule-major" : "service-major");
  fmt::print(
      "bulwark: median {:.4f} ms per set ({:.1f} ns/eval), best {:.4f} ms ({:.1f} ns/eval), {} "
      "passes\n",
      median, median * 1e6 / static_cast<double>(evaluations), best,
      best * 1e6 / static_cast<double>(evaluations), passes);
  fmt::print("bulwark: median CPU time {:.4f} ms per set ({:.1f} ns/eval)\n", cpu_median,
             cpu_median * 1e6 / static_cast<double>(evaluations));
  fmt::print("BULWARK_MEDIAN_MS={:.4f}\nBULWARK_BEST_MS={:.4f}\nBULWARK_CPU_MEDIAN_MS={:.4f}\n",
             median, best, cpu_median);
  return 0;
}
