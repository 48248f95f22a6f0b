// The HTTPS server (server.h): Boost.Beast HTTP/1.1 over Boost.Asio SSL streams.
//
// Each connection lives on its own strand and runs: handshake -> wait for a request (idle
// timeout) -> header (header timeout, header limit) -> route -> body (request timeout, body
// limit) -> worker thread: authenticate, rate limit, handler -> write (or stream) -> next
// request or close. Everything a client controls is bounded by a limit or a timeout.
#include "bulwark/server/server.h"

#include <fmt/format.h>
#include <openssl/rand.h>
#include <signal.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cmath>
#include <condition_variable>
#include <future>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <unordered_map>

#include "bulwark/core/encoding.h"
#include "bulwark/server/api_error.h"
#include "bulwark/server/rate_limiter.h"
#include "server/internal/tls.h"

namespace bulwark::server {
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

namespace {

std::string NowRfc3339() {
  return FormatRfc3339(std::chrono::time_point_cast<TimePoint::duration>(std::chrono::system_clock::now()));
}

bool IsJsonContentType(std::string_view ct) {
  const std::size_t semi = ct.find(';');
  std::string_view base = ct.substr(0, semi);
  while (!base.empty() && base.back() == ' ') base.remove_suffix(1);
  if (base.size() != 16) return false;
  for (std::size_t i = 0; i < base.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(base[i])) != "application/json"[i]) return false;
  }
  return true;
}

}  // namespace

class Connection;

class Server::Impl {
 public:
  Impl(ServerOptions options, ServerHooks hooks, std::shared_ptr<const Router> router,
       std::shared_ptr<Metrics> metrics, std::shared_ptr<ssl::context> tls)
      : options_(std::move(options)),
        hooks_(std::move(hooks)),
        router_(std::move(router)),
        metrics_(std::move(metrics)),
        tls_(std::move(tls)),
        limiter_(options_.limits.rate_per_second, options_.limits.rate_burst),
        ioc_(static_cast<int>(options_.io_threads)),
        acceptor_(net::make_strand(ioc_)),
        workers_(options_.worker_threads) {
    unsigned char prefix[6];
    RAND_bytes(prefix, sizeof(prefix));
    rid_prefix_ = HexEncode(std::span<const std::uint8_t>(prefix, sizeof(prefix)));
    if (!hooks_.log) {
      hooks_.log = [](std::string_view line) {
        static std::mutex mu;
        std::lock_guard l(mu);
        std::cerr << line << '\n';
      };
    }
  }

  Status Start();
  void Shutdown();
  Status Reload();
  std::shared_ptr<ssl::context> tls() {
    std::lock_guard l(tls_mu_);
    return tls_;
  }
  std::string NextRequestId() {
    return fmt::format("{}{:010x}", rid_prefix_, rid_counter_.fetch_add(1, std::memory_order_relaxed));
  }

  // Authentication, rate limit and the handler, on a worker thread.
  ApiResponse Process(const Route& route, ApiRequest& req, Credentials& creds);
  void Finished(std::string_view route, std::string_view method, unsigned status,
                std::chrono::steady_clock::time_point start, const ApiRequest& req, std::size_t bytes);
  void Register(Connection* c, std::weak_ptr<Connection> w) {
    std::lock_guard l(conns_mu_);
    conns_[c] = std::move(w);
  }
  void Unregister(Connection* c) {
    std::lock_guard l(conns_mu_);
    conns_.erase(c);
    conns_cv_.notify_all();
  }

