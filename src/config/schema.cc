#include "bulwark/config/schema.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "bulwark/core/encoding.h"
#include "config/internal/json_bridge.h"

namespace bulwark::config {

std::string SchemaError::ToString() const {
  return fmt::format("{}: {}", path.empty() ? "(root)" : path.ToString(), message);
}

namespace {

constexpr int kMaxRefDepth = 32;

const Value* MapGet(const Value* v, std::string_view key) {
  return v == nullptr ? nullptr : v->Get(key);
}

std::optional<ValueType> TypeFromName(std::string_view t) {
  if (t == "integer") return ValueType::kInt;
  if (t == "number") return ValueType::kDouble;
  if (t == "string") return ValueType::kString;
  if (t == "boolean") return ValueType::kBool;
  if (t == "array") return ValueType::kList;
  if (t == "object") return ValueType::kMap;
  if (t == "null") return ValueType::kNull;
  return std::nullopt;
}

bool ParseDecimalIndex(std::string_view s, std::size_t& out) {
  if (s.empty() || s.size() > 18 || (s.size() > 1 && s[0] == '0')) return false;
  out = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + static_cast<std::size_t>(c - '0');
  }
  return true;
}

}  // namespace

struct Schema::Impl {
  Value doc;
  std::string source;
  valijson::Schema compiled;
  std::map<std::string, std::unique_ptr<RE2>, std::less<>> patterns;

  // Resolves a local "$ref" ("#", "#/definitions/x") to the schema node it names.
  const Value* ResolveRef(std::string_view ref) const {
    if (ref == "#") return &doc;
    if (!ref.starts_with("#/")) return nullptr;
    auto p = Path::ParseJsonPointer(ref.substr(1));
    return p ? Find(doc, *p) : nullptr;
  }

  // Adds `s` and everything it pulls in through $ref and allOf/anyOf/oneOf to `out`.
  void Expand(const Value* s, std::vector<const Value*>& out, int depth) const {
    if (s == nullptr || !s->is_map() || depth > kMaxRefDepth) return;
    out.push_back(s);
    if (const Value* ref = s->Get("$ref"); ref && ref->is_string()) {
      Expand(ResolveRef(ref->AsString()), out, depth + 1);
    }
    for (const char* k : {"allOf", "anyOf", "oneOf"}) {
      if (const Value* l = s->Get(k); l && l->is_list()) {
        for (const Value& sub : l->AsList()) Expand(&sub, out, depth + 1);
      }
    }
  }

  std::vector<const Value*> Child(const std::vector<const Value*>& parents,
                                  const PathSegment& seg) const {
    std::vector<const Value*> out;
    for (const Value* s : parents) {
      if (seg.is_key()) {
        bool matched = false;
        if (const Value* props = MapGet(s, "properties")) {
          if (const Value* sub = props->Get(seg.key())) {
            Expand(sub, out, 0);
            matched = true;
          }
        }
        if (const Value* pp = MapGet(s, "patternProperties"); pp && pp->is_map()) {
          for (const MapEntry& e : pp->AsMap()) {
            auto it = patterns.find(e.key);
            if (it != patterns.end() && RE2::PartialMatch(seg.key(), *it->second)) {
              Expand(&e.value, out, 0);
              matched = true;
            }
          }
        }
        if (!matched) {
          if (const Value* ap = MapGet(s, "additionalProperties"); ap && ap->is_map()) {
            Expand(ap, out, 0);
          }
        }
        std::size_t idx;
        if (!matched && ParseDecimalIndex(seg.key(), idx)) {
          AddItems(s, idx, out);
        }
      } else {
        AddItems(s, seg.index(), out);
      }
    }
    return out;
  }

  void AddItems(const Value* s, std::size_t idx, std::vector<const Value*>& out) const {
    const Value* items = MapGet(s, "items");
    if (items == nullptr) return;
    if (items->is_map()) {
      Expand(items, out, 0);
    } else if (items->is_list()) {
      if (idx < items->AsList().size()) {
        Expand(&items->AsList()[idx], out, 0);
      } else if (const Value* ai = MapGet(s, "additionalItems"); ai && ai->is_map()) {
        Expand(ai, out, 0);
      }
    }
  }

  std::vector<const Value*> Root() const {
    std::vector<const Value*> out;
    Expand(&doc, out, 0);
    return out;
  }

