#include "bulwark/secfile/token.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <span>

#include "bulwark/core/encoding.h"

namespace bulwark::secfile {
namespace {

std::unexpected<Error> FieldError(std::string_view field, std::string_view what) {
  return InvalidArgumentError(fmt::format("ENC token: field '{}': {}", field, what));
}

// Writes a 4-byte big-endian length, then the bytes, at `p`; returns the end.
std::uint8_t* PutField(std::uint8_t* p, std::string_view field) {
  const auto n = static_cast<std::uint32_t>(field.size());
  p[0] = static_cast<std::uint8_t>(n >> 24);
  p[1] = static_cast<std::uint8_t>(n >> 16);
  p[2] = static_cast<std::uint8_t>(n >> 8);
  p[3] = static_cast<std::uint8_t>(n);
  if (!field.empty()) std::memcpy(p + 4, field.data(), field.size());
  return p + 4 + field.size();
}

// Splits off the next comma-separated field ("name:value" or a bare name for the algorithm).
std::string_view NextField(std::string_view& rest) {
  const std::size_t comma = rest.find(',');
  std::string_view f = rest.substr(0, comma);
  rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  return f;
}

// The value of the next field, which must be "name:...". No allocation unless it fails.
Result<std::string_view> Expect(std::string_view& rest, std::string_view name, bool last) {
  if (rest.empty()) return FieldError(name, "missing (token truncated?)");
  const bool has_comma = rest.find(',') != std::string_view::npos;
  const std::string_view f = NextField(rest);
  if (!(f.size() > name.size() && f.starts_with(name) && f[name.size()] == ':')) {
    return FieldError(name, fmt::format("expected '{}:' here (fields are alg, v, kid, iv, data, "
                                        "tag, type in this order)",
                                        name));
  }
  if (last && has_comma) return FieldError(name, "unexpected fields after it");
  if (!last && !has_comma)
    return FieldError(name, "the fields after it are missing (token truncated?)");
  return f.substr(name.size() + 1);
}

// The fast path of Expect: one scan for the comma, no Result. Returns false (leaving `rest`
// unchanged) when Expect would fail; the caller then returns Expect's error for the same `rest`.
bool TakeField(std::string_view& rest, std::string_view name, bool last, std::string_view& value) {
  const void* hit = std::memchr(rest.data(), ',', rest.size());
  const std::size_t comma =
      hit == nullptr ? std::string_view::npos
                     : static_cast<std::size_t>(static_cast<const char*>(hit) - rest.data());
  if ((comma == std::string_view::npos) != last) return false;
  const std::string_view f = rest.substr(0, comma);
  if (!(f.size() > name.size() && f.starts_with(name) && f[name.size()] == ':')) return false;
  value = f.substr(name.size() + 1);
  rest = last ? std::string_view() : rest.substr(comma + 1);
  return true;
}

// Expect's error for a field TakeField refused.
std::unexpected<Error> FieldFormatError(std::string_view rest, std::string_view name, bool last) {
  auto r = Expect(rest, name, last);
  if (r) return FieldError(name, "malformed");  // not reached: TakeField and Expect agree
  return std::unexpected(std::move(r).error());
}

// Standard base64 alphabet: the value of each character, -1 outside it (including '=').
constexpr std::array<std::int8_t, 256> kB64 = [] {
  std::array<std::int8_t, 256> t{};
  t.fill(-1);
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
    t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
  }
  return t;
}();

// Decodes canonical padded standard base64 (exactly what Base64Decode(kStandard) accepts) into
// `out`, writing at most out.size() bytes; returns the decoded size (which may exceed out.size(),
// then the bytes beyond were checked but not written), or nullopt when `text` is not canonical.
std::optional<std::size_t> DecodeB64Into(std::string_view text, std::span<std::uint8_t> out) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t padding = 0;
  if (!text.empty() && text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
  const std::size_t groups = text.size() / 4;
  const std::size_t full = padding == 0 ? groups : groups - 1;
  const std::size_t size = groups * 3 - padding;
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  std::size_t o = 0;
  if (size <= out.size()) {  // the usual case: every byte fits, no bounds check per byte
    std::uint8_t* dst = out.data();
    for (std::size_t g = 0; g < full; ++g, in += 4, dst += 3) {
      const int a = kB64[in[0]], b = kB64[in[1]], c = kB64[in[2]], d = kB64[in[3]];
      if ((a | b | c | d) < 0) return std::nullopt;
      const auto v = static_cast<std::uint32_t>(a << 18 | b << 12 | c << 6 | d);
      dst[0] = static_cast<std::uint8_t>(v >> 16);
      dst[1] = static_cast<std::uint8_t>(v >> 8);
      dst[2] = static_cast<std::uint8_t>(v);
    }
    o = full * 3;
    if (padding == 0) return size;
    // The padded last group goes through the path below (it fits too); its loop starts at `full`.
  }
  auto put = [&](std::uint32_t byte) {
    if (o < out.size()) out[o] = static_cast<std::uint8_t>(byte);
    ++o;
  };
  for (std::size_t g = o / 3; g < full; ++g, in += 4) {
    const int a = kB64[in[0]], b = kB64[in[1]], c = kB64[in[2]], d = kB64[in[3]];
    if ((a | b | c | d) < 0) return std::nullopt;
    const auto v = static_cast<std::uint32_t>(a << 18 | b << 12 | c << 6 | d);
    put(v >> 16);
    put((v >> 8) & 0xFF);
    put(v & 0xFF);
  }
  if (padding == 1) {  // "xyz=": 2 bytes, the low 2 bits of z must be 0
    const int a = kB64[in[0]], b = kB64[in[1]], c = kB64[in[2]];
    if ((a | b | c) < 0 || (c & 0x3) != 0) return std::nullopt;
    const auto v = static_cast<std::uint32_t>(a << 10 | b << 4 | c >> 2);
    put(v >> 8);
    put(v & 0xFF);
  } else if (padding == 2) {  // "xy==": 1 byte, the low 4 bits of y must be 0
    const int a = kB64[in[0]], b = kB64[in[1]];
    if ((a | b) < 0 || (b & 0xF) != 0) return std::nullopt;
    put(static_cast<std::uint32_t>(a << 2 | b >> 4));
  }
  return size;
}

// ---- Fast path for well-formed tokens ----
//
// ParseTokenFast accepts exactly the tokens the general parser below accepts *and* that have
// nothing unusual about them (which is every token FormatToken writes), with straight-line code:
// the fixed literals are compared at their known offsets, the iv and tag have the algorithm's
// fixed lengths, and base64 goes through pre-shifted tables. Anything it does not accept goes to
// the general parser, which then either accepts it too (for the same fields) or reports the
// error: the fast path never produces an error of its own, so the messages are the general
// parser's. Comparing the two is `token_property_test.cc`'s job (every field, random edits).

// Base64 tables pre-shifted for each position of a 4-character group: kB64Shifted[k][c] is the
// 6-bit value of `c` shifted to its place in the 24-bit group, or kB64Bad (a bit above the 24)
// for a character outside the standard alphabet (including '=').
constexpr std::uint32_t kB64Bad = 0x80000000u;
constexpr std::array<std::array<std::uint32_t, 256>, 4> kB64Shifted = [] {
  std::array<std::array<std::uint32_t, 256>, 4> t{};
  for (int k = 0; k < 4; ++k) {
    for (int c = 0; c < 256; ++c) {
      const int v = kB64[static_cast<std::size_t>(c)];
      t[static_cast<std::size_t>(k)][static_cast<std::size_t>(c)] =
          v < 0 ? kB64Bad : static_cast<std::uint32_t>(v) << (6 * (3 - k));
    }
  }
  return t;
}();

// The 24 bits of the 4 characters at `in` (a bit at or above 24 when one is not base64).
inline std::uint32_t B64Group(const unsigned char* in) {
  return kB64Shifted[0][in[0]] | kB64Shifted[1][in[1]] | kB64Shifted[2][in[2]] |
         kB64Shifted[3][in[3]];
}

// The decoded size of `text` if it is canonical padded standard base64, else nullopt; the check of
// the characters themselves is DecodeB64Exact's.
std::optional<std::size_t> B64DecodedSize(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  if (text.empty()) return 0;
  const std::size_t padding = text.back() != '=' ? 0 : text[text.size() - 2] == '=' ? 2 : 1;
  return text.size() / 4 * 3 - padding;
}

// Decodes `groups` whole 4-character groups (no padding) at `in` into 3 * groups bytes at `out`;
// false when a character is outside the alphabet ('=' included; then `out` holds unspecified
// bytes).
bool DecodeB64Groups(const char* text, std::size_t groups, std::uint8_t* out) {
  const auto* in = reinterpret_cast<const unsigned char*>(text);
  std::uint32_t bad = 0;
  for (std::size_t g = 0; g < groups; ++g, in += 4, out += 3) {
    const std::uint32_t v = B64Group(in);
    bad |= v;
    out[0] = static_cast<std::uint8_t>(v >> 16);
    out[1] = static_cast<std::uint8_t>(v >> 8);
    out[2] = static_cast<std::uint8_t>(v);
  }
  return (bad >> 24) == 0;
}

// Decodes `text` (size a multiple of 4) into `out`, which holds exactly B64DecodedSize(text)
// bytes; false when `text` is not canonical padded standard base64 (then `out` holds unspecified
// bytes). Accepts exactly what DecodeB64Into accepts, with the same bytes.
bool DecodeB64Exact(std::string_view text, std::uint8_t* out) {
  if (text.empty()) return true;
  const std::size_t padding = text.back() != '=' ? 0 : text[text.size() - 2] == '=' ? 2 : 1;
  const std::size_t full = text.size() / 4 - (padding != 0 ? 1 : 0);
  if (!DecodeB64Groups(text.data(), full, out)) return false;
  const auto* in = reinterpret_cast<const unsigned char*>(text.data()) + full * 4;
  out += full * 3;
  if (padding == 1) {  // "xyz=": 2 bytes; the low 2 bits of z (a third byte) must be 0
    const std::uint32_t v = kB64Shifted[0][in[0]] | kB64Shifted[1][in[1]] | kB64Shifted[2][in[2]];
    if ((v >> 24) != 0 || (v & 0xFF) != 0) return false;
    out[0] = static_cast<std::uint8_t>(v >> 16);
    out[1] = static_cast<std::uint8_t>(v >> 8);
  } else if (padding == 2) {  // "xy==": 1 byte; the low 4 bits of y must be 0
    const std::uint32_t v = kB64Shifted[0][in[0]] | kB64Shifted[1][in[1]];
    if ((v >> 24) != 0 || (v & 0xFFFF) != 0) return false;
    out[0] = static_cast<std::uint8_t>(v >> 16);
  }
  return true;
}

// Lowercase hex digit values, -1 for anything else (the kid field takes lowercase only).
constexpr std::array<std::int8_t, 256> kLowerHex = [] {
  std::array<std::int8_t, 256> t{};
  t.fill(-1);
  for (int c = '0'; c <= '9'; ++c)
    t[static_cast<std::size_t>(c)] = static_cast<std::int8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) {
    t[static_cast<std::size_t>(c)] = static_cast<std::int8_t>(c - 'a' + 10);
  }
  return t;
}();

