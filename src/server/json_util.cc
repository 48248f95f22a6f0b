#include "server/internal/json_util.h"

#include <fmt/format.h>

#include <charconv>

#include "bulwark/config/format.h"

namespace bulwark::server::internal {

std::unexpected<ApiResponse> BadField(const ApiRequest& req, std::string_view field, std::string_view what) {
  return std::unexpected(ApiErrorResponse(400, "invalid_argument", fmt::format("{}: {}", field, what),
                                          req.context.request_id, field));
}

ApiResponse ErrorReply(const ApiRequest& req, const Error& error, std::string_view field) {
  return ApiErrorResponse(error, req.context.request_id, field);
}

Reply<Body> Body::Parse(const ApiRequest& req, std::size_t max_depth) {
  if (req.body.empty()) return BadField(req, "body", "a JSON object is required");
  auto doc = config::ParseDocument(req.body, config::Format::kJson,
                                   {.source_name = "body", .max_depth = max_depth, .track_locations = false});
  if (!doc) {
    if (doc.error().message().find("nesting deeper") != std::string::npos) {
      return std::unexpected(ApiErrorResponse(413, "payload_too_large", doc.error().message(),
                                              req.context.request_id, "body"));
    }
    return std::unexpected(ApiErrorResponse(400, "invalid_argument", doc.error().message(),
                                            req.context.request_id, "body"));
  }
  if (!doc->root.is_map()) return BadField(req, "body", "must be a JSON object");
  return Body(req, std::move(doc->root));
}

Reply<Body> Body::ParseOptional(const ApiRequest& req, std::size_t max_depth) {
  if (req.body.empty()) return Body(req, config::Value::EmptyMap());
  return Parse(req, max_depth);
}

Reply<void> Body::OnlyFields(std::initializer_list<std::string_view> known) const {
  for (const auto& e : root_.AsMap()) {
    bool ok = false;
    for (auto k : known) ok = ok || e.key == k;
    if (!ok) {
      std::string list;
      for (auto k : known) list += fmt::format("{}{}", list.empty() ? "" : ", ", k);
      return BadField(*req_, e.key, fmt::format("unknown field (expected: {})", list));
    }
  }
  return {};
}

Reply<std::string> Body::String(std::string_view field) const {
  const config::Value* v = Find(field);
  if (v == nullptr) return BadField(*req_, field, "required");
  if (!v->is_string()) return BadField(*req_, field, "must be a string");
  return v->AsString();
}

Reply<std::optional<std::string>> Body::OptionalString(std::string_view field) const {
  const config::Value* v = Find(field);
  if (v == nullptr || v->is_null()) return std::optional<std::string>();
  if (!v->is_string()) return BadField(*req_, field, "must be a string");
  return std::optional<std::string>(v->AsString());
}

Reply<std::optional<std::int64_t>> Body::OptionalInt(std::string_view field, std::int64_t min) const {
  const config::Value* v = Find(field);
  if (v == nullptr || v->is_null()) return std::optional<std::int64_t>();
  if (!v->is_int()) return BadField(*req_, field, "must be an integer");
  if (v->AsInt() < min) return BadField(*req_, field, fmt::format("must be >= {}", min));
  return std::optional<std::int64_t>(v->AsInt());
}

Reply<bool> Body::OptionalBool(std::string_view field, bool fallback) const {
  const config::Value* v = Find(field);
  if (v == nullptr || v->is_null()) return fallback;
  if (!v->is_bool()) return BadField(*req_, field, "must be true or false");
  return v->AsBool();
}

Reply<std::vector<std::string>> Body::OptionalStrings(std::string_view field) const {
  const config::Value* v = Find(field);
  std::vector<std::string> out;
  if (v == nullptr || v->is_null()) return out;
  if (!v->is_list()) return BadField(*req_, field, "must be a list of strings");
  for (const auto& e : v->AsList()) {
    if (!e.is_string()) return BadField(*req_, field, "must be a list of strings");
    out.push_back(e.AsString());
  }
  return out;
}

Reply<std::optional<std::int64_t>> QueryInt(const ApiRequest& req, std::string_view name, std::int64_t min) {
  auto q = req.Query(name);
  if (!q) return std::optional<std::int64_t>();
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(q->data(), q->data() + q->size(), v);
  if (q->empty() || ec != std::errc() || p != q->data() + q->size()) {
    return BadField(req, name, "must be an integer");
  }
  if (v < min) return BadField(req, name, fmt::format("must be >= {}", min));
  return std::optional<std::int64_t>(v);
}

Reply<store::VersionRef> QueryVersion(const ApiRequest& req) {
  auto v = QueryInt(req, "version", 1);
  if (!v) return std::unexpected(std::move(v.error()));
  const std::optional<std::int64_t> version = *v;
  auto at = req.Query("at");
  if (version && at) return BadField(req, "version", "give version or at, not both");
  if (version) return store::VersionRef::Number(*version);
  if (at) {
    auto t = ParseRfc3339(*at);
    if (!t) return BadField(req, "at", "must be an RFC 3339 time");
    return store::VersionRef::At(*t);
  }
  return store::VersionRef::Latest();
}

std::string ValueJson(const config::Value& v) {
  auto text = config::EmitDocument(v, config::Format::kJson, {.indent = 0});
  return text ? std::move(*text) : std::string("null");
}

nlohmann::ordered_json VersionInfoJson(const store::VersionInfo& v) {
  nlohmann::ordered_json j = {{"namespace", v.namespace_name},
                              {"version", v.version},
                              {"created_at", FormatRfc3339(v.created_at)},
                              {"author", v.author},
                              {"operation", std::string(store::OperationName(v.operation))},
                              {"message", v.message},
                              {"tags", v.tags},
                              {"content_hash", v.content_hash}};
  j["parent"] = v.parent ? nlohmann::ordered_json(*v.parent) : nlohmann::ordered_json(nullptr);
  j["rollback_of"] = v.rollback_of ? nlohmann::ordered_json(*v.rollback_of) : nlohmann::ordered_json(nullptr);
  return j;
}

}  // namespace bulwark::server::internal
