// A minimal reader for the protobuf text format, enough for the CEL conformance data files.
//
// Why not protobuf: the conformance files are the only protobuf data Bulwark reads, and linking
// libprotobuf plus generating code for cel-spec's .proto files (which import further protos we do
// not vendor) would add a large dependency for tests alone. These files use a small subset of the
// text format: `name: scalar`, `name { ... }` / `name: { ... }`, `[type.url/Name] { ... }` Any
// expansions, quoted strings with C escapes (adjacent strings concatenate), numbers, identifiers
// (enum values, inf, nan) and `#` comments. The reader is schema-less: it returns a tree and the
// runner interprets field names as simple.proto defines them.
#ifndef BULWARK_TESTS_CONFORMANCE_TEXTPROTO_H_
#define BULWARK_TESTS_CONFORMANCE_TEXTPROTO_H_

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bulwark/core/error.h"

namespace bulwark::conformance {

struct TextMessage;

struct TextField {
  std::string name;
  bool is_message = false;
  bool is_string = false;  // the scalar was a quoted string (decoded into `scalar`)
  std::string scalar;      // identifier, number or decoded string
  std::shared_ptr<TextMessage> message;
};

struct TextMessage {
  std::vector<TextField> fields;

  // First field with this name, or nullptr.
  const TextField* Find(std::string_view name) const;
  std::vector<const TextField*> All(std::string_view name) const;
  // Scalar of the first field with this name, or `fallback`.
  std::string Get(std::string_view name, std::string fallback = "") const;
};

Result<TextMessage> ParseTextProto(std::string_view text);

}  // namespace bulwark::conformance

#endif  // BULWARK_TESTS_CONFORMANCE_TEXTPROTO_H_
