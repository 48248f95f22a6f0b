// Fuzzes the store's input checks and content codec without a database:
//  - ValidateNamespace accepts exactly the documented names (checked against an independent
//    definition);
//  - stored content that decodes re-encodes to a fixpoint (encode(decode(encode(v))) ==
//    encode(v)) and decodes back to an equal value;
//  - DiffValues of two decoded documents is sorted, never carries values of encrypted tokens, and
//    is empty for a document against itself.
// The first byte picks the mode; the rest is the input (for diffs, split at the first 0xff).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "bulwark/store/diff.h"
#include "bulwark/store/namespace.h"
#include "store/internal/codec.h"

namespace {

bool IsValidNamespaceReference(std::string_view ns) {
  if (ns.empty() || ns.size() > bulwark::store::kMaxNamespaceLength) return false;
  std::size_t start = 0;
  while (true) {
    std::size_t end = ns.find('/', start);
    std::string_view seg = ns.substr(start, end == ns.npos ? ns.npos : end - start);
    if (seg.empty() || seg == "." || seg == "..") return false;
    for (char c : seg) {
      bool ok =
          (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
      if (!ok) return false;
    }
    if (end == ns.npos) return true;
    start = end + 1;
  }
}

void CheckDiff(const bulwark::config::Value& a, const bulwark::config::Value& b) {
  auto diff = bulwark::store::DiffValues(a, b);
  for (std::size_t i = 0; i < diff.size(); ++i) {
    if (i > 0 && !(diff[i - 1].path < diff[i].path)) std::abort();
    if (diff[i].redacted && (diff[i].old_value || diff[i].new_value)) std::abort();
    if (diff[i].old_value && bulwark::store::IsEncryptedToken(*diff[i].old_value)) std::abort();
    if (diff[i].new_value && bulwark::store::IsEncryptedToken(*diff[i].new_value)) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  namespace internal = bulwark::store::internal;
  switch (data[0] % 3) {
    case 0: {
      bool ok = bulwark::store::ValidateNamespace(input).has_value();
      if (ok != IsValidNamespaceReference(input)) std::abort();
      break;
    }
    case 1: {
      auto v = internal::DecodeContent(input);
      if (!v) break;
      auto enc = internal::EncodeContent(*v);
      if (!enc) break;  // e.g. deeper than the write limit
      auto back = internal::DecodeContent(*enc);
      if (!back || !(*back == *v)) std::abort();
      auto again = internal::EncodeContent(*back);
      if (!again || *again != *enc) std::abort();
      if (!bulwark::store::DiffValues(*v, *back).empty()) std::abort();
      break;
    }
    case 2: {
      std::size_t cut = input.find('\xff');
      if (cut == input.npos) break;
      auto a = internal::DecodeContent(input.substr(0, cut));
      auto b = internal::DecodeContent(input.substr(cut + 1));
      if (a && b) CheckDiff(*a, *b);
      break;
    }
  }
  return 0;
}
