#include "bulwark/service/keyring_value_cipher.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "bulwark/secfile/token.h"

namespace bulwark::service {
namespace {

using config::Value;
using secfile::ScalarType;

// The token plaintext of a scalar and its type (docs/formats.md, "Encrypted value token").
Result<std::pair<SecretBytes, ScalarType>> Encode(const Value& v) {
  switch (v.type()) {
    case config::ValueType::kString:
      return std::pair{SecretBytes::FromString(v.AsString()), ScalarType::kStr};
    case config::ValueType::kInt:
      return std::pair{SecretBytes::FromString(std::to_string(v.AsInt())), ScalarType::kInt};
    case config::ValueType::kDouble:
      return std::pair{SecretBytes::FromString(fmt::format("{}", v.AsDouble())),
                       ScalarType::kFloat};
    case config::ValueType::kBool:
      return std::pair{SecretBytes::FromString(v.AsBool() ? "true" : "false"), ScalarType::kBool};
    case config::ValueType::kNull:
      return std::pair{SecretBytes(), ScalarType::kNull};
    case config::ValueType::kBytes:
      return std::pair{SecretBytes(std::span<const std::uint8_t>(v.AsBytes())), ScalarType::kBytes};
    case config::ValueType::kList:
    case config::ValueType::kMap:
      break;
  }
  return InvalidArgumentError(
      "encrypt value: only scalars are encrypted one by one, not maps or lists");
}

Result<Value> Decode(const SecretBytes& plain, ScalarType type) {
  const std::string_view text = plain.RevealAsString();
  switch (type) {
    case ScalarType::kStr:
      return Value(std::string(text));
    case ScalarType::kInt: {
      std::int64_t i = 0;
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), i);
      if (ec != std::errc() || p != text.data() + text.size()) break;
      return Value(i);
    }
    case ScalarType::kFloat: {
      double d = 0;
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
      if (ec != std::errc() || p != text.data() + text.size()) break;
      return Value(d);
    }
    case ScalarType::kBool:
      if (text == "true") return Value(true);
      if (text == "false") return Value(false);
      break;
    case ScalarType::kNull:
      if (text.empty()) return Value();
      break;
    case ScalarType::kBytes: {
      auto bytes = plain.Reveal();
      return Value::FromBytes(config::Bytes(bytes.begin(), bytes.end()));
    }
  }
  return DataLossError(fmt::format("decrypt value: plaintext does not match its type '{}'",
                                   secfile::ScalarTypeName(type)));
}

class KeyringValueCipher final : public ValueCipher {
 public:
  KeyringValueCipher(std::shared_ptr<const keys::Keyring> keyring, bool allow_compromised)
      : keyring_(std::move(keyring)), allow_compromised_(allow_compromised) {}

  Result<std::string> Encrypt(const Value& plaintext, std::string_view document_id,
                              const config::Path& path) const override {
    BULWARK_ASSIGN_OR_RETURN(auto encoded, Encode(plaintext));
    auto& [bytes, type] = encoded;
    const crypto::AeadAlgorithm alg = keyring_->Get(keyring_->primary_id())->algorithm;
    const std::vector<std::uint8_t> aad =
        secfile::ValueAssociatedData(document_id, path, type, alg);
    BULWARK_ASSIGN_OR_RETURN(keys::KeyedCiphertext ct, keyring_->EncryptParts(bytes.Reveal(), aad));
    if (ct.algorithm != alg) {
      // The primary rotated between the two calls; the associated data named the old algorithm.
      return Encrypt(plaintext, document_id, path);
    }
    secfile::EncToken token;
    token.algorithm = ct.algorithm;
    token.key_id = ct.key_id;
    token.iv = std::move(ct.parts.nonce);
    token.data = std::move(ct.parts.ciphertext);
    token.tag = ct.parts.tag;
    token.type = type;
    return secfile::FormatToken(token);
  }

  Result<Value> Decrypt(std::string_view text, std::string_view document_id,
                        const config::Path& path) const override {
    return DecryptOne(text, document_id, path.ToString());
  }

