// The syslog and CEF sinks against a real rsyslogd (Debian's rsyslog, rsyslog-openssl and
// rsyslog-relp, see
// scripts/install-deps.sh) started by the test, unprivileged, on 127.0.0.1 with a generated
// configuration: one plain imtcp listener, one TLS listener (ossl driver, anonymous clients), one
// mutual-TLS listener (x509/certvalid), and imrelp plain and over mutual TLS (rsyslog-relp),
// certificates made here with the openssl tool. Every
// message rsyslog receives is written as "<input> <rawmsg>" to a file, so the test compares bytes.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <iostream>
#include <random>
#include <set>
#include <thread>

#include "auditship/test_util.h"
#include "bulwark/auditship/shipper.h"

namespace bulwark::auditship {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr const char* kRsyslogd = "/usr/sbin/rsyslogd";
constexpr const char* kProbeHost = "bulwark-readiness-probe";

// A port for one of rsyslog's listeners, below the kernel's ephemeral range: ports from that
// range (bind to port 0) are also handed to every outgoing connection on the machine (our own
// sinks', other tests' and their receivers), which can take one between our pick and
// rsyslogd's bind (rsyslogd then runs without that listener) and the sink talks to someone else:
// the likely cause of a RELP session ending in EOF under ctest -j2. The readiness probe below
// proves that rsyslog is the one listening.
std::uint16_t ListenerPort() {
  static std::mt19937 rng{std::random_device{}()};
  static std::set<std::uint16_t> given;
  unsigned low = 32768;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> low;
  const unsigned from = low > 12000 ? low - 10000 : 2000;
  std::uniform_int_distribution<unsigned> pick(from, std::max(from, low - 1));
  for (int i = 0; i < 1000; ++i) {
    const auto port = static_cast<std::uint16_t>(pick(rng));
    if (given.contains(port)) continue;
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::acceptor a(ioc);
    boost::system::error_code ec;
    a.open(boost::asio::ip::tcp::v4(), ec);
    if (!ec) a.bind({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
    if (ec) continue;  // in use
    given.insert(port);
    return port;
  }
  ADD_FAILURE() << "no free port below " << low;
  return 0;
}

class Rsyslog {
 public:
  explicit Rsyslog(fs::path dir) : dir_(std::move(dir)) {
    tcp_port = ListenerPort();
    tls_port = ListenerPort();
    mtls_port = ListenerPort();
    relp_port = ListenerPort();
    relptls_port = ListenerPort();
  }
  ~Rsyslog() { Stop(); }

  void MakeCertificates() { testing::MakeTestCertificates(dir_); }

  void Start() {
    ASSERT_EQ(::access(kRsyslogd, X_OK), 0)
        << kRsyslogd
        << " is missing: install rsyslog and rsyslog-openssl (scripts/install-deps.sh)";
    const std::string d = dir_.string();
    fs::create_directories(dir_ / "work");
    std::ofstream(dir_ / "rsyslog.conf") << fmt::format(
        R"(global(workDirectory="{0}/work" maxMessageSize="64k")
module(load="imtcp" maxSessions="50")
module(load="imrelp" tls.tlslib="openssl")
input(type="imrelp" name="relp" address="127.0.0.1" port="{4}" ruleset="audit")
input(type="imrelp" name="relptls" address="127.0.0.1" port="{5}" ruleset="audit" tls="on"
      tls.cacert="{0}/ca.pem" tls.mycert="{0}/server.pem" tls.myprivkey="{0}/server.key"
      tls.authmode="certvalid")
input(type="imtcp" name="tcp" address="127.0.0.1" port="{1}" ruleset="audit")
input(type="imtcp" name="tls" address="127.0.0.1" port="{2}" ruleset="audit"
      streamDriver.name="ossl" streamDriver.mode="1" streamDriver.authMode="anon"
      streamDriver.CAFile="{0}/ca.pem" streamDriver.CertFile="{0}/server.pem"
      streamDriver.KeyFile="{0}/server.key")
input(type="imtcp" name="mtls" address="127.0.0.1" port="{3}" ruleset="audit"
      streamDriver.name="ossl" streamDriver.mode="1" streamDriver.authMode="x509/certvalid"
      streamDriver.CAFile="{0}/ca.pem" streamDriver.CertFile="{0}/server.pem"
      streamDriver.KeyFile="{0}/server.key")
template(name="raw" type="string" string="%inputname% %rawmsg%\n")
template(name="fields" type="string"
         string="%inputname%|%syslogfacility%|%syslogseverity%|%hostname%|%app-name%|%msgid%|%structured-data%\n")
ruleset(name="audit") {{
  if $hostname == "{6}" then {{
    action(type="omfile" file="{0}/probe.log" template="raw")
    stop
  }}
  action(type="omfile" file="{0}/raw.log" template="raw")
  action(type="omfile" file="{0}/fields.log" template="fields")
}}
)",
        d, tcp_port, tls_port, mtls_port, relp_port, relptls_port, kProbeHost);
    pid_ = ::fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      const std::string out = (dir_ / "rsyslogd.out").string();
      FILE* f = std::freopen(out.c_str(), "w", stdout);
      (void)f;
      ::dup2(::fileno(stdout), 2);
      const std::string conf = (dir_ / "rsyslog.conf").string();
      const std::string pid = (dir_ / "rsyslogd.pid").string();
      ::execl(kRsyslogd, kRsyslogd, "-n", "-f", conf.c_str(), "-i", pid.c_str(),
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ASSERT_NO_FATAL_FAILURE(AwaitReady());
  }

  // Ready means: a message sent through each listener (plain TCP, TLS, mutual TLS, RELP after
  // its `open` handshake, RELP over mutual TLS) was written by rsyslog, so the listener is
  // rsyslog's and its input, ruleset and actions run. (A bare TCP connect is not enough: the
  // kernel accepts on a listening socket before rsyslog's input thread serves it, and a port
  // can be someone else's.) Probes are retried until rsyslog serves them, up to 120 s: the
  // startup of rsyslogd on a loaded machine, not a timing assertion. Probe messages carry the
  // host name kProbeHost and go to probe.log, never to raw.log.
  void AwaitReady() {
    fs::create_directories(dir_ / "probe");
    ASSERT_OK_AND_ASSIGN(auto probe_log, testing::OpenLog(dir_ / "probe"));
    ASSERT_NO_FATAL_FAILURE(testing::AppendEvents(*probe_log, 1));
    std::vector<audit::StoredEvent> event;
    ASSERT_TRUE(probe_log
                    ->Scan(0, 1,
                           [&](const audit::StoredEvent& e) -> Status {
                             event.push_back(e);
                             return OkStatus();
                           })
                    .has_value());
    SinkEnvironment env;
    env.format.hostname = kProbeHost;
    const std::string d = dir_.string();
    const TlsConfig server_only{d + "/ca.pem", "", "", ""};
    const TlsConfig mutual{d + "/ca.pem", d + "/client.pem", d + "/client.key", ""};
    struct Probe {
      std::string input;
      std::uint16_t port;
      SyslogTransport transport;
      std::optional<TlsConfig> tls;
      std::string last_error;
      bool sent = false;
      bool arrived = false;
      std::chrono::steady_clock::time_point sent_at;
    };
    std::vector<Probe> probes = {{"tcp", tcp_port, SyslogTransport::kTcp, std::nullopt},
                                 {"tls", tls_port, SyslogTransport::kTcp, server_only},
                                 {"mtls", mtls_port, SyslogTransport::kTcp, mutual},
                                 {"relp", relp_port, SyslogTransport::kRelp, std::nullopt},
                                 {"relptls", relptls_port, SyslogTransport::kRelp, mutual}};
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    for (;;) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        FAIL() << "rsyslogd exited: " << testing::ReadText(dir_ / "rsyslogd.out");
      }
      const auto arrived = testing::Lines(testing::ReadText(dir_ / "probe.log"));
      bool all = true;
      for (auto& p : probes) {
        const bool in = std::any_of(arrived.begin(), arrived.end(), [&](const std::string& l) {
          return l.starts_with(p.input + " ");
        });
        p.arrived = in;
        if (in) continue;
        all = false;
        // On its way to probe.log. rsyslogd starting under load has been seen to accept (even
        // RELP-acknowledge) a probe and never write it (ADeadSink..., 1 run in ~50 under three
        // busy loops, rsyslog 8.2302); such a listener is not ready: probe it again.
        if (p.sent && std::chrono::steady_clock::now() - p.sent_at < std::chrono::seconds(10)) {
          continue;
        }
        SinkConfig c;
        c.name = "probe-" + p.input;
        c.type = SinkType::kSyslog;
        c.host = "127.0.0.1";
        c.port = p.port;
        c.transport = p.transport;
        c.tls = p.tls;
        c.timeout = std::chrono::milliseconds(30000);
        auto sink = CreateSink(c, env);
        ASSERT_TRUE(sink.has_value()) << sink.error().message();
        auto sent = (*sink)->Send(event);
        p.sent = sent.has_value();
        p.sent_at = std::chrono::steady_clock::now();
        p.last_error = sent ? "" : sent.error().message();
      }
      if (all) return;
      if (std::chrono::steady_clock::now() > deadline) {
        std::string missing;
        for (const auto& p : probes) {
          if (!p.arrived) {
            missing +=
                fmt::format("\n  {}: {}", p.input, p.sent ? "sent, never written" : p.last_error);
          }
        }
        FAIL() << "rsyslogd did not serve every listener; missing:" << missing
               << "\nrsyslogd output: " << testing::ReadText(dir_ / "rsyslogd.out");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  void Stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  // The lines rsyslog wrote, once there are at least `n` (up to 60 s).
  std::vector<std::string> WaitLines(const std::string& file, std::size_t n) {
    std::vector<std::string> lines;
    for (int i = 0; i < 6000; ++i) {
      lines = testing::Lines(testing::ReadText(dir_ / file));
      if (lines.size() >= n) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return lines;
  }

  std::uint16_t tcp_port = 0, tls_port = 0, mtls_port = 0, relp_port = 0, relptls_port = 0;

 private:
  fs::path dir_;
  pid_t pid_ = -1;
};

class RsyslogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(log_, testing::OpenLog(dir_.path()));
    auto s = SinkStateStore::Open(dir_.path() / "audit-sinks.db");
    ASSERT_TRUE(s.has_value());
    states_ = std::move(*s);
    env_.format.hostname = "bulwark-test-host";
    env_.format.product_version = "1.0";
  }
  SinkConfig Syslog(const std::string& name, std::uint16_t port) {
    SinkConfig c;
    c.name = name;
    c.type = SinkType::kSyslog;
    c.host = "127.0.0.1";
    c.port = port;
    c.batch_size = 4;
    // Generous for a loaded machine: a sink that fails fails on an error, not on time.
    c.timeout = std::chrono::milliseconds(60000);
    return c;
  }
  // Drain as the shipper's loop does: a failed batch leaves the cursor where it was and is sent
  // again. rsyslogd on a loaded machine occasionally ends a fresh RELP session before answering
  // (seen in ctest -j2 runs); the product retries such a batch, so the test does too, a few times,
  // and the byte-exact, exactly-once checks on what rsyslog wrote still decide the test.
  static Result<std::uint64_t> DrainWithRetries(Shipper& shipper, const std::string& name) {
    std::uint64_t total = 0;
    for (int attempt = 1;; ++attempt) {
      auto n = shipper.Drain(name);
      if (n.has_value()) return total + *n;
      if (attempt == 3) return n;
      std::cerr << name << ": attempt " << attempt << " failed, retrying: " << n.error().message()
                << "\n";
      auto st = shipper.Statuses();
      if (!st.has_value()) return std::unexpected(st.error());
      for (const auto& s : *st) {
        if (s.name == name) total = s.state.shipped;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }

  Result<std::unique_ptr<Shipper>> Make(std::vector<SinkConfig> sinks) {
    return Shipper::Create(log_, states_, std::move(sinks),
                           [env = env_](const SinkConfig& c) { return CreateSink(c, env); });
  }
  std::vector<std::string> Expected(const std::string& input, SyslogPayload payload,
                                    std::uint64_t begin, std::uint64_t end) {
    FormatContext ctx = env_.format;
    ctx.syslog_payload = payload;
    std::vector<std::string> out;
    EXPECT_TRUE(log_->Scan(begin, end,
                           [&](const audit::StoredEvent& e) -> Status {
                             BULWARK_ASSIGN_OR_RETURN(std::string m,
                                                      FormatEvent(EventFormat::kSyslog, e, ctx));
                             out.push_back(input + " " + m);
                             return OkStatus();
                           })
                    .has_value());
    return out;
  }
  static std::vector<std::string> From(const std::vector<std::string>& lines,
                                       const std::string& input) {
    std::vector<std::string> out;
    for (const auto& l : lines) {
      if (l.starts_with(input + " ")) out.push_back(l);
    }
    return out;
  }

  testing::TempDir dir_;
  std::shared_ptr<audit::AuditLog> log_;
  std::shared_ptr<SinkStateStore> states_;
  SinkEnvironment env_;
};

TEST_F(RsyslogTest, MessagesArriveByteExactOverTcpTlsMutualTlsAndRelp) {
  Rsyslog rs(dir_.path());
  ASSERT_NO_FATAL_FAILURE(rs.MakeCertificates());
  ASSERT_NO_FATAL_FAILURE(rs.Start());
  testing::AppendEvents(*log_, 9);
  SinkConfig tcp = Syslog("tcp", rs.tcp_port);
  SinkConfig tls = Syslog("tls", rs.tls_port);
  tls.type = SinkType::kCef;
  tls.payload = SyslogPayload::kCef;
  tls.host = "localhost";
  tls.tls = TlsConfig{(dir_.path() / "ca.pem").string(), "", "", ""};
  SinkConfig mtls = Syslog("mtls", rs.mtls_port);
  mtls.tls = TlsConfig{(dir_.path() / "ca.pem").string(), (dir_.path() / "client.pem").string(),
                       (dir_.path() / "client.key").string(), ""};
  SinkConfig relp = Syslog("relp", rs.relp_port);
  relp.transport = SyslogTransport::kRelp;
  SinkConfig relptls = mtls;
  relptls.name = "relptls";
  relptls.port = rs.relptls_port;
  relptls.transport = SyslogTransport::kRelp;
  relptls.payload = SyslogPayload::kCef;
  ASSERT_OK_AND_ASSIGN(auto shipper, Make({tcp, tls, mtls, relp, relptls}));
  for (const char* name : {"tcp", "tls", "mtls", "relp", "relptls"}) {
    auto n = DrainWithRetries(*shipper, name);
    ASSERT_TRUE(n.has_value()) << name << ": " << n.error().message();
    EXPECT_EQ(*n, 9u);
  }
  auto lines = rs.WaitLines("raw.log", 45);
  EXPECT_EQ(From(lines, "tcp"), Expected("tcp", SyslogPayload::kJson, 0, 9));
  EXPECT_EQ(From(lines, "tls"), Expected("tls", SyslogPayload::kCef, 0, 9));
  EXPECT_EQ(From(lines, "mtls"), Expected("mtls", SyslogPayload::kJson, 0, 9));
  EXPECT_EQ(From(lines, "relp"), Expected("relp", SyslogPayload::kJson, 0, 9));
  EXPECT_EQ(From(lines, "relptls"), Expected("relptls", SyslogPayload::kCef, 0, 9));
  // rsyslog parsed them as RFC 5424: facility 13 (log audit), severity 6, our header and SD.
  auto fields = rs.WaitLines("fields.log", 45);
  ASSERT_EQ(fields.size(), 45u);
  EXPECT_THAT(fields,
              ::testing::Contains("tls|13|6|bulwark-test-host|bulwark|dev.bulwark.config.set|"
                                  "[bulwark@32473 index=\"4\" impact=\"low\"]"));
}

TEST_F(RsyslogTest, TlsRefusesAnUntrustedOrMisnamedServerAndTheCursorStays) {
  Rsyslog rs(dir_.path());
  ASSERT_NO_FATAL_FAILURE(rs.MakeCertificates());
  ASSERT_NO_FATAL_FAILURE(rs.Start());
  testing::AppendEvents(*log_, 2);
  SinkConfig untrusted = Syslog("untrusted", rs.tls_port);
  untrusted.tls = TlsConfig{(dir_.path() / "other-ca.pem").string(), "", "", ""};
  SinkConfig misnamed = Syslog("misnamed", rs.tls_port);
  misnamed.tls = TlsConfig{(dir_.path() / "ca.pem").string(), "", "", "siem.example"};
  SinkConfig noclient = Syslog("noclient", rs.relptls_port);
  noclient.transport = SyslogTransport::kRelp;
  noclient.tls = TlsConfig{(dir_.path() / "ca.pem").string(), "", "", ""};
  ASSERT_OK_AND_ASSIGN(auto shipper, Make({untrusted, misnamed, noclient}));
  for (const char* name : {"untrusted", "misnamed"}) {
    auto r = shipper->Drain(name);
    ASSERT_FALSE(r.has_value()) << name;
    EXPECT_THAT(r.error().message(), HasSubstr("tls handshake"));
    EXPECT_EQ(states_->Get(name)->cursor, 0u);
  }
  // Without a client certificate the mutual-TLS RELP listener drops the session after the
  // handshake: RELP never acknowledged, so the cursor stays. (With the tcp transport the same
  // rejection can look like an orderly close: docs/audit.md, "Acknowledgement".)
  auto r = shipper->Drain("noclient");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(states_->Get("noclient")->cursor, 0u);
  rs.Stop();
  EXPECT_TRUE(testing::Lines(testing::ReadText(dir_.path() / "raw.log")).empty());
}

TEST_F(RsyslogTest, ADeadSinkLosesNothingAndCatchesUpExactlyOnceInOrder) {
  Rsyslog rs(dir_.path());
  ASSERT_NO_FATAL_FAILURE(rs.MakeCertificates());
  SinkConfig tcp = Syslog("tcp", rs.tcp_port);
  SinkConfig relp = Syslog("relp", rs.relp_port);
  relp.transport = SyslogTransport::kRelp;
  ASSERT_OK_AND_ASSIGN(auto shipper, Make({tcp, relp}));
  testing::AppendEvents(*log_, 6);
  for (int i = 0; i < 2; ++i) {
    auto r = shipper->ShipBatch("tcp");
    ASSERT_FALSE(r.has_value());
    EXPECT_THAT(r.error().message(), HasSubstr(fmt::format("connect 127.0.0.1:{}", rs.tcp_port)));
    ASSERT_FALSE(shipper->ShipBatch("relp").has_value());
  }
  testing::AppendEvents(*log_, 5);  // writers carry on while the sink is down
  auto st = shipper->Statuses();
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ((*st)[0].lag, 11u);
  EXPECT_EQ((*st)[0].state.consecutive_failures, 2u);

  ASSERT_NO_FATAL_FAILURE(rs.Start());
  for (const char* name : {"tcp", "relp"}) {
    auto n = DrainWithRetries(*shipper, name);
    ASSERT_TRUE(n.has_value()) << n.error().message();
    EXPECT_EQ(*n, 11u);
  }
  auto lines = rs.WaitLines("raw.log", 22);
  EXPECT_EQ(From(lines, "tcp"), Expected("tcp", SyslogPayload::kJson, 0, 11));
  EXPECT_EQ(From(lines, "relp"), Expected("relp", SyslogPayload::kJson, 0, 11));
  EXPECT_EQ(lines.size(), 22u);
  EXPECT_EQ((*shipper->Statuses())[0].lag, 0u);
  EXPECT_EQ((*shipper->Statuses())[1].lag, 0u);
}

}  // namespace
}  // namespace bulwark::auditship
