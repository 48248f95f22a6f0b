// Encrypts and decrypts single configuration values for the store.
//
// The service encrypts every sensitive leaf before it reaches the store, as an ENC[...] token
// string (docs/formats.md), with associated data that binds it to its namespace identity and path:
// a token copied to another path or namespace fails to decrypt with kDataLoss. The store only ever
// sees tokens; it never sees keys or plaintext.
#ifndef BULWARK_SERVICE_VALUE_CIPHER_H_
#define BULWARK_SERVICE_VALUE_CIPHER_H_

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bulwark/config/path.h"
#include "bulwark/config/value.h"
#include "bulwark/core/error.h"

namespace bulwark::service {

// One token of a batch (DecryptMany): its text and its absolute path, and optionally that path's
// canonical dotted form (`path->ToString()`, which the associated data binds) when the caller
// already has it; empty: built from `path`.
struct TokenAt {
  std::string_view token;
  const config::Path* path;
  std::string_view dotted = {};
};

class ValueCipher {
 public:
  virtual ~ValueCipher() = default;
  // Returns the token for the scalar `plaintext`, bound to `document_id` (the namespace identity)
  // and `path` (absolute within the document).
  virtual Result<std::string> Encrypt(const config::Value& plaintext, std::string_view document_id,
                                      const config::Path& path) const = 0;
  // kDataLoss when the token was altered or is bound to another document or path;
  // kInvalidArgument when it is not a token; kNotFound/kFailedPrecondition when its key is unknown
  // or unusable.
  virtual Result<config::Value> Decrypt(std::string_view token, std::string_view document_id,
                                        const config::Path& path) const = 0;
  // Decrypts the tokens of one document into `out` (cleared first), in order; returns the error
  // Decrypt would return for the first token that fails. The default calls Decrypt for each;
  // the keyring cipher reuses one parse buffer and one associated-data buffer for the batch (and
  // uses TokenAt::dotted when given); a cipher with a cache looks them all up at once.
  virtual Status DecryptMany(std::span<const TokenAt> tokens, std::string_view document_id,
                             std::vector<config::Value>& out) const;
  // DecryptMany for a batch that is every token of one stored content, in the order a read of the
  // whole document finds them; `content_hash` is that content's VersionInfo::content_hash (the
  // SHA-256 of the stored bytes). The hash only names the batch (a cache may keep one entry per
  // content); the plaintexts must be exactly DecryptMany's for the same tokens, whatever the hash.
  // On success `out` holds the plaintexts in order. If it held tokens.size() values on entry, each
  // is replaced in place, and an implementation may reuse a string value's buffer for its
  // plaintext: the caller may move each token's string into out[i] and let tokens[i].token view
  // it (an implementation reads every token before it writes any value). On failure `out` is left
  // as it was (so such a caller gets its tokens back). The default calls DecryptMany.
  virtual Status DecryptContent(std::span<const TokenAt> tokens, std::string_view document_id,
                                std::string_view content_hash,
                                std::vector<config::Value>& out) const {
    (void)content_hash;
    std::vector<config::Value> plain;
    if (auto s = DecryptMany(tokens, document_id, plain); !s) return s;
    if (out.size() != plain.size()) {
      out = std::move(plain);
      return OkStatus();
    }
    for (std::size_t i = 0; i < plain.size(); ++i) out[i] = std::move(plain[i]);
    return OkStatus();
  }
};

// Whether a stored value is an encrypted token.
bool IsEncryptedToken(const config::Value& v);

}  // namespace bulwark::service

#endif  // BULWARK_SERVICE_VALUE_CIPHER_H_
