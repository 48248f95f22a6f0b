// Fuzzes the dotted-path and JSON Pointer parsers: no crash, and every accepted dotted path
// survives a ToString/Parse round trip.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "bulwark/config/path.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto p = bulwark::config::Path::Parse(text)) {
    auto again = bulwark::config::Path::Parse(p->ToString());
    if (!again || !(*again == *p)) std::abort();
  }
  (void)bulwark::config::Path::ParseJsonPointer(text);
  return 0;
}
