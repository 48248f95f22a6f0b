#include "bulwark/server/api_client.h"

#include <fmt/format.h>
#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <nlohmann/json.hpp>

namespace bulwark::server {
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

namespace {

ErrorCode CodeOf(std::string_view code, unsigned status) {
  static const std::pair<std::string_view, ErrorCode> kCodes[] = {
      {"invalid_argument", ErrorCode::kInvalidArgument}, {"unauthenticated", ErrorCode::kUnauthenticated},
      {"permission_denied", ErrorCode::kPermissionDenied}, {"not_found", ErrorCode::kNotFound},
      {"already_exists", ErrorCode::kAlreadyExists}, {"conflict", ErrorCode::kConflict},
      {"failed_precondition", ErrorCode::kFailedPrecondition}, {"compliance_gate", ErrorCode::kFailedPrecondition},
      {"payload_too_large", ErrorCode::kResourceExhausted},
      {"data_loss", ErrorCode::kDataLoss}, {"rate_limited", ErrorCode::kUnavailable},
      {"unavailable", ErrorCode::kUnavailable}, {"internal", ErrorCode::kInternal},
      {"method_not_allowed", ErrorCode::kInvalidArgument}, {"unsupported_media_type", ErrorCode::kInvalidArgument},
      {"header_too_large", ErrorCode::kInvalidArgument}};
  for (const auto& [name, c] : kCodes) {
    if (name == code) return c;
  }
  return status >= 500 ? ErrorCode::kUnavailable : ErrorCode::kInvalidArgument;
}

}  // namespace

std::string UrlEncode(std::string_view s, bool path) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (path && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

struct ApiClient::Impl {
  ApiClientOptions o;
  std::string host, port;
  net::io_context ioc;
  ssl::context ctx{ssl::context::tls_client};
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> stream;
  beast::flat_buffer buffer;

  Status Connect() {
    try {
      stream = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(ioc, ctx);
      if (!SSL_set_tlsext_host_name(stream->native_handle(), host.c_str())) {
        return InternalError("tls: cannot set the server name");
      }
      SSL_set1_host(stream->native_handle(), host.c_str());
      tcp::resolver resolver(ioc);
      auto& layer = beast::get_lowest_layer(*stream);
      layer.expires_after(o.timeout);
      layer.connect(resolver.resolve(host, port));
      stream->handshake(ssl::stream_base::client);
      buffer.clear();
      return OkStatus();
    } catch (const boost::system::system_error& e) {
      stream.reset();
      return UnavailableError(fmt::format("connect to {}: {}", o.url, e.code().message()));
    }
  }
};

ApiClient::ApiClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ApiClient::~ApiClient() = default;

Result<std::unique_ptr<ApiClient>> ApiClient::Create(ApiClientOptions options) {
  auto impl = std::make_unique<Impl>();
  std::string_view url = options.url;
  if (!url.starts_with("https://")) {
    return InvalidArgumentError(fmt::format("--server {}: an https:// URL (the server speaks TLS only)", options.url));
  }
  url.remove_prefix(8);
  while (url.ends_with('/')) url.remove_suffix(1);
  if (url.find('/') != std::string_view::npos) {
    return InvalidArgumentError(fmt::format("--server {}: https://host:port without a path", options.url));
  }
  if (url.starts_with('[')) {
    const auto close = url.find(']');
    if (close == std::string_view::npos) return InvalidArgumentError(fmt::format("--server {}: bad IPv6 address", options.url));
    impl->host = std::string(url.substr(1, close - 1));
    impl->port = close + 2 <= url.size() && url.substr(close + 1).starts_with(':') ? std::string(url.substr(close + 2)) : "8200";
  } else {
    const auto colon = url.rfind(':');
    impl->host = std::string(url.substr(0, colon));
    impl->port = colon == std::string_view::npos ? "8200" : std::string(url.substr(colon + 1));
  }
  if (impl->host.empty() || impl->port.empty()) {
    return InvalidArgumentError(fmt::format("--server {}: https://host:port", options.url));
  }
  SSL_CTX* c = impl->ctx.native_handle();
  SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
  if (options.ca.empty()) {
    SSL_CTX_set_default_verify_paths(c);
  } else if (SSL_CTX_load_verify_locations(c, options.ca.c_str(), nullptr) != 1) {
    return InvalidArgumentError(fmt::format("--ca {}: not a readable PEM CA file", options.ca.string()));
  }
  SSL_CTX_set_verify(c, SSL_VERIFY_PEER, nullptr);
  if (!options.cert.empty()) {
    if (SSL_CTX_use_certificate_chain_file(c, options.cert.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(c, options.key.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(c) != 1) {
      return InvalidArgumentError(fmt::format("--cert {} / --key {}: unreadable or not a matching pair",
                                              options.cert.string(), options.key.string()));
    }
  }
  impl->o = std::move(options);
  return std::unique_ptr<ApiClient>(new ApiClient(std::move(impl)));
}

Result<std::string> ApiClient::Call(std::string_view method, std::string_view target, std::string_view body) {
  Impl& i = *impl_;
  http::request<http::string_body> req(http::string_to_verb(beast::string_view(method.data(), method.size())), std::string(target), 11);
  req.set(http::field::host, i.host);
  req.set(http::field::user_agent, i.o.user_agent);
  req.set(http::field::accept, "application/json");
  if (i.o.token) {
    auto t = i.o.token->Reveal();
    req.set(http::field::authorization,
            "Bearer " + std::string(reinterpret_cast<const char*>(t.data()), t.size()));
  }
  if (!body.empty() || method == "POST" || method == "PUT") {
    req.set(http::field::content_type, "application/json");
    req.body() = std::string(body);
  }
  req.prepare_payload();
  std::optional<http::response_parser<http::string_body>> parser;
  // A kept-alive connection the server closed meanwhile fails on first use: reconnect once.
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!i.stream) BULWARK_RETURN_IF_ERROR(i.Connect());
    parser.emplace();
    parser->body_limit(1ull << 32);
    try {
      beast::get_lowest_layer(*i.stream).expires_after(i.o.timeout);
      http::write(*i.stream, req);
      http::read(*i.stream, i.buffer, *parser);
      break;
    } catch (const boost::system::system_error& e) {
      i.stream.reset();
      if (attempt == 1) {
        return UnavailableError(fmt::format("{} {}{}: {}", method, i.o.url, target.substr(0, target.find('?')),
                                            e.code().message()));
      }
    }
  }
  auto& res = parser->get();
  if (!res.keep_alive()) i.stream.reset();
  const unsigned status = res.result_int();
  if (status >= 200 && status < 300) return std::move(res.body());
  auto j = nlohmann::json::parse(res.body(), nullptr, false);
  if (!j.is_discarded() && j.contains("error") && j["error"].is_object()) {
    const auto& e = j["error"];
    return std::unexpected(Error(CodeOf(e.value("code", ""), status),
                                 fmt::format("{} (server: HTTP {}, request {})", e.value("message", ""), status,
                                             e.value("request_id", ""))));
  }
  return UnavailableError(fmt::format("{} {}: HTTP {}", method, i.o.url, status));
}

}  // namespace bulwark::server