// Whether `literal` is at `pos`; the caller has checked that pos + literal.size() <= text.size().
template <std::size_t N>
bool At(std::string_view text, std::size_t pos, const char (&literal)[N]) {
  return std::memcmp(text.data() + pos, literal, N - 1) == 0;
}

bool ParseTokenFast(std::string_view text, EncTokenParts& t) {
  // "ENC[" alg "," then "v:1,kid:" 8 hex ",iv:" iv ",data:" data ",tag:" 24 chars ",type:" name "]"
  constexpr std::size_t kTagChars = (crypto::kAeadTagSize + 2) / 3 * 4;  // 24
  const std::size_t n = text.size();
  if (n < 4 + 11 + 8 + 8 + 4 + 16 + 6 + 5 + kTagChars + 6 + 3 + 1) return false;  // shortest
  if (!At(text, 0, "ENC[")) return false;
  std::size_t pos;
  switch (text[4]) {
    case 'A':
      if (At(text, 4, "AES256_GCM,")) {
        t.algorithm = crypto::AeadAlgorithm::kAes256Gcm;
      } else if (At(text, 4, "AES128_GCM,")) {
        t.algorithm = crypto::AeadAlgorithm::kAes128Gcm;
      } else {
        return false;
      }
      pos = 4 + 11;
      break;
    case 'C':
      if (!At(text, 4, "CHACHA20_POLY1305,")) return false;
      t.algorithm = crypto::AeadAlgorithm::kChaCha20Poly1305;
      pos = 4 + 18;
      break;
    case 'X':
      if (!At(text, 4, "XCHACHA20_POLY1305,")) return false;
      t.algorithm = crypto::AeadAlgorithm::kXChaCha20Poly1305;
      pos = 4 + 19;
      break;
    default:
      return false;
  }
  // 12 or 24 bytes (crypto::AeadNonceSize): whole base64 groups, no padding.
  const std::size_t nonce = t.algorithm == crypto::AeadAlgorithm::kXChaCha20Poly1305 ? 24 : 12;
  const std::size_t iv_chars = nonce / 3 * 4;
  // Everything up to the data and the tail after it must fit.
  const std::size_t data_begin = pos + 8 + 8 + 4 + iv_chars + 6;
  const std::size_t tail_min = 5 + kTagChars + 6 + 3 + 1;
  if (n < data_begin + tail_min) return false;
  if (!At(text, pos, "v:1,kid:")) return false;
  pos += 8;
  const auto* kid = reinterpret_cast<const unsigned char*>(text.data() + pos);
  int bad_hex = 0;
  keys::KeyId key_id = 0;
  for (int i = 0; i < 8; ++i) {
    const int v = kLowerHex[kid[i]];
    bad_hex |= v;
    key_id = key_id << 4 | static_cast<keys::KeyId>(v & 0xF);
  }
  if (bad_hex < 0) return false;
  t.key_id = key_id;
  pos += 8;
  if (!At(text, pos, ",iv:")) return false;
  pos += 4;
  if (!DecodeB64Groups(text.data() + pos, iv_chars / 4, t.iv_bytes.data())) return false;
  t.iv_size = nonce;
  pos += iv_chars;
  if (!At(text, pos, ",data:")) return false;
  // The tail, from the end: "]" after a 3 to 5 letter type name after ",type:".
  if (text[n - 1] != ']') return false;
  std::size_t type_len;
  if (At(text, n - 10, ",type:")) {
    type_len = 3;
  } else if (At(text, n - 11, ",type:")) {
    type_len = 4;
  } else if (At(text, n - 12, ",type:")) {
    type_len = 5;
  } else {
    return false;
  }
  const std::size_t type_at = n - 1 - type_len;
  switch (type_len) {
    case 3:
      if (At(text, type_at, "str")) {
        t.type = ScalarType::kStr;
      } else if (At(text, type_at, "int")) {
        t.type = ScalarType::kInt;
      } else {
        return false;
      }
      break;
    case 4:
      if (At(text, type_at, "bool")) {
        t.type = ScalarType::kBool;
      } else if (At(text, type_at, "null")) {
        t.type = ScalarType::kNull;
      } else {
        return false;
      }
      break;
    default:
      if (At(text, type_at, "float")) {
        t.type = ScalarType::kFloat;
      } else if (At(text, type_at, "bytes")) {
        t.type = ScalarType::kBytes;
      } else {
        return false;
      }
      break;
  }
  const std::size_t tag_end = n - 1 - type_len - 6;
  const std::size_t tag_begin = tag_end - kTagChars;
  if (tag_begin < data_begin + 5 || !At(text, tag_begin - 5, ",tag:")) return false;
  {
    // 16 bytes are 5 whole groups and a last "xy==" whose y has its low 4 bits 0.
    constexpr std::size_t kWhole = crypto::kAeadTagSize / 3;
    static_assert(kWhole * 3 + 1 == crypto::kAeadTagSize && kWhole * 4 + 4 == kTagChars);
    if (!DecodeB64Groups(text.data() + tag_begin, kWhole, t.tag.data())) return false;
    const auto* last = reinterpret_cast<const unsigned char*>(text.data() + tag_begin) + kWhole * 4;
    const std::uint32_t v = kB64Shifted[0][last[0]] | kB64Shifted[1][last[1]];
    if ((v >> 24) != 0 || (v & 0xFFFF) != 0 || last[2] != '=' || last[3] != '=') return false;
    t.tag[kWhole * 3] = static_cast<std::uint8_t>(v >> 16);
  }
  const std::string_view data = text.substr(data_begin, tag_begin - 5 - data_begin);
  const std::optional<std::size_t> data_size = B64DecodedSize(data);
  if (!data_size) return false;
  t.data.resize(*data_size);  // capacity kept across calls
  if (!DecodeB64Exact(data, t.data.data())) return false;
  t.version = 1;
  return true;
}

