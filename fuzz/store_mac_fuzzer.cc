// Fuzzes the two texts of store authentication a hostile home or database controls
// (docs/store.md, "Authenticated versions"): the key file (StoreMacKey::Parse accepts only a
// header, an id that belongs to the key and a 32-byte base64 key, and what it accepts serializes
// back to the same key) and the `mac` column of a version (ParseVersionMac; a tag that parses
// never verifies for a version it was not made for). The first byte picks the mode.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "bulwark/service/store_mac.h"
#include "service/version_mac.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    auto key = bulwark::service::StoreMacKey::Parse(text, "fuzz.key");
    if (!key) {
      if (key.error().code() != bulwark::ErrorCode::kDataLoss) std::abort();
      return 0;
    }
    auto again = bulwark::service::StoreMacKey::Parse((*key)->Serialize(), "again");
    if (!again || (*again)->id() != (*key)->id()) std::abort();
    return 0;
  }
  static const auto key = [] {
    bulwark::SecretBytes k(32);
    return bulwark::service::StoreMacKey::Create(std::move(k)).value();
  }();
  bulwark::store::VersionInfo info;
  info.namespace_name = "fuzz/ns";
  info.version = 3;
  info.parent = 2;
  info.content_hash = std::string(64, '0');
  info.mac = std::string(text);
  auto parsed = bulwark::service::internal::ParseVersionMac(info);
  if (!parsed) {
    if (parsed.error().code() != bulwark::ErrorCode::kDataLoss) std::abort();
    return 0;
  }
  const bulwark::service::internal::VersionBinding binding{"ns:fuzz", parsed->meta_version, ""};
  // Forging a tag for a fixed key is a 2^-256 event: any input that verifies is a bug.
  if (bulwark::service::internal::VerifyVersion(*key, info, *parsed, binding)) std::abort();
  return 0;
}
