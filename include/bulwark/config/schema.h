// JSON Schema (draft 7) for configuration documents.
//
// A Schema is built from a schema document (JSON or YAML, already parsed into a Value). It
// validates documents with valijson and reports every error with the path of the offending value;
// it also answers structural questions the rest of Bulwark needs:
//  - which type a path expects (environment variables are coerced to it),
//  - which paths are sensitive (the keyword `x-sensitive: true` on any subschema that applies to a
//    value marks it and everything below it),
//  - which defaults to fill in (the `default` keyword) and, for strict mode, which values would have
//    fallen back to a default.
// `$ref` is supported for local references ("#/definitions/x", "#/$defs/x"); remote references are
// refused when the schema is created, so validation never touches the network or the file system.
//
// Thread safety: a Schema is immutable after Create; concurrent use is safe.
#ifndef BULWARK_CONFIG_SCHEMA_H_
#define BULWARK_CONFIG_SCHEMA_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bulwark/config/document.h"
#include "bulwark/config/path.h"
#include "bulwark/config/value.h"
#include "bulwark/core/error.h"

namespace bulwark::config {

struct SchemaError {
  Path path;            // the value at fault ("" = root)
  std::string message;  // what is wrong, e.g. "value 70000 is above the maximum 65535"

  // "services[0].port: <message>" (or "(root): <message>").
  std::string ToString() const;
};

class Schema {
 public:
  // kInvalidArgument naming `source_name` if the schema itself is malformed.
  static Result<std::unique_ptr<Schema>> Create(const Value& schema_document,
                                                std::string source_name);
  ~Schema();

  // Every validation error, in document order. Empty means valid.
  std::vector<SchemaError> Validate(const Value& document) const;

  // The JSON type a path expects when the schema says so unambiguously (one `type`, possibly
  // combined with "null"), resolving properties, patternProperties, additionalProperties, items and
  // local $refs. "integer" maps to kInt, "number" to kDouble.
  std::optional<ValueType> ExpectedTypeAt(const Path& path) const;

  // Paths of the nodes marked `x-sensitive: true` in `document` (outermost marked node only).
  std::vector<Path> SensitivePaths(const Value& document) const;

  // Fills in `default` values for missing object properties (recursively, including inside array
  // items that exist). Each inserted node gets location {"default", 0, 0} in `locations` when it is
  // set, and no location otherwise.
  void ApplyDefaults(Value& document, LocationTable* locations) const;

  // Paths of properties that are missing from `document` but have a schema default: in strict mode
  // these are errors ("no fallback values").
  std::vector<Path> MissingDefaultedValues(const Value& document) const;

  const std::string& source_name() const;

 private:
  struct Impl;
  explicit Schema(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bulwark::config

#endif  // BULWARK_CONFIG_SCHEMA_H_
