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
#include "bulwark/core/runtime.h"
#include "config/internal/json_bridge.h"
#include "config/internal/schema_refs.h"

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
  // valijson checks `pattern`, `patternProperties` and `format` with std::regex, which recurses per
  // input character and can overflow the stack on long strings. Unconditional `pattern` and
  // `format` are therefore removed from the copy valijson sees and checked here with RE2 (linear
  // time, no recursion); what remains for std::regex is guarded by length limits.
  bool regex_left_for_valijson = false;
  static constexpr std::size_t kMaxKeyBytesForRegex = 1024;
  static constexpr std::size_t kMaxStringBytesForRegex = 64 * 1024;

  // Resolves a local "$ref" ("#", "#/definitions/x") to the schema node it names.
  const Value* ResolveRef(std::string_view ref) const { return internal::ResolveLocalRef(doc, ref); }

  // Adds `s` and everything it pulls in through $ref and allOf/anyOf/oneOf to `out`.
  // With `unconditional_only`, anyOf/oneOf branches are not followed (they may not apply).
  void Expand(const Value* s, std::vector<const Value*>& out, int depth,
              bool unconditional_only = false) const {
    if (s == nullptr || !s->is_map() || depth > kMaxRefDepth) return;
    out.push_back(s);
    if (const Value* ref = s->Get("$ref"); ref && ref->is_string()) {
      Expand(ResolveRef(ref->AsString()), out, depth + 1, unconditional_only);
    }
    for (const char* k : {"allOf", "anyOf", "oneOf"}) {
      if (unconditional_only && std::string_view(k) != "allOf") continue;
      if (const Value* l = s->Get(k); l && l->is_list()) {
        for (const Value& sub : l->AsList()) Expand(&sub, out, depth + 1, unconditional_only);
      }
    }
  }

  std::vector<const Value*> Child(const std::vector<const Value*>& parents, const PathSegment& seg,
                                  bool uncond = false) const {
    std::vector<const Value*> out;
    for (const Value* s : parents) {
      if (seg.is_key()) {
        bool matched = false;
        if (const Value* props = MapGet(s, "properties")) {
          if (const Value* sub = props->Get(seg.key())) {
            Expand(sub, out, 0, uncond);
            matched = true;
          }
        }
        if (const Value* pp = MapGet(s, "patternProperties"); pp && pp->is_map()) {
          for (const MapEntry& e : pp->AsMap()) {
            auto it = patterns.find(e.key);
            if (it != patterns.end() && RE2::PartialMatch(seg.key(), *it->second)) {
              Expand(&e.value, out, 0, uncond);
              matched = true;
            }
          }
        }
        if (!matched) {
          if (const Value* ap = MapGet(s, "additionalProperties"); ap && ap->is_map()) {
            Expand(ap, out, 0, uncond);
          }
        }
        std::size_t idx;
        if (!matched && ParseDecimalIndex(seg.key(), idx)) {
          AddItems(s, idx, out, uncond);
        }
      } else {
        AddItems(s, seg.index(), out, uncond);
      }
    }
    return out;
  }

  void AddItems(const Value* s, std::size_t idx, std::vector<const Value*>& out,
                bool uncond) const {
    const Value* items = MapGet(s, "items");
    if (items == nullptr) return;
    if (items->is_map()) {
      Expand(items, out, 0, uncond);
    } else if (items->is_list()) {
      if (idx < items->AsList().size()) {
        Expand(&items->AsList()[idx], out, 0, uncond);
      } else if (const Value* ai = MapGet(s, "additionalItems"); ai && ai->is_map()) {
        Expand(ai, out, 0, uncond);
      }
    }
  }

  std::vector<const Value*> Root(bool uncond = false) const {
    std::vector<const Value*> out;
    Expand(&doc, out, 0, uncond);
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
      const std::function<bool(const Path&, const Value&, const std::vector<const Value*>&)>& f,
      bool uncond = false) const {
    if (!f(path, node, schemas)) return;
    if (const ValueMap* m = node.IfMap()) {
      for (const MapEntry& e : *m) {
        PathSegment seg = PathSegment::Key(e.key);
        auto child = Child(schemas, seg, uncond);
        path.Push(std::move(seg));
        VisitWithSchemas(e.value, path, child, f, uncond);
        path.Pop();
      }
    } else if (const ValueList* l = node.IfList()) {
      for (std::size_t i = 0; i < l->size(); ++i) {
        PathSegment seg = PathSegment::Index(i);
        auto child = Child(schemas, seg, uncond);
        path.Push(std::move(seg));
        VisitWithSchemas((*l)[i], path, child, f, uncond);
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

namespace {

// Removes `pattern` and `format` from schema positions that apply unconditionally (not under
// anyOf/oneOf/not/if/then/else), recording whether any regex keyword is left for valijson.
void StripRegexKeywords(Value& schema, bool conditional, bool& left) {
  ValueMap* m = schema.IfMap();
  if (m == nullptr) return;
  if (m->Contains("patternProperties")) left = true;
  for (const char* k : {"pattern", "format"}) {
    if (const Value* v = m->Find(k); v && v->is_string()) {
      if (conditional) {
        left = true;
      } else {
        m->Erase(k);
      }
    }
  }
  auto each_map_value = [&](const char* key, bool cond) {
    if (Value* v = m->Find(key); v && v->is_map()) {
      for (MapEntry& e : v->AsMap()) StripRegexKeywords(e.value, cond, left);
    }
  };
  auto one = [&](const char* key, bool cond) {
    if (Value* v = m->Find(key); v && v->is_map()) StripRegexKeywords(*v, cond, left);
  };
  auto each_list = [&](const char* key, bool cond) {
    if (Value* v = m->Find(key); v && v->is_list()) {
      for (Value& e : v->AsList()) StripRegexKeywords(e, cond, left);
    }
  };
  each_map_value("properties", conditional);
  each_map_value("patternProperties", conditional);
  each_map_value("definitions", conditional);
  each_map_value("$defs", conditional);
  each_map_value("dependencies", true);
  one("additionalProperties", conditional);
  one("items", conditional);
  each_list("items", conditional);
  one("additionalItems", conditional);
  one("contains", true);
  one("propertyNames", true);
  each_list("allOf", conditional);
  each_list("anyOf", true);
  each_list("oneOf", true);
  for (const char* k : {"not", "if", "then", "else"}) one(k, true);
}

}  // namespace

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
    if (p.LastKey() == "pattern" && v.is_string() && !impl->patterns.contains(v.AsString())) {
      auto re = std::make_unique<RE2>(v.AsString(), RE2::Quiet);
      if (!re->ok()) {
        problem = Error(ErrorCode::kInvalidArgument,
                        fmt::format("schema {}: {}: invalid pattern: {}", source, p.ToString(),
                                    re->error()));
        return false;
      }
      impl->patterns.emplace(v.AsString(), std::move(re));
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
  // Before valijson or Expand follow a reference: cycles that never reach a value would recurse
  // until the stack overflows (internal/schema_refs.h).
  BULWARK_RETURN_IF_ERROR(internal::CheckSchemaReferences(impl->doc, source));
  try {
    Value for_valijson = schema_document;
    StripRegexKeywords(for_valijson, false, impl->regex_left_for_valijson);
    nlohmann::json json = internal::ToJson(for_valijson);
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
  // Inputs that std::regex (inside valijson) could not handle safely.
  if (impl_->regex_left_for_valijson) {
    bool too_long = false;
    Walk(document, [&](const Path& p, const Value& v) {
      if (!p.empty() && p.back().is_key() && p.back().key().size() > Impl::kMaxKeyBytesForRegex) {
        out.push_back({p, fmt::format("key longer than {} bytes cannot be checked against the "
                                      "schema's patterns", Impl::kMaxKeyBytesForRegex)});
        too_long = true;
      }
      if (v.is_string() && v.AsString().size() > Impl::kMaxStringBytesForRegex) {
        out.push_back({p, fmt::format("string longer than {} bytes cannot be checked against the "
                                      "schema's conditional patterns", Impl::kMaxStringBytesForRegex)});
        too_long = true;
      }
      return true;
    });
    if (too_long) return out;
  }
  // `pattern` and `format` in unconditional positions, with RE2 (see Impl).
  Path walk_path;
  impl_->VisitWithSchemas(
      document, walk_path, impl_->Root(/*uncond=*/true),
      [&](const Path& p, const Value& v, const std::vector<const Value*>& schemas) {
        if (!v.is_string()) return true;
        for (const Value* s : schemas) {
          if (const Value* pat = s->Get("pattern"); pat && pat->is_string()) {
            auto it = impl_->patterns.find(pat->AsString());
            if (it != impl_->patterns.end() && !RE2::PartialMatch(v.AsString(), *it->second)) {
              out.push_back({p, fmt::format("does not match the pattern '{}'", pat->AsString())});
            }
          }
          if (const Value* f = s->Get("format"); f && f->is_string() && f->AsString() == "date-time") {
            if (!ParseRfc3339(v.AsString())) out.push_back({p, "is not an RFC 3339 date-time"});
          }
        }
        return true;
      },
      /*uncond=*/true);
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

void Schema::ApplyDefaults(Value& document, LocationTable* locations) const {
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
    if (!Set(document, p, *def)) continue;
    // The default's own location ids (from the schema file) mean nothing in this document.
    TagSubtree(*Find(document, p), locations != nullptr ? locations->Add("default", 0, 0) : 0);
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