  // One parse buffer and one associated-data buffer (its document-id part written once) for the
  // whole batch, and the dotted paths the caller already has: per token, only the value
  // allocates. One keyring reader lock and one key lookup per key for the batch
  // (Keyring::BatchDecryptor). Values are constructed in place in `out`.
  Status DecryptMany(std::span<const TokenAt> tokens, std::string_view document_id,
                     std::vector<Value>& out) const override {
    out.clear();
    out.reserve(tokens.size());
    secfile::EncTokenParts parts;
    std::size_t longest = 0;  // the data buffer sized once for the batch, not grown token by token
    for (const TokenAt& t : tokens) longest = std::max(longest, t.token.size());
    parts.data.reserve(longest / 4 * 3);
    secfile::ValueAssociatedDataBuffer aad(document_id);
    std::string dotted;
    auto decryptor = keyring_->NewBatchDecryptor(allow_compromised_);
    for (const TokenAt& t : tokens) {
      std::string_view d = t.dotted;
      if (d.empty() && !t.path->empty()) d = dotted = t.path->ToString();
      if (auto s = DecryptInto(t.token, d, parts, aad, decryptor, out); !s) {
        out.clear();
        return s;
      }
    }
    return OkStatus();
  }

 private:
  // One token of a batch: parsed into `token`, its value appended to `out`. A string is handed
  // out as it decrypts: straight into the value's own buffer (inline for short ones), no
  // intermediate SecretBytes to allocate, copy and wipe; the buffer is wiped on error.
  static Status DecryptInto(std::string_view text, std::string_view dotted,
                            secfile::EncTokenParts& token, secfile::ValueAssociatedDataBuffer& aad,
                            keys::Keyring::BatchDecryptor& batch, std::vector<Value>& out) {
    if (auto s = secfile::ParseTokenInto(text, token); !s) {
      return std::unexpected(s.error().WithContext(fmt::format("decrypt {}", dotted)));
    }
    const std::span<const std::uint8_t> ad = aad.For(dotted, token.type, token.algorithm);
    if (token.type == ScalarType::kStr) {
      std::string plain(token.data.size(), '\0');
      if (auto st = batch.DecryptPartsInto(
              token.key_id, token.iv(), token.data, token.tag, ad,
              std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(plain.data()), plain.size()));
          !st) {
        SecureZero(plain);
        return std::unexpected(st.error().WithContext(fmt::format("decrypt {}", dotted)));
      }
      out.emplace_back(std::move(plain));
      return OkStatus();
    }
    auto plain = batch.DecryptParts(token.key_id, token.iv(), token.data, token.tag, ad);
    if (!plain) {
      return std::unexpected(plain.error().WithContext(fmt::format("decrypt {}", dotted)));
    }
    auto v = Decode(*plain, token.type);
    if (!v) return std::unexpected(std::move(v).error());
    out.push_back(std::move(*v));
    return OkStatus();
  }

  // `dotted` is the path's canonical dotted form (Path::ToString). Decrypts through the keyring.
  Result<Value> DecryptOne(std::string_view text, std::string_view document_id,
                           std::string_view dotted) const {
    secfile::EncTokenParts token;
    if (auto s = secfile::ParseTokenInto(text, token); !s) {
      return std::unexpected(s.error().WithContext(fmt::format("decrypt {}", dotted)));
    }
    std::vector<std::uint8_t> aad;
    secfile::ValueAssociatedDataInto(document_id, dotted, token.type, token.algorithm, aad);
    auto plain = allow_compromised_
                     ? keyring_->DecryptPartsForReencryption(token.key_id, token.iv(), token.data,
                                                             token.tag, aad)
                     : keyring_->DecryptParts(token.key_id, token.iv(), token.data, token.tag, aad);
    if (!plain) {
      return std::unexpected(plain.error().WithContext(fmt::format("decrypt {}", dotted)));
    }
    return Decode(*plain, token.type);
  }

  std::shared_ptr<const keys::Keyring> keyring_;
  bool allow_compromised_;
};

}  // namespace

std::unique_ptr<ValueCipher> NewKeyringValueCipher(std::shared_ptr<const keys::Keyring> keyring) {
  return std::make_unique<KeyringValueCipher>(std::move(keyring), /*allow_compromised=*/false);
}

std::unique_ptr<ValueCipher> NewKeyringValueCipherForReencryption(
    std::shared_ptr<const keys::Keyring> keyring) {
  return std::make_unique<KeyringValueCipher>(std::move(keyring), /*allow_compromised=*/true);
}

}  // namespace bulwark::service