std::unexpected<Error> NotBase64(std::string_view field) {
  return FieldError(field, "not canonical padded standard base64");
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

namespace {

// The general parser: every token, and the error for those it refuses.
Status ParseTokenGeneral(std::string_view text, EncTokenParts& t) {
  if (!text.starts_with(kTokenPrefix)) {
    return InvalidArgumentError("ENC token: must start with 'ENC['");
  }
  if (!text.ends_with("]")) {
    return InvalidArgumentError("ENC token: must end with ']' (token truncated?)");
  }
  std::string_view rest = text.substr(4, text.size() - 5);
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
  std::string_view v;
  if (!TakeField(rest, "v", false, v)) return FieldFormatError(rest, "v", false);
  if (v != "1") return FieldError("v", "unsupported version (this build reads version 1)");
  t.version = 1;
  std::string_view kid;
  if (!TakeField(rest, "kid", false, kid)) return FieldFormatError(rest, "kid", false);
  if (kid.size() != 8 || !std::all_of(kid.begin(), kid.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
      })) {
    return FieldError("kid", "expected 8 lowercase hex digits");
  }
  BULWARK_ASSIGN_OR_RETURN(t.key_id, keys::ParseKeyId(kid));
  std::string_view iv;
  if (!TakeField(rest, "iv", false, iv)) return FieldFormatError(rest, "iv", false);
  const std::optional<std::size_t> iv_size = DecodeB64Into(iv, t.iv_bytes);
  if (!iv_size) return NotBase64("iv");
  if (*iv_size != crypto::AeadNonceSize(t.algorithm)) {
    return FieldError(
        "iv", fmt::format("{} bytes, {} needs {}", *iv_size, crypto::AeadAlgorithmName(t.algorithm),
                          crypto::AeadNonceSize(t.algorithm)));
  }
  t.iv_size = *iv_size;
  std::string_view data;
  if (!TakeField(rest, "data", false, data)) return FieldFormatError(rest, "data", false);
  t.data.resize(data.size() / 4 * 3);  // an upper bound; capacity kept across calls
  const std::optional<std::size_t> data_size = DecodeB64Into(data, t.data);
  if (!data_size) return NotBase64("data");
  t.data.resize(*data_size);
  std::string_view tag;
  if (!TakeField(rest, "tag", false, tag)) return FieldFormatError(rest, "tag", false);
  const std::optional<std::size_t> tag_size = DecodeB64Into(tag, t.tag);
  if (!tag_size) return NotBase64("tag");
  if (*tag_size != crypto::kAeadTagSize) {
    return FieldError("tag", fmt::format("{} bytes, expected {}", *tag_size, crypto::kAeadTagSize));
  }
  std::string_view type;
  if (!TakeField(rest, "type", true, type)) return FieldFormatError(rest, "type", true);
  auto st = ParseScalarTypeName(type);
  if (!st) return FieldError("type", "expected str, int, float, bool, null or bytes");
  t.type = *st;
  return OkStatus();
}

}  // namespace

