// Read overhead of the service pipeline (issue #4, "Numbers": read overhead).
//
// Workload: the first 20 services of bench/workloads/services-1000.json as one namespace (260
// leaves, 40 of them secrets: database.password and auth.jwt_secret_key per service), stored in
// SQLite through the service, so the stored document holds 40 ENC[...] tokens. Overhead4_*: the
// same services with the secrets of only the first two (224 leaves, 4 tokens).
//
// clang-format off
//   PlainStoreGet             store->Get of the same stored bytes (SQLite read, SHA-256 check,
//                             JSON parse): the reference
//   ServiceGetRedacted        service->Get without reveal: authorize + load + find tokens and
//                             redact + build the audit record
//   ServiceGetReveal_nocache  service->Get with reveal, every token decrypted (KeyringValueCipher)
//   ServiceGetReveal_cached   the same through CachingValueCipher, warm (repeated reads)
//   Overhead*_                interleaved A/B of the two: plain read, then service read, each
//                             timed with the thread's CPU clock; reports added_pct
//   DecryptOneSecret_first    one KeyringValueCipher::Decrypt (parse, AAD, AES-GCM, typed value)
//   DecryptOneSecret_cached   one CachingValueCipher::Decrypt hit
//   OverheadEvent*_           the same with EventAuditSink: the reader-thread CPU of the
//                             product's audit sink before the log append (audit::EventBuilder:
//                             event id, impact rule, RFC 8785 CloudEvent bytes, index columns)
//                             counted in the pipeline
//   AuditEventOfRead          the reference event writer (nlohmann document, then RFC 8785) for
//                             a record with 40 sensitive paths
//   AuditRecordLeafOfRead     the writer LogAuditSink uses (RecordLeaf: the same bytes, direct)
//   AuditEventBuild4/40       LogAuditSink's whole pre-append step (EventBuilder::Build) for the
//                             record of a read of the 4- and the 40-secret document
//   Overhead_tag              the version tag alone (docs/store.md, "Authenticated versions"):
//                             parse the stored tag and verify its HMAC-SHA256 against the
//                             namespace's metadata, interleaved with the plain read it follows;
//                             tag_pct is its cost relative to that read (the Overhead*/Service*
//                             rows include it, as every read now does)
//   PlainStoreGetMeta         the read of a namespace's metadata document: what a process that
//                             has not read the namespace yet (a CLI command) adds once
//   *_log                     the product's durable sink: LogAuditSink over the SQLite Merkle
//                             audit log (WAL, synchronous=FULL: one fsync per group commit),
//                             1 and 8 threads, wall time per read and reads per second
// clang-format on
//
// The Overhead*/Service* benchmarks use a sink that drops records (DiscardAuditSink): what the
// service adds to the read. OverheadEvent* add what the durable sink computes in the reader's
// thread; the *_log rows add the append itself (SQLite, Merkle tree, fsync).
#include <benchmark/benchmark.h>
#include <time.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "bulwark/auditlog/event.h"
#include "bulwark/auditlog/log_audit.h"
#include "bulwark/config/format.h"
#include "bulwark/service/caching_value_cipher.h"
#include "bulwark/service/config_service.h"
#include "bulwark/service/keyring_value_cipher.h"
#include "bulwark/store/open.h"
#include "bulwark/testing/temp_dir.h"
#include "service/namespace_meta.h"
#include "service/version_mac.h"

namespace bulwark::service {
namespace {

class DiscardAuditSink final : public AuditSink {
 public:
  Status Append(const AuditRecord& record) override {
    appended_.fetch_add(record.sensitive_paths.size() + 1, std::memory_order_relaxed);
    return OkStatus();
  }
  Status HealthCheck() const override { return OkStatus(); }

 private:
  std::atomic<std::uint64_t> appended_{0};
};

// What LogAuditSink computes in the reader's thread before it hands the event to the log, with the
// product's code (audit::EventBuilder: event id, impact rule, RFC 8785 CloudEvent bytes, index
// columns). The log append (SQLite, Merkle tree, fsync) is the *_log rows.
class EventAuditSink final : public AuditSink {
 public:
  explicit EventAuditSink(Runtime rt)
      : events_(audit::ImpactClassifier::Default(), "bulwark://bench/config", std::move(rt)) {}
  Status Append(const AuditRecord& record) override {
    BULWARK_ASSIGN_OR_RETURN(audit::PreparedEvent ev, events_.Build(record));
    benchmark::DoNotOptimize(ev);
    return OkStatus();
  }
  Status HealthCheck() const override { return OkStatus(); }

