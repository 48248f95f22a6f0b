#include "bulwark/audit/note.h"

#include <fmt/format.h>

#include <algorithm>

#include "bulwark/core/encoding.h"
#include "bulwark/crypto/hash.h"

namespace bulwark::audit {
namespace {

constexpr std::string_view kEmDashSpace = "\xE2\x80\x94 ";  // "— "
constexpr std::string_view kSignerKeyPrefix = "PRIVATE+KEY+";

// 1-based line number of byte offset `pos` in `s`.
std::size_t LineOf(std::string_view s, std::size_t pos) {
  return 1 +
         static_cast<std::size_t>(std::count(
             s.begin(), s.begin() + static_cast<std::ptrdiff_t>(std::min(pos, s.size())), '\n'));
}

// Decodes one UTF-8 code point at s[i] (s is known to be valid UTF-8).
char32_t DecodeAt(std::string_view s, std::size_t& i) {
  const auto b = static_cast<unsigned char>(s[i]);
  int len = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
  char32_t cp = len == 1 ? b : len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07);
  for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  i += len;
  return cp;
}

// Go's unicode.IsSpace.
bool IsUnicodeSpace(char32_t c) {
  switch (c) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

std::string KeyIdHex(std::uint32_t id) { return fmt::format("{:08x}", id); }

Result<std::uint32_t> ParseKeyIdHex(std::string_view hex, std::string_view what) {
  if (hex.size() != 8)
    return InvalidArgumentError(fmt::format("{}: key id must be 8 hex digits", what));
  for (char c : hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return InvalidArgumentError(fmt::format("{}: key id must be lowercase hex", what));
    }
  }
  auto bytes = HexDecode(hex);
  if (!bytes) return InvalidArgumentError(fmt::format("{}: key id is not hex", what));
  return (std::uint32_t{(*bytes)[0]} << 24) | (std::uint32_t{(*bytes)[1]} << 16) |
         (std::uint32_t{(*bytes)[2]} << 8) | std::uint32_t{(*bytes)[3]};
}

// Splits at the first two '+' (the base64 key after them may itself contain '+'), as Go's note
// package does.
std::vector<std::string_view> SplitPlus(std::string_view s) {
  std::vector<std::string_view> parts;
  for (int i = 0; i < 2; ++i) {
    const std::size_t p = s.find('+');
    if (p == std::string_view::npos) break;
    parts.push_back(s.substr(0, p));
    s.remove_prefix(p + 1);
  }
  parts.push_back(s);
  return parts;
}

}  // namespace

Status ValidateNoteText(std::string_view text) {
  if (text.empty()) return InvalidArgumentError("note text: empty");
  const std::size_t bad = FindInvalidUtf8(text);
  if (bad != std::string_view::npos) {
    return InvalidArgumentError(fmt::format("note line {}: invalid UTF-8", LineOf(text, bad)));
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 && c != '\n') {
      return InvalidArgumentError(
          fmt::format("note line {}: control character 0x{:02x}", LineOf(text, i), c));
    }
  }
  if (text.back() != '\n') {
    return InvalidArgumentError(fmt::format("note line {}: the text does not end with a newline",
                                            LineOf(text, text.size())));
  }
  return OkStatus();
}

Status ValidateKeyName(std::string_view name) {
  if (name.empty()) return InvalidArgumentError("key name: empty");
  if (!IsValidUtf8(name)) return InvalidArgumentError("key name: invalid UTF-8");
  for (std::size_t i = 0; i < name.size();) {
    const char32_t c = DecodeAt(name, i);
    if (c == '+') return InvalidArgumentError("key name: contains '+'");
    if (IsUnicodeSpace(c)) return InvalidArgumentError("key name: contains a space");
    if (c < 0x20) return InvalidArgumentError("key name: contains a control character");
  }
  return OkStatus();
}

