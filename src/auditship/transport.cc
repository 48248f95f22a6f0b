#include "bulwark/auditship/transport.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <variant>

#include "bulwark/core/secret_bytes.h"

namespace bulwark::auditship {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

// One connection (plain TCP or TLS) whose every operation shares one deadline: an operation is
// started asynchronously and the io_context runs until it completes or the deadline passes, in
// which case the socket is closed (aborting the operation) and the result is timed_out.
class Connection {
 public:
  Connection(std::string what, std::chrono::milliseconds timeout)
      : what_(std::move(what)), deadline_(std::chrono::steady_clock::now() + timeout) {}

  Status Open(const std::string& host, std::uint16_t port, const std::optional<TlsConfig>& tls) {
    tcp::resolver resolver(ioc_);
    tcp::resolver::results_type endpoints;
    error_code ec = Run([&](auto h) {
      resolver.async_resolve(host, std::to_string(port),
                             [&endpoints, h](error_code e, tcp::resolver::results_type r) mutable {
                               endpoints = std::move(r);
                               h(e);
                             });
    });
    if (ec) return Fail(fmt::format("resolve {}", host), ec);
    if (tls) {
      ssl_ctx_.emplace(ssl::context::tls_client);
      ssl_ctx_->set_options(ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                            ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
      ssl_ctx_->set_verify_mode(ssl::verify_peer);
      if (!tls->ca.empty()) {
        ssl_ctx_->load_verify_file(tls->ca, ec);
        if (ec) return Fail(fmt::format("tls.ca {}", tls->ca), ec);
      } else {
        ssl_ctx_->set_default_verify_paths(ec);
        if (ec) return Fail("tls: system CA store", ec);
      }
      if (!tls->cert.empty()) {
        ssl_ctx_->use_certificate_chain_file(tls->cert, ec);
        if (ec) return Fail(fmt::format("tls.cert {}", tls->cert), ec);
        ssl_ctx_->use_private_key_file(tls->key, ssl::context::pem, ec);
        if (ec) return Fail(fmt::format("tls.key {}", tls->key), ec);
      }
      stream_.emplace<Tls>(ioc_, *ssl_ctx_);
      const std::string name = tls->server_name.empty() ? host : tls->server_name;
      auto& s = std::get<Tls>(stream_);
      if (!SSL_set_tlsext_host_name(s.native_handle(), name.c_str())) {
        return Fail("tls: server name", error_code(static_cast<int>(::ERR_get_error()),
                                                   asio::error::get_ssl_category()));
      }
      s.set_verify_callback(ssl::host_name_verification(name));
    } else {
      stream_.emplace<tcp::socket>(ioc_);
    }
    ec = Run([&](auto h) {
      asio::async_connect(Socket(), endpoints,
                          [h](error_code e, const tcp::endpoint&) mutable { h(e); });
    });
    if (ec) return Fail(fmt::format("connect {}:{}", host, port), ec);
    Socket().set_option(tcp::no_delay(true), ec);  // small RELP frames: no Nagle delay
    if (auto* s = std::get_if<Tls>(&stream_)) {
      ec = Run([&](auto h) { s->async_handshake(ssl::stream_base::client, h); });
      if (ec) return Fail("tls handshake", ec);
    }
    return OkStatus();
  }

  // Reads what is available (at least one byte) into `out`; EOF is an error.
  Status ReadSome(std::string& out) {
    // Acknowledge at once what we receive: a receiver answering with many small frames (RELP)
    // otherwise waits for our delayed ACK (Nagle) before sending the next ones.
    const int one = 1;
    ::setsockopt(Socket().native_handle(), IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
    char buf[4096];
    std::size_t got = 0;
    error_code ec = Run([&](auto h) {
      std::visit(
          [&](auto& s) {
            if constexpr (!std::is_same_v<std::decay_t<decltype(s)>, std::monostate>) {
              s.async_read_some(asio::buffer(buf), [h, &got](error_code e, std::size_t n) mutable {
                got = n;
                h(e);
              });
            }
          },
          stream_);
    });
    if (ec) return Fail("read", ec);
    out.append(buf, got);
    return OkStatus();
  }

  Status Write(std::string_view data) {
    error_code ec = Run([&](auto h) {
      std::visit(
          [&](auto& s) {
            if constexpr (!std::is_same_v<std::decay_t<decltype(s)>, std::monostate>) {
              asio::async_write(s, asio::buffer(data.data(), data.size()),
                                [h](error_code e, std::size_t) mutable { h(e); });
            }
          },
          stream_);
    });
    if (ec) return Fail("write", ec);
    return OkStatus();
  }

  // Half-closes (TLS: close_notify) and waits until the peer closes its side.
  Status CloseAndAwaitPeer() {
    if (auto* s = std::get_if<Tls>(&stream_)) {
      error_code ec = Run([&](auto h) { s->async_shutdown(h); });
      // A peer that closes TCP without its own close_notify has still read ours, and so
      // everything before it.
      if (ec && ec != asio::error::eof && ec != ssl::error::stream_truncated) {
        return Fail("tls close (waiting for the receiver)", ec);
      }
      return OkStatus();
    }
    error_code ec;
    Socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return Fail("shutdown", ec);
    char buf[512];
    for (;;) {
      ec = Run([&](auto h) {
        Socket().async_read_some(asio::buffer(buf),
                                 [h](error_code e, std::size_t) mutable { h(e); });
      });
      if (ec == asio::error::eof) return OkStatus();
      if (ec) return Fail("close (waiting for the receiver)", ec);
    }
  }

  // One HTTP exchange on the open connection.
  Result<http::response<http::string_body>> Exchange(http::request<http::string_body>& req) {
    error_code ec = Run([&](auto h) {
      std::visit(
          [&](auto& s) {
            if constexpr (!std::is_same_v<std::decay_t<decltype(s)>, std::monostate>) {
              http::async_write(s, req, [h](error_code e, std::size_t) mutable { h(e); });
            }
          },
          stream_);
    });
    if (ec) return FailR<http::response<http::string_body>>("send request", ec);
    boost::beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(1 << 16);
    ec = Run([&](auto h) {
      std::visit(
          [&](auto& s) {
            if constexpr (!std::is_same_v<std::decay_t<decltype(s)>, std::monostate>) {
              http::async_read(s, buffer, parser, [h](error_code e, std::size_t) mutable { h(e); });
            }
          },
          stream_);
    });
    if (ec) return FailR<http::response<http::string_body>>("read response", ec);
    return parser.release();
  }

  void Close() {
    if (std::holds_alternative<std::monostate>(stream_)) return;
    error_code ec;
    Socket().close(ec);
  }

 private:
  using Tls = ssl::stream<tcp::socket>;

  tcp::socket& Socket() {
    if (auto* s = std::get_if<Tls>(&stream_)) return s->next_layer();
    return std::get<tcp::socket>(stream_);
  }

  template <class Start>
  error_code Run(Start&& start) {
    std::optional<error_code> result;
    start([&result](error_code ec) { result = ec; });
    ioc_.restart();
    ioc_.run_until(deadline_);
    if (!result) {
      if (!std::holds_alternative<std::monostate>(stream_)) {
        error_code ignored;
        Socket().close(ignored);
      }
      ioc_.restart();
      ioc_.run();
      return asio::error::timed_out;
    }
    return *result;
  }

  std::unexpected<Error> Fail(std::string_view step, const error_code& ec) const {
    std::string msg = ec.message();
    if (ec == asio::error::timed_out) msg = "timed out";
    return UnavailableError(fmt::format("{}: {}: {}", what_, step, msg));
  }
  template <class T>
  Result<T> FailR(std::string_view step, const error_code& ec) const {
    return Fail(step, ec);
  }

  std::string what_;
  std::chrono::steady_clock::time_point deadline_;
  asio::io_context ioc_;
  std::optional<ssl::context> ssl_ctx_;
  std::variant<std::monostate, tcp::socket, Tls> stream_;
};

// RELP (the Reliable Event Logging Protocol of rsyslog/librelp): frames
// "TXNR SP COMMAND SP DATALEN [SP DATA] LF"; every `syslog` command is answered by a `rsp`
// frame with the same transaction number whose data starts with the status ("200 OK").
class RelpClient {
 public:
  RelpClient(Connection& c, std::string what) : c_(c), what_(std::move(what)) {}

  static std::string Frame(std::uint64_t txnr, std::string_view cmd, std::string_view data) {
    std::string f = fmt::format("{} {} {}", txnr, cmd, data.size());
    if (!data.empty()) {
      f += ' ';
      f += data;
    }
    f += '\n';
    return f;
  }

  Status Open() {
    BULWARK_RETURN_IF_ERROR(
        c_.Write(Frame(1, "open", "relp_version=0\nrelp_software=bulwark\ncommands=syslog")));
    return Expect200(1, "open");
  }

  // Sends the messages in windows of kWindow and checks every acknowledgement (one round trip
  // per window: acknowledgements of small frames otherwise wait on delayed ACKs).
  Status Send(std::span<const std::string> msgs) {
    constexpr std::size_t kWindow = 1024;  // responses stay far below socket buffer sizes
    for (std::size_t i = 0; i < msgs.size(); i += kWindow) {
      const std::size_t end = std::min(msgs.size(), i + kWindow);
      std::string out;
      for (std::size_t k = i; k < end; ++k) out += Frame(next_ + (k - i), "syslog", msgs[k]);
      BULWARK_RETURN_IF_ERROR(c_.Write(out));
      for (std::size_t k = i; k < end; ++k) {
        BULWARK_RETURN_IF_ERROR(Expect200(next_ + (k - i), "syslog"));
      }
      next_ += end - i;
    }
    return OkStatus();
  }

  // Best effort: the messages are already acknowledged.
  void Close() {
    if (c_.Write(Frame(next_, "close", ""))) (void)NextFrame();
  }

 private:
  struct RelpFrame {
    std::uint64_t txnr = 0;
    std::string cmd, data;
  };

  Status Expect200(std::uint64_t txnr, std::string_view what) {
    Result<RelpFrame> next = NextFrame();
    if (!next) {  // e.g. the receiver closed the connection: say which response never came
      return UnavailableError(fmt::format("{} (waiting for the response to {} #{})",
                                          next.error().message(), what, txnr));
    }
    RelpFrame f = std::move(*next);
    if (f.cmd == "serverclose") {
      return UnavailableError(fmt::format("{}: relp: the server closed the session", what_));
    }
    if (f.cmd != "rsp" || f.txnr != txnr) {
      return UnavailableError(fmt::format("{}: relp: expected the response to {} #{}, got '{} {}'",
                                          what_, what, txnr, f.txnr, f.cmd));
    }
    if (!f.data.starts_with("200")) {
      const std::string status = f.data.substr(0, f.data.find('\n'));
      return UnavailableError(
          fmt::format("{}: relp: {} #{} refused: {}", what_, what, txnr, status.substr(0, 200)));
    }
    return OkStatus();
  }

  static bool Number(std::string_view s, std::uint64_t& v) {
    if (s.empty() || s.size() > 9) return false;
    v = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return false;
      v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return true;
  }

  Result<RelpFrame> NextFrame() {
    for (;;) {
      // Header: TXNR SP COMMAND SP DATALEN, then SP DATA (DATALEN > 0) and LF.
      const std::size_t sp1 = buf_.find(' ');
      const std::size_t sp2 = sp1 == std::string::npos ? sp1 : buf_.find(' ', sp1 + 1);
      if (sp2 != std::string::npos) {
        std::size_t len_end = sp2 + 1;
        while (len_end < buf_.size() && buf_[len_end] >= '0' && buf_[len_end] <= '9') ++len_end;
        RelpFrame f;
        std::uint64_t len = 0;
        if (len_end < buf_.size()) {
          if (!Number(std::string_view(buf_).substr(0, sp1), f.txnr) ||
              !Number(std::string_view(buf_).substr(sp2 + 1, len_end - sp2 - 1), len) ||
              len > (1u << 17) || sp2 - sp1 - 1 > 32) {
            return UnavailableError(
                fmt::format("{}: relp: malformed frame from the server", what_));
          }
          f.cmd = buf_.substr(sp1 + 1, sp2 - sp1 - 1);
          const std::size_t data_at = len == 0 ? len_end : len_end + 1;
          if (buf_.size() >= data_at + len + 1) {
            if ((len > 0 && buf_[len_end] != ' ') || buf_[data_at + len] != '\n') {
              return UnavailableError(
                  fmt::format("{}: relp: malformed frame from the server", what_));
            }
            f.data = buf_.substr(data_at, len);
            buf_.erase(0, data_at + len + 1);
            return f;
          }
        }
      } else if (buf_.size() > 64) {
        return UnavailableError(fmt::format("{}: relp: malformed frame from the server", what_));
      }
      BULWARK_RETURN_IF_ERROR(c_.ReadSome(buf_));
    }
  }

  Connection& c_;
  std::string what_;
  std::string buf_;
  std::uint64_t next_ = 2;
};

}  // namespace

Result<HttpUrl> ParseHttpUrl(const std::string& url, std::string_view what) {
  HttpUrl u;
  std::string_view rest = url;
  if (rest.starts_with("https://")) {
    u.tls = true;
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else {
    return InvalidArgumentError(fmt::format("{}: url: expected http:// or https://", what));
  }
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  u.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (authority.find('@') != std::string_view::npos) {
    return InvalidArgumentError(fmt::format(
        "{}: url: credentials in the URL are refused (use token_env/token_file)", what));
  }
  std::string_view port;
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return InvalidArgumentError(fmt::format("{}: url: bad IPv6 host", what));
    }
    u.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size() && authority[close + 1] == ':') {
      port = authority.substr(close + 2);
    }
  } else if (const std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    u.host = std::string(authority.substr(0, colon));
    port = authority.substr(colon + 1);
  } else {
    u.host = std::string(authority);
  }
  if (u.host.empty()) return InvalidArgumentError(fmt::format("{}: url: no host", what));
  if (port.empty()) {
    u.port = u.tls ? 443 : 80;
  } else {
    unsigned v = 0;
    for (char c : port) {
      if (c < '0' || c > '9' || v > 65535) {
        return InvalidArgumentError(fmt::format("{}: url: bad port", what));
      }
      v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if (v == 0 || v > 65535) return InvalidArgumentError(fmt::format("{}: url: bad port", what));
    u.port = static_cast<std::uint16_t>(v);
  }
  return u;
}

Status SendSyslogMessages(const SyslogTarget& target, std::span<const std::string> msgs,
                          std::string_view what) {
  Connection c(std::string(what), target.timeout);
  Status s = c.Open(target.host, target.port, target.tls);
  if (s && target.transport == SyslogTransport::kRelp) {
    RelpClient relp(c, std::string(what));
    s = relp.Open();
    if (s) s = relp.Send(msgs);
    if (s) relp.Close();
  } else if (s) {
    std::string frames;
    for (const auto& m : msgs) {
      frames += fmt::format("{} ", m.size());
      frames += m;
    }
    s = c.Write(frames);
    if (s) s = c.CloseAndAwaitPeer();
  }
  c.Close();
  return s;
}

Result<unsigned> SendHttp(const HttpRequest& p, std::string_view what) {
  const http::verb verb = http::string_to_verb(p.method);
  if (verb != http::verb::post && verb != http::verb::get) {
    return InvalidArgumentError(fmt::format("{}: HTTP method {} is not supported", what, p.method));
  }
  http::request<http::string_body> req(verb, p.url.target, 11);
  const bool default_port = p.url.port == (p.url.tls ? 443 : 80);
  const std::string host =
      p.url.host.find(':') != std::string::npos ? "[" + p.url.host + "]" : p.url.host;  // IPv6
  req.set(http::field::host, default_port ? host : fmt::format("{}:{}", host, p.url.port));
  req.set(http::field::user_agent, p.user_agent);
  if (!p.content_type.empty()) req.set(http::field::content_type, p.content_type);
  req.set(http::field::connection, "close");
  for (const auto& [name, value] : p.headers) req.set(name, value);
  std::string auth;
  if (p.bearer_token != nullptr) {
    auth = "Bearer ";
    auth += p.bearer_token->RevealAsString();
    req.set(http::field::authorization, auth);
    SecureZero(auth);
  }
  if (verb == http::verb::post) {
    req.body() = p.body;
    req.prepare_payload();
  }
  std::optional<TlsConfig> tls;
  if (p.url.tls) tls = p.tls.value_or(TlsConfig{});
  Connection c(std::string(what), p.timeout);
  Status s = c.Open(p.url.host, p.url.port, tls);
  Result<http::response<http::string_body>> resp =
      s ? c.Exchange(req) : Result<http::response<http::string_body>>(std::unexpected(s.error()));
  c.Close();
  // The request's header buffer held the token: clear it before it is freed.
  if (p.bearer_token != nullptr) {
    const auto v = req[http::field::authorization];
    SecureZero(const_cast<char*>(v.data()), v.size());
  }
  if (!resp) return std::unexpected(resp.error());
  return resp->result_int();
}

Status AppendToFile(const std::filesystem::path& path, std::string_view data,
                    std::string_view what) {
  auto fail = [&](std::string_view step) {
    return UnavailableError(
        fmt::format("{}: {} {}: {}", what, step, path.string(), std::strerror(errno)));
  };
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return fail("open");
  std::size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      auto e = fail("write");
      ::close(fd);
      return e;
    }
    off += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    auto e = fail("fsync");
    ::close(fd);
    return e;
  }
  if (::close(fd) != 0) return fail("close");
  return OkStatus();
}

