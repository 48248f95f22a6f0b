// Audit log benchmark (bench/results/auditlog.md): sustained durable append throughput with
// group commit and checkpoints on (SQLite WAL synchronous=FULL, or PostgreSQL), full verification
// of the stored log, inclusion/consistency proof latency, and indexed query latency.
//
// Workload: every event goes the product path of LogAuditSink: request::AuditRecord -> impact
// classifier -> CloudEvents JSON (BuildEvent) -> RFC 8785 canonical bytes (counted: producers do
// it in the product) -> leaf hash -> group commit (events, tree nodes, postings, checkpoint signed
// every 1000 events with Ed25519). Events are about 750 bytes canonical.
//
// Usage: auditlog_bench [--batched-only] [EVENTS=1000000] [THREADS=4] [DIR=/tmp] [STORE=sqlite]
//   --batched-only: only the batched phase (1b), with EVENTS events, then verification; for
//   A/B runs of the committing path.
//   STORE: "sqlite" (a file in DIR) or a postgresql:// URL ("pg": $BULWARK_TEST_PG_URL or the
//   test server of scripts/pg-test-server.sh); the PostgreSQL tables are dropped at the end.
#include <fmt/format.h>
#include <libpq-fe.h>  // dropping the PostgreSQL tables after the run
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string_view>
#include <thread>
#include <vector>

#include "bulwark/audit/checkpoint_verifier.h"
#include "bulwark/auditlog/event_store.h"
#include "bulwark/auditlog/log_audit.h"
#include "bulwark/audit/proof.h"

using namespace bulwark;
using namespace bulwark::audit;
using Steady = std::chrono::steady_clock;