Status ParseTokenInto(std::string_view text, EncTokenParts& t) {
  if (text.size() > kMaxTokenSize) {
    return InvalidArgumentError(fmt::format("ENC token: {} bytes is longer than the limit of {}",
                                            text.size(), kMaxTokenSize));
  }
  if (ParseTokenFast(text, t)) return OkStatus();
  Status s = ParseTokenGeneral(text, t);
  // The data buffer is sized without zeroing: after a refused token, leave no bytes in it that
  // the parser did not write.
  if (!s) t.data.clear();
  return s;
}

Result<EncToken> ParseToken(std::string_view text) {
  EncTokenParts parts;
  BULWARK_RETURN_IF_ERROR(ParseTokenInto(text, parts));
  EncToken t;
  t.algorithm = parts.algorithm;
  t.version = parts.version;
  t.key_id = parts.key_id;
  const std::span<const std::uint8_t> iv = parts.iv();
  t.iv.assign(iv.begin(), iv.end());
  t.data.assign(parts.data.begin(), parts.data.end());
  t.tag = parts.tag;
  t.type = parts.type;
  return t;
}

void ValueAssociatedDataInto(std::string_view document_id, std::string_view dotted_path,
                             ScalarType type, crypto::AeadAlgorithm algorithm,
                             std::vector<std::uint8_t>& out) {
  constexpr std::string_view kContext = "bulwark.value.v1";
  const std::string_view type_name = ScalarTypeName(type);
  const std::string_view alg_name = crypto::AeadAlgorithmName(algorithm);
  // One resize to the final size (5 length prefixes), then the fields written in place.
  out.resize(5 * 4 + kContext.size() + document_id.size() + dotted_path.size() + type_name.size() +
             alg_name.size());
  std::uint8_t* p = out.data();
  p = PutField(p, kContext);
  p = PutField(p, document_id);
  p = PutField(p, dotted_path);
  p = PutField(p, type_name);
  PutField(p, alg_name);
}

