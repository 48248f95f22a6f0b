#include "bulwark/audit/merkle_hash.h"

#include <fmt/format.h>

#include <algorithm>

#include "audit/internal/sha256.h"
#include "bulwark/core/encoding.h"

namespace bulwark::audit {
namespace {

constexpr std::uint8_t kLeafPrefix[1] = {0x00};
constexpr std::uint8_t kNodePrefix[1] = {0x01};

}  // namespace

Hash HashLeaf(std::span<const std::uint8_t> leaf) {
  const std::span<const std::uint8_t> parts[] = {kLeafPrefix, leaf};
  return internal::Sha256(parts);
}

Hash HashLeaf(std::string_view leaf) {
  return HashLeaf(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(leaf.data()),
                                                leaf.size()));
}

Hash HashChildren(const Hash& left, const Hash& right) {
  const std::span<const std::uint8_t> parts[] = {kNodePrefix, left, right};
  return internal::Sha256(parts);
}

const Hash& EmptyRoot() {
  static const Hash kEmpty = internal::Sha256({});
  return kEmpty;
}

Result<Hash> HashFromBytes(std::span<const std::uint8_t> bytes, std::string_view what) {
  if (bytes.size() != kHashSize) {
    return InvalidArgumentError(
        fmt::format("{}: expected {} bytes, got {}", what, kHashSize, bytes.size()));
  }
  Hash h;
  std::copy(bytes.begin(), bytes.end(), h.begin());
  return h;
}

std::string HashToHex(const Hash& hash) { return HexEncode(hash); }

Result<Hash> HashFromHex(std::string_view hex, std::string_view what) {
  auto bytes = HexDecode(hex);
  if (!bytes) return InvalidArgumentError(fmt::format("{}: {}", what, bytes.error().message()));
  return HashFromBytes(*bytes, what);
}

}  // namespace bulwark::audit
