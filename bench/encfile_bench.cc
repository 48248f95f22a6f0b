// Encrypting a 10,000-value YAML file end to end (issue 3, "Quality and numbers").
//
// Workload: a YAML file generated at start-up: 2,000 services, each a block map of five values
// (host, port, password, api_key, description as a quoted string), with a comment line per
// service: 10,000 values, 4,000 of them sensitive by the name heuristic. Measured:
//   YamlCppLoad          reference: yaml-cpp YAML::Load of the same text (parse only, no output)
//   ScanSpans            byte-exact value spans (yaml-cpp events + our scanner)
//   EncryptSensitive     EncryptFile with the name heuristic (4,000 tokens); includes the
//                        self-check decryption EncryptFile always performs
//   EncryptAll           EncryptFile of all 10,000 values
//   DecryptSensitive     DecryptFile of the EncryptSensitive output (tokens + MAC verified)
// Results: bench/results/encfile.md.
#include <benchmark/benchmark.h>
#include <yaml-cpp/yaml.h>

#include <string>

#include "bulwark/core/runtime.h"
#include "bulwark/crypto/policy.h"
#include "bulwark/keys/keyring.h"
#include "bulwark/secfile/encfile.h"
#include "bulwark/secfile/spans.h"

namespace bulwark::secfile {
namespace {

struct Workload {
  std::string yaml;
  Runtime runtime = Runtime::System();
  std::unique_ptr<keys::Keyring> keyring;
  std::string encrypted;
  std::vector<config::Path> all_paths;

  Workload() {
    yaml.reserve(1 << 20);
    yaml += "# generated: 2,000 services x 5 values\nservices:\n";
    for (int i = 0; i < 2000; ++i) {
      yaml += "  # service " + std::to_string(i) + "\n";
      yaml += "  svc" + std::to_string(i) + ":\n";
      yaml += "    host: svc" + std::to_string(i) + ".internal.example.com\n";
      yaml += "    port: " + std::to_string(8000 + i % 1000) + "\n";
      yaml += "    password: 'p@ss-" + std::to_string(i * 7919) + "-xYz'\n";
      yaml += "    api_key: ak_" + std::to_string(i * 104729) + "_live_0123456789abcdef\n";
      yaml += "    description: \"Service number " + std::to_string(i) + " \\u2713\"\n";
    }
    keyring = std::move(*keys::Keyring::Create(runtime, crypto::AlgorithmPolicy::Standard()));
    encrypted = EncryptFile(yaml, FileFormat::kYaml, *keyring, runtime)->text;
    const auto spans = ScanValues(yaml, FileFormat::kYaml);
    for (const ValueSpan& s : *spans) all_paths.push_back(s.path);
  }
};

Workload& W() {
  static Workload* w = new Workload();
  return *w;
}

void YamlCppLoad(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(YAML::Load(W().yaml));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * W().yaml.size()));
}
BENCHMARK(YamlCppLoad)->Unit(benchmark::kMillisecond);

void ScanSpans(benchmark::State& state) {
  for (auto _ : state) {
    auto spans = ScanValues(W().yaml, FileFormat::kYaml);
    if (!spans || spans->size() != 10000) state.SkipWithError("scan failed");
    benchmark::DoNotOptimize(spans);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * W().yaml.size()));
}
BENCHMARK(ScanSpans)->Unit(benchmark::kMillisecond);

void EncryptSensitive(benchmark::State& state) {
  for (auto _ : state) {
    auto enc = EncryptFile(W().yaml, FileFormat::kYaml, *W().keyring, W().runtime);
    if (!enc || enc->encrypted.size() != 4000) state.SkipWithError("encrypt failed");
    benchmark::DoNotOptimize(enc);
  }
  state.counters["values_encrypted"] = 4000;
}
BENCHMARK(EncryptSensitive)->Unit(benchmark::kMillisecond);

void EncryptAll(benchmark::State& state) {
  EncryptOptions options;
  options.paths = W().all_paths;
  for (auto _ : state) {
    auto enc = EncryptFile(W().yaml, FileFormat::kYaml, *W().keyring, W().runtime, options);
    if (!enc || enc->encrypted.size() != 10000) state.SkipWithError("encrypt failed");
    benchmark::DoNotOptimize(enc);
  }
  state.counters["values_encrypted"] = 10000;
}
BENCHMARK(EncryptAll)->Unit(benchmark::kMillisecond);

void DecryptSensitive(benchmark::State& state) {
  for (auto _ : state) {
    auto dec = DecryptFile(W().encrypted, FileFormat::kYaml, *W().keyring);
    if (!dec || dec->text != W().yaml) state.SkipWithError("decrypt failed");
    benchmark::DoNotOptimize(dec);
  }
}
BENCHMARK(DecryptSensitive)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace bulwark::secfile

BENCHMARK_MAIN();
