// Canonical stored form of a version's content and its hash.
#ifndef BULWARK_SRC_STORE_INTERNAL_CODEC_H_
#define BULWARK_SRC_STORE_INTERNAL_CODEC_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/config/value.h"
#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"

namespace bulwark::store::internal {

// Compact JSON written by config::EmitDocument (map keys in document order, bytes as base64
// strings, doubles in shortest round-trip form). Non-finite doubles, invalid UTF-8 and nesting
// deeper than 128 levels are kInvalidArgument (naming the path); larger than kMaxDocumentBytes is
// kResourceExhausted.
Result<std::string> EncodeContent(const config::Value& content);
// Parses what EncodeContent wrote (config::ParseDocument); kDataLoss when it does not parse.
Result<config::Value> DecodeContent(std::string_view bytes);

// Lowercase hex SHA-256 (crypto::Sha256: the FIPS provider's when loaded); kInternal only when
// OpenSSL cannot compute it.
Result<std::string> Sha256Hex(std::string_view bytes);

// Tags as a JSON array of strings and back.
std::string EncodeTags(const std::vector<std::string>& tags);
Result<std::vector<std::string>> DecodeTags(std::string_view json);

// Microseconds since the Unix epoch and back.
std::int64_t ToMicros(TimePoint t);
TimePoint FromMicros(std::int64_t us);

}  // namespace bulwark::store::internal

#endif  // BULWARK_SRC_STORE_INTERNAL_CODEC_H_