  ServerOptions options_;
  ServerHooks hooks_;
  std::shared_ptr<const Router> router_;
  std::shared_ptr<Metrics> metrics_;
  std::mutex tls_mu_;
  std::shared_ptr<ssl::context> tls_;
  RateLimiter limiter_;
  // Declared before the I/O context: connections still queued in it when it is destroyed
  // unregister themselves here.
  std::atomic<std::size_t> connections_{0};
  std::mutex conns_mu_;
  std::condition_variable conns_cv_;
  std::unordered_map<Connection*, std::weak_ptr<Connection>> conns_;
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  net::thread_pool workers_;
  std::vector<std::thread> io_threads_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_;
  std::atomic<bool> draining_{false};
  std::atomic<bool> started_{false};
  std::atomic<bool> stopped_{false};
  std::uint16_t port_ = 0;
  std::string rid_prefix_;
  std::atomic<std::uint64_t> rid_counter_{0};
  std::mutex shutdown_mu_;

 private:
  void Accept();
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Server::Impl& s, tcp::socket&& socket, std::shared_ptr<ssl::context> tls)
      : s_(s), tls_(std::move(tls)), stream_(std::move(socket), *tls_) {
    boost::system::error_code ec;
    auto ep = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
    if (!ec) {
      source_ = ep.address().is_v6() ? fmt::format("[{}]:{}", ep.address().to_string(), ep.port())
                                     : fmt::format("{}:{}", ep.address().to_string(), ep.port());
    }
  }
  ~Connection() {
    s_.connections_.fetch_sub(1);
    s_.Unregister(this);
  }

  void Start() {
    s_.Register(this, weak_from_this());
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->Handshake(); });
  }

  // From Shutdown: closes the connection if it is waiting for a request (otherwise it closes
  // after its response because the server is draining). With `force`, closes it in any state.
  void CloseIfIdle(bool force) {
    net::post(stream_.get_executor(), [self = shared_from_this(), force] {
      if (self->idle_ || force) self->CloseSocket();
    });
  }

 private:
  auto& Lowest() { return beast::get_lowest_layer(stream_); }

  void Handshake() {
    Lowest().expires_after(s_.options_.limits.header_timeout);
    stream_.async_handshake(ssl::stream_base::server,
                            [self = shared_from_this()](beast::error_code ec) {
                              if (ec) return self->CloseSocket();
                              self->peer_ = internal::VerifiedPeerCertificate(self->stream_.native_handle());
                              self->WaitForRequest(true);
                            });
  }

  void WaitForRequest(bool first) {
    idle_ = true;
    if (s_.draining_) return Close();
    if (buffer_.size() > 0) return ReadHeader();  // the next request is already buffered
    Lowest().expires_after(first ? s_.options_.limits.header_timeout : s_.options_.limits.idle_timeout);
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->buffer_.commit(n);
                              if (ec) return self->CloseSocket();
                              self->ReadHeader();
                            });
  }

  void ReadHeader() {
    idle_ = false;
    start_ = std::chrono::steady_clock::now();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(s_.options_.limits.max_header_bytes));
    parser_->body_limit(s_.options_.limits.max_body_bytes);
    Lowest().expires_after(s_.options_.limits.header_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              self->OnHeader(ec);
                            });
  }

  void OnHeader(beast::error_code ec) {
    request_id_ = s_.NextRequestId();
    route_ = nullptr;
    if (ec == http::error::header_limit) {
      return Reject(431, "header_too_large",
                    fmt::format("the request header exceeds {} bytes", s_.options_.limits.max_header_bytes));
    }
    if (ec == http::error::body_limit) {  // a Content-Length over the limit, seen with the header
      return Reject(413, "payload_too_large",
                    fmt::format("the body exceeds {} bytes", s_.options_.limits.max_body_bytes));
    }
    if (ec) {
      const bool parse_error = ec.category() == make_error_code(http::error::bad_target).category() &&
                               ec != http::error::end_of_stream && ec != http::error::partial_message;
      // Timeouts (slowloris), resets and truncated requests cut the connection.
      if (!parse_error) return CloseSocket();
      return Reject(400, "invalid_argument", "malformed HTTP request: " + ec.message());
    }
    auto& req = parser_->get();
    method_ = std::string(req.method_string());
    const std::string_view target(req.target().data(), req.target().size());
    const std::size_t q = target.find('?');
    path_ = std::string(target.substr(0, q));
    query_ = q == std::string_view::npos ? std::string() : std::string(target.substr(q + 1));
    for (auto f : {http::field::authorization, http::field::content_type, http::field::host,
                   http::field::content_length, http::field::transfer_encoding}) {
      if (req.count(f) > 1) {
        return Reject(400, "invalid_argument",
                      fmt::format("duplicated header '{}'", std::string(http::to_string(f))), std::string(http::to_string(f)));
      }
    }
    if (path_.empty() || path_[0] != '/') {
      return Reject(400, "invalid_argument", "the request target must be an absolute path");
    }
    auto m = s_.router_->Find(method_, path_);
    if (m.route == nullptr) {
      if (!m.allowed.empty()) {
        std::string allow;
        for (const auto& a : m.allowed) allow += (allow.empty() ? "" : ", ") + a;
        extra_headers_.emplace_back("Allow", allow);
        return Reject(405, "method_not_allowed",
                      fmt::format("{} is not allowed on {} (allowed: {})", method_, path_, allow));
      }
      return Reject(404, "not_found", fmt::format("no route for {} {}", method_, path_));
    }
    route_ = m.route;
    params_ = std::move(m.params);
    const bool has_body = parser_->content_length().value_or(0) > 0 || parser_->chunked();
    if (route_->has_body && has_body) {  // no body: the handler says which field is missing
      auto ct = req.find(http::field::content_type);
      if (ct == req.end() || !IsJsonContentType(std::string_view(ct->value().data(), ct->value().size()))) {
        return Reject(415, "unsupported_media_type", "the body must be JSON (Content-Type: application/json)",
                      "Content-Type");
      }
    }
    if (parser_->content_length() && *parser_->content_length() > s_.options_.limits.max_body_bytes) {
      return Reject(413, "payload_too_large",
                    fmt::format("the body exceeds {} bytes", s_.options_.limits.max_body_bytes));
    }
    if (has_body && beast::iequals(req[http::field::expect], "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      return http::async_write(stream_, *cont,
                               [self = shared_from_this(), cont](beast::error_code e, std::size_t) {
                                 if (e) return self->CloseSocket();
                                 self->ReadBody();
                               });
    }
    ReadBody();
  }

  void ReadBody() {
    Lowest().expires_after(s_.options_.limits.request_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (ec == http::error::body_limit) {
                         return self->Reject(413, "payload_too_large",
                                             fmt::format("the body exceeds {} bytes",
                                                         self->s_.options_.limits.max_body_bytes));
                       }
                       if (ec) return self->CloseSocket();
                       self->Dispatch();
                     });
  }

  void Dispatch() {
    auto& req = parser_->get();
    keep_alive_ = req.keep_alive();
    request_ = std::make_shared<ApiRequest>();
    request_->method = method_;
    request_->context.request_id = request_id_;
    request_->context.source_address = source_;
    if (auto ua = req.find(http::field::user_agent); ua != req.end()) {
      request_->context.client = std::string(ua->value().substr(0, 128));
    }
    auto path = PercentDecode(path_, false);
    auto query = ParseQuery(query_);
    if (!path || !query) {
      return Reject(400, "invalid_argument", "malformed percent-encoding in the request target");
    }
    request_->path = std::move(*path);
    request_->query = std::move(*query);
    for (auto& [k, v] : params_) {
      auto d = PercentDecode(v, false);
      if (!d) return Reject(400, "invalid_argument", fmt::format("path parameter {}: malformed percent-encoding", k), k);
      request_->params.emplace(k, std::move(*d));
    }
    request_->body = std::move(req.body());
    creds_ = std::make_shared<Credentials>();
    creds_->source_address = source_;
    if (peer_) creds_->peer = *peer_;
    if (auto a = req.find(http::field::authorization); a != req.end()) {
      std::string_view v(a->value().data(), a->value().size());
      if (v.size() > 7 && beast::iequals(beast::string_view(v.data(), 7), "bearer ")) {
        v.remove_prefix(7);
        creds_->bearer_token = SecretBytes::FromString(v);
      } else {
        creds_->bearer_token = SecretBytes::FromString("");  // not a bearer token: fails as invalid
      }
    }
    if (route_->inline_handler) {
      response_ = s_.Process(*route_, *request_, *creds_);
      return Write();
    }
    net::post(s_.workers_, [self = shared_from_this()] {
      self->response_ = self->s_.Process(*self->route_, *self->request_, *self->creds_);
      self->creds_.reset();
      net::post(self->stream_.get_executor(), [self] { self->Write(); });
    });
  }

  void Reject(unsigned status, std::string_view code, std::string message, std::string field = {}) {
    response_ = ApiErrorResponse(status, code, message, request_id_, field);
    keep_alive_ = false;  // the rest of the request was not read
    if (!request_) request_ = std::make_shared<ApiRequest>();
    request_->context.source_address = source_;
    request_->context.request_id = request_id_;
    Write();
  }

  void Write() {
    if (s_.draining_) keep_alive_ = false;
    if (response_.stream) return WriteStreamHeader();
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(response_.status), 11);
    FillHeaders(*res);
    res->body() = std::move(response_.body);
    res->prepare_payload();
    bytes_ = res->body().size();
    Lowest().expires_after(s_.options_.limits.request_timeout);
    http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
      self->AfterResponse(ec);
    });
  }

  template <typename Message>
  void FillHeaders(Message& res) {
    res.set(http::field::server, "bulwark");
    res.set(http::field::content_type, response_.content_type);
    res.set(http::field::cache_control, "no-store");
    res.set("X-Content-Type-Options", "nosniff");
    res.set("X-Request-Id", request_id_);
    for (const auto& [k, v] : extra_headers_) res.set(k, v);
    for (const auto& [k, v] : response_.headers) res.set(k, v);
    res.keep_alive(keep_alive_);
  }

  void WriteStreamHeader() {
    stream_res_ = std::make_unique<http::response<http::empty_body>>(
        static_cast<http::status>(response_.status), 11);
    FillHeaders(*stream_res_);
    stream_res_->chunked(true);
    stream_sr_ = std::make_unique<http::response_serializer<http::empty_body>>(*stream_res_);
    Lowest().expires_after(s_.options_.limits.request_timeout);
    http::async_write_header(stream_, *stream_sr_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->AfterResponse(ec);
      self->NextChunk();
    });
  }

  void NextChunk() {
    net::post(s_.workers_, [self = shared_from_this()] {
      self->chunk_.clear();
      auto more = self->response_.stream(self->chunk_);
      net::post(self->stream_.get_executor(), [self, more = std::move(more)] {
        if (!more) {  // cut the stream: the client must not take a truncated body as complete
          self->keep_alive_ = false;
          return self->AfterResponse(beast::error::timeout);
        }
        self->bytes_ += self->chunk_.size();
        self->Lowest().expires_after(self->s_.options_.limits.request_timeout);
        if (self->chunk_.empty() && *more) return self->NextChunk();
        if (self->chunk_.empty()) {
          return net::async_write(self->stream_, http::make_chunk_last(),
                                  [self](beast::error_code ec, std::size_t) { self->AfterResponse(ec); });
        }
        const bool last = !*more;
        net::async_write(self->stream_, http::make_chunk(net::buffer(self->chunk_)),
                         [self, last](beast::error_code ec, std::size_t) {
                           if (ec) return self->AfterResponse(ec);
                           if (!last) return self->NextChunk();
                           net::async_write(self->stream_, http::make_chunk_last(),
                                            [self](beast::error_code e, std::size_t) { self->AfterResponse(e); });
                         });
      });
    });
  }

  void AfterResponse(beast::error_code ec) {
    s_.Finished(route_ ? std::string_view(route_->pattern) : std::string_view("unmatched"), method_,
                response_.status, start_, *request_, bytes_);
    response_ = ApiResponse();
    request_.reset();
    extra_headers_.clear();
    stream_sr_.reset();
    stream_res_.reset();
    bytes_ = 0;
    if (ec) return CloseSocket();
    if (!keep_alive_) return Close();
    WaitForRequest(false);
  }

  // TLS close_notify (bounded by a short timeout), then the socket.
  void Close() {
    idle_ = false;
    Lowest().expires_after(std::chrono::seconds(2));
    stream_.async_shutdown([self = shared_from_this()](beast::error_code) { self->CloseSocket(); });
  }
  void CloseSocket() {
    idle_ = false;
    beast::error_code ec;
    Lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    Lowest().close();
  }

  Server::Impl& s_;
  std::shared_ptr<ssl::context> tls_;  // the context this connection was made with (reload-safe)
  beast::ssl_stream<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<PeerCertificate> peer_;
  std::string source_;
  bool idle_ = false;
  bool keep_alive_ = true;
  std::chrono::steady_clock::time_point start_;
  std::string request_id_, method_, path_, query_;
  const Route* route_ = nullptr;
  std::map<std::string, std::string, std::less<>> params_;
  std::shared_ptr<ApiRequest> request_;
  std::shared_ptr<Credentials> creds_;
  ApiResponse response_;
  std::vector<std::pair<std::string, std::string>> extra_headers_;
  std::unique_ptr<http::response<http::empty_body>> stream_res_;
  std::unique_ptr<http::response_serializer<http::empty_body>> stream_sr_;
  std::string chunk_;
  std::size_t bytes_ = 0;
};

