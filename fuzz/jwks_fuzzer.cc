// Fuzzes the JWK Set parser (identity/jwk.h): no crash, every error is kInvalidArgument, and a
// parsed set is never empty and never holds a key without one of the three supported algorithms.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "bulwark/identity/jwk.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto set = bulwark::identity::JwkSet::Parse(text, "fuzz.jwks");
  if (!set) {
    if (set.error().code() != bulwark::ErrorCode::kInvalidArgument) std::abort();
    return 0;
  }
  if (set->size() == 0) std::abort();
  std::size_t n = 0;
  for (auto alg : {bulwark::identity::JwsAlgorithm::kRs256, bulwark::identity::JwsAlgorithm::kEs256,
                   bulwark::identity::JwsAlgorithm::kEdDsa}) {
    n += set->Candidates("", alg).size();
  }
  if (n > set->size()) std::abort();
  return 0;
}
