// Loading and validating a large configuration (issue: foundation).
//
// Workload: bench/workloads/services-10000.json (4.07 MB, 10,000 services, 130,000 leaves) as JSON,
// and the same data converted to YAML once at start-up. Measured:
//   Parse/<fmt>            text -> Document with provenance for every node
//   ParseNoLocations/<fmt> text -> Value only
//   Validate               JSON Schema validation of the tree (workloads/services.schema.json)
//   LoadAndValidate/<fmt>  the whole `bulwark config validate` path: read file, parse, merge,
//                          defaults, validate, classify sensitive values
// Results: bench/RESULTS.md.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "bulwark/config/format.h"
#include "bulwark/config/loader.h"

namespace bulwark::config {
namespace {

const std::string kJsonPath = std::string(BULWARK_WORKLOADS_DIR) + "/services-10000.json";
const std::string kSchemaPath = std::string(BULWARK_WORKLOADS_DIR) + "/services.schema.json";

std::string ReadAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

struct Workload {
  std::string json;
  std::string yaml;
  std::string yaml_path = "/tmp/bulwark-bench-services-10000.yaml";
  Workload() {
    json = ReadAll(kJsonPath);
    if (json.empty()) {
      std::fprintf(stderr, "cannot read %s\n", kJsonPath.c_str());
      std::abort();
    }
    auto doc = ParseDocument(json, Format::kJson).value();
    yaml = EmitDocument(doc.root, Format::kYaml).value();
    std::ofstream(yaml_path, std::ios::binary) << yaml;
  }
};

const Workload& W() {
  static const Workload w;
  return w;
}

void Parse(benchmark::State& state, Format format, bool locations) {
  const std::string& text = format == Format::kJson ? W().json : W().yaml;
  std::size_t leaves = 0;
  for (auto _ : state) {
    auto doc = ParseDocument(text, format, ParseOptions{.track_locations = locations});
    if (!doc) state.SkipWithError(doc.error().message().c_str());
    leaves = doc->root.CountLeaves();
    benchmark::DoNotOptimize(doc);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["leaves"] = static_cast<double>(leaves);
}

void BM_ParseJson(benchmark::State& s) { Parse(s, Format::kJson, true); }
void BM_ParseYaml(benchmark::State& s) { Parse(s, Format::kYaml, true); }
void BM_ParseNoLocationsJson(benchmark::State& s) { Parse(s, Format::kJson, false); }
void BM_ParseNoLocationsYaml(benchmark::State& s) { Parse(s, Format::kYaml, false); }

void BM_Validate(benchmark::State& state) {
  auto fs = NewLocalFileSystem();
  auto schema = LoadSchemaFile(*fs, kSchemaPath).value();
  auto doc = ParseDocument(W().json, Format::kJson, ParseOptions{.track_locations = false}).value();
  for (auto _ : state) {
    auto errors = schema->Validate(doc.root);
    if (!errors.empty()) state.SkipWithError(errors[0].ToString().c_str());
    benchmark::DoNotOptimize(errors);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * W().json.size()));
}

void LoadAndValidate(benchmark::State& state, const std::string& path, std::size_t bytes) {
  auto fs = NewLocalFileSystem();
  LoadRequest req;
  req.files = {path};
  req.schema_file = kSchemaPath;
  for (auto _ : state) {
    auto loaded = LoadConfig(*fs, req);
    if (!loaded) state.SkipWithError(loaded.error().message().c_str());
    if (!loaded->problems.empty()) state.SkipWithError(loaded->problems[0].ToString().c_str());
    benchmark::DoNotOptimize(loaded);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}

void BM_LoadAndValidateJson(benchmark::State& s) { LoadAndValidate(s, kJsonPath, W().json.size()); }
void BM_LoadAndValidateYaml(benchmark::State& s) { LoadAndValidate(s, W().yaml_path, W().yaml.size()); }

BENCHMARK(BM_ParseJson)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ParseNoLocationsJson)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ParseYaml)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ParseNoLocationsYaml)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Validate)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LoadAndValidateJson)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LoadAndValidateYaml)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace bulwark::config

BENCHMARK_MAIN();
