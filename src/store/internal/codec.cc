#include "store/internal/codec.h"

#include <openssl/evp.h>

#include <cmath>
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "bulwark/config/path.h"
#include "bulwark/core/encoding.h"
#include "bulwark/store/config_store.h"

namespace bulwark::store::internal {
namespace {

using Json = nlohmann::ordered_json;

Result<Json> ToJson(const config::Value& v, config::Path& at) {
  switch (v.type()) {
    case config::ValueType::kNull: return Json(nullptr);
    case config::ValueType::kBool: return Json(v.AsBool());
    case config::ValueType::kInt: return Json(v.AsInt());
    case config::ValueType::kDouble:
      if (!std::isfinite(v.AsDouble())) {
        return InvalidArgumentError(
            fmt::format("encode '{}': non-finite number has no JSON form", at.ToString()));
      }
      return Json(v.AsDouble());
    case config::ValueType::kString:
      if (!IsValidUtf8(v.AsString())) {
        return InvalidArgumentError(fmt::format("encode '{}': string is not valid UTF-8",
                                                at.ToString()));
      }
      return Json(v.AsString());
    case config::ValueType::kBytes: return Json(Base64Encode(v.AsBytes()));
    case config::ValueType::kList: {
      Json out = Json::array();
      const config::ValueList& list = v.AsList();
      for (std::size_t i = 0; i < list.size(); ++i) {
        at.Push(config::PathSegment::Index(i));
        auto item = ToJson(list[i], at);
        at.Pop();
        if (!item) return item;
        out.push_back(std::move(*item));
      }
      return out;
    }
    case config::ValueType::kMap: {
      Json out = Json::object();
      for (const config::MapEntry& e : v.AsMap()) {
        if (!IsValidUtf8(e.key)) {
          return InvalidArgumentError(
              fmt::format("encode '{}': map key is not valid UTF-8", at.ToString()));
        }
        at.Push(config::PathSegment::Key(e.key));
        auto item = ToJson(e.value, at);
        at.Pop();
        if (!item) return item;
        out.emplace(e.key, std::move(*item));
      }
      return out;
    }
  }
  return Json(nullptr);
}

config::Value FromJson(const Json& j) {
  switch (j.type()) {
    case Json::value_t::boolean: return config::Value(j.get<bool>());
    case Json::value_t::number_integer: return config::Value(j.get<std::int64_t>());
    case Json::value_t::number_unsigned: {
      auto u = j.get<std::uint64_t>();
      if (u <= static_cast<std::uint64_t>(INT64_MAX)) {
        return config::Value(static_cast<std::int64_t>(u));
      }
      return config::Value(static_cast<double>(u));
    }
    case Json::value_t::number_float: return config::Value(j.get<double>());
    case Json::value_t::string: return config::Value(j.get<std::string>());
    case Json::value_t::array: {
      config::ValueList l;
      l.reserve(j.size());
      for (const Json& x : j) l.push_back(FromJson(x));
      return config::Value(std::move(l));
    }
    case Json::value_t::object: {
      config::ValueMap m;
      m.Reserve(j.size());
      for (const auto& [k, x] : j.items()) m.Set(k, FromJson(x));
      return config::Value(std::move(m));
    }
    default: return config::Value();
  }
}

}  // namespace

Result<std::string> EncodeContent(const config::Value& content) {
  config::Path at;
  BULWARK_ASSIGN_OR_RETURN(Json j, ToJson(content, at));
  std::string out;
  try {
    out = j.dump();
  } catch (const std::exception& e) {
    return InternalError(fmt::format("encode content: {}", e.what()));
  }
  if (out.size() > kMaxDocumentBytes) {
    return ResourceExhaustedError(fmt::format("encode content: {} bytes exceed the limit of {}",
                                              out.size(), kMaxDocumentBytes));
  }
  return out;
}

Result<config::Value> DecodeContent(std::string_view bytes) {
  Json j = Json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return DataLossError("stored content is not valid JSON");
  return FromJson(j);
}

std::string Sha256Hex(std::string_view bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr);
  return HexEncode(std::span<const std::uint8_t>(md, len));
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