std::uint32_t NoteKeyId(std::string_view name, std::uint8_t type,
                        std::span<const std::uint8_t> public_key) {
  std::vector<std::uint8_t> buf(name.begin(), name.end());
  buf.push_back('\n');
  buf.push_back(type);
  buf.insert(buf.end(), public_key.begin(), public_key.end());
  const auto digest = crypto::Sha256(buf);
  if (!digest) std::abort();  // SHA-256 of memory fails only with a broken OpenSSL
  return (std::uint32_t{(*digest)[0]} << 24) | (std::uint32_t{(*digest)[1]} << 16) |
         (std::uint32_t{(*digest)[2]} << 8) | std::uint32_t{(*digest)[3]};
}

Result<Note> ParseNote(std::string_view message) {
  const std::size_t bad = FindInvalidUtf8(message);
  if (bad != std::string_view::npos) {
    return InvalidArgumentError(fmt::format("note line {}: invalid UTF-8", LineOf(message, bad)));
  }
  const std::size_t split = message.rfind("\n\n");
  if (split == std::string_view::npos) {
    return InvalidArgumentError(
        fmt::format("note line {}: no blank line between the text and the signatures",
                    LineOf(message, message.size())));
  }
  Note note;
  note.text = std::string(message.substr(0, split + 1));
  BULWARK_RETURN_IF_ERROR(ValidateNoteText(note.text));
  std::string_view sigs = message.substr(split + 2);
  std::size_t line = LineOf(message, split + 2);
  if (sigs.empty()) {
    return InvalidArgumentError(fmt::format("note line {}: no signature lines", line));
  }
  for (; !sigs.empty(); ++line) {
    const std::size_t nl = sigs.find('\n');
    if (nl == std::string_view::npos) {
      return InvalidArgumentError(
          fmt::format("note line {}: signature line does not end with a newline", line));
    }
    std::string_view l = sigs.substr(0, nl);
    sigs.remove_prefix(nl + 1);
    const auto error = [line](std::string_view what) {
      return InvalidArgumentError(fmt::format("note line {}: {}", line, what));
    };
    for (char c : l) {
      if (static_cast<unsigned char>(c) < 0x20) return error("control character in signature line");
    }
    if (!l.starts_with(kEmDashSpace)) return error("signature line does not start with \"— \"");
    l.remove_prefix(kEmDashSpace.size());
    const std::size_t space = l.find(' ');
    if (space == std::string_view::npos)
      return error("signature line has no space before the signature");
    const std::string_view name = l.substr(0, space), b64 = l.substr(space + 1);
    if (auto s = ValidateKeyName(name); !s) return error(s.error().message());
    auto raw = Base64Decode(b64);
    if (!raw) return error("signature is not valid standard base64");
    if (raw->size() < 5) return error("signature is shorter than a key id and a signature");
    NoteSignature sig;
    sig.name = std::string(name);
    sig.key_id = (std::uint32_t{(*raw)[0]} << 24) | (std::uint32_t{(*raw)[1]} << 16) |
                 (std::uint32_t{(*raw)[2]} << 8) | std::uint32_t{(*raw)[3]};
    sig.signature.assign(raw->begin() + 4, raw->end());
    note.signatures.push_back(std::move(sig));
    if (note.signatures.size() > kMaxNoteSignatures) {
      return error(fmt::format("more than {} signatures", kMaxNoteSignatures));
    }
  }
  return note;
}

std::string FormatNote(const Note& note) {
  std::string out = note.text;
  out += '\n';
  for (const auto& sig : note.signatures) {
    std::vector<std::uint8_t> raw = {
        static_cast<std::uint8_t>(sig.key_id >> 24), static_cast<std::uint8_t>(sig.key_id >> 16),
        static_cast<std::uint8_t>(sig.key_id >> 8), static_cast<std::uint8_t>(sig.key_id)};
    raw.insert(raw.end(), sig.signature.begin(), sig.signature.end());
    out += kEmDashSpace;
    out += sig.name;
    out += ' ';
    out += Base64Encode(raw);
    out += '\n';
  }
  return out;
}

