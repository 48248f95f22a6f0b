#include "config/internal/schema_refs.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "bulwark/config/path.h"

namespace bulwark::config::internal {
namespace {

// One same-value application: from a schema node to the node it applies, and how ("allOf[1]",
// "$ref '#/definitions/a'") for messages.
struct Edge {
  const Value* to;
  std::string via;
};

std::string Where(const Path& p) { return p.empty() ? "(root)" : p.ToString(); }

// Values that are data, not schemas (a "$ref" inside a default is not a reference), unless the key
// is a property name (a property called "default" holds a schema).
bool IsData(const Path& p) {
  const std::string_view key = p.LastKey();
  if (key != "default" && key != "const" && key != "enum" && key != "examples") return false;
  if (p.size() < 2 || !p.segments()[p.size() - 2].is_key()) return true;
  const std::string& parent = p.segments()[p.size() - 2].key();
  return parent != "properties" && parent != "patternProperties" && parent != "definitions" &&
         parent != "$defs" && parent != "dependencies";
}

class RefGraph {
 public:
  RefGraph(const Value& doc, std::string_view source) : doc_(doc), source_(source) {
    Walk(doc, [&](const Path& p, const Value& v) {
      if (IsData(p)) return false;
      if (v.is_map()) {
        paths_.emplace(&v, p);
        order_.push_back(&v);
      }
      return true;
    });
  }

  Status Check() {
    for (const Value* node : order_) {  // document order: the first cycle found is stable
      if (color_[node] == kWhite) BULWARK_RETURN_IF_ERROR(Visit(node));
    }
    return OkStatus();
  }

 private:
  enum Color : std::uint8_t { kWhite = 0, kGrey, kBlack };

  Result<std::vector<Edge>> EdgesOf(const Value* node) const {
    std::vector<Edge> out;
    const Path& at = paths_.at(node);
    auto add = [&](const Value* to, std::string via) {
      if (to != nullptr && to->is_map()) out.push_back({to, std::move(via)});
    };
    if (const Value* ref = node->Get("$ref"); ref != nullptr && ref->is_string()) {
      const std::string& r = ref->AsString();
      if (r.starts_with("#")) {  // remote references are refused by Schema::Create
        const Value* target = ResolveLocalRef(doc_, r);
        if (target == nullptr) {
          return InvalidArgumentError(fmt::format("schema {}: {}: $ref '{}' does not resolve",
                                                  source_, Where(at.Key("$ref")),
                                                  r.substr(0, 120)));
        }
        add(target, fmt::format("{} -> '{}'", Where(at.Key("$ref")), r.substr(0, 120)));
      }
    }
    for (const char* k : {"allOf", "anyOf", "oneOf"}) {
      if (const Value* l = node->Get(k); l != nullptr && l->is_list()) {
        for (std::size_t i = 0; i < l->AsList().size(); ++i) {
          add(&l->AsList()[i], Where(at.Key(k).Index(i)));
        }
      }
    }
    for (const char* k : {"not", "if", "then", "else"}) add(node->Get(k), Where(at.Key(k)));
    if (const Value* d = node->Get("dependencies"); d != nullptr && d->is_map()) {
      for (const MapEntry& e : d->AsMap()) add(&e.value, Where(at.Key("dependencies").Key(e.key)));
    }
    return out;
  }

  // Depth-first, with an explicit stack (a schema may be deep).
  Status Visit(const Value* start) {
    struct Frame {
      const Value* node;
      std::vector<Edge> edges;
      std::size_t next = 0;
    };
    std::vector<Frame> stack;
    auto push = [&](const Value* n) -> Status {
      BULWARK_ASSIGN_OR_RETURN(std::vector<Edge> edges, EdgesOf(n));
      color_[n] = kGrey;
      stack.push_back({n, std::move(edges)});
      return OkStatus();
    };
    BULWARK_RETURN_IF_ERROR(push(start));
    while (!stack.empty()) {
      Frame& f = stack.back();
      if (f.next < f.edges.size()) {
        const Edge& e = f.edges[f.next++];
        const Color c = color_[e.to];
        if (c == kGrey) return CycleError(stack, e);
        if (c == kWhite) BULWARK_RETURN_IF_ERROR(push(e.to));
        continue;
      }
      // Done: how many nodes this one applies at one value, itself included (saturating).
      std::size_t n = 1;
      for (const Edge& e : f.edges) n = std::min(n + count_[e.to], kMaxSchemaExpansions + 1);
      if (n > kMaxSchemaExpansions) {
        return InvalidArgumentError(fmt::format(
            "schema {}: {}: its references and allOf/anyOf/oneOf apply more than {} subschemas to "
            "one value (nested combinations of repeated references); simplify the schema",
            source_, Where(paths_.at(f.node)), kMaxSchemaExpansions));
      }
      count_[f.node] = n;
      color_[f.node] = kBlack;
      stack.pop_back();
    }
    return OkStatus();
  }

  template <typename Frames>
  Status CycleError(const Frames& stack, const Edge& closing) const {
    std::size_t from = 0;
    while (from < stack.size() && stack[from].node != closing.to) ++from;
    std::string chain;
    for (std::size_t i = from; i < stack.size(); ++i) {
      const auto& f = stack[i];
      if (i + 1 < stack.size()) {
        chain += f.edges[f.next - 1].via;
        chain += ", then ";
      }
    }
    chain += closing.via;
    return InvalidArgumentError(fmt::format(
        "schema {}: reference cycle: {} (it comes back to {} without descending into a property "
        "or item, so validation would never end)",
        source_, chain, Where(paths_.at(closing.to))));
  }

  const Value& doc_;
  std::string_view source_;
  std::unordered_map<const Value*, Path> paths_;
  std::vector<const Value*> order_;
  std::unordered_map<const Value*, Color> color_;
  std::unordered_map<const Value*, std::size_t> count_;
};

}  // namespace

const Value* ResolveLocalRef(const Value& doc, std::string_view ref) {
  if (ref == "#") return &doc;
  if (!ref.starts_with("#/")) return nullptr;
  auto p = Path::ParseJsonPointer(ref.substr(1));
  return p ? Find(doc, *p) : nullptr;
}

Status CheckSchemaReferences(const Value& doc, std::string_view source) {
  return RefGraph(doc, source).Check();
}

}  // namespace bulwark::config::internal
