#include "bulwark/secfile/token.h"

#include <fmt/format.h>

#include <algorithm>

#include "bulwark/core/encoding.h"

namespace bulwark::secfile {
namespace {

std::unexpected<Error> FieldError(std::string_view field, std::string_view what) {
  return InvalidArgumentError(fmt::format("ENC token: field '{}': {}", field, what));
}

void AppendField(std::vector<std::uint8_t>& out, std::string_view field) {
  const auto n = static_cast<std::uint32_t>(field.size());
  out.push_back(static_cast<std::uint8_t>(n >> 24));
  out.push_back(static_cast<std::uint8_t>(n >> 16));
  out.push_back(static_cast<std::uint8_t>(n >> 8));
  out.push_back(static_cast<std::uint8_t>(n));
  out.insert(out.end(), field.begin(), field.end());
}

// Splits off the next comma-separated field ("name:value" or a bare name for the algorithm).
std::string_view NextField(std::string_view& rest) {
  const std::size_t comma = rest.find(',');
  std::string_view f = rest.substr(0, comma);
  rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  return f;
}

Result<std::string_view> Expect(std::string_view& rest, std::string_view name, bool last) {
  if (rest.empty()) return FieldError(name, "missing (token truncated?)");
  const bool has_comma = rest.find(',') != std::string_view::npos;
  const std::string_view f = NextField(rest);
  const std::string prefix = fmt::format("{}:", name);
  if (!f.starts_with(prefix)) {
    return FieldError(name, fmt::format("expected '{}' here (fields are alg, v, kid, iv, data, "
                                        "tag, type in this order)",
                                        prefix));
  }
  if (last && has_comma) return FieldError(name, "unexpected fields after it");
  if (!last && !has_comma)
    return FieldError(name, "the fields after it are missing (token truncated?)");
  return f.substr(prefix.size());
}

Result<std::vector<std::uint8_t>> DecodeB64(std::string_view field, std::string_view text) {
  auto bytes = Base64Decode(text, Base64Alphabet::kStandard);
  if (!bytes) return FieldError(field, "not canonical padded standard base64");
  return bytes;
}

}  // namespace

std::string FormatToken(const EncToken& token) {
  std::string out;
  out.reserve(64 + token.data.size() * 4 / 3);
  out.append("ENC[");
  out.append(crypto::AeadAlgorithmName(token.algorithm));
  out.append(",v:");
  out.append(std::to_string(token.version));
  out.append(",kid:");
  out.append(keys::FormatKeyId(token.key_id));
  out.append(",iv:");
  out.append(Base64Encode(token.iv));
  out.append(",data:");
  out.append(Base64Encode(token.data));
  out.append(",tag:");
  out.append(Base64Encode(token.tag));
  out.append(",type:");
  out.append(ScalarTypeName(token.type));
  out.push_back(']');
  return out;
}

Result<EncToken> ParseToken(std::string_view text) {
  if (text.size() > kMaxTokenSize) {
    return InvalidArgumentError(fmt::format("ENC token: {} bytes is longer than the limit of {}",
                                            text.size(), kMaxTokenSize));
  }
  if (!text.starts_with(kTokenPrefix)) {
    return InvalidArgumentError("ENC token: must start with 'ENC['");
  }
  if (!text.ends_with("]")) {
    return InvalidArgumentError("ENC token: must end with ']' (token truncated?)");
  }
  std::string_view rest = text.substr(4, text.size() - 5);
  EncToken t;
  {
    if (rest.empty()) return FieldError("alg", "missing (token truncated?)");
    const std::string_view alg = NextField(rest);
    auto parsed = crypto::ParseAeadAlgorithm(alg);
    if (!parsed) {
      return FieldError("alg",
                        "unknown algorithm (AES256_GCM, AES128_GCM, CHACHA20_POLY1305, "
                        "XCHACHA20_POLY1305)");
    }
    t.algorithm = *parsed;
  }
  BULWARK_ASSIGN_OR_RETURN(std::string_view v, Expect(rest, "v", false));
  if (v != "1") return FieldError("v", "unsupported version (this build reads version 1)");
  t.version = 1;
  BULWARK_ASSIGN_OR_RETURN(std::string_view kid, Expect(rest, "kid", false));
  if (kid.size() != 8 || !std::all_of(kid.begin(), kid.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
      })) {
    return FieldError("kid", "expected 8 lowercase hex digits");
  }
  BULWARK_ASSIGN_OR_RETURN(t.key_id, keys::ParseKeyId(kid));
  BULWARK_ASSIGN_OR_RETURN(std::string_view iv, Expect(rest, "iv", false));
  BULWARK_ASSIGN_OR_RETURN(t.iv, DecodeB64("iv", iv));
  if (t.iv.size() != crypto::AeadNonceSize(t.algorithm)) {
    return FieldError("iv", fmt::format("{} bytes, {} needs {}", t.iv.size(),
                                        crypto::AeadAlgorithmName(t.algorithm),
                                        crypto::AeadNonceSize(t.algorithm)));
  }
  BULWARK_ASSIGN_OR_RETURN(std::string_view data, Expect(rest, "data", false));
  BULWARK_ASSIGN_OR_RETURN(t.data, DecodeB64("data", data));
  BULWARK_ASSIGN_OR_RETURN(std::string_view tag, Expect(rest, "tag", false));
  BULWARK_ASSIGN_OR_RETURN(std::vector<std::uint8_t> tag_bytes, DecodeB64("tag", tag));
  if (tag_bytes.size() != crypto::kAeadTagSize) {
    return FieldError("tag",
                      fmt::format("{} bytes, expected {}", tag_bytes.size(), crypto::kAeadTagSize));
  }
  std::copy(tag_bytes.begin(), tag_bytes.end(), t.tag.begin());
  BULWARK_ASSIGN_OR_RETURN(std::string_view type, Expect(rest, "type", true));
  auto st = ParseScalarTypeName(type);
  if (!st) return FieldError("type", "expected str, int, float, bool, null or bytes");
  t.type = *st;
  return t;
}

std::vector<std::uint8_t> ValueAssociatedData(std::string_view document_id,
                                              const config::Path& path, ScalarType type,
                                              crypto::AeadAlgorithm algorithm) {
  std::vector<std::uint8_t> out;
  const std::string p = path.ToString();
  out.reserve(40 + document_id.size() + p.size());
  AppendField(out, "bulwark.value.v1");
  AppendField(out, document_id);
  AppendField(out, p);
  AppendField(out, ScalarTypeName(type));
  AppendField(out, crypto::AeadAlgorithmName(algorithm));
  return out;
}

bool operator==(const EncToken& a, const EncToken& b) {
  return a.algorithm == b.algorithm && a.version == b.version && a.key_id == b.key_id &&
         a.iv == b.iv && a.data == b.data && a.tag == b.tag && a.type == b.type;
}

}  // namespace bulwark::secfile
