// Fuzzes RFC 8785 canonicalization: no crash, and canonical output is a fixed point.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "bulwark/audit/jcs.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto canonical = bulwark::audit::CanonicalizeJsonText(text)) {
    auto again = bulwark::audit::CanonicalizeJsonText(*canonical);
    if (!again || *again != *canonical) std::abort();
  }
  return 0;
}
