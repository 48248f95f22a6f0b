// Glob patterns over resource names and configuration paths.
//
// Syntax (docs/access.md "Resource patterns"), with a separator chosen per use ('/' for namespaces
// and names, '.' for configuration paths):
//   *       any run of characters without the separator
//   **      any run of characters
//   ?       one character other than the separator
//   [a-z]   a class; [!a] or [^a] negated (only when classes are enabled: brackets are literal in
//           configuration paths, where `services[*]` matches `services[3]`)
//   \c      the character c
// With the separator '\0' (principal ids), `*` is the same as `**`.
// A separator followed by `**` (`a/**`, `a/**/b`) may also match nothing at all, and so may a
// leading `**` followed by a separator: `a/**` matches `a`, `a/**/b` matches `a/b`, `**/b`
// matches `b`.
//
// Matching is linear in the text (a bit-parallel simulation of the pattern's automaton, no
// backtracking) and allocates nothing; literal, `prefix**` and `prefix*` patterns take a shortcut.
// A Glob is immutable and may be used from several threads.
#ifndef BULWARK_ACCESS_GLOB_H_
#define BULWARK_ACCESS_GLOB_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/core/error.h"

namespace bulwark::access {

class Glob {
 public:
  enum class TokenKind : std::uint8_t { kChar, kAnyChar, kStar, kDoubleStar, kClass };
  struct Token {
    TokenKind kind = TokenKind::kChar;
    char c = 0;            // kChar
    bool negated = false;  // kClass
    std::string set;       // kClass: the characters and ranges ("a-z_" as written)
    bool ClassContains(char ch) const;
  };

  // kInvalidArgument for an unclosed class, a trailing backslash, or a pattern with wildcards
  // longer than kMaxGeneralTokens tokens.
  static Result<Glob> Compile(std::string_view pattern, char separator, bool classes);
  static constexpr std::size_t kMaxGeneralTokens = 255;

  Glob() = default;
  bool Matches(std::string_view text) const;

  const std::string& pattern() const { return pattern_; }
  char separator() const { return separator_; }
  // No wildcard at all: matches exactly literal_prefix().
  bool is_literal() const { return mode_ == Mode::kExact; }
  // `**`: matches every string.
  bool matches_everything() const { return mode_ == Mode::kAll; }
  // The (unescaped) characters before the first wildcard.
  const std::string& literal_prefix() const { return prefix_; }
  const std::vector<Token>& tokens() const { return tokens_; }
  // Epsilon edges of the automaton: state i may also be at skip_to(i) (== i when none).
  std::uint16_t skip_to(std::size_t state) const { return skip_[state]; }
  // The pattern starts with "**SEP", which may match nothing at the start of the text.
  bool leading_skip() const { return leading_skip_; }

 private:
  enum class Mode : std::uint8_t { kExact, kAll, kPrefixAll, kPrefixSegment, kGeneral };
  bool MatchGeneral(std::string_view text) const;

  std::string pattern_;
  char separator_ = '/';
  Mode mode_ = Mode::kExact;
  std::string prefix_;
  std::vector<Token> tokens_;
  std::vector<std::uint16_t> skip_;  // tokens_.size() + 1 entries
  bool leading_skip_ = false;
};

}  // namespace bulwark::access

#endif  // BULWARK_ACCESS_GLOB_H_
