// The encrypted-value token that replaces a sensitive value in a configuration file:
//
//   ENC[AES256_GCM,v:1,kid:1a2b3c4d,iv:<base64>,data:<base64>,tag:<base64>,type:str]
//
// The byte-by-byte grammar, the associated data and how the original bytes come back are
// specified in docs/formats-encfile.md. In short: the plaintext is the value's exact source bytes
// (quotes, escapes and block-scalar indentation included), so decryption restores the original
// text and quoting by construction; `type` records the scalar's original type for tools that show
// or export values without decrypting; the associated data binds the token to the document's id,
// the value's dotted path, its type and the algorithm, so a token moved to another path or file
// fails to authenticate.
//
// ParseToken is strict: fields in the fixed order, each exactly once, canonical padded standard
// base64, an 8-hex-digit key id, an iv of the algorithm's nonce size and a 16-byte tag. Errors are
// kInvalidArgument "ENC token: field 'iv': ..." naming the field, and never contain the token's
// data.
#ifndef BULWARK_SECFILE_TOKEN_H_
#define BULWARK_SECFILE_TOKEN_H_

#include <array>
#include <cstdint>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "bulwark/config/path.h"
#include "bulwark/core/error.h"
#include "bulwark/crypto/aead.h"
#include "bulwark/keys/key_id.h"
#include "bulwark/secfile/spans.h"

namespace bulwark::secfile {

inline constexpr std::uint32_t kTokenVersion = 1;
inline constexpr std::string_view kTokenPrefix = "ENC[";
// Tokens longer than this are refused by the parser (a 1 MiB value encodes to about 1.4 MB).
inline constexpr std::size_t kMaxTokenSize = 16u << 20;

struct EncToken {
  crypto::AeadAlgorithm algorithm = crypto::kDefaultAeadAlgorithm;
  std::uint32_t version = kTokenVersion;
  keys::KeyId key_id = 0;
  std::vector<std::uint8_t> iv;
  std::vector<std::uint8_t> data;
  std::array<std::uint8_t, crypto::kAeadTagSize> tag{};
  ScalarType type = ScalarType::kStr;
};

// The canonical text of `token` (ParseToken(FormatToken(t)) == t).
std::string FormatToken(const EncToken& token);

Result<EncToken> ParseToken(std::string_view text);

// std::allocator, except that a value-less construct (what resize() does for new elements) leaves
// the bytes uninitialized instead of zeroing them: for buffers that are written right after they
// are sized, such as EncTokenParts::data.
template <typename T>
struct UninitializedAllocator : std::allocator<T> {
  template <typename U>
  struct rebind {
    using other = UninitializedAllocator<U>;
  };
  UninitializedAllocator() = default;
  template <typename U>
  UninitializedAllocator(const UninitializedAllocator<U>&) noexcept {}
  template <typename U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

// The largest nonce of any token algorithm (XChaCha20-Poly1305: 24 bytes).
inline constexpr std::size_t kMaxTokenNonceSize = 24;

// A parsed token held for reuse: the iv and tag in fixed arrays, the data in a vector whose
// capacity is kept, so parsing many tokens into one EncTokenParts allocates only when a token's
// data is longer than any before, and resizing it does not zero the bytes the parser then
// writes (ciphertext only: nothing here is secret).
struct EncTokenParts {
  crypto::AeadAlgorithm algorithm = crypto::kDefaultAeadAlgorithm;
  std::uint32_t version = kTokenVersion;
  keys::KeyId key_id = 0;
  std::array<std::uint8_t, kMaxTokenNonceSize> iv_bytes{};
  std::size_t iv_size = 0;
  std::vector<std::uint8_t, UninitializedAllocator<std::uint8_t>> data;
  std::array<std::uint8_t, crypto::kAeadTagSize> tag{};
  ScalarType type = ScalarType::kStr;

  std::span<const std::uint8_t> iv() const { return {iv_bytes.data(), iv_size}; }
};

// ParseToken into `out`: the same grammar, checks and error messages (ParseToken is this plus a
// copy into an EncToken). On error `out` holds unspecified field values.
Status ParseTokenInto(std::string_view text, EncTokenParts& out);

// True when `text` starts with "ENC[" (the value is meant to be a token, well-formed or not).
inline bool LooksLikeToken(std::string_view text) { return text.starts_with(kTokenPrefix); }

// The associated data of a value token (docs/formats-encfile.md, "Associated data").
std::vector<std::uint8_t> ValueAssociatedData(std::string_view document_id,
                                              const config::Path& path, ScalarType type,
                                              crypto::AeadAlgorithm algorithm);

// The same bytes for a path given in its canonical dotted form (`Path::ToString()`), written into
// `out` (cleared first; its capacity is reused).
void ValueAssociatedDataInto(std::string_view document_id, std::string_view dotted_path,
                             ScalarType type, crypto::AeadAlgorithm algorithm,
                             std::vector<std::uint8_t>& out);

// The associated data of many value tokens of one document, in one reused buffer: the context and
// document-id fields are written once, and For() writes only the path, type and algorithm fields
// after them. For(p, t, a) holds the same bytes as ValueAssociatedDataInto(document_id, p, t, a).
class ValueAssociatedDataBuffer {
 public:
  explicit ValueAssociatedDataBuffer(std::string_view document_id);
  ValueAssociatedDataBuffer(const ValueAssociatedDataBuffer&) = delete;
  ValueAssociatedDataBuffer& operator=(const ValueAssociatedDataBuffer&) = delete;

  // Valid until the next For() or the buffer's destruction.
  std::span<const std::uint8_t> For(std::string_view dotted_path, ScalarType type,
                                    crypto::AeadAlgorithm algorithm);

 private:
  // The bytes live in `inline_` (no allocation) until a set of fields does not fit, then in
  // `heap_`; `data_` points at whichever holds them.
  std::uint8_t* Reserve(std::size_t size);

  std::array<std::uint8_t, 320> inline_;
  std::vector<std::uint8_t> heap_;
  std::uint8_t* data_ = inline_.data();
  std::size_t capacity_ = inline_.size();
  std::size_t prefix_ = 0;  // context and document-id fields
};

bool operator==(const EncToken& a, const EncToken& b);

}  // namespace bulwark::secfile

#endif  // BULWARK_SECFILE_TOKEN_H_
