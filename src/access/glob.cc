#include "bulwark/access/glob.h"

#include <fmt/format.h>

#include <array>
#include <bit>

namespace bulwark::access {
namespace {

// A set of automaton states (at most kMaxGeneralTokens + 1).
struct StateSet {
  std::array<std::uint64_t, 4> w{};
  bool Has(std::size_t i) const { return (w[i >> 6] >> (i & 63)) & 1u; }
  void Add(std::size_t i) { w[i >> 6] |= std::uint64_t{1} << (i & 63); }
  bool Empty() const { return (w[0] | w[1] | w[2] | w[3]) == 0; }
};

}  // namespace

bool Glob::Token::ClassContains(char ch) const {
  bool in = false;
  for (std::size_t k = 0; k < set.size(); ++k) {
    if (k + 2 < set.size() && set[k + 1] == '-') {
      if (ch >= set[k] && ch <= set[k + 2]) in = true;
      k += 2;
    } else if (set[k] == ch) {
      in = true;
    }
  }
  return in != negated;
}

Result<Glob> Glob::Compile(std::string_view pattern, char separator, bool classes) {
  Glob g;
  g.pattern_ = std::string(pattern);
  g.separator_ = separator;
  bool wild = false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    Token t;
    if (c == '\\') {
      if (i + 1 >= pattern.size()) {
        return InvalidArgumentError(fmt::format("glob '{}': trailing backslash", pattern));
      }
      t.c = pattern[++i];
    } else if (c == '*') {
      if (i + 1 < pattern.size() && pattern[i + 1] == '*') {
        t.kind = TokenKind::kDoubleStar;
        ++i;
        while (i + 1 < pattern.size() && pattern[i + 1] == '*') ++i;  // *** is **
      } else {
        // Without a separator (principal ids) '*' already matches any run: it is '**'.
        t.kind = separator == '\0' ? TokenKind::kDoubleStar : TokenKind::kStar;
      }
    } else if (c == '?') {
      t.kind = TokenKind::kAnyChar;
    } else if (c == '[' && classes) {
      std::size_t q = i + 1;
      if (q < pattern.size() && (pattern[q] == '!' || pattern[q] == '^')) {
        t.negated = true;
        ++q;
      }
      std::size_t close = pattern.find(']', q + 1);
      if (q >= pattern.size() || close == std::string_view::npos) {
        return InvalidArgumentError(
            fmt::format("glob '{}': '[' at offset {} is not closed", pattern, i));
      }
      t.kind = TokenKind::kClass;
      t.set = std::string(pattern.substr(q, close - q));
      i = close;
    } else {
      t.c = c;
    }
    if (t.kind != TokenKind::kChar) wild = true;
    if (!wild) g.prefix_.push_back(t.c);
    g.tokens_.push_back(std::move(t));
  }

  const std::size_t n = g.tokens_.size();
  auto is_sep = [&](std::size_t i) {
    return i < n && g.tokens_[i].kind == TokenKind::kChar && g.tokens_[i].c == separator;
  };
  auto is_dstar = [&](std::size_t i) {
    return i < n && g.tokens_[i].kind == TokenKind::kDoubleStar;
  };
  if (!wild) {
    g.mode_ = Mode::kExact;
  } else if (n == 1 && is_dstar(0)) {
    g.mode_ = Mode::kAll;
  } else if (g.prefix_.size() + 1 == n && is_dstar(n - 1)) {
    g.mode_ = Mode::kPrefixAll;
  } else if (g.prefix_.size() + 1 == n && g.tokens_[n - 1].kind == TokenKind::kStar) {
    g.mode_ = Mode::kPrefixSegment;
  } else {
    g.mode_ = Mode::kGeneral;
    if (n > kMaxGeneralTokens) {
      return InvalidArgumentError(fmt::format(
          "glob '{}': a pattern with wildcards may have at most {} characters", pattern,
          kMaxGeneralTokens));
    }
  }
  g.skip_.resize(n + 1);
  for (std::size_t i = 0; i <= n; ++i) g.skip_[i] = static_cast<std::uint16_t>(i);
  for (std::size_t i = 0; i + 1 < n; ++i) {
    // "SEP**" followed by SEP or the end may match nothing.
    if (is_sep(i) && is_dstar(i + 1) && (i + 2 == n || is_sep(i + 2))) {
      g.skip_[i] = static_cast<std::uint16_t>(i + 2);
    }
  }
  // A leading "**SEP" may match nothing: only at the start (state 0 loops on every character).
  g.leading_skip_ = n >= 2 && is_dstar(0) && is_sep(1);
  return g;
}

bool Glob::Matches(std::string_view text) const {
  switch (mode_) {
    case Mode::kExact:
      return text == prefix_;
    case Mode::kAll:
      return true;
    case Mode::kPrefixAll:
      if (text.starts_with(prefix_)) return true;
      // "a/**" also matches "a".
      return !prefix_.empty() && prefix_.back() == separator_ &&
             text.size() + 1 == prefix_.size() && prefix_.starts_with(text);
    case Mode::kPrefixSegment:
      return text.starts_with(prefix_) &&
             text.find(separator_, prefix_.size()) == std::string_view::npos;
    case Mode::kGeneral:
      return MatchGeneral(text);
  }
  return false;
}

bool Glob::MatchGeneral(std::string_view text) const {
  const std::size_t n = tokens_.size();
  auto close = [&](StateSet& s) {
    // Every epsilon edge goes forward, so one ascending pass reaches the closure.
    for (std::size_t i = 0; i < n; ++i) {
      if (!s.Has(i)) continue;
      TokenKind k = tokens_[i].kind;
      if (k == TokenKind::kStar || k == TokenKind::kDoubleStar) s.Add(i + 1);
      if (skip_[i] != i) s.Add(skip_[i]);
    }
  };
  StateSet cur;
  cur.Add(0);
  if (leading_skip_) cur.Add(2);
  close(cur);
  for (char ch : text) {
    StateSet next;
    const bool sep = ch == separator_;
    for (std::size_t wi = 0; wi < cur.w.size(); ++wi) {
      std::uint64_t bits = cur.w[wi];
      while (bits != 0) {
        std::size_t i = wi * 64 + static_cast<std::size_t>(std::countr_zero(bits));
        bits &= bits - 1;
        if (i >= n) continue;
        const Token& t = tokens_[i];
        switch (t.kind) {
          case TokenKind::kChar:
            if (t.c == ch) next.Add(i + 1);
            break;
          case TokenKind::kAnyChar:
            if (!sep) next.Add(i + 1);
            break;
          case TokenKind::kClass:
            if (!sep && t.ClassContains(ch)) next.Add(i + 1);
            break;
          case TokenKind::kStar:
            if (!sep) next.Add(i);
            break;
          case TokenKind::kDoubleStar:
            next.Add(i);
            break;
        }
      }
    }
    if (next.Empty()) return false;
    close(next);
    cur = next;
  }
  return cur.Has(n);
}

}  // namespace bulwark::access
