// Fuzzes the TOML parser (toml++ plus our converter and depth pre-scan): no crash or hang on any
// input; every accepted document emits to TOML that parses again.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "bulwark/config/format.h"

using bulwark::config::Format;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  bulwark::config::ParseOptions options;
  options.max_depth = 64;
  auto doc = bulwark::config::ParseDocument(text, Format::kToml, options);
  if (!doc) {
    if (!doc.error().message().starts_with("<input>:")) std::abort();
    return 0;
  }
  auto out = bulwark::config::EmitDocument(doc->root, Format::kToml);
  if (!out) std::abort();
  if (!bulwark::config::ParseDocument(*out, Format::kToml, options)) std::abort();
  return 0;
}
