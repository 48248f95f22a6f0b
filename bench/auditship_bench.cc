// Audit shipping throughput: events/s from a durable log to a sink (acknowledged batches,
// cursor fsync'ed after each), and the append rate of writers while a shipper runs against a
// dead sink (shipping must not slow them).
//
//   auditship_bench [EVENTS]                      file and in-process TCP receiver
//   BULWARK_BENCH_SYSLOG=host:port auditship_bench ...      + an external syslog (rsyslog)
//   BULWARK_BENCH_SYSLOG_TLS=host:port BULWARK_BENCH_SYSLOG_CA=ca.pem ...  + over TLS
//   BULWARK_BENCH_RELP=host:port, BULWARK_BENCH_RELP_TLS=host:port (+ BULWARK_BENCH_CLIENT_CERT,
//   BULWARK_BENCH_CLIENT_KEY)                                  + RELP, plain and mutual TLS
#include <fmt/format.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "bulwark/auditship/shipper.h"
#include "bulwark/testing/temp_dir.h"

namespace {

using namespace bulwark;
using namespace bulwark::auditship;
namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

std::string Leaf(std::uint64_t i) {
  nlohmann::json j;
  j["specversion"] = "1.0";
  j["id"] = fmt::format("{:032x}", i * 2654435761u);
  j["source"] = "bulwark://bench/config";
  j["type"] = "dev.bulwark.config.set";
  j["time"] = "2026-01-02T03:04:05.000006Z";
  j["data"] = {{"action", "write"},
               {"actor", {{"id", "alice"}, {"kind", "local"}, {"roles", {"admin"}}}},
               {"impact", {{"level", "high"}, {"reasons", {"production configuration changed"}}}},
               {"namespace", "production/payments"},
               {"operation", "config.set"},
               {"outcome", "success"},
               {"paths", {fmt::format("services[{}].database.pool_size", i % 100)}},
               {"request", {{"client", "bulwark-cli/0.1.0"}, {"id", fmt::format("req-{}", i)}}},
               {"version", {{"after", i + 1}, {"before", i}}}};
  return j.dump();
}

void Fill(audit::AuditLog& log, std::uint64_t n) {
  for (std::uint64_t i = 0; i < n; i += 1000) {
    std::vector<std::pair<std::string, audit::EventColumns>> batch;
    for (std::uint64_t k = i; k < std::min(n, i + 1000); ++k) {
      std::string l = Leaf(k);
      auto cols = audit::ColumnsOfEvent(nlohmann::json::parse(l));
      batch.emplace_back(std::move(l), std::move(cols));
    }
    if (!log.AppendBatch(std::move(batch))) std::abort();
  }
}

void Measure(const std::string& label, std::shared_ptr<audit::AuditLog> log,
             const std::filesystem::path& dir, SinkConfig c) {
  auto states = SinkStateStore::Open(dir / fmt::format("state-{}.db", c.name));
  if (!states) std::abort();
  auto shipper = Shipper::Create(log, std::shared_ptr<SinkStateStore>(std::move(*states)), {c},
                                 [](const SinkConfig& x) { return CreateSink(x, {}); });
  const auto t0 = SteadyClock::now();
  auto n = (*shipper)->Drain(c.name);
  const double s = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  if (!n) {
    fmt::print("{:<44} error: {}\n", label, n.error().message());
    return;
  }
  fmt::print("{:<44} {:>8} events in {:6.2f} s = {:>8.0f} events/s (batch {})\n", label, *n, s,
             *n / s, c.batch_size);
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 20000;
  const bulwark::testing::TempDir tmp("auditship-bench");
  const std::filesystem::path& dir = tmp.path();
  audit::AuditLogOptions o;
  o.path = dir / "audit.db";
  o.origin = "bench";
  std::shared_ptr<audit::AuditLog> log(std::move(*audit::AuditLog::Open(o)));
  Fill(*log, n);
  fmt::print("log: {} events of ~{} bytes\n", n, Leaf(1).size());

  for (std::size_t batch : {100u, 500u, 2000u}) {
    SinkConfig f;
    f.name = fmt::format("file{}", batch);
    f.type = SinkType::kFile;
    f.path = dir / fmt::format("{}.jsonl", f.name);
    f.batch_size = batch;
    Measure("file (jsonl, fsync per batch)", log, dir, f);
  }

  // In-process TCP receiver reading each connection to EOF (a collector that does nothing).
  asio::io_context ioc;
  asio::ip::tcp::acceptor acc(ioc, {asio::ip::make_address("127.0.0.1"), 0});
  const auto port = acc.local_endpoint().port();
  std::atomic<bool> stop{false};
  std::thread rx([&] {
    while (!stop) {
      asio::ip::tcp::socket s(ioc);
      boost::system::error_code ec;
      acc.accept(s, ec);
      std::string sink;
      asio::read(s, asio::dynamic_buffer(sink), ec);
    }
  });
  for (std::size_t batch : {100u, 500u, 2000u}) {
    SinkConfig t;
    t.name = fmt::format("tcp{}", batch);
    t.type = SinkType::kSyslog;
    t.host = "127.0.0.1";
    t.port = port;
    t.batch_size = batch;
    Measure("syslog TCP, in-process receiver", log, dir, t);
  }
  auto external = [&](const char* env, const char* label, bool tls, bool relp) {
    const char* v = std::getenv(env);
    if (v == nullptr) return;
    std::string hp = v;
    SinkConfig t;
    t.name = fmt::format("ext-{}-{}", tls ? "tls" : "plain", relp ? "relp" : "tcp");
    if (relp) t.transport = SyslogTransport::kRelp;
    t.type = SinkType::kSyslog;
    t.host = hp.substr(0, hp.rfind(':'));
    t.port = static_cast<std::uint16_t>(std::stoi(hp.substr(hp.rfind(':') + 1)));
    t.batch_size = 500;
    if (tls) {
      const char* cert = std::getenv("BULWARK_BENCH_CLIENT_CERT");
      const char* key = std::getenv("BULWARK_BENCH_CLIENT_KEY");
      t.tls = TlsConfig{std::getenv("BULWARK_BENCH_SYSLOG_CA"), cert && relp ? cert : "",
                        key && relp ? key : "", ""};
    }
    Measure(label, log, dir, t);
  };
  external("BULWARK_BENCH_SYSLOG", "syslog TCP, external (rsyslog)", false, false);
  external("BULWARK_BENCH_SYSLOG_TLS", "syslog TLS, external (rsyslog)", true, false);
  external("BULWARK_BENCH_RELP", "RELP, external (rsyslog imrelp)", false, true);
  external("BULWARK_BENCH_RELP_TLS", "RELP over mutual TLS, external (rsyslog)", true, true);

  // Writers while a shipper retries a dead sink in the background.
  auto append_rate = [&](const char* label) {
    const auto t0 = SteadyClock::now();
    const std::uint64_t m = 2000;
    for (std::uint64_t i = 0; i < m; i += 100) {
      std::vector<std::pair<std::string, audit::EventColumns>> b;
      for (int k = 0; k < 100; ++k) {
        std::string l = Leaf(n + i + k);
        auto cols = audit::ColumnsOfEvent(nlohmann::json::parse(l));
        b.emplace_back(std::move(l), std::move(cols));
      }
      if (!log->AppendBatch(std::move(b))) std::abort();
    }
    const double s = std::chrono::duration<double>(SteadyClock::now() - t0).count();
    fmt::print("{:<44} {:>8.0f} events/s\n", label, m / s);
  };
  append_rate("append (100-event batches), no shipper");
  {
    SinkConfig d;
    d.name = "dead";
    d.type = SinkType::kSyslog;
    d.host = "127.0.0.1";
    d.port = 1;
    d.retry_initial = std::chrono::milliseconds(10);  // 10 ms .. 80 ms: busier than defaults
    d.retry_max = std::chrono::milliseconds(80);
    auto states = SinkStateStore::Open(dir / "state-dead.db");
    ShipperOptions opts;
    auto shipper = Shipper::Create(
        log, std::shared_ptr<SinkStateStore>(std::move(*states)), {d},
        [](const SinkConfig& x) { return CreateSink(x, {}); }, opts);
    std::jthread run([&](std::stop_token st) { (*shipper)->Run(st); });
    append_rate("append, shipper retrying a dead sink");
  }
  stop = true;
  {
    asio::ip::tcp::socket s(ioc);
    boost::system::error_code ec;
    s.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
  }
  rx.join();
  return 0;
}