// --- NoteVerifier -----------------------------------------------------------------------------

Result<NoteVerifier> NoteVerifier::FromPublicKey(std::string_view name,
                                                 std::span<const std::uint8_t> public_key) {
  BULWARK_RETURN_IF_ERROR(ValidateKeyName(name));
  BULWARK_ASSIGN_OR_RETURN(auto verifier, crypto::Ed25519Verifier::Create(public_key));
  return NoteVerifier(std::string(name), NoteKeyId(name, kNoteEd25519, public_key),
                      std::shared_ptr<const crypto::Ed25519Verifier>(std::move(verifier)));
}

Result<NoteVerifier> NoteVerifier::FromVerifierKey(std::string_view vkey) {
  const auto parts = SplitPlus(vkey);
  if (parts.size() != 3) {
    return InvalidArgumentError("verifier key: expected <name>+<key id>+<key>");
  }
  if (auto s = ValidateKeyName(parts[0]); !s)
    return std::unexpected(s.error().WithContext("verifier key"));
  BULWARK_ASSIGN_OR_RETURN(std::uint32_t id, ParseKeyIdHex(parts[1], "verifier key"));
  auto key = Base64Decode(parts[2]);
  if (!key) return InvalidArgumentError("verifier key: key is not valid standard base64");
  if (key->empty() || (*key)[0] != kNoteEd25519) {
    return InvalidArgumentError("verifier key: unsupported key type (only 0x01 Ed25519)");
  }
  if (key->size() != 1 + crypto::kEd25519PublicKeySize) {
    return InvalidArgumentError(
        fmt::format("verifier key: Ed25519 key must be 33 bytes, got {}", key->size()));
  }
  BULWARK_ASSIGN_OR_RETURN(NoteVerifier v,
                           FromPublicKey(parts[0], std::span<const std::uint8_t>(*key).subspan(1)));
  if (v.key_id() != id) {
    return InvalidArgumentError(fmt::format("verifier key: key id {} does not match the key ({})",
                                            parts[1], KeyIdHex(v.key_id())));
  }
  return v;
}

std::string NoteVerifier::VerifierKey() const {
  std::vector<std::uint8_t> key = {kNoteEd25519};
  key.insert(key.end(), public_key().begin(), public_key().end());
  return fmt::format("{}+{}+{}", name_, KeyIdHex(key_id_), Base64Encode(key));
}

Status NoteVerifier::Verify(std::string_view text, std::span<const std::uint8_t> signature) const {
  auto s = verifier_->Verify(signature, crypto::AsBytes(text));
  if (!s) {
    return DataLossError(
        fmt::format("signature by {}+{} does not verify", name_, KeyIdHex(key_id_)));
  }
  return OkStatus();
}

// --- NoteSigner -------------------------------------------------------------------------------

Result<std::unique_ptr<NoteSigner>> NoteSigner::Create(std::string_view name,
                                                       const SecretBytes& seed) {
  BULWARK_RETURN_IF_ERROR(ValidateKeyName(name));
  BULWARK_ASSIGN_OR_RETURN(auto signer, crypto::Ed25519Signer::Create(seed));
  BULWARK_ASSIGN_OR_RETURN(NoteVerifier verifier,
                           NoteVerifier::FromPublicKey(name, signer->public_key()));
  const std::uint32_t id = verifier.key_id();
  return std::unique_ptr<NoteSigner>(
      new NoteSigner(std::string(name), id, std::move(signer), seed.Clone(), std::move(verifier)));
}

