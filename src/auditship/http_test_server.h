// A local HTTP(S) server (Boost.Beast) for tests of webhook delivery: the audit shipper's
// webhook sink (webhook_test.cc) and the monitor's webhook channel. It records every request
// and answers with the status code its handler returns.
#ifndef BULWARK_SRC_AUDITSHIP_HTTP_TEST_SERVER_H_
#define BULWARK_SRC_AUDITSHIP_HTTP_TEST_SERVER_H_

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <thread>
#include <vector>

namespace bulwark::auditship::testing {

using TestHttpRequest = boost::beast::http::request<boost::beast::http::string_body>;

// Serves one connection at a time; `handler` gives the status code (it may sleep first). With
// `tls_dir` (MakeTestCertificates), HTTPS with server.pem. A `TestHttpServer::WithBody` handler
// also gives the body of the answer (a service's configuration for drift checks).
class TestHttpServer {
  using Request = TestHttpRequest;
  using tcp = boost::asio::ip::tcp;

 public:
  using BodyHandler = std::function<std::pair<unsigned, std::string>(const Request&)>;
  struct WithBody {
    BodyHandler handler;
  };

  explicit TestHttpServer(std::function<unsigned(const Request&)> handler,
                          const std::filesystem::path& tls_dir = {})
      : TestHttpServer(WithBody{[handler = std::move(handler)](const Request& r) {
                         const unsigned code = handler(r);
                         return std::pair<unsigned, std::string>(code, code == 204 ? "" : "ok");
                       }},
                       tls_dir) {}

  explicit TestHttpServer(WithBody handler, const std::filesystem::path& tls_dir = {})
      : handler_(std::move(handler.handler)), acceptor_(ioc_, tcp::endpoint(tcp::v4(), 0)) {
    port_ = acceptor_.local_endpoint().port();
    if (!tls_dir.empty()) {
      tls_.emplace(boost::asio::ssl::context::tls_server);
      tls_->use_certificate_chain_file((tls_dir / "server.pem").string());
      tls_->use_private_key_file((tls_dir / "server.key").string(), boost::asio::ssl::context::pem);
    }
    thread_ = std::thread([this] { Serve(); });
  }
  ~TestHttpServer() {
    stop_ = true;
    boost::system::error_code ec;
    tcp::socket s(ioc_);
    s.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port_),
              ec);  // wakes accept
    thread_.join();
  }
  std::uint16_t port() const { return port_; }
  std::vector<Request> requests() {
    std::lock_guard l(mu_);
    return requests_;
  }

 private:
  void Serve() {
    while (!stop_) {
      tcp::socket s(ioc_);
      boost::system::error_code ec;
      acceptor_.accept(s, ec);
      if (ec || stop_) continue;
      if (tls_) {
        boost::asio::ssl::stream<tcp::socket> ss(std::move(s), *tls_);
        ss.handshake(boost::asio::ssl::stream_base::server, ec);
        if (ec) {
          std::lock_guard l(mu_);
          handshake_failures_++;
          continue;
        }
        Exchange(ss);
        ss.shutdown(ec);
      } else {
        Exchange(s);
        s.shutdown(tcp::socket::shutdown_both, ec);
      }
    }
  }

 public:
  int handshake_failures() {
    std::lock_guard l(mu_);
    return handshake_failures_;
  }

 private:
  template <class Stream>
  void Exchange(Stream& s) {
    boost::system::error_code ec;
    boost::beast::flat_buffer buf;
    Request req;
    boost::beast::http::read(s, buf, req, ec);
    if (ec) return;
    {
      std::lock_guard l(mu_);
      requests_.push_back(req);
    }
    auto [code, body] = handler_(req);
    boost::beast::http::response<boost::beast::http::string_body> resp(
        static_cast<boost::beast::http::status>(code), 11);
    resp.body() = std::move(body);
    resp.prepare_payload();
    boost::beast::http::write(s, resp, ec);
  }

  BodyHandler handler_;
  boost::asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::optional<boost::asio::ssl::context> tls_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<Request> requests_;
  int handshake_failures_ = 0;
  std::thread thread_;
};

}  // namespace bulwark::auditship::testing

#endif  // BULWARK_SRC_AUDITSHIP_HTTP_TEST_SERVER_H_