ApiResponse Server::Impl::Process(const Route& route, ApiRequest& req, Credentials& creds) {
  if (!route.is_public) {
    auto principal = hooks_.authenticator->Authenticate(creds);
    if (!principal) {
      const std::string method = creds.bearer_token ? "token" : creds.peer ? "mtls" : "none";
      metrics_->Add("bulwark_authn_failures_total", {method});
      service::AuditRecord rec;
      rec.time = std::chrono::time_point_cast<TimePoint::duration>(std::chrono::system_clock::now());
      rec.operation = "auth.login";
      rec.action = service::Action::kRead;
      rec.outcome = service::Outcome::kFailure;
      rec.reason = fmt::format("{} authentication failed: {}", method, principal.error().message());
      rec.context = req.context;
      rec.context.principal.id = "anonymous";
      rec.context.principal.kind = method;
      if (auto a = hooks_.audit->Append(rec); !a) {
        hooks_.log(nlohmann::json({{"time", NowRfc3339()}, {"level", "error"},
                                   {"msg", "audit append failed for auth.login"},
                                   {"request_id", req.context.request_id},
                                   {"error", a.error().ToString()}}).dump());
      }
      if (principal.error().code() == ErrorCode::kUnavailable) {
        return ApiErrorResponse(principal.error(), req.context.request_id);
      }
      return ApiErrorResponse(401, "unauthenticated", principal.error().message(), req.context.request_id);
    }
    req.context.principal = std::move(*principal);
    creds.bearer_token.reset();
    auto verdict = limiter_.Allow(req.context.principal.id);
    if (!verdict.allowed) {
      metrics_->Add("bulwark_rate_limited_total", {});
      service::AuditRecord rec;
      rec.time = std::chrono::time_point_cast<TimePoint::duration>(std::chrono::system_clock::now());
      rec.operation = "server.rate_limited";
      rec.outcome = service::Outcome::kDenied;
      rec.reason = "rate limit exceeded";
      rec.context = req.context;
      (void)hooks_.audit->Append(rec);
      auto r = ApiErrorResponse(429, "rate_limited",
                                fmt::format("rate limit of {}/s exceeded for {}", options_.limits.rate_per_second,
                                            req.context.principal.id),
                                req.context.request_id);
      r.headers.emplace_back("Retry-After",
                             std::to_string(static_cast<long long>(std::ceil(verdict.retry_after_seconds))));
      return r;
    }
  }
  try {
    return route.handler(req);
  } catch (const std::exception& e) {
    // Handlers return errors as values; an exception is a bug. Its text may name internals, not
    // secrets (no handler puts values into exceptions), but it is logged, not sent.
    hooks_.log(nlohmann::json({{"time", NowRfc3339()}, {"level", "error"}, {"msg", "handler threw"},
                               {"request_id", req.context.request_id}, {"error", e.what()}})
                   .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    return ApiErrorResponse(500, "internal", "internal error", req.context.request_id);
  }
}

void Server::Impl::Finished(std::string_view route, std::string_view method, unsigned status,
                            std::chrono::steady_clock::time_point start, const ApiRequest& req,
                            std::size_t bytes) {
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::string status_text = std::to_string(status);
  metrics_->Add("bulwark_http_requests_total", {std::string(route), std::string(method), status_text});
  metrics_->Observe("bulwark_http_request_duration_seconds", {std::string(route), std::string(method)}, seconds);
  if (!options_.log_requests) return;
  nlohmann::ordered_json j;
  j["time"] = NowRfc3339();
  j["level"] = status >= 500 ? "error" : "info";
  j["msg"] = "request";
  j["request_id"] = req.context.request_id;
  j["method"] = method;
  j["route"] = route;
  if (auto ns = req.Param("namespace"); !ns.empty()) j["namespace"] = ns;
  j["status"] = status;
  j["duration_ms"] = std::round(seconds * 1e6) / 1e3;
  j["principal"] = req.context.principal.id;
  j["source"] = req.context.source_address;
  j["bytes"] = bytes;
  hooks_.log(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

Status Server::Impl::Start() {
  beast::error_code ec;
  auto address = net::ip::make_address(options_.host == "localhost" ? "127.0.0.1" : options_.host, ec);
  if (ec) return InvalidArgumentError(fmt::format("listen: '{}' is not an IP address", options_.host));
  tcp::endpoint ep(address, options_.port);
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return UnavailableError(fmt::format("listen on {}:{}: {}", options_.host, options_.port, ec.message()));
  }
  port_ = acceptor_.local_endpoint().port();
  work_.emplace(ioc_.get_executor());
  Accept();
  for (unsigned i = 0; i < options_.io_threads; ++i) io_threads_.emplace_back([this] { ioc_.run(); });
  started_ = true;
  return OkStatus();
}

void Server::Impl::Accept() {
  acceptor_.async_accept(net::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (draining_ || !acceptor_.is_open()) return;
      // EMFILE and friends: try again shortly instead of spinning.
      auto t = std::make_shared<net::steady_timer>(ioc_, std::chrono::milliseconds(50));
      return t->async_wait([this, t](beast::error_code) { Accept(); });
    }
    if (draining_) return;
    if (connections_.load() >= options_.limits.max_connections) {
      metrics_->Add("bulwark_connections_rejected_total", {});
      beast::error_code e;
      socket.shutdown(tcp::socket::shutdown_both, e);
      socket.close(e);
    } else {
      connections_.fetch_add(1);
      std::make_shared<Connection>(*this, std::move(socket), tls())->Start();
    }
    Accept();
  });
}

