#include "bulwark/service/record_seal.h"

#include <fmt/format.h>

#include <span>

#include "bulwark/core/encoding.h"
#include "bulwark/core/secret_bytes.h"

namespace bulwark::service {

Result<std::string> RecordSeal::Tag(const store::VersionInfo& info) const {
  if (!key_) return FailedPreconditionError("record seal: no store MAC key");
  std::string msg = domain_;
  msg.push_back('\0');
  msg += info.namespace_name;
  msg.push_back('\0');
  msg += std::to_string(info.version);
  msg.push_back('\0');
  msg += info.parent_mac;
  msg.push_back('\0');
  msg += info.content_hash;
  BULWARK_ASSIGN_OR_RETURN(crypto::Sha256Digest t,
                           key_->Tag(std::span<const std::uint8_t>(
                               reinterpret_cast<const std::uint8_t*>(msg.data()), msg.size())));
  return "c1:" + HexEncode(std::span<const std::uint8_t>(t.data(), t.size()));
}

Status RecordSeal::Verify(const store::VersionInfo& info, std::string_view what) const {
  BULWARK_ASSIGN_OR_RETURN(std::string want, Tag(info));
  const std::string& have = info.mac;
  if (have.size() != want.size() ||
      !ConstantTimeEquals(std::string_view(have), std::string_view(want))) {
    return DataLossError(fmt::format(
        "{} version {}: its authentication tag does not verify (altered in the store)", what,
        info.version));
  }
  return OkStatus();
}

store::SealFn RecordSeal::Sealer() const {
  return [key = key_, domain = domain_](const store::VersionInfo& next,
                                        const store::VersionInfo*) -> Result<std::string> {
    return RecordSeal(key, domain).Tag(next);
  };
}

}  // namespace bulwark::service
