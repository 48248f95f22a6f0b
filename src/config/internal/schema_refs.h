// Checks a JSON Schema's local references before anything follows them.
//
// A schema node applies other schema nodes to the same value through `$ref`, `allOf`, `anyOf`,
// `oneOf`, `not`, `if`/`then`/`else` and schema `dependencies`; it descends to other values through
// `properties`, `items` and the like. A chain of the first kind that comes back to where it started
// (`{"$ref": "#"}`, `a -> b -> a` through definitions, `{"allOf": [{"$ref": "#"}]}`) never reaches
// a value, so validating with it recurses until the stack overflows. Recursion through the second
// kind is legitimate (a tree of nodes) and bounded by the document's depth.
//
// CheckSchemaReferences refuses (kInvalidArgument naming the source and the reference) a local
// `$ref` that does not resolve, a cycle of the first kind, and a schema whose same-value
// applications fan out to more than kMaxSchemaExpansions nodes (nested allOf of repeated refs:
// exponential work without a cycle).
#ifndef BULWARK_SRC_CONFIG_INTERNAL_SCHEMA_REFS_H_
#define BULWARK_SRC_CONFIG_INTERNAL_SCHEMA_REFS_H_

#include <cstddef>
#include <string_view>

#include "bulwark/config/value.h"
#include "bulwark/core/error.h"

namespace bulwark::config::internal {

inline constexpr std::size_t kMaxSchemaExpansions = 10000;

// Resolves a local reference ("#", "#/definitions/x") in `doc`; nullptr when it does not resolve.
const Value* ResolveLocalRef(const Value& doc, std::string_view ref);

Status CheckSchemaReferences(const Value& doc, std::string_view source);

}  // namespace bulwark::config::internal

#endif  // BULWARK_SRC_CONFIG_INTERNAL_SCHEMA_REFS_H_