namespace {

// Process CPU time (user + system), seconds.
double CpuSeconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// /proc/loadavg's first three fields (the machine is shared: figures depend on it).
std::string LoadAverage() {
  std::FILE* f = std::fopen("/proc/loadavg", "r");
  if (f == nullptr) return "?\n";
  double a = 0, b = 0, c = 0;
  const int n = std::fscanf(f, "%lf %lf %lf", &a, &b, &c);
  std::fclose(f);
  return n == 3 ? fmt::format("{:.2f} {:.2f} {:.2f}\n", a, b, c) : "?\n";
}

// Bytes this process passed to write()/pwrite() so far (/proc/self/io wchar), 0 if unknown.
std::uint64_t WrittenBytes() {
  std::FILE* f = std::fopen("/proc/self/io", "r");
  if (f == nullptr) return 0;
  char key[64];
  unsigned long long v = 0, out = 0;
  while (std::fscanf(f, "%63s %llu", key, &v) == 2) {
    if (std::string_view(key) == "wchar:") out = v;
  }
  std::fclose(f);
  return out;
}

double Seconds(Steady::time_point a, Steady::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// A realistic record: a service principal with roles, two paths, versions on writes, a client
// string and a UUID-like request id (about 750 bytes of canonical event).
request::AuditRecord Record(int thread, std::uint64_t i) {
  request::AuditRecord r;
  r.time = std::chrono::system_clock::now();
  r.operation = i % 5 == 0 ? "config.set" : "config.get";
  r.action = i % 5 == 0 ? request::Action::kWrite : request::Action::kRead;
  r.namespace_name = fmt::format("team{}/service{}", thread % 16, i % 50);
  r.paths = {fmt::format("db.key{}", i % 200), fmt::format("cache.ttl{}", i % 7)};
  if (i % 5 == 0) {
    r.version_before = static_cast<std::int64_t>(i / 5);
    r.version_after = static_cast<std::int64_t>(i / 5 + 1);
  }
  if (i % 97 == 0) {
    r.outcome = request::Outcome::kDenied;
    r.reason = "policy: team namespaces are writable by their owners only";
  }
  r.context.principal.id = fmt::format("local:user{}", i % 1000);
  r.context.principal.kind = "local";
  r.context.principal.roles = {"operator", "deployer"};
  r.context.source_address = fmt::format("10.{}.{}.{}", thread % 256, (i >> 8) % 256, i % 256);
  r.context.client = "bulwark-cli/0.3.0 (linux; x86_64)";
  r.context.request_id = fmt::format("{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}", i * 2654435761u,
                                     thread, i % 4096, (i >> 12) % 4096, i * 40503u);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  bool batched_only = false;
  if (argc > 1 && std::string_view(argv[1]) == "--batched-only") {
    batched_only = true;
    --argc;
    ++argv;
  }
  const std::uint64_t events = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 4;
  const std::filesystem::path dir = std::filesystem::path(argc > 3 ? argv[3] : "/tmp") /
                                    fmt::format("auditlog_bench_{}", ::getpid());
  std::string store = argc > 4 ? argv[4] : "sqlite";
  if (store == "pg") {
    const char* env = std::getenv("BULWARK_TEST_PG_URL");
    store = env && *env ? env : "postgresql://postgres@127.0.0.1:54329/bulwark_test";
  }
  const bool pg = store != "sqlite";
  std::filesystem::create_directories(dir);
  std::vector<std::uint8_t> seed(32, 42);
  auto signer =
      std::shared_ptr<const NoteSigner>(*NoteSigner::Create("bench/log", SecretBytes(seed)));
  AuditLogOptions o;
  o.path = dir / "audit.db";
  if (pg) o.url = store;
  o.origin = "bench/log";
  o.signers = {signer};
  o.checkpoint_every = 1000;
  auto opened = AuditLog::Open(o);
  if (!opened) {
    fmt::print(stderr, "{}\n", opened.error().message());
    return 1;
  }
  std::shared_ptr<AuditLog> log(std::move(*opened));
  fmt::print("store: {}; load average (1/5/15 min) at the start: {}",
             pg ? "PostgreSQL" : "SQLite (WAL, synchronous=FULL)", LoadAverage());

  // 0. The producers' share: record -> classifier -> CloudEvents -> RFC 8785, no log, 2 threads.
  if (!batched_only) {
    const std::uint64_t n = std::min<std::uint64_t>(events, 200'000);
    std::atomic<std::uint64_t> bytes{0};
    const ImpactClassifier classifier = ImpactClassifier::Default();
    const auto b0 = Steady::now();
    std::vector<std::thread> bt;
    for (int t = 0; t < 2; ++t) {
      bt.emplace_back([&, t] {
        std::uint64_t local = 0;
        for (std::uint64_t i = t; i < n; i += 2) {
          const request::AuditRecord r = Record(t, i);
          const Impact impact = classifier.Classify(r);
          auto leaf =
              RecordLeaf(r, impact, "0123456789abcdef0123456789abcdef", "bulwark://bench/config");
          if (!leaf) std::abort();
          local += leaf->size();
        }
        bytes += local;
      });
    }
    for (auto& t : bt) t.join();
    const double s = Seconds(b0, Steady::now());
    fmt::print(
        "event building only (classify + CloudEvents + RFC 8785), 2 threads: {} events, {:.2f} "
        "s, {:.0f} events/s; mean canonical event size {} bytes\n",
        n, s, n / s, bytes.load() / n);
  }

  // 1. Durable appends through the full sink path (event, classifier, RFC 8785, group commit).
  std::atomic<std::uint64_t> next{batched_only ? events : 0};
  std::vector<std::vector<double>> lat(threads);
  const auto t0 = Steady::now();
  const double c0 = CpuSeconds();
  std::vector<std::thread> ts;
  for (int t = 0; t < (batched_only ? 0 : threads); ++t) {
    ts.emplace_back([&, t] {
      LogAuditSink sink(log, ImpactClassifier::Default(), "bulwark://bench/config",
                        Runtime::System());
      while (true) {
        const std::uint64_t i = next.fetch_add(1);
        if (i >= events) break;
        const auto a = Steady::now();
        if (!sink.Append(Record(t, i))) std::abort();
        if (i % 64 == 0) lat[t].push_back(Seconds(a, Steady::now()));
      }
    });
  }
  for (auto& t : ts) t.join();
  const double append_s = Seconds(t0, Steady::now());
  const double append_cpu = CpuSeconds() - c0;
  std::vector<double> all;
  for (auto& l : lat) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  const auto cps = *log->Checkpoints();
  if (!batched_only)
    fmt::print(
        "append: {} events, {} threads, {:.2f} s, {:.0f} events/s durable, {} checkpoints; "
        "append latency p50 {:.2f} ms p99 {:.2f} ms; CPU {:.1f} us/event (user+sys, all "
        "threads)\n",
        events, threads, append_s, events / append_s, cps.size(), all[all.size() / 2] * 1e3,
        all[all.size() * 99 / 100] * 1e3, append_cpu / events * 1e6);
  if (!pg && !batched_only)
    fmt::print("database size: {:.1f} MiB\n",
               std::filesystem::file_size(o.path) / 1048576.0 +
                   (std::filesystem::exists(dir / "audit.db-wal")
                        ? std::filesystem::file_size(dir / "audit.db-wal") / 1048576.0
                        : 0.0));

  // 1b. Batched appenders: each of `threads` callers submits 256 records per AppendRecords (what
  // a server front end does with concurrent requests), with checkpoints on.
  {
    const std::uint64_t batch_events = batched_only ? events : events / 2;
    std::atomic<std::uint64_t> taken{0};
    const auto b0 = Steady::now();
    const double c1 = CpuSeconds();
    const std::uint64_t w1 = WrittenBytes();
    std::vector<std::thread> bt;
    for (int t = 0; t < std::min(threads, 8); ++t) {
      bt.emplace_back([&, t] {
        LogAuditSink sink(log, ImpactClassifier::Default(), "bulwark://bench/config",
                          Runtime::System());
        std::vector<request::AuditRecord> recs;
        while (true) {
          const std::uint64_t i = taken.fetch_add(256);
          if (i >= batch_events) break;
          recs.clear();
          for (std::uint64_t k = i; k < std::min(i + 256, batch_events); ++k) {
            recs.push_back(Record(t, k));
          }
          if (!sink.AppendRecords(recs)) std::abort();
        }
      });
    }
    for (auto& t : bt) t.join();
    const double s = Seconds(b0, Steady::now());
    fmt::print(
        "append batched: {} events, {} threads x 256-record batches, {:.2f} s, {:.0f} "
        "events/s durable; CPU {:.1f} us/event; {:.0f} bytes written/event\n",
        batch_events, std::min(threads, 8), s, batch_events / s,
        (CpuSeconds() - c1) / batch_events * 1e6,
        static_cast<double>(WrittenBytes() - w1) / batch_events);
  }

  // 2. Full verification from the stored events.
  auto verifier = *CheckpointVerifier::Create("bench/log", {signer->Verifier()});
  const auto v0 = Steady::now();
  auto v = VerifyAuditLog(*log, verifier, std::nullopt, {});
  const double verify_s = Seconds(v0, Steady::now());
  if (!v || !v->clean()) {
    fmt::print(stderr, "verification failed\n");
    return 1;
  }
  fmt::print("verify: {} events, {} checkpoints, {:.2f} s ({:.0f} events/s)\n", v->report.log_size,
             v->report.checkpoints_checked, verify_s, v->report.log_size / verify_s);

  // Removes the database (SQLite: the directory; PostgreSQL: the tables).
  auto cleanup = [&] {
    log.reset();
    std::filesystem::remove_all(dir);
    if (pg) {
      PGconn* c = PQconnectdb(store.c_str());
      PQclear(PQexec(
          c,
          "DROP TABLE IF EXISTS bulwark_audit_events, bulwark_audit_terms, "
          "bulwark_audit_postings, bulwark_audit_segment_postings, bulwark_audit_index_state, "
          "bulwark_audit_nodes, bulwark_audit_state, "
          "bulwark_audit_checkpoints, bulwark_audit_schema; DROP FUNCTION IF EXISTS "
          "bulwark_audit_append_only()"));
      PQfinish(c);
    }
  };
  if (batched_only) {
    if (!pg) {
      const auto wal = dir / "audit.db-wal";
      fmt::print("database {:.1f} MiB, WAL {:.1f} MiB\n",
                 std::filesystem::file_size(o.path) / 1048576.0,
                 std::filesystem::exists(wal) ? std::filesystem::file_size(wal) / 1048576.0 : 0.0);
    }
    cleanup();
    fmt::print("load average (1/5/15 min) at the end: {}", LoadAverage());
    return 0;
  }

  // 3. Proof latency at the full size.
  std::mt19937_64 rng(1);
  const std::uint64_t n = *log->LeafCount();
  std::vector<double> pl, cl;
  for (int i = 0; i < 1000; ++i) {
    const auto a = Steady::now();
    auto p = InclusionProof(*log, rng() % n, n);
    pl.push_back(Seconds(a, Steady::now()));
    if (!p) std::abort();
    const auto b = Steady::now();
    auto c = ConsistencyProof(*log, 1 + rng() % n, n);
    cl.push_back(Seconds(b, Steady::now()));
    if (!c) std::abort();
  }
  std::sort(pl.begin(), pl.end());
  std::sort(cl.begin(), cl.end());
  fmt::print(
      "inclusion proof at size {}: p50 {:.3f} ms p99 {:.3f} ms; consistency proof: p50 "
      "{:.3f} ms p99 {:.3f} ms\n",
      n, pl[500] * 1e3, pl[990] * 1e3, cl[500] * 1e3, cl[990] * 1e3);

  // 4. Indexed queries.
  auto query = [&](const char* what, EventFilter f) {
    std::uint64_t count = 0;
    const auto a = Steady::now();
    (void)log->Query(f, [&](const StoredEvent&) {
      ++count;
      return OkStatus();
    });
    fmt::print("query {}: {} events in {:.1f} ms\n", what, count, Seconds(a, Steady::now()) * 1e3);
  };
  EventFilter actor;
  actor.actor = "local:user7";
  query("--actor local:user7", actor);
  EventFilter denied;
  denied.outcome = "denied";
  denied.limit = 100;
  query("--outcome denied (first 100)", denied);
  EventFilter path;
  path.path = "db.key13";
  path.namespace_name = "team1/service13";
  query("--ns team1/service13 --path db.key13", path);
  EventFilter impact;
  impact.min_impact = ImpactLevel::kHigh;
  impact.limit = 100;
  query("--impact high (first 100)", impact);
  cleanup();
  return 0;
}
