// Audit retention benchmark (bench/results/auditarchive.md): fill a log, archive the oldest
// ARCHIVED events into a file (verify the log, write, fsync, re-verify the file, prune), then time
// `verify` of the pruned log and of the archive file on its own.
//
// Usage: auditarchive_bench [EVENTS=110000] [ARCHIVED=100000] [DIR=/tmp]
#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>
#include <vector>

#include "bulwark/auditlog/archive.h"
#include "bulwark/audit/checkpoint_verifier.h"
#include "bulwark/auditlog/event_store.h"
#include "bulwark/auditlog/log_audit.h"

using namespace bulwark;
using namespace bulwark::audit;
using Steady = std::chrono::steady_clock;

namespace {

double Seconds(Steady::time_point a, Steady::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

request::AuditRecord Record(std::uint64_t i) {
  request::AuditRecord r;
  r.time = std::chrono::system_clock::now();
  r.operation = i % 5 == 0 ? "config.set" : "config.get";
  r.action = i % 5 == 0 ? request::Action::kWrite : request::Action::kRead;
  r.namespace_name = fmt::format("team{}/service{}", i % 7, i % 50);
  r.paths = {fmt::format("db.key{}", i % 200)};
  if (i % 97 == 0) r.outcome = request::Outcome::kDenied;
  r.context.principal.id = fmt::format("svc:worker{}", i % 16);
  r.context.principal.kind = "service";
  r.context.source_address = "10.0.0.7";
  r.context.client = "bench";
  r.context.request_id = fmt::format("req-{}", i);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t events = argc > 1 ? std::stoull(argv[1]) : 110000;
  const std::uint64_t archived = argc > 2 ? std::stoull(argv[2]) : 100000;
  const std::filesystem::path dir = std::filesystem::path(argc > 3 ? argv[3] : "/tmp") /
                                    fmt::format("bulwark_archive_bench_{}", ::getpid());
  std::filesystem::create_directories(dir);
  SecretBytes seed(std::vector<std::uint8_t>(32, 5));
  std::shared_ptr<const NoteSigner> signer(*NoteSigner::Create("bench/log", seed));
  AuditLogOptions o;
  o.path = dir / "audit.db";
  o.origin = "bench/log";
  o.signers = {signer};
  auto log = std::shared_ptr<AuditLog>(std::move(*AuditLog::Open(o)));
  auto verifier = *CheckpointVerifier::Create("bench/log", {signer->Verifier()});
  LogAuditSink sink(log, ImpactClassifier::Default(), "bulwark://bench/config", Runtime::System());
  auto t0 = Steady::now();
  for (std::uint64_t i = 0; i < events; i += 1000) {
    std::vector<request::AuditRecord> batch;
    for (std::uint64_t k = i; k < std::min(events, i + 1000); ++k) batch.push_back(Record(k));
    if (!sink.AppendRecords(batch)) return 1;
  }
  auto t1 = Steady::now();
  std::printf("fill: %llu events in %.2f s\n", static_cast<unsigned long long>(events),
              Seconds(t0, t1));

  auto full = Steady::now();
  auto v0 = VerifyAuditLog(*log, verifier, std::nullopt, {});
  auto full_end = Steady::now();
  if (!v0 || !v0->clean()) return 2;
  std::printf("verify unpruned log (%llu events): %.2f s\n",
              static_cast<unsigned long long>(events), Seconds(full, full_end));

  ArchiveOptions ao;
  ao.out = dir / "archive.jsonl";
  ao.before_index = archived;
  ao.prune = false;
  auto k0 = Steady::now();
  if (!ArchiveLog(*log, verifier, ao)) return 3;
  auto k1 = Steady::now();
  std::printf("archive --keep (verify-before, write+fsync, re-verify; no prune): %.2f s\n",
              Seconds(k0, k1));
  ao.prune = true;
  // An appender keeps writing during the archive: its worst latency shows how long the archive
  // holds the write lock (the prune runs in chunks).
  std::atomic<bool> stop{false};
  const auto archive_start = Steady::now();
  double worst_ms = 0;
  std::uint64_t appended = 0;
  std::thread appender([&] {
    while (!stop.load()) {
      auto t = Steady::now();
      if (!sink.AppendRecord(Record(events + appended))) return;
      const double ms = Seconds(t, Steady::now()) * 1000;
      worst_ms = std::max(worst_ms, ms);
      if (std::getenv("SLOW") != nullptr && ms > 100) {
        std::printf("  slow append: %.0f ms at +%.2f s\n", ms, Seconds(archive_start, t));
      }
      ++appended;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  auto a0 = Steady::now();
  auto r = ArchiveLog(*log, verifier, ao);
  auto a1 = Steady::now();
  stop = true;
  appender.join();
  std::printf("concurrent appends during the archive: %llu, worst latency %.0f ms\n",
              static_cast<unsigned long long>(appended), worst_ms);
  if (!r) {
    std::fprintf(stderr, "%s\n", r.error().message().c_str());
    return 3;
  }
  std::printf(
      "archive [0, %llu) incl. verify-before, write+fsync, re-verify, prune: %.2f s; "
      "file %.1f MiB\n",
      static_cast<unsigned long long>(r->end), Seconds(a0, a1),
      static_cast<double>(std::filesystem::file_size(ao.out)) / (1 << 20));

  auto p0 = Steady::now();
  auto v1 = VerifyAuditLog(*log, verifier, std::nullopt, {});
  auto p1 = Steady::now();
  if (!v1 || !v1->clean()) return 4;
  std::printf("verify pruned log (%llu stored events): %.3f s\n",
              static_cast<unsigned long long>(events + appended - archived), Seconds(p0, p1));

  auto f0 = Steady::now();
  auto av = VerifyArchiveFile(ao.out, verifier);
  auto f1 = Steady::now();
  if (!av || !av->clean()) return 5;
  std::printf("verify archive file (%llu events): %.2f s\n",
              static_cast<unsigned long long>(archived), Seconds(f0, f1));
  std::filesystem::remove_all(dir);
  return 0;
}
