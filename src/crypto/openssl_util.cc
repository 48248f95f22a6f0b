#include "crypto/openssl_util.h"

#include <fmt/format.h>
#include <openssl/err.h>

namespace bulwark::crypto::internal {

std::string DrainOpenSslErrors() {
  std::string out;
  unsigned long code;
  while ((code = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? std::string("no OpenSSL error") : out;
}

std::unexpected<Error> OpenSslError(std::string_view operation) {
  return InternalError(fmt::format("{}: {}", operation, DrainOpenSslErrors()));
}

void ClearOpenSslErrors() { ERR_clear_error(); }

}  // namespace bulwark::crypto::internal