namespace {

// The last two associated-data fields (type name, algorithm name, each length-prefixed) of every
// type and algorithm, precomputed: ValueAssociatedDataBuffer::For copies one 32-byte block instead
// of writing two fields. The names are ScalarTypeName's and AeadAlgorithmName's (the property
// test compares For with ValueAssociatedDataInto, which calls them, for every type and algorithm).
struct FieldPair {
  std::array<std::uint8_t, 32> bytes{};
  std::size_t size = 0;
};
constexpr std::array<std::string_view, 6> kScalarTypeNames = {"str",  "int",  "float",
                                                              "bool", "null", "bytes"};
constexpr std::array<std::string_view, 4> kAlgorithmNames = {  // AeadAlgorithm 1..4
    "AES256_GCM", "AES128_GCM", "CHACHA20_POLY1305", "XCHACHA20_POLY1305"};
constexpr auto kTypeAndAlgorithmFields = [] {
  std::array<std::array<FieldPair, 4>, 6> t{};
  for (std::size_t i = 0; i < kScalarTypeNames.size(); ++i) {
    for (std::size_t j = 0; j < kAlgorithmNames.size(); ++j) {
      FieldPair& f = t[i][j];
      for (const std::string_view name : {kScalarTypeNames[i], kAlgorithmNames[j]}) {
        f.bytes[f.size++] = 0;
        f.bytes[f.size++] = 0;
        f.bytes[f.size++] = 0;
        f.bytes[f.size++] = static_cast<std::uint8_t>(name.size());
        for (char c : name) f.bytes[f.size++] = static_cast<std::uint8_t>(c);
      }
    }
  }
  return t;
}();

// The precomputed fields of `type` and `algorithm`, or nullptr for a value outside the enums.
const FieldPair* TypeAndAlgorithmFields(ScalarType type, crypto::AeadAlgorithm algorithm) {
  const auto i = static_cast<std::size_t>(type);
  const auto j = static_cast<std::size_t>(algorithm) - 1;
  if (i >= kScalarTypeNames.size() || j >= kAlgorithmNames.size()) return nullptr;
  return &kTypeAndAlgorithmFields[i][j];
}

}  // namespace

