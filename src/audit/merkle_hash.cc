#include "bulwark/audit/merkle_hash.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "bulwark/core/encoding.h"
#include "bulwark/crypto/hash.h"

namespace bulwark::audit {
namespace {

constexpr std::uint8_t kLeafPrefix = 0x00;
constexpr std::uint8_t kNodePrefix = 0x01;

// SHA-256 of an in-memory buffer fails only when OpenSSL itself is broken (no default provider,
// allocation failure); like an allocation failure, that is fatal for a tree computation.
Hash Sha256OrDie(std::span<const std::uint8_t> data) {
  auto digest = crypto::Sha256(data);
  if (!digest) std::abort();
  return *digest;
}

}  // namespace

Hash HashLeaf(std::span<const std::uint8_t> leaf) {
  thread_local std::vector<std::uint8_t> buffer;
  buffer.resize(1 + leaf.size());
  buffer[0] = kLeafPrefix;
  std::copy(leaf.begin(), leaf.end(), buffer.begin() + 1);
  return Sha256OrDie(buffer);
}

Hash HashLeaf(std::string_view leaf) {
  return HashLeaf(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(leaf.data()),
                                                leaf.size()));
}

Hash HashChildren(const Hash& left, const Hash& right) {
  std::uint8_t buffer[1 + 2 * kHashSize];
  buffer[0] = kNodePrefix;
  std::copy(left.begin(), left.end(), buffer + 1);
  std::copy(right.begin(), right.end(), buffer + 1 + kHashSize);
  return Sha256OrDie(buffer);
}

const Hash& EmptyRoot() {
  static const Hash kEmpty = Sha256OrDie({});
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
