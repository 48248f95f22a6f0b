#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "bulwark/core/encoding.h"
#include "server/internal/tls.h"

namespace bulwark::server::internal {
namespace ssl = boost::asio::ssl;

namespace {

std::string OpenSslReason() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  const char* r = ERR_reason_error_string(e);
  return r ? r : fmt::format("OpenSSL error {}", e);
}

std::string NameEntry(X509_NAME_ENTRY* e) {
  unsigned char* utf8 = nullptr;
  const int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
  if (n < 0) return {};
  std::string out(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(n));
  OPENSSL_free(utf8);
  return out;
}

}  // namespace

Result<std::shared_ptr<ssl::context>> MakeServerTlsContext(const TlsOptions& o) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* c = ctx->native_handle();
  SSL_CTX_set_min_proto_version(c, o.allow_tls12 ? TLS1_2_VERSION : TLS1_3_VERSION);
  if (SSL_CTX_set_ciphersuites(c, "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256") != 1 ||
      SSL_CTX_set_cipher_list(c,
                              "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                              "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305") != 1) {
    return InternalError("tls: cannot set the cipher suites: " + OpenSslReason());
  }
  SSL_CTX_set_options(c, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                             SSL_OP_CIPHER_SERVER_PREFERENCE);
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(c, o.cert.c_str()) != 1) {
    return InvalidArgumentError(fmt::format("tls.cert {}: {}", o.cert.string(), OpenSslReason()));
  }
  if (SSL_CTX_use_PrivateKey_file(c, o.key.c_str(), SSL_FILETYPE_PEM) != 1) {
    return InvalidArgumentError(fmt::format("tls.key {}: {}", o.key.string(), OpenSslReason()));
  }
  if (SSL_CTX_check_private_key(c) != 1) {
    return InvalidArgumentError(fmt::format("tls.key {}: does not match tls.cert {}", o.key.string(),
                                            o.cert.string()));
  }
  if (o.client_auth != TlsOptions::ClientAuth::kNone) {
    if (SSL_CTX_load_verify_locations(c, o.client_ca.c_str(), nullptr) != 1) {
      return InvalidArgumentError(fmt::format("tls.client_ca {}: {}", o.client_ca.string(), OpenSslReason()));
    }
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(o.client_ca.c_str());
    if (names == nullptr) {
      return InvalidArgumentError(fmt::format("tls.client_ca {}: no certificates", o.client_ca.string()));
    }
    SSL_CTX_set_client_CA_list(c, names);
    int mode = SSL_VERIFY_PEER;
    if (o.client_auth == TlsOptions::ClientAuth::kRequired) mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    SSL_CTX_set_verify(c, mode, nullptr);
    static const unsigned char kSid[] = "bulwark-serve";
    SSL_CTX_set_session_id_context(c, kSid, sizeof(kSid) - 1);
  }
  return ctx;
}

std::optional<PeerCertificate> VerifiedPeerCertificate(SSL* ssl) {
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert == nullptr) return std::nullopt;
  std::unique_ptr<X509, decltype(&X509_free)> guard(cert, X509_free);
  if (SSL_get_verify_result(ssl) != X509_V_OK) return std::nullopt;
  PeerCertificate p;
  X509_NAME* subject = X509_get_subject_name(cert);
  for (int i = -1; (i = X509_NAME_get_index_by_NID(subject, NID_commonName, i)) >= 0;) {
    p.common_name = NameEntry(X509_NAME_get_entry(subject, i));
  }
  for (int i = -1; (i = X509_NAME_get_index_by_NID(subject, NID_organizationalUnitName, i)) >= 0;) {
    p.organizational_units.push_back(NameEntry(X509_NAME_get_entry(subject, i)));
  }
  auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (sans != nullptr) {
    for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
      const GENERAL_NAME* g = sk_GENERAL_NAME_value(sans, i);
      auto text = [](ASN1_IA5STRING* s) {
        return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                           static_cast<std::size_t>(ASN1_STRING_length(s)));
      };
      if (g->type == GEN_DNS) p.dns_names.push_back(text(g->d.dNSName));
      if (g->type == GEN_URI) p.uris.push_back(text(g->d.uniformResourceIdentifier));
      if (g->type == GEN_EMAIL) p.emails.push_back(text(g->d.rfc822Name));
    }
    GENERAL_NAMES_free(sans);
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(cert, EVP_sha256(), md, &len) == 1) {
    p.fingerprint_sha256 = HexEncode(std::span<const std::uint8_t>(md, len));
  }
  return p;
}

}  // namespace bulwark::server::internal
