// Fuzzes the parsers of a home's own files (bulwark/node/home.h): home.json (the algorithm policy)
// and provider.json (where the key-encryption keys live). Invariants: no crash, no sanitizer
// report; a parse either fails with kDataLoss naming the file, or yields a consistent value (a
// pkcs11 provider has a module, a token label and a key label).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "bulwark/node/home.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto settings = bulwark::node::ParseHomeSettings(text, "home.json");
  if (!settings && settings.error().code() != bulwark::ErrorCode::kDataLoss) std::abort();
  auto provider = bulwark::node::ParseProviderConfig(text, "provider.json");
  if (provider) {
    if (provider->kind == "pkcs11" &&
        (provider->module.empty() || provider->token_label.empty() || provider->key_label.empty())) {
      std::abort();
    }
    if (provider->kind != "pkcs11" && provider->kind != "local" && !provider->kind.empty()) {
      std::abort();
    }
  } else if (provider.error().code() != bulwark::ErrorCode::kDataLoss) {
    std::abort();
  }
  return 0;
}