  static bool IsSensitive(const std::vector<const Value*>& schemas) {
    for (const Value* s : schemas) {
      const Value* x = s->Get("x-sensitive");
      if (x && x->is_bool() && x->AsBool()) return true;
    }
    return false;
  }

  // Visits every node of `doc` with the schemas that apply to it.
  void VisitWithSchemas(
      const Value& node, Path& path, const std::vector<const Value*>& schemas,
      const std::function<bool(const Path&, const Value&, const std::vector<const Value*>&)>& f)
      const {
    if (!f(path, node, schemas)) return;
    if (const ValueMap* m = node.IfMap()) {
      for (const MapEntry& e : *m) {
        PathSegment seg = PathSegment::Key(e.key);
        auto child = Child(schemas, seg);
        path.Push(std::move(seg));
        VisitWithSchemas(e.value, path, child, f);
        path.Pop();
      }
    } else if (const ValueList* l = node.IfList()) {
      for (std::size_t i = 0; i < l->size(); ++i) {
        PathSegment seg = PathSegment::Index(i);
        auto child = Child(schemas, seg);
        path.Push(std::move(seg));
        VisitWithSchemas((*l)[i], path, child, f);
        path.Pop();
      }
    }
  }

  // The (key, default) pairs that `schemas` declare for properties of an object.
  std::vector<std::pair<std::string, const Value*>> Defaults(
      const std::vector<const Value*>& schemas) const {
    std::vector<std::pair<std::string, const Value*>> out;
    for (const Value* s : schemas) {
      const Value* props = MapGet(s, "properties");
      if (props == nullptr || !props->is_map()) continue;
      for (const MapEntry& e : props->AsMap()) {
        std::vector<const Value*> sub;
        Expand(&e.value, sub, 0);
        for (const Value* ss : sub) {
          if (const Value* d = ss->Get("default")) {
            out.emplace_back(e.key, d);
            break;
          }
        }
      }
    }
    return out;
  }
};