ValueAssociatedDataBuffer::ValueAssociatedDataBuffer(std::string_view document_id) {
  constexpr std::string_view kContext = "bulwark.value.v1";
  const std::size_t size = 2 * 4 + kContext.size() + document_id.size();
  std::uint8_t* p = Reserve(size);  // nothing to keep yet: prefix_ is 0
  p = PutField(p, kContext);
  PutField(p, document_id);
  prefix_ = size;
}

std::uint8_t* ValueAssociatedDataBuffer::Reserve(std::size_t size) {
  if (size > capacity_) {  // move to (a larger) heap buffer, keeping the prefix
    std::vector<std::uint8_t> bigger(std::max(size, 2 * capacity_));
    if (prefix_ != 0) std::memcpy(bigger.data(), data_, prefix_);
    heap_ = std::move(bigger);
    data_ = heap_.data();
    capacity_ = heap_.size();
  }
  return data_;
}

std::span<const std::uint8_t> ValueAssociatedDataBuffer::For(std::string_view dotted_path,
                                                             ScalarType type,
                                                             crypto::AeadAlgorithm algorithm) {
  const FieldPair* fields = TypeAndAlgorithmFields(type, algorithm);
  if (fields == nullptr) {  // not a known type or algorithm: the fields as the names say
    const std::string_view type_name = ScalarTypeName(type);
    const std::string_view alg_name = crypto::AeadAlgorithmName(algorithm);
    const std::size_t size =
        prefix_ + 3 * 4 + dotted_path.size() + type_name.size() + alg_name.size();
    std::uint8_t* p = Reserve(size) + prefix_;
    p = PutField(p, dotted_path);
    p = PutField(p, type_name);
    PutField(p, alg_name);
    return {data_, size};
  }
  const std::size_t path_end = prefix_ + 4 + dotted_path.size();
  // Room for the whole 32-byte block (copied at once), of which fields->size bytes count.
  std::uint8_t* p = Reserve(path_end + fields->bytes.size());
  PutField(p + prefix_, dotted_path);
  std::memcpy(p + path_end, fields->bytes.data(), fields->bytes.size());
  return {data_, path_end + fields->size};
}

std::vector<std::uint8_t> ValueAssociatedData(std::string_view document_id,
                                              const config::Path& path, ScalarType type,
                                              crypto::AeadAlgorithm algorithm) {
  std::vector<std::uint8_t> out;
  ValueAssociatedDataInto(document_id, path.ToString(), type, algorithm, out);
  return out;
}

bool operator==(const EncToken& a, const EncToken& b) {
  return a.algorithm == b.algorithm && a.version == b.version && a.key_id == b.key_id &&
         a.iv == b.iv && a.data == b.data && a.tag == b.tag && a.type == b.type;
}

}  // namespace bulwark::secfile
