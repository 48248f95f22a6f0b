// A parsed configuration document: its value tree plus where each value came from.
//
// Every loader returns a `Document`. `locations` maps the path of every node the loader created
// (maps, lists and leaves) to its source position; merged documents (see merge.h) carry, for every
// leaf, the location of the layer that set it. Lines and columns are 1-based; 0 means "not
// applicable" (an environment variable, a schema default).
#ifndef BULWARK_CONFIG_DOCUMENT_H_
#define BULWARK_CONFIG_DOCUMENT_H_

#include <cstdint>
#include <string>
#include <unordered_map>

#include "bulwark/config/path.h"
#include "bulwark/config/value.h"

namespace bulwark::config {

struct SourceLocation {
  // A file path, "env:NAME" for an environment variable, "default" for a schema default, or
  // "<stdin>"/"<input>" for text without a file.
  std::string source;
  std::uint32_t line = 0;
  std::uint32_t column = 0;

  // "file.yaml:3:7", "file.yaml" (no position), or "env:APP_DATABASE__PORT".
  std::string ToString() const;
  friend bool operator==(const SourceLocation&, const SourceLocation&) = default;
};

using SourceMap = std::unordered_map<Path, SourceLocation>;

struct Document {
  Value root;
  SourceMap locations;

  // The location of `path`, or of its nearest ancestor that has one; nullptr if none.
  const SourceLocation* LocationOf(const Path& path) const;
};

}  // namespace bulwark::config

#endif  // BULWARK_CONFIG_DOCUMENT_H_
