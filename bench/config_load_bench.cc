// Configuration loading throughput over the workload bench/workloads/services-10000.json (4 MB,
// 130,000 leaves) and its YAML and TOML conversions (written by our emitters), with and without
// source locations. References in the same run: nlohmann-json's parse and yaml-cpp's YAML::Load,
// which build their own trees without per-value positions.
#include <benchmark/benchmark.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "bulwark/config/format.h"

namespace {

using bulwark::config::Format;

const std::string& JsonText() {
  static const std::string text = [] {
    std::string s;
    const std::string path = std::string(BULWARK_WORKLOADS_DIR) + "/services-10000.json";
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) {
      std::fprintf(stderr, "missing %s\n", path.c_str());
      std::abort();
    }
    char buf[1 << 16];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) s.append(buf, n);
    std::fclose(f);
    return s;
  }();
  return text;
}

const std::string& Converted(Format format) {
  static const std::string yaml = [] {
    auto doc = bulwark::config::ParseDocument(JsonText(), Format::kJson);
    return *bulwark::config::EmitDocument(doc->root, Format::kYaml);
  }();
  static const std::string toml = [] {
    auto doc = bulwark::config::ParseDocument(JsonText(), Format::kJson);
    return *bulwark::config::EmitDocument(doc->root, Format::kToml);
  }();
  return format == Format::kYaml ? yaml : toml;
}

const std::string& Text(Format format) {
  return format == Format::kJson ? JsonText() : Converted(format);
}

void BM_Parse(benchmark::State& state, Format format, bool locations, const char* source) {
  const std::string& text = Text(format);
  bulwark::config::ParseOptions options;
  options.track_locations = locations;
  options.source_name = source;
  state.counters["input_MB"] = static_cast<double>(text.size()) / 1e6;
  for (auto _ : state) {
    auto doc = bulwark::config::ParseDocument(text, format, options);
    if (!doc) state.SkipWithError(doc.error().message().c_str());
    benchmark::DoNotOptimize(doc);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
// "<input>" fits std::string's inline buffer; a real file path costs one allocation per node.
constexpr const char* kShort = "<input>";
constexpr const char* kPath = "/etc/bulwark/services-10000.json";
BENCHMARK_CAPTURE(BM_Parse, json_no_locations, Format::kJson, false, kShort)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Parse, json_locations, Format::kJson, true, kShort)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Parse, json_locations_file_path, Format::kJson, true, kPath)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Parse, yaml_no_locations, Format::kYaml, false, kShort)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Parse, yaml_locations, Format::kYaml, true, kShort)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Parse, toml_no_locations, Format::kToml, false, kShort)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Parse, toml_locations, Format::kToml, true, kShort)
    ->Unit(benchmark::kMillisecond);

void BM_NlohmannJsonParse(benchmark::State& state) {
  const std::string& text = JsonText();
  for (auto _ : state) benchmark::DoNotOptimize(nlohmann::json::parse(text));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_NlohmannJsonParse)->Unit(benchmark::kMillisecond);

void BM_YamlCppLoad(benchmark::State& state) {
  const std::string& text = Converted(Format::kYaml);
  for (auto _ : state) benchmark::DoNotOptimize(YAML::Load(text));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_YamlCppLoad)->Unit(benchmark::kMillisecond);

void BM_Emit(benchmark::State& state, Format format) {
  auto doc = bulwark::config::ParseDocument(JsonText(), Format::kJson);
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto text = bulwark::config::EmitDocument(doc->root, format);
    bytes += text->size();
    benchmark::DoNotOptimize(text);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK_CAPTURE(BM_Emit, json, Format::kJson)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Emit, yaml, Format::kYaml)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
