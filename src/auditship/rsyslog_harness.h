// A real rsyslogd for tests (Debian's rsyslog, rsyslog-openssl and rsyslog-relp, see
// scripts/install-deps.sh), started unprivileged on 127.0.0.1 with a generated configuration:
// one plain imtcp listener, one TLS listener (ossl driver, anonymous clients), one mutual-TLS
// listener (x509/certvalid), and imrelp plain and over mutual TLS, certificates made with the
// openssl tool (MakeCertificates before Start). Every message is written as
// "<input> <rawmsg>" to raw.log and its parsed RFC 5424 fields to fields.log
// ("input|facility|severity|hostname|app-name|msgid|structured-data"), so tests compare bytes.
// Used by the audit sinks' tests (rsyslog_test.cc) and the monitor's alert channels.
#ifndef BULWARK_SRC_AUDITSHIP_RSYSLOG_HARNESS_H_
#define BULWARK_SRC_AUDITSHIP_RSYSLOG_HARNESS_H_

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "auditship/test_util.h"
#include "bulwark/auditship/sink.h"
#include "bulwark/testing/assert_ok.h"

namespace bulwark::auditship::testing {

namespace rsyslog_fs = std::filesystem;

inline constexpr const char* kRsyslogd = "/usr/sbin/rsyslogd";
inline constexpr const char* kProbeHost = "bulwark-readiness-probe";

// A port for one of rsyslog's listeners, below the kernel's ephemeral range: ports from that
// range (bind to port 0) are also handed to every outgoing connection on the machine (our own
// sinks', other tests' and their receivers), which can take one between our pick and
// rsyslogd's bind (rsyslogd then runs without that listener) and the sink talks to someone else:
// the likely cause of a RELP session ending in EOF under ctest -j2. The readiness probe below
// proves that rsyslog is the one listening.
inline std::uint16_t ListenerPort() {
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
  explicit Rsyslog(rsyslog_fs::path dir) : dir_(std::move(dir)) {
    tcp_port = ListenerPort();
    tls_port = ListenerPort();
    mtls_port = ListenerPort();
    relp_port = ListenerPort();
    relptls_port = ListenerPort();
  }
  ~Rsyslog() { Stop(); }

  void MakeCertificates() { MakeTestCertificates(dir_); }

  void Start() {
    ASSERT_EQ(::access(kRsyslogd, X_OK), 0)
        << kRsyslogd
        << " is missing: install rsyslog and rsyslog-openssl (scripts/install-deps.sh)";
    const std::string d = dir_.string();
    rsyslog_fs::create_directories(dir_ / "work");
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
    rsyslog_fs::create_directories(dir_ / "probe");
    ASSERT_OK_AND_ASSIGN(auto probe_log, OpenLog(dir_ / "probe"));
    ASSERT_NO_FATAL_FAILURE(AppendEvents(*probe_log, 1));
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
        FAIL() << "rsyslogd exited: " << ReadText(dir_ / "rsyslogd.out");
      }
      const auto arrived = Lines(ReadText(dir_ / "probe.log"));
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
               << "\nrsyslogd output: " << ReadText(dir_ / "rsyslogd.out");
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
      lines = Lines(ReadText(dir_ / file));
      if (lines.size() >= n) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return lines;
  }

  std::uint16_t tcp_port = 0, tls_port = 0, mtls_port = 0, relp_port = 0, relptls_port = 0;

 private:
  rsyslog_fs::path dir_;
  pid_t pid_ = -1;
};

}  // namespace bulwark::auditship::testing

#endif  // BULWARK_SRC_AUDITSHIP_RSYSLOG_HARNESS_H_