namespace {

Status CheckReadable(const std::string& file, std::string_view what, std::string_view field) {
  if (file.empty()) return OkStatus();
  if (::access(file.c_str(), R_OK) != 0) {
    return InvalidArgumentError(
        fmt::format("{}: {} {}: {}", what, field, file, std::strerror(errno)));
  }
  return OkStatus();
}

}  // namespace

Status CheckTlsFilesReadable(const TlsConfig& tls, std::string_view what) {
  BULWARK_RETURN_IF_ERROR(CheckReadable(tls.ca, what, "tls.ca"));
  BULWARK_RETURN_IF_ERROR(CheckReadable(tls.cert, what, "tls.cert"));
  return CheckReadable(tls.key, what, "tls.key");
}

Result<std::optional<SecretBytes>> ReadSecretReference(const std::string& env_name,
                                                       const std::string& file,
                                                       const FileSystem& fs, std::string_view what,
                                                       std::string_view env_field,
                                                       std::string_view file_field) {
  std::optional<SecretBytes> secret;
  if (!env_name.empty()) {
    const char* v = std::getenv(env_name.c_str());
    if (v == nullptr || *v == '\0') {
      return InvalidArgumentError(fmt::format("{}: {}: ${} is not set", what, env_field, env_name));
    }
    secret = SecretBytes::FromString(v);
  } else if (!file.empty()) {
    auto text = fs.ReadFile(file);
    if (!text) {
      return InvalidArgumentError(
          fmt::format("{}: {} {}: {}", what, file_field, file, text.error().message()));
    }
    std::string t = std::move(*text);
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
    secret = SecretBytes::FromString(t);
    SecureZero(t);
  }
  if (secret && secret->size() == 0) {
    return InvalidArgumentError(
        fmt::format("{}: the {} is empty", what, env_name.empty() ? file_field : env_field));
  }
  return secret;
}

}  // namespace bulwark::auditship
