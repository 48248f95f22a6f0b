#include "store/internal/codec.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "bulwark/config/format.h"
#include "bulwark/core/encoding.h"
#include "bulwark/crypto/hash.h"
#include "bulwark/store/config_store.h"

namespace bulwark::store::internal {
namespace {

using Json = nlohmann::ordered_json;

// Deeper documents are refused on write, so that everything stored parses back (the parser's
// limit is kDecodeDepth).
constexpr std::size_t kMaxDepth = 128;
constexpr std::size_t kDecodeDepth = 2 * kMaxDepth;

std::size_t Depth(const config::Value& v, std::size_t limit) {
  if (limit == 0) return 1;
  std::size_t d = 0;
  if (const config::ValueList* l = v.IfList()) {
    for (const config::Value& x : *l) d = std::max(d, Depth(x, limit - 1));
    return d + 1;
  }
  if (const config::ValueMap* m = v.IfMap()) {
    for (const config::MapEntry& e : *m) d = std::max(d, Depth(e.value, limit - 1));
    return d + 1;
  }
  return 0;
}

}  // namespace

Result<std::string> EncodeContent(const config::Value& content) {
  if (Depth(content, kMaxDepth + 1) > kMaxDepth) {
    return InvalidArgumentError(
        fmt::format("encode content: nesting deeper than {} levels", kMaxDepth));
  }
  config::EmitOptions options;
  options.indent = 0;  // compact
  BULWARK_ASSIGN_OR_RETURN(std::string out,
                           config::EmitDocument(content, config::Format::kJson, options));
  if (out.size() > kMaxDocumentBytes) {
    return ResourceExhaustedError(fmt::format("encode content: {} bytes exceed the limit of {}",
                                              out.size(), kMaxDocumentBytes));
  }
  return out;
}

Result<config::Value> DecodeContent(std::string_view bytes) {
  config::ParseOptions options;
  options.source_name = "stored content";
  options.max_depth = kDecodeDepth;
  options.track_locations = false;
  auto doc = config::ParseDocument(bytes, config::Format::kJson, options);
  if (!doc) return DataLossError(doc.error().message());
  return std::move(doc->root);
}

Result<std::string> Sha256Hex(std::string_view bytes) {
  BULWARK_ASSIGN_OR_RETURN(crypto::Sha256Digest d, crypto::Sha256(bytes));
  return HexEncode(d);
}

std::string EncodeTags(const std::vector<std::string>& tags) {
  Json j = Json::array();
  for (const std::string& t : tags) j.push_back(t);
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Result<std::vector<std::string>> DecodeTags(std::string_view json) {
  Json j = Json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_array()) return DataLossError("stored tags are not a JSON array");
  std::vector<std::string> out;
  for (const Json& t : j) {
    if (!t.is_string()) return DataLossError("stored tag is not a string");
    out.push_back(t.get<std::string>());
  }
  return out;
}

std::int64_t ToMicros(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

TimePoint FromMicros(std::int64_t us) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::microseconds(us)));
}

}  // namespace bulwark::store::internal
