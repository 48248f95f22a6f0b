#include "bulwark/service/value_cipher.h"

namespace bulwark::service {

Status ValueCipher::DecryptMany(std::span<const TokenAt> tokens, std::string_view document_id,
                                std::vector<config::Value>& out) const {
  out.clear();
  out.reserve(tokens.size());
  for (const TokenAt& t : tokens) {
    BULWARK_ASSIGN_OR_RETURN(config::Value v, Decrypt(t.token, document_id, *t.path));
    out.push_back(std::move(v));
  }
  return OkStatus();
}

bool IsEncryptedToken(const config::Value& v) {
  const std::string* s = v.IfString();
  return s != nullptr && s->starts_with("ENC[") && s->ends_with("]");
}

}  // namespace bulwark::service
