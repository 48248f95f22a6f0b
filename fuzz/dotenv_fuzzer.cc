// Fuzzes the dotenv parser and the env `export` line parser: no crash or hang on any input; an
// accepted dotenv file (a flat map of strings) emits to text that parses back to an equal map, and
// so does an accepted env file whose names are uppercase and values hold no NUL.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "bulwark/config/format.h"

using bulwark::config::Format;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto doc = bulwark::config::ParseDocument(text, Format::kDotenv);
  if (doc) {
    auto out = bulwark::config::EmitDocument(doc->root, Format::kDotenv);
    if (!out) std::abort();
    auto again = bulwark::config::ParseDocument(*out, Format::kDotenv);
    if (!again || !(again->root == doc->root)) std::abort();
  } else if (!doc.error().message().starts_with("<input>:")) {
    std::abort();
  }
  auto env = bulwark::config::ParseDocument(text, Format::kEnv);
  if (env) {
    // Emitting uppercases names and cannot carry NUL; other maps round-trip exactly.
    bool comparable = true;
    for (const auto& e : env->root.AsMap()) {
      comparable &= e.value.AsString().find('\0') == std::string::npos;
      for (char c : e.key) comparable &= !(c >= 'a' && c <= 'z');
    }
    if (comparable) {
      auto out = bulwark::config::EmitDocument(env->root, Format::kEnv);
      if (!out) std::abort();
      auto again = bulwark::config::ParseDocument(*out, Format::kEnv);
      if (!again || !(again->root == env->root)) std::abort();
    }
  } else if (!env.error().message().starts_with("<input>:")) {
    std::abort();
  }
  return 0;
}
