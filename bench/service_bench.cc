// Read overhead of the service pipeline (issue: store and service).
//
// Workload: the first 20 services of ../shared/bench/services-1000.json as one namespace (260
// leaves, 40 of them secrets: database.password and auth.jwt_secret_key per service), stored in
// SQLite through the service, so the stored document holds 40 ENC[...] tokens.
//   PlainStoreGet        store->Get of the same stored bytes (SQLite read, JSON parse, hash check)
//   ServiceGetRedacted   service->Get without reveal: authorize + load + redact + audit
//   ServiceGetReveal     service->Get with reveal: authorize + load + decrypt 40 secrets + audit
//   DecryptOneSecret     one KeyringValueCipher::Decrypt (the cost per secret)
// Audit sinks: "memory" (records kept in memory: the pipeline's own cost) and "jsonl" (the
// JsonlAuditSink, which fsyncs every record before the read returns).
#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "bulwark/config/format.h"
#include "bulwark/service/config_service.h"
#include "bulwark/service/keyring_value_cipher.h"
#include "bulwark/store/open.h"
#include "bulwark/testing/recording_audit_sink.h"

namespace bulwark::service {
namespace {

struct Fixture {
  std::filesystem::path dir;
  std::shared_ptr<store::ConfigStore> store;
  std::shared_ptr<keys::Keyring> keyring;
  std::shared_ptr<const ValueCipher> cipher;
  std::unique_ptr<ConfigService> memory_svc;
  std::unique_ptr<ConfigService> jsonl_svc;
  RequestContext ctx;
  std::string one_token;
  std::string ns_id;

  Fixture() {
    char tmpl[] = "/tmp/bulwark-svc-bench-XXXXXX";
    dir = ::mkdtemp(tmpl);
    Runtime rt = Runtime::System();
    store = store::OpenStore("sqlite:" + (dir / "store.db").string(), rt).value();
    keyring = keys::Keyring::Create(rt, crypto::AlgorithmPolicy::Standard()).value();
    cipher = NewKeyringValueCipher(keyring);
    ctx.principal = {"local:bench", "local", {}, config::Value::EmptyMap()};
    memory_svc = ConfigService::Create({rt, store, cipher, NewLocalAuthorizer(),
                                        std::make_shared<testing::RecordingAuditSink>(), {}})
                     .value();
    jsonl_svc = ConfigService::Create({rt, store, cipher, NewLocalAuthorizer(),
                                       JsonlAuditSink::Open(dir / "audit.jsonl").value(), {}})
                    .value();
    std::ifstream f(std::string(BULWARK_SHARED_DIR) + "/bench/services-1000.json");
    std::stringstream ss;
    ss << f.rdbuf();
    auto all = config::ParseDocument(ss.str(), config::Format::kJson).value().root;
    config::ValueList first(all.Get("services")->AsList().begin(), all.Get("services")->AsList().begin() + 20);
    config::ValueMap doc;
    doc.Set("services", config::Value(std::move(first)));
    (void)memory_svc->Put(ctx, "production/bench", config::Value(std::move(doc)), {}).value();
    auto stored = store->Get("production/bench", store::VersionRef::Latest()).value();
    one_token = config::Find(stored.content, config::Path::Parse("services[0].database.password").value())->AsString();
    auto meta = store->Get(MetaNamespace("production/bench"), store::VersionRef::Latest()).value();
    ns_id = meta.content.Get("id")->AsString();
  }
  ~Fixture() { std::filesystem::remove_all(dir); }
};

Fixture& F() {
  static Fixture f;
  return f;
}

void BM_PlainStoreGet(benchmark::State& state) {
  for (auto _ : state) {
    auto s = F().store->Get("production/bench", store::VersionRef::Latest());
    benchmark::DoNotOptimize(s);
  }
}

void Get(benchmark::State& state, ConfigService& svc, bool reveal) {
  ReadRequest req;
  req.reveal = reveal;
  for (auto _ : state) {
    auto r = svc.Get(F().ctx, "production/bench", req);
    if (!r) state.SkipWithError(r.error().message().c_str());
    benchmark::DoNotOptimize(r);
  }
}

void BM_ServiceGetRedacted_memory(benchmark::State& s) { Get(s, *F().memory_svc, false); }
void BM_ServiceGetReveal_memory(benchmark::State& s) { Get(s, *F().memory_svc, true); }
void BM_ServiceGetRedacted_jsonl(benchmark::State& s) { Get(s, *F().jsonl_svc, false); }
void BM_ServiceGetReveal_jsonl(benchmark::State& s) { Get(s, *F().jsonl_svc, true); }

void BM_DecryptOneSecret(benchmark::State& state) {
  const auto doc_id = "bulwark-store/v1/" + F().ns_id;
  const auto path = config::Path::Parse("services[0].database.password").value();
  for (auto _ : state) {
    auto v = F().cipher->Decrypt(F().one_token, doc_id, path);
    if (!v) state.SkipWithError(v.error().message().c_str());
    benchmark::DoNotOptimize(v);
  }
}

BENCHMARK(BM_PlainStoreGet)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ServiceGetRedacted_memory)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ServiceGetReveal_memory)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ServiceGetRedacted_jsonl)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ServiceGetReveal_jsonl)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_DecryptOneSecret)->Unit(benchmark::kNanosecond);

}  // namespace
}  // namespace bulwark::service

BENCHMARK_MAIN();
