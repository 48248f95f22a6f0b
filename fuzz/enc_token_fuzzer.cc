// Fuzzes the ENC[...] token parser: no crash, and every accepted token is canonical (formatting the
// parsed token gives back the input bytes exactly, so one token has one spelling).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "bulwark/secfile/token.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto token = bulwark::secfile::ParseToken(text);
  if (token && bulwark::secfile::FormatToken(*token) != text) std::abort();
  return 0;
}
