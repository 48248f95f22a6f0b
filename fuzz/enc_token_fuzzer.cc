// Fuzzes the ENC[...] token parser: no crash, and every accepted token is canonical (formatting the
// parsed token gives back the input bytes exactly, so one token has one spelling). ParseTokenInto,
// with one EncTokenParts reused across inputs as the service's batch decryption reuses it, must
// agree with ParseToken (same verdict, same message, same fields) whatever the previous input left.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "bulwark/secfile/token.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static bulwark::secfile::EncTokenParts reused;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto token = bulwark::secfile::ParseToken(text);
  if (token && bulwark::secfile::FormatToken(*token) != text) std::abort();
  const auto into = bulwark::secfile::ParseTokenInto(text, reused);
  if (into.has_value() != token.has_value()) std::abort();
  if (!into) {
    if (into.error().message() != token.error().message()) std::abort();
    return 0;
  }
  const auto iv = reused.iv();
  if (reused.algorithm != token->algorithm || reused.key_id != token->key_id ||
      reused.type != token->type || reused.tag != token->tag ||
      !std::equal(reused.data.begin(), reused.data.end(), token->data.begin(), token->data.end()) ||
      !std::equal(iv.begin(), iv.end(), token->iv.begin(), token->iv.end())) {
    std::abort();
  }
  return 0;
}
