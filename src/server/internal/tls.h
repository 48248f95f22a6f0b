// TLS contexts and client certificates for the server (OpenSSL 3 through Boost.Asio).
#ifndef BULWARK_SRC_SERVER_INTERNAL_TLS_H_
#define BULWARK_SRC_SERVER_INTERNAL_TLS_H_

#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <optional>

#include "bulwark/core/error.h"
#include "bulwark/server/authenticator.h"
#include "bulwark/server/server_config.h"

namespace bulwark::server::internal {

// A server context: TLS 1.3 only (TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256) unless
// `allow_tls12` (then also ECDHE with AES-256-GCM or ChaCha20-Poly1305), no compression, no
// renegotiation; the client CA and verification mode from `client_auth`. kInvalidArgument naming
// the file when a certificate, key or CA cannot be loaded or the key does not match.
Result<std::shared_ptr<boost::asio::ssl::context>> MakeServerTlsContext(const TlsOptions& options);

// The verified client certificate of an established connection, if any.
std::optional<PeerCertificate> VerifiedPeerCertificate(SSL* ssl);

}  // namespace bulwark::server::internal

#endif  // BULWARK_SRC_SERVER_INTERNAL_TLS_H_
