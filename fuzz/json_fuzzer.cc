// Fuzzes the JSON parser: no crash or hang on any input; every accepted document emits (compact
// and indented) to text that parses back to an equal value; errors carry a position.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "bulwark/config/format.h"

using bulwark::config::Format;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  bulwark::config::ParseOptions options;
  options.max_depth = 64;
  auto doc = bulwark::config::ParseDocument(text, Format::kJson, options);
  if (!doc) {
    if (!doc.error().message().starts_with("<input>:")) std::abort();
    return 0;
  }
  for (int indent : {0, 2}) {
    auto out = bulwark::config::EmitDocument(doc->root, Format::kJson, {.indent = indent});
    if (!out) std::abort();
    auto again = bulwark::config::ParseDocument(*out, Format::kJson, options);
    if (!again || !(again->root == doc->root)) std::abort();
  }
  return 0;
}
