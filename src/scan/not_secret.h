// What is not a secret (docs/scan.md section 1.3) and the key-name test of generic rules.
#ifndef BULWARK_SRC_SCAN_NOT_SECRET_H_
#define BULWARK_SRC_SCAN_NOT_SECRET_H_

#include <string>
#include <string_view>
#include <vector>

namespace bulwark::scan::internal {

// True for ENC[...] tokens, references and templates, redactions, placeholders and documented
// example values: values that look like secrets but are not.
bool IsPlaceholderOrReference(std::string_view value);

// Extra tests for values found by key name (generic rules): identifiers, paths, plain URLs,
// numbers, booleans, all-lowercase words.
bool IsUnlikelyGenericSecret(std::string_view value);

// Splits a key into lowercase words at non-alphanumerics and camelCase and acronym boundaries:
// "dbPassword" -> {"db", "password"}, "HTTPServerToken" -> {"http", "server", "token"}.
std::vector<std::string> KeyWords(std::string_view key);

// True when the words of `key` contain `phrase` ("api key" = the words api, key in a row; a
// one-word phrase may also be the concatenation of two adjacent words: "apikey" = api, key;
// "*password" = any word ending in password, such as pgpassword).
bool KeyHasPhrase(const std::vector<std::string>& words, std::string_view phrase);

}  // namespace bulwark::scan::internal

#endif  // BULWARK_SRC_SCAN_NOT_SECRET_H_