Result<std::unique_ptr<NoteSigner>> NoteSigner::FromSignerKey(const SecretBytes& skey) {
  const std::string_view s = skey.RevealAsString();
  if (!s.starts_with(kSignerKeyPrefix)) {
    return InvalidArgumentError("signer key: does not start with PRIVATE+KEY+");
  }
  const auto parts = SplitPlus(s.substr(kSignerKeyPrefix.size()));
  if (parts.size() != 3) {
    return InvalidArgumentError("signer key: expected PRIVATE+KEY+<name>+<key id>+<key>");
  }
  BULWARK_ASSIGN_OR_RETURN(std::uint32_t id, ParseKeyIdHex(parts[1], "signer key"));
  auto key = Base64Decode(parts[2]);
  if (!key) return InvalidArgumentError("signer key: key is not valid standard base64");
  SecretBytes raw(*key);
  SecureZero(key->data(), key->size());
  if (raw.size() != 1 + crypto::kEd25519SeedSize || raw.Reveal()[0] != kNoteEd25519) {
    return InvalidArgumentError("signer key: expected 0x01 followed by a 32-byte Ed25519 seed");
  }
  SecretBytes seed(raw.Reveal().subspan(1));
  BULWARK_ASSIGN_OR_RETURN(auto signer, Create(parts[0], seed));
  if (signer->key_id() != id) {
    return InvalidArgumentError("signer key: key id does not match the key");
  }
  return signer;
}

SecretBytes NoteSigner::SignerKey() const {
  SecretBytes raw(1 + seed_.size());
  raw.MutableReveal()[0] = kNoteEd25519;
  std::copy(seed_.Reveal().begin(), seed_.Reveal().end(), raw.MutableReveal().begin() + 1);
  std::string text = fmt::format("{}{}+{}+{}", kSignerKeyPrefix, name_, KeyIdHex(key_id_),
                                 Base64Encode(raw.Reveal()));
  SecretBytes out = SecretBytes::FromString(text);
  SecureZero(text);
  return out;
}

Result<NoteSignature> NoteSigner::Sign(std::string_view text) const {
  BULWARK_RETURN_IF_ERROR(ValidateNoteText(text));
  BULWARK_ASSIGN_OR_RETURN(auto sig, signer_->Sign(crypto::AsBytes(text)));
  return NoteSignature{name_, key_id_, std::move(sig)};
}

Result<std::string> SignNote(std::string_view text, std::span<const NoteSigner* const> signers) {
  if (signers.empty()) return InvalidArgumentError("sign note: no signer");
  Note note;
  note.text = std::string(text);
  for (const NoteSigner* signer : signers) {
    BULWARK_ASSIGN_OR_RETURN(NoteSignature sig, signer->Sign(text));
    note.signatures.push_back(std::move(sig));
  }
  return FormatNote(note);
}

Result<VerifiedNote> OpenNote(std::string_view message, std::span<const NoteVerifier> verifiers) {
  BULWARK_ASSIGN_OR_RETURN(Note note, ParseNote(message));
  VerifiedNote out;
  for (std::size_t i = 0; i < note.signatures.size(); ++i) {
    const NoteSignature& sig = note.signatures[i];
    for (std::size_t j = 0; j < i; ++j) {
      if (note.signatures[j].name == sig.name && note.signatures[j].key_id == sig.key_id) {
        return InvalidArgumentError(
            fmt::format("open note: two signatures by {}+{}", sig.name, KeyIdHex(sig.key_id)));
      }
    }
    const auto known = std::find_if(verifiers.begin(), verifiers.end(), [&](const NoteVerifier& v) {
      return v.name() == sig.name && v.key_id() == sig.key_id;
    });
    if (known == verifiers.end()) {
      out.unknown.push_back(sig);
      continue;
    }
    if (auto s = known->Verify(note.text, sig.signature); !s) {
      return std::unexpected(s.error().WithContext("open note"));
    }
    out.verified.push_back(sig);
  }
  if (out.verified.empty()) {
    return DataLossError(fmt::format("open note: none of the {} signatures is by a known key",
                                     note.signatures.size()));
  }
  out.text = std::move(note.text);
  return out;
}

}  // namespace bulwark::audit
