// Compliance engine benchmark: the ten baseline rules (bench/workloads/baseline-services.yaml)
// over services-1000.json and services-10000.json (expected 455 and 4,680 findings).
//
// Measured: Engine::Evaluate on an already loaded document (the pack is compiled once, before
// timing), which includes building the whole Report: findings with rendered messages, paths,
// file:line:column, framework scores and the severity summary. Rendering the JSON report is
// measured separately. The reference, @marcbachmann/cel-js, runs the same rules over the same
// file in the same run (bench/reference/compliance_celjs.mjs) when CELJS_DIR points to a
// directory with node_modules/@marcbachmann/cel-js; otherwise it is reported as skipped.
//
//   ./build/bench/compliance_bench [--iterations N] [--only services-10000.json] [--no-json]
// (--only and --no-json are for profiling: one workload, no JSON rendering between runs.)
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bulwark/compliance/engine.h"
#include "bulwark/compliance/report_format.h"
#include "bulwark/compliance/rule_pack.h"
#include "bulwark/config/format.h"

namespace {

using Clock = std::chrono::steady_clock;
using bulwark::compliance::Engine;
using bulwark::compliance::Report;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// CPU time of this thread in ms: on a shared machine (other builds running) wall time includes
// the time the scheduler gave to others; CPU time does not.
double CpuMs() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

struct Stats {
  double median = 0;
  double min = 0;
};

Stats Summarize(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v.front()};
}

// Runs the node reference; returns {findings, median ms, min ms} or nullopt.
std::optional<nlohmann::json> RunReference(const std::string& pack, const std::string& data,
                                           int iterations) {
  const char* dir = std::getenv("CELJS_DIR");
  if (dir == nullptr) return std::nullopt;
  std::string cmd =
      fmt::format("cd '{}' && node '{}/bench/reference/compliance_celjs.mjs' '{}' '{}' {}", dir,
                  BULWARK_SOURCE_DIR, pack, data, iterations);
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return std::nullopt;
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  if (pclose(p) != 0) {
    fmt::print(stderr, "reference failed: {}\n", out);
    return std::nullopt;
  }
  try {
    return nlohmann::json::parse(out);
  } catch (const std::exception& e) {
    fmt::print(stderr, "reference output is not JSON: {}\n", out);
    return std::nullopt;
  }
}

}  // namespace

int main(int argc, char** argv) {
  int iterations = 30;
  std::string only;
  bool render_json = true;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--no-json") render_json = false;
    if (i + 1 >= argc) continue;
    if (arg == "--iterations") iterations = std::atoi(argv[i + 1]);
    if (arg == "--only") only = argv[i + 1];
  }
  const std::string workloads = BULWARK_WORKLOADS_DIR;
  const std::string pack_path = workloads + "/baseline-services.yaml";
  auto fs = bulwark::NewLocalFileSystem();
  auto pack =
      bulwark::compliance::RulePack::LoadFile(*fs, pack_path, {.reject_invalid_expressions = true});
  if (!pack) {
    fmt::print(stderr, "{}\n", pack.error().ToString());
    return 2;
  }
  auto engine =
      Engine::Create({std::shared_ptr<const bulwark::compliance::RulePack>(std::move(*pack))});
  if (!engine) return 2;

  struct Workload {
    const char* file;
    std::size_t expected;
  };
  int failures = 0;
  for (const Workload& w : {Workload{"services-1000.json", 455}, {"services-10000.json", 4680}}) {
    if (!only.empty() && only != w.file) continue;
    const std::string data_path = workloads + "/" + w.file;
    auto doc = bulwark::config::LoadFile(*fs, data_path);
    if (!doc) {
      fmt::print(stderr, "{}\n", doc.error().ToString());
      return 2;
    }
    // Loading the file (JSON with a location for every node) is timed separately, 5 runs into a
    // scratch document after the one the rules run on (whose memory layout stays that of a
    // fresh load, as before); freeing a scratch document is not timed.
    std::vector<double> load_cpu_ms;
    for (int i = 0; i < 5; ++i) {
      const double c0 = CpuMs();
      auto scratch = bulwark::config::LoadFile(*fs, data_path);
      load_cpu_ms.push_back(CpuMs() - c0);
      if (!scratch) return 2;
    }
    const std::size_t leaves = doc->root.CountLeaves();
    Report report;
    std::vector<double> eval_ms;
    std::vector<double> json_ms;
    std::vector<double> eval_cpu_ms;
    for (int i = 0; i < iterations + 3; ++i) {
      const double c0 = CpuMs();
      auto t0 = Clock::now();
      report = (*engine)->Evaluate(*doc, {.target = data_path});
      auto t1 = Clock::now();
      const double c1 = CpuMs();
      std::string json;
      if (render_json) json = bulwark::compliance::RenderJson({&report, 1});
      auto t2 = Clock::now();
      if (i >= 3) {  // warm-up runs are not counted
        eval_ms.push_back(Ms(t1 - t0));
        eval_cpu_ms.push_back(c1 - c0);
        json_ms.push_back(Ms(t2 - t1));
      }
    }
    if (report.findings.size() != w.expected) {
      fmt::print(stderr, "{}: expected {} findings, got {}\n", w.file, w.expected,
                 report.findings.size());
      ++failures;
    }
    Stats eval = Summarize(eval_ms);
    Stats json = Summarize(json_ms);
    Stats cpu = Summarize(eval_cpu_ms);
    Stats load = Summarize(load_cpu_ms);
    std::size_t evaluations = 0;
    for (const auto& r : report.rules) evaluations += r.applicable;
    fmt::print("{}: {} parameters, {} findings, {} checks evaluated\n", w.file, leaves,
               report.findings.size(), evaluations);
    fmt::print(
        "  bulwark  Evaluate + Report: wall median {:.2f} ms (min {:.2f}), CPU median {:.2f} ms "
        "(min {:.2f}); JSON rendering {:.2f} ms\n",
        eval.median, eval.min, cpu.median, cpu.min, json.median);
    fmt::print(
        "  bulwark  LoadFile with locations (not in the figure above): CPU median {:.2f} ms (min "
        "{:.2f}); load + check: CPU median {:.2f} ms\n",
        load.median, load.min, load.median + cpu.median);
    auto ref = RunReference(pack_path, data_path, iterations);
    if (ref) {
      const double ref_median = (*ref)["median_ms"].get<double>();
      const double ref_cpu = (*ref)["cpu_median_ms"].get<double>();
      fmt::print(
          "  cel-js   {} findings, wall median {:.2f} ms (min {:.2f}), CPU median {:.2f} ms (min "
          "{:.2f})\n  ratio cel-js/bulwark: {:.1f}x wall median, {:.1f}x wall min, {:.1f}x CPU "
          "median\n",
          (*ref)["findings"].get<std::size_t>(), ref_median, (*ref)["min_ms"].get<double>(),
          ref_cpu, (*ref)["cpu_min_ms"].get<double>(), ref_median / eval.median,
          (*ref)["min_ms"].get<double>() / eval.min, ref_cpu / cpu.median);
      if ((*ref)["findings"].get<std::size_t>() != w.expected) ++failures;
    } else {
      fmt::print("  cel-js   skipped (set CELJS_DIR to a directory with @marcbachmann/cel-js)\n");
    }
  }
  return failures == 0 ? 0 : 1;
}
