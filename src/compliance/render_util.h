// Helpers shared by the report renderers.
#ifndef BULWARK_SRC_COMPLIANCE_RENDER_UTIL_H_
#define BULWARK_SRC_COMPLIANCE_RENDER_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bulwark/compliance/report.h"
#include "bulwark/compliance/severity.h"
#include "bulwark/config/value.h"

namespace bulwark::compliance::internal {

// Why a rule has its status, in one line: "2 of 3 checks passed", its note ("foreach target
// config.x is absent"), or its first evaluation error.
std::string RuleExplanation(const RuleResult& rr);

// Appends `s` as a JSON string exactly as nlohmann::json::dump(..., ensure_ascii = false,
// error_handler_t::replace) writes it: escapes per bulwark/core/quoted_string.h (default style),
// and each maximal invalid UTF-8 subpart (the bytes nlohmann's decoder consumed before rejecting,
// or one rejected lead byte, or a sequence truncated by the end) becomes one U+FFFD.
void AppendJsonString(std::string& out, std::string_view s);

// A streaming JSON writer appending to one string, byte-identical to nlohmann's
// dump(2, ' ', false, error_handler_t::replace): two-space indentation, "key": value, empty
// containers as {} and [], integers in decimal, doubles as nlohmann prints them (non-finite as
// null). The caller nests Begin/End calls correctly and writes a Key before each object member.
class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& BeginObject();
  JsonWriter& EndObject() { return End('}'); }
  JsonWriter& BeginArray();
  JsonWriter& EndArray() { return End(']'); }
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view s);
  JsonWriter& Bool(bool b);
  JsonWriter& Null();
  JsonWriter& Uint(std::uint64_t v);
  JsonWriter& Int(std::int64_t v);
  JsonWriter& Double(double v);
  // A config value: null, bool, integer, double, string; bytes as a string; lists; maps in entry
  // order.
  JsonWriter& Value(const config::Value& v);
  // An array of strings.
  JsonWriter& Strings(const std::vector<std::string>& list);

 private:
  void BeginValue();
  void NextItem();
  JsonWriter& End(char close);

  std::string& out_;
  std::vector<std::size_t> counts_;  // members written per open container
  bool after_key_ = false;
};

// Calls visit(last) for each distinct key of entries [0, n) in the order the keys first appear,
// where `last` is the index of the last entry with that key: how ordered_json's operator[] keeps
// repeated keys.
template <typename KeyAt, typename Visit>
void ForEachKeyLastWins(std::size_t n, KeyAt key_at, Visit visit) {
  if (n <= 16) {
    for (std::size_t i = 0; i < n; ++i) {
      const std::string_view key = key_at(i);
      bool seen = false;
      for (std::size_t j = 0; j < i && !seen; ++j) seen = key_at(j) == key;
      if (seen) continue;
      std::size_t last = i;
      for (std::size_t j = i + 1; j < n; ++j) {
        if (key_at(j) == key) last = j;
      }
      visit(last);
    }
    return;
  }
  constexpr std::size_t kDone = static_cast<std::size_t>(-1);
  std::unordered_map<std::string_view, std::size_t> last;
  last.reserve(n);
  for (std::size_t i = 0; i < n; ++i) last[key_at(i)] = i;
  for (std::size_t i = 0; i < n; ++i) {
    auto it = last.find(key_at(i));
    if (it->second == kDone) continue;
    visit(it->second);
    it->second = kDone;
  }
}

// "error" (critical, high), "warning" (medium), "note" (low, info).
std::string_view SarifLevel(Severity s);
// GitHub code scanning's security-severity: "9.5", "8.0", "5.5", "3.0", "0.0".
std::string_view SecuritySeverityScore(Severity s);
// "SEC_001" -> "Sec001"-style PascalCase name SARIF suggests for rule names.
std::string SarifRuleName(std::string_view id);
// A URI reference for a path: absolute paths become file:///..., others stay relative; characters
// outside RFC 3986 unreserved and '/' are percent-encoded.
std::string FileUri(std::string_view path);
// XML/HTML text and attribute escaping; characters XML 1.0 forbids become U+FFFD.
std::string XmlEscape(std::string_view text);

}  // namespace bulwark::compliance::internal

#endif  // BULWARK_SRC_COMPLIANCE_RENDER_UTIL_H_
