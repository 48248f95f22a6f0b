#include "service/version_mac.h"

#include <fmt/format.h>

#include <charconv>

#include "bulwark/core/encoding.h"

namespace bulwark::service::internal {
namespace {

constexpr std::string_view kDomain = "bulwark-store-version/v1\n";
constexpr std::string_view kPrefix = "bwmac1:";

void Field(std::string& out, std::string_view bytes) {
  const auto n = static_cast<std::uint32_t>(bytes.size());
  out.push_back(static_cast<char>(n >> 24));
  out.push_back(static_cast<char>(n >> 16));
  out.push_back(static_cast<char>(n >> 8));
  out.push_back(static_cast<char>(n));
  out.append(bytes);
}

void Field(std::string& out, std::int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  Field(out, std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)));
}

std::string Where(const store::VersionInfo& info) {
  return fmt::format("{} version {}", info.namespace_name, info.version);
}

}  // namespace

std::string DataBinding(std::string_view identity) { return fmt::format("ns:{}", identity); }
std::string MetaBinding(std::string_view identity) { return fmt::format("meta:{}", identity); }

std::string VersionMacMessage(const store::VersionInfo& info, const VersionBinding& binding) {
  std::string m;
  m.reserve(256 + info.author.size() + info.message.size());
  m.append(kDomain);
  Field(m, binding.binding);
  Field(m, info.version);
  Field(m, info.parent.value_or(0));
  Field(m, info.parent_mac);
  Field(m, static_cast<std::int64_t>(
               std::chrono::duration_cast<std::chrono::microseconds>(info.created_at.time_since_epoch())
                   .count()));
  Field(m, info.author);
  Field(m, info.message);
  Field(m, static_cast<std::int64_t>(info.tags.size()));
  for (const std::string& t : info.tags) Field(m, t);
  Field(m, store::OperationName(info.operation));
  Field(m, info.rollback_of.value_or(0));
  Field(m, info.content_hash);
  Field(m, binding.meta_version);
  Field(m, binding.meta_mac);
  return m;
}

Result<std::string> SealVersion(const StoreMacKey& key, const store::VersionInfo& info,
                                const VersionBinding& binding) {
  BULWARK_ASSIGN_OR_RETURN(crypto::Sha256Digest tag,
                           key.Tag(crypto::AsBytes(VersionMacMessage(info, binding))));
  return fmt::format("{}{}:{}:{}", kPrefix, key.id(), binding.meta_version, HexEncode(tag));
}

Result<ParsedMac> ParseVersionMac(const store::VersionInfo& info) {
  std::string_view s = info.mac;
  if (s.empty()) {
    return DataLossError(fmt::format(
        "{} carries no authentication tag (written without a store key, or the tag was removed)",
        Where(info)));
  }
  auto bad = [&] {
    return DataLossError(fmt::format("{}: malformed authentication tag", Where(info)));
  };
  if (!s.starts_with(kPrefix)) return bad();
  s.remove_prefix(kPrefix.size());
  const std::size_t c1 = s.find(':');
  if (c1 == std::string_view::npos) return bad();
  ParsedMac out;
  out.key_id = std::string(s.substr(0, c1));
  s.remove_prefix(c1 + 1);
  const std::size_t c2 = s.find(':');
  if (c2 == std::string_view::npos || c2 == 0) return bad();
  const std::string_view mv = s.substr(0, c2);
  auto [end, ec] = std::from_chars(mv.data(), mv.data() + mv.size(), out.meta_version);
  if (ec != std::errc() || end != mv.data() + mv.size() || out.meta_version < 0) return bad();
  const std::string_view hex = s.substr(c2 + 1);
  auto tag = HexDecode(hex);
  if (!tag || tag->size() != out.tag.size()) return bad();
  std::copy(tag->begin(), tag->end(), out.tag.begin());
  return out;
}

Status VerifyVersion(const StoreMacKey& key, const store::VersionInfo& info,
                     const ParsedMac& parsed, const VersionBinding& binding) {
  if (parsed.key_id != key.id()) {
    return DataLossError(fmt::format(
        "{} is authenticated with store key {}, not with this home's key {} (copy the "
        "store-mac.key of the home that wrote it)",
        Where(info), parsed.key_id.substr(0, 32), key.id()));
  }
  if (!key.Verify(crypto::AsBytes(VersionMacMessage(info, binding)), parsed.tag)) {
    return DataLossError(fmt::format(
        "{} does not verify: its content, metadata, number, parent, namespace or schema was "
        "changed outside Bulwark",
        Where(info)));
  }
  return OkStatus();
}

}  // namespace bulwark::service::internal