Schema::Schema(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Schema::~Schema() = default;
const std::string& Schema::source_name() const { return impl_->source; }

Result<std::unique_ptr<Schema>> Schema::Create(const Value& schema_document, std::string source) {
  if (!schema_document.is_map()) {
    return InvalidArgumentError(fmt::format("schema {}: the schema must be an object", source));
  }
  auto impl = std::make_unique<Impl>();
  impl->doc = schema_document;
  impl->source = source;
  // Refuse remote references and compile patternProperties with RE2 (linear time).
  std::optional<Error> problem;
  Walk(impl->doc, [&](const Path& p, const Value& v) {
    if (problem) return false;
    if (p.LastKey() == "$ref" && v.is_string() && !v.AsString().starts_with("#")) {
      problem = Error(ErrorCode::kInvalidArgument,
                      fmt::format("schema {}: {}: only local $ref ('#/...') is supported, got '{}'",
                                  source, p.ToString(), v.AsString().substr(0, 80)));
    }
    if (p.LastKey() == "patternProperties" && v.is_map()) {
      for (const MapEntry& e : v.AsMap()) {
        auto re = std::make_unique<RE2>(e.key, RE2::Quiet);
        if (!re->ok()) {
          problem = Error(ErrorCode::kInvalidArgument,
                          fmt::format("schema {}: {}: invalid pattern '{}': {}", source,
                                      p.ToString(), e.key.substr(0, 80), re->error()));
          return false;
        }
        impl->patterns.emplace(e.key, std::move(re));
      }
    }
    return true;
  });
  if (problem) return std::unexpected(*problem);
  try {
    nlohmann::json json = internal::ToJson(schema_document);
    valijson::adapters::NlohmannJsonAdapter adapter(json);
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    parser.populateSchema(adapter, impl->compiled);
  } catch (const std::exception& e) {
    return InvalidArgumentError(fmt::format("schema {}: {}", source, e.what()));
  }
  return std::unique_ptr<Schema>(new Schema(std::move(impl)));
}

std::vector<SchemaError> Schema::Validate(const Value& document) const {
  std::vector<SchemaError> out;
  nlohmann::json json = internal::ToJson(document);
  valijson::adapters::NlohmannJsonAdapter target(json);
  valijson::Validator validator(valijson::Validator::kStrongTypes);
  valijson::ValidationResults results;
  try {
    validator.validate(impl_->compiled, target, &results);
  } catch (const std::exception& e) {
    out.push_back({Path(), fmt::format("validation failed: {}", e.what())});
    return out;
  }
  valijson::ValidationResults::Error err;
  while (results.popError(err)) {
    // Parent errors that only say "a child failed" duplicate the child's own error.
    if (err.description.starts_with("Failed to validate against schema associated with") ||
        err.description.starts_with("Failed to validate item #")) {
      continue;
    }
    Path path;
    const Value* cur = &document;
    for (std::size_t i = 1; i < err.context.size(); ++i) {
      std::string_view tok = err.context[i];
      if (tok.size() >= 2 && tok.front() == '[' && tok.back() == ']') tok = tok.substr(1, tok.size() - 2);
      std::size_t idx;
      if (cur != nullptr && cur->is_list() && ParseDecimalIndex(tok, idx)) {
        path.Push(PathSegment::Index(idx));
        cur = idx < cur->AsList().size() ? &cur->AsList()[idx] : nullptr;
      } else {
        path.Push(PathSegment::Key(std::string(tok)));
        cur = cur != nullptr ? cur->Get(tok) : nullptr;
      }
    }
    std::string message = err.description;
    if (!message.empty() && message.back() == '.') message.pop_back();
    out.push_back({std::move(path), std::move(message)});
  }
  return out;
}

std::optional<ValueType> Schema::ExpectedTypeAt(const Path& path) const {
  std::vector<const Value*> schemas = impl_->Root();
  for (const PathSegment& seg : path.segments()) schemas = impl_->Child(schemas, seg);
  std::optional<ValueType> found;
  for (const Value* s : schemas) {
    const Value* t = s->Get("type");
    if (t == nullptr) continue;
    std::vector<ValueType> types;
    if (t->is_string()) {
      if (auto vt = TypeFromName(t->AsString())) types.push_back(*vt);
    } else if (t->is_list()) {
      for (const Value& x : t->AsList()) {
        if (x.is_string()) {
          if (auto vt = TypeFromName(x.AsString()); vt && *vt != ValueType::kNull) types.push_back(*vt);
        }
      }
    }
    if (types.size() != 1) return std::nullopt;
    if (found && *found != types[0]) return std::nullopt;
    found = types[0];
  }
  return found;
}

std::vector<Path> Schema::SensitivePaths(const Value& document) const {
  std::vector<Path> out;
  Path path;
  impl_->VisitWithSchemas(document, path, impl_->Root(),
                          [&](const Path& p, const Value&, const std::vector<const Value*>& s) {
                            if (Impl::IsSensitive(s)) {
                              out.push_back(p);
                              return false;
                            }
                            return true;
                          });
  return out;
}

void Schema::ApplyDefaults(Value& document, SourceMap* locations) const {
  // Collect first, then insert: the visitor walks a const tree.
  std::vector<std::pair<Path, const Value*>> inserts;
  Path path;
  impl_->VisitWithSchemas(document, path, impl_->Root(),
                          [&](const Path& p, const Value& node, const std::vector<const Value*>& s) {
                            if (!node.is_map()) return true;
                            for (auto& [key, def] : impl_->Defaults(s)) {
                              if (!node.AsMap().Contains(key)) inserts.emplace_back(p.Key(key), def);
                            }
                            return true;
                          });
  for (auto& [p, def] : inserts) {
    if (Find(document, p) != nullptr) continue;  // two schemas gave the same default
    (void)Set(document, p, *def);
    if (locations != nullptr) {
      Walk(*def, [&](const Path& sub, const Value&) {
        locations->insert_or_assign(p.Concat(sub), SourceLocation{"default", 0, 0});
        return true;
      });
    }
  }
}

std::vector<Path> Schema::MissingDefaultedValues(const Value& document) const {
  std::vector<Path> out;
  Path path;
  impl_->VisitWithSchemas(document, path, impl_->Root(),
                          [&](const Path& p, const Value& node, const std::vector<const Value*>& s) {
                            if (!node.is_map()) return true;
                            for (auto& [key, def] : impl_->Defaults(s)) {
                              (void)def;
                              if (!node.AsMap().Contains(key)) out.push_back(p.Key(key));
                            }
                            return true;
                          });
  return out;
}

}  // namespace bulwark::config