Status Server::Impl::Reload() {
  BULWARK_ASSIGN_OR_RETURN(auto fresh, internal::MakeServerTlsContext(options_.tls));
  if (hooks_.authenticator) BULWARK_RETURN_IF_ERROR(hooks_.authenticator->Reload());
  std::lock_guard l(tls_mu_);
  tls_ = std::move(fresh);
  return OkStatus();
}

void Server::Impl::Shutdown() {
  std::lock_guard guard(shutdown_mu_);
  if (stopped_) return;
  draining_ = true;
  if (started_) {
    std::promise<void> closed;
    net::post(acceptor_.get_executor(), [this, &closed] {
      beast::error_code ec;
      acceptor_.close(ec);
      closed.set_value();
    });
    closed.get_future().wait();
    auto for_each_conn = [this](bool force) {
      std::vector<std::shared_ptr<Connection>> live;
      {
        std::lock_guard l(conns_mu_);
        for (auto& [p, w] : conns_) {
          if (auto c = w.lock()) live.push_back(std::move(c));
        }
      }
      for (auto& c : live) c->CloseIfIdle(force);
    };
    for_each_conn(false);
    const auto deadline = std::chrono::steady_clock::now() + options_.drain_timeout;
    {
      std::unique_lock l(conns_mu_);
      while (!conns_.empty() && std::chrono::steady_clock::now() < deadline) {
        conns_cv_.wait_for(l, std::chrono::milliseconds(50));
        l.unlock();
        for_each_conn(false);  // connections that became idle since
        l.lock();
      }
    }
    for_each_conn(true);
    work_.reset();
    workers_.join();
    const auto hard = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    while (connections_.load() > 0 && std::chrono::steady_clock::now() < hard) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ioc_.stop();
    for (auto& t : io_threads_) t.join();
    io_threads_.clear();
  } else {
    workers_.join();
  }
  if (hooks_.on_drained) hooks_.on_drained();
  stopped_ = true;
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() { Shutdown(); }

Result<std::unique_ptr<Server>> Server::Create(ServerOptions options, ServerHooks hooks,
                                               std::shared_ptr<const Router> router,
                                               std::shared_ptr<Metrics> metrics) {
  if (!hooks.authenticator) return InvalidArgumentError("server: an authenticator is required");
  if (!hooks.audit) return InvalidArgumentError("server: an audit sink is required");
  if (!router) return InvalidArgumentError("server: a router is required");
  if (!metrics) metrics = std::make_shared<Metrics>();
  if (options.io_threads == 0 || options.worker_threads == 0) {
    return InvalidArgumentError("server: threads.io and threads.workers must be positive");
  }
  BULWARK_ASSIGN_OR_RETURN(auto tls, internal::MakeServerTlsContext(options.tls));
  metrics->DefineCounter("bulwark_http_requests_total", "HTTP requests by route template, method and status",
                         {"route", "method", "status"});
  metrics->DefineHistogram("bulwark_http_request_duration_seconds",
                           "Time from the first byte of the request header to the end of the response",
                           {"route", "method"}, Metrics::LatencyBuckets());
  metrics->DefineCounter("bulwark_authn_failures_total", "Failed authentications by credential kind", {"method"});
  metrics->DefineCounter("bulwark_rate_limited_total", "Requests refused by the per-principal rate limit", {});
  metrics->DefineCounter("bulwark_connections_rejected_total", "Connections closed at once (max_connections)", {});
  auto impl = std::make_unique<Impl>(std::move(options), std::move(hooks), std::move(router), metrics, std::move(tls));
  Impl* raw = impl.get();
  metrics->DefineGauge("bulwark_http_connections", "Open client connections", {}, [raw] {
    return std::vector<std::pair<Metrics::Labels, double>>{{{}, static_cast<double>(raw->connections_.load())}};
  });
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Status Server::Start() { return impl_->Start(); }
std::uint16_t Server::port() const { return impl_->port_; }
Status Server::Reload() { return impl_->Reload(); }
void Server::Shutdown() { impl_->Shutdown(); }
bool Server::accepting() const { return !impl_->draining_; }
Metrics& Server::metrics() { return *impl_->metrics_; }

void BlockServerSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void RunUntilSignal(Server& server, const std::function<void(const Status&)>& on_reload) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  while (true) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == SIGHUP) {
      Status s = server.Reload();
      if (on_reload) on_reload(s);
      continue;
    }
    server.Shutdown();
    return;
  }
}

}  // namespace bulwark::server
