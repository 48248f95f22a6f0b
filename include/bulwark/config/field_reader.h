// Reading typed fields out of a configuration document (<home>/config.yaml sections, rule files)
// with errors that name the place: "config.yaml:6:13: audit.sinks[0].port: expected an integer
// in [1, 65535]".
//
//   FieldReader r(doc);
//   const Path at = Path().Key("monitor");
//   BULWARK_RETURN_IF_ERROR(r.OnlyKnown(*section, at, {"rules", "channels"}));
//   BULWARK_ASSIGN_OR_RETURN(std::string name, r.String(*section, at, "name", /*required=*/true));
//
// Every accessor takes the map that holds the field and that map's path; an absent optional
// field gives the default. Errors are kInvalidArgument: "<file:line:col>: <path>: <what>" (the
// location of the field, else of its nearest located ancestor). Field values are never quoted
// in errors except where the caller passes them in (names, enum words), so a misplaced secret
// is not echoed.
//
// Thread safety: a FieldReader only reads the document it was given.
#ifndef BULWARK_CONFIG_FIELD_READER_H_
#define BULWARK_CONFIG_FIELD_READER_H_

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/config/document.h"
#include "bulwark/core/error.h"

namespace bulwark::config {

class FieldReader {
 public:
  explicit FieldReader(const Document& doc) : doc_(doc) {}

  // The error "<location>: <path>: <what>".
  Error Bad(const Path& path, std::string_view what) const;

  // kInvalidArgument when `map` (at `at`) is not a map or has a key outside `known`.
  Status OnlyKnown(const Value& map, const Path& at,
                   std::initializer_list<std::string_view> known) const;

  // A non-empty string; "" when absent and not required.
  Result<std::string> String(const Value& map, const Path& at, std::string_view key,
                             bool required = false) const;
  // An integer in [lo, hi].
  Result<std::int64_t> Int(const Value& map, const Path& at, std::string_view key,
                           std::int64_t deflt, std::int64_t lo, std::int64_t hi) const;
  // A number (int or double) in [lo, hi].
  Result<double> Number(const Value& map, const Path& at, std::string_view key, double deflt,
                        double lo, double hi) const;
  Result<bool> Bool(const Value& map, const Path& at, std::string_view key, bool deflt) const;
  // A duration string (core/duration.h: "5m", "30d") or an integer number of seconds, in
  // [lo, hi].
  Result<std::chrono::seconds> Duration(const Value& map, const Path& at, std::string_view key,
                                        std::chrono::seconds deflt, std::chrono::seconds lo,
                                        std::chrono::seconds hi) const;
  // A list of non-empty strings (absent: empty).
  Result<std::vector<std::string>> StringList(const Value& map, const Path& at,
                                              std::string_view key) const;

  const Document& document() const { return doc_; }

 private:
  const Document& doc_;
};

}  // namespace bulwark::config

#endif  // BULWARK_CONFIG_FIELD_READER_H_