 private:
  audit::EventBuilder events_;
};

struct Fixture {
  bulwark::testing::TempDir tmp{"bulwark-svc-bench"};
  std::filesystem::path dir = tmp.path();
  std::shared_ptr<store::ConfigStore> store;
  std::shared_ptr<keys::Keyring> keyring;
  std::shared_ptr<const ValueCipher> cipher;
  std::shared_ptr<CachingValueCipher> cached;
  std::shared_ptr<audit::AuditLog> log;
  std::unique_ptr<ConfigService> plain_svc;         // uncached cipher, discard sink
  std::unique_ptr<ConfigService> cached_svc;        // caching cipher, discard sink
  std::unique_ptr<ConfigService> log_svc;           // caching cipher, LogAuditSink
  std::unique_ptr<ConfigService> event_svc;         // uncached cipher, EventAuditSink
  std::unique_ptr<ConfigService> event_cached_svc;  // caching cipher, EventAuditSink
  RequestContext ctx;
  std::string one_token;
  std::string ns_id;
  AuditRecord read_record;   // the audit record of one redacted read
  AuditRecord read_record4;  // the same for the 4-secret document

  std::shared_ptr<const StoreMacKey> store_mac = StoreMacKey::Generate(*NewSystemRandom()).value();
  ServiceDeps WithMac(ServiceDeps d) const {
    d.store_mac = store_mac;
    return d;
  }

