// Fuzzes the YAML parser (yaml-cpp events plus our tree builder): no crash or hang on any input;
// every accepted document emits to YAML that parses back to an equal value (trees holding NaN are
// only re-parsed), and to JSON when it has no NaN or infinity.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "bulwark/config/format.h"
#include "fuzz_value_util.h"

using bulwark::config::Format;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  bulwark::config::ParseOptions options;
  options.max_depth = 64;
  auto doc = bulwark::config::ParseDocument(text, Format::kYaml, options);
  if (!doc) {
    if (!doc.error().message().starts_with("<input>:")) std::abort();
    return 0;
  }
  auto out = bulwark::config::EmitDocument(doc->root, Format::kYaml);
  if (!out) std::abort();
  auto again = bulwark::config::ParseDocument(*out, Format::kYaml, options);
  if (!again) std::abort();
  if (!bulwark::fuzz::HasNan(doc->root) && !(again->root == doc->root)) std::abort();
  return 0;
}