  Fixture() {
    Runtime rt = Runtime::System();
    store = store::OpenStore("sqlite:" + (dir / "store.db").string(), rt).value();
    keyring = keys::Keyring::Create(rt, crypto::AlgorithmPolicy::Standard()).value();
    cipher = NewKeyringValueCipher(keyring);
    cached = CachingValueCipher::Create(cipher, keyring, {}).value();
    ctx.principal = {"local:bench", "local", {}, config::Value::EmptyMap()};
    plain_svc =
        ConfigService::Create(WithMac({rt, store, cipher, NewLocalAuthorizer(), std::make_shared<DiscardAuditSink>(), {}}))
            .value();
    cached_svc =
        ConfigService::Create(WithMac({rt, store, cached, NewLocalAuthorizer(), std::make_shared<DiscardAuditSink>(), {}}))
            .value();
    event_svc =
        ConfigService::Create(WithMac({rt, store, cipher, NewLocalAuthorizer(), std::make_shared<EventAuditSink>(rt), {}}))
            .value();
    event_cached_svc =
        ConfigService::Create(WithMac({rt, store, cached, NewLocalAuthorizer(), std::make_shared<EventAuditSink>(rt), {}}))
            .value();
    auto keys = audit::LoadOrCreateLogKeys(rt, dir / "audit-log.key").value();
    audit::AuditLogOptions o;
    o.path = dir / "audit.db";
    o.origin = keys.origin;
    o.signers = keys.signers;
    o.runtime = rt;
    log = audit::AuditLog::Open(std::move(o)).value();
    log_svc = ConfigService::Create(WithMac({rt,
                   store,
                   cached,
                   NewLocalAuthorizer(),
                   std::make_shared<audit::LogAuditSink>(log, audit::ImpactClassifier::Default(),
                                                         "bulwark://bench/config", rt),
                   {}}))
                  .value();

    std::ifstream f(std::string(BULWARK_WORKLOADS_DIR) + "/services-1000.json");
    std::stringstream ss;
    ss << f.rdbuf();
    auto all = config::ParseDocument(ss.str(), config::Format::kJson).value().root;
    config::ValueList first(all.Get("services")->AsList().begin(),
                            all.Get("services")->AsList().begin() + 20);
    config::ValueMap doc;
    doc.Set("services", config::Value(std::move(first)));
    // The same services with the secrets of only the first two kept: 224 leaves, 4 secrets.
    config::ValueList few = doc.Find("services")->AsList();
    for (std::size_t i = 2; i < few.size(); ++i) {
      few[i].AsMap().Find("database")->AsMap().Erase("password");
      few[i].AsMap().Find("auth")->AsMap().Erase("jwt_secret_key");
    }
    config::ValueMap doc4;
    doc4.Set("services", config::Value(std::move(few)));
    (void)plain_svc->Put(ctx, "production/bench4", config::Value(std::move(doc4)), {}).value();
    (void)plain_svc->Put(ctx, "production/bench", config::Value(std::move(doc)), {}).value();
    auto stored = store->Get("production/bench", store::VersionRef::Latest()).value();
    one_token =
        config::Find(stored.content, config::Path::Parse("services[0].database.password").value())
            ->AsString();
    auto meta = store->Get(MetaNamespace("production/bench"), store::VersionRef::Latest()).value();
    ns_id = meta.content.Get("id")->AsString();

    read_record.time = rt.clock->Now();
    read_record.operation = "config.get";
    read_record.action = Action::kRead;
    read_record.namespace_name = "production/bench";
    read_record.context = ctx;
    read_record.context.request_id = "0123456789abcdef";
    read_record.version_after = 1;
    auto r = plain_svc->Get(ctx, "production/bench", {}).value();
    for (const auto& p : r.sensitive) read_record.sensitive_paths.push_back(p.ToString());
    read_record4 = read_record;
    read_record4.namespace_name = "production/bench4";
    std::vector<std::string> four;
    auto r4 = plain_svc->Get(ctx, "production/bench4", {}).value();
    for (const auto& p : r4.sensitive) four.push_back(p.ToString());
    read_record4.sensitive_paths = std::move(four);
  }
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
  state.SetItemsProcessed(state.iterations());
}

void BM_ServiceGetRedacted(benchmark::State& s) { Get(s, *F().plain_svc, false); }
void BM_ServiceGetReveal_nocache(benchmark::State& s) { Get(s, *F().plain_svc, true); }
void BM_ServiceGetReveal_cached(benchmark::State& s) { Get(s, *F().cached_svc, true); }
void BM_ServiceGetRedacted_log(benchmark::State& s) { Get(s, *F().log_svc, false); }
void BM_ServiceGetReveal_log(benchmark::State& s) { Get(s, *F().log_svc, true); }

void Decrypt(benchmark::State& state, const ValueCipher& cipher) {
  const auto doc_id = "bulwark-store/v1/" + F().ns_id;
  const auto path = config::Path::Parse("services[0].database.password").value();
  for (auto _ : state) {
    auto v = cipher.Decrypt(F().one_token, doc_id, path);
    if (!v) state.SkipWithError(v.error().message().c_str());
    benchmark::DoNotOptimize(v);
  }
}
void BM_DecryptOneSecret_first(benchmark::State& s) { Decrypt(s, *F().cipher); }
void BM_DecryptOneSecret_cached(benchmark::State& s) { Decrypt(s, *F().cached); }

void BM_AuditEventOfRead(benchmark::State& state) {
  const auto classifier = audit::ImpactClassifier::Default();
  for (auto _ : state) {
    const audit::Impact impact = classifier.Classify(F().read_record);
    auto event = audit::BuildEvent(F().read_record, impact, "00112233445566778899aabbccddeeff",
                                   "bulwark://bench/config");
    auto leaf = audit::EventLeaf(event);
    benchmark::DoNotOptimize(leaf);
  }
}

// The append path's writer (LogAuditSink): the same bytes without building the JSON document.
void BM_AuditRecordLeafOfRead(benchmark::State& state) {
  const auto classifier = audit::ImpactClassifier::Default();
  for (auto _ : state) {
    const audit::Impact impact = classifier.Classify(F().read_record);
    auto leaf = audit::RecordLeaf(F().read_record, impact, "00112233445566778899aabbccddeeff",
                                  "bulwark://bench/config");
    benchmark::DoNotOptimize(leaf);
  }
}

// The whole pre-append step of LogAuditSink (audit::EventBuilder::Build: event id, impact, leaf,
// columns) for the record of a read of the 4-secret and of the 40-secret document.
void EventBuild(benchmark::State& state, const AuditRecord& record) {
  audit::EventBuilder builder(audit::ImpactClassifier::Default(), "bulwark://bench/config",
                              Runtime::System());
  for (auto _ : state) {
    auto ev = builder.Build(record);
    benchmark::DoNotOptimize(ev);
  }
}
void BM_AuditEventBuild4(benchmark::State& s) { EventBuild(s, F().read_record4); }
void BM_AuditEventBuild40(benchmark::State& s) { EventBuild(s, F().read_record); }

// Interleaved A/B: each iteration does one plain store read and one service read of the same
// stored bytes, each timed with the thread's CPU clock, so load from other processes on this
// shared machine affects both alike. Reports both means and the added time in percent.
double ThreadCpuNs() {
  timespec ts;
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

void Overhead(benchmark::State& state, ConfigService& svc, bool reveal,
              const char* ns = "production/bench") {
  ReadRequest req;
  req.reveal = reveal;
  double plain_ns = 0, service_ns = 0;
  for (auto _ : state) {
    const double t0 = ThreadCpuNs();
    {
      auto s = F().store->Get(ns, store::VersionRef::Latest());
      benchmark::DoNotOptimize(s);
    }
    const double t1 = ThreadCpuNs();
    {
      auto r = svc.Get(F().ctx, ns, req);
      if (!r) state.SkipWithError(r.error().message().c_str());
      benchmark::DoNotOptimize(r);
    }
    const double t2 = ThreadCpuNs();
    plain_ns += t1 - t0;
    service_ns += t2 - t1;
  }
  const double n = static_cast<double>(state.iterations());
  state.counters["plain_us"] = plain_ns / n / 1000;
  state.counters["service_us"] = service_ns / n / 1000;
  state.counters["added_pct"] = (service_ns - plain_ns) / plain_ns * 100;
}
// The tag check every read adds: ParseVersionMac + VerifyVersion (HMAC-SHA256 over ~300 bytes)
// with the namespace's metadata at hand (a service keeps it cached).
void BM_Overhead_tag(benchmark::State& state) {
  const std::string ns = "production/bench";
  auto meta_snap = F().store->Get(MetaNamespace(ns), store::VersionRef::Latest()).value();
  const auto meta = internal::VerifiedMeta(*F().store_mac, ns, meta_snap, true).value();
  double plain_ns = 0, tag_ns = 0;
  for (auto _ : state) {
    const double t0 = ThreadCpuNs();
    auto s = F().store->Get(ns, store::VersionRef::Latest());
    const double t1 = ThreadCpuNs();
    auto parsed = internal::ParseVersionMac(s->info);
    auto ok = parsed ? internal::VerifyVersion(*F().store_mac, s->info, *parsed,
                                               internal::DataBindingOf(meta))
                     : Status(std::unexpected(parsed.error()));
    const double t2 = ThreadCpuNs();
    if (!ok) state.SkipWithError(ok.error().message().c_str());
    benchmark::DoNotOptimize(ok);
    plain_ns += t1 - t0;
    tag_ns += t2 - t1;
  }
  const double n = static_cast<double>(state.iterations());
  state.counters["plain_us"] = plain_ns / n / 1000;
  state.counters["tag_us"] = tag_ns / n / 1000;
  state.counters["tag_pct"] = tag_ns / plain_ns * 100;
}

void BM_PlainStoreGetMeta(benchmark::State& state) {
  for (auto _ : state) {
    auto s = F().store->Get(MetaNamespace("production/bench"), store::VersionRef::Latest());
    benchmark::DoNotOptimize(s);
  }
}

void BM_Overhead_redacted(benchmark::State& s) { Overhead(s, *F().plain_svc, false); }
void BM_Overhead_reveal_nocache(benchmark::State& s) { Overhead(s, *F().plain_svc, true); }
void BM_Overhead_reveal_cached(benchmark::State& s) { Overhead(s, *F().cached_svc, true); }
void BM_Overhead4_redacted(benchmark::State& s) {
  Overhead(s, *F().plain_svc, false, "production/bench4");
}
void BM_Overhead4_reveal_nocache(benchmark::State& s) {
  Overhead(s, *F().plain_svc, true, "production/bench4");
}
void BM_Overhead4_reveal_cached(benchmark::State& s) {
  Overhead(s, *F().cached_svc, true, "production/bench4");
}
void BM_OverheadEvent_redacted(benchmark::State& s) { Overhead(s, *F().event_svc, false); }
void BM_OverheadEvent_reveal_nocache(benchmark::State& s) { Overhead(s, *F().event_svc, true); }
void BM_OverheadEvent_reveal_cached(benchmark::State& s) {
  Overhead(s, *F().event_cached_svc, true);
}
void BM_OverheadEvent4_redacted(benchmark::State& s) {
  Overhead(s, *F().event_svc, false, "production/bench4");
}
void BM_OverheadEvent4_reveal_nocache(benchmark::State& s) {
  Overhead(s, *F().event_svc, true, "production/bench4");
}
void BM_OverheadEvent4_reveal_cached(benchmark::State& s) {
  Overhead(s, *F().event_cached_svc, true, "production/bench4");
}

BENCHMARK(BM_Overhead_tag)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_PlainStoreGetMeta)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Overhead_redacted)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Overhead_reveal_nocache)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Overhead_reveal_cached)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Overhead4_redacted)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Overhead4_reveal_nocache)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Overhead4_reveal_cached)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_OverheadEvent_redacted)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_OverheadEvent_reveal_nocache)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_OverheadEvent_reveal_cached)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_OverheadEvent4_redacted)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_OverheadEvent4_reveal_nocache)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_OverheadEvent4_reveal_cached)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_PlainStoreGet)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ServiceGetRedacted)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ServiceGetReveal_nocache)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ServiceGetReveal_cached)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_DecryptOneSecret_first)->Unit(benchmark::kNanosecond);
BENCHMARK(BM_DecryptOneSecret_cached)->Unit(benchmark::kNanosecond);
BENCHMARK(BM_AuditEventOfRead)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_AuditRecordLeafOfRead)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_AuditEventBuild4)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_AuditEventBuild40)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ServiceGetRedacted_log)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime()
    ->Threads(1)
    ->Threads(8);
BENCHMARK(BM_ServiceGetReveal_log)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime()
    ->Threads(1)
    ->Threads(8);

}  // namespace
}  // namespace bulwark::service

BENCHMARK_MAIN();
