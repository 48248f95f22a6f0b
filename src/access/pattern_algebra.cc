#include "access/pattern_algebra.h"

#include <algorithm>
#include <deque>
#include <set>
#include <string_view>
#include <unordered_set>

namespace bulwark::access::internal {
namespace {

using Kind = Glob::TokenKind;
using States = std::vector<bool>;

// The glob's automaton over sets of states (any length; slow but exact, for analysis only).
class Automaton {
 public:
  explicit Automaton(const Glob& g) : g_(g), n_(g.tokens().size()) {}

  States Start() const {
    States s(n_ + 1, false);
    s[0] = true;
    if (g_.leading_skip()) s[2] = true;
    Close(s);
    return s;
  }
  void Close(States& s) const {
    for (std::size_t i = 0; i < n_; ++i) {
      if (!s[i]) continue;
      Kind k = g_.tokens()[i].kind;
      if (k == Kind::kStar || k == Kind::kDoubleStar) s[i + 1] = true;
      if (g_.skip_to(i) != i) s[g_.skip_to(i)] = true;
    }
  }
  States Step(const States& s, char c) const {
    States next(n_ + 1, false);
    const bool sep = c == g_.separator();
    for (std::size_t i = 0; i < n_; ++i) {
      if (!s[i]) continue;
      const Glob::Token& t = g_.tokens()[i];
      switch (t.kind) {
        case Kind::kChar:
          if (t.c == c) next[i + 1] = true;
          break;
        case Kind::kAnyChar:
          if (!sep) next[i + 1] = true;
          break;
        case Kind::kClass:
          if (!sep && t.ClassContains(c)) next[i + 1] = true;
          break;
        case Kind::kStar:
          if (!sep) next[i] = true;
          break;
        case Kind::kDoubleStar:
          next[i] = true;
          break;
      }
    }
    Close(next);
    return next;
  }
  bool Accepts(const States& s) const { return s[n_]; }
  static bool Empty(const States& s) { return std::find(s.begin(), s.end(), true) == s.end(); }

  // q's states after consuming one token of another glob as a symbol (inclusion check).
  States StepSymbol(const States& s, const Glob::Token& sym) const {
    States next(n_ + 1, false);
    const bool sym_is_sep = sym.kind == Kind::kChar && sym.c == g_.separator();
    for (std::size_t i = 0; i < n_; ++i) {
      if (!s[i]) continue;
      const Glob::Token& t = g_.tokens()[i];
      bool advance = false, stay = false;
      switch (sym.kind) {
        case Kind::kChar:
          advance = (t.kind == Kind::kChar && t.c == sym.c) ||
                    (!sym_is_sep && t.kind == Kind::kAnyChar) ||
                    (!sym_is_sep && t.kind == Kind::kClass && t.ClassContains(sym.c));
          stay = t.kind == Kind::kDoubleStar || (!sym_is_sep && t.kind == Kind::kStar);
          break;
        case Kind::kAnyChar:
          advance = t.kind == Kind::kAnyChar;
          stay = t.kind == Kind::kStar || t.kind == Kind::kDoubleStar;
          break;
        case Kind::kClass:
          advance = t.kind == Kind::kAnyChar ||
                    (t.kind == Kind::kClass && t.set == sym.set && t.negated == sym.negated);
          stay = t.kind == Kind::kStar || t.kind == Kind::kDoubleStar;
          break;
        case Kind::kStar:
          stay = t.kind == Kind::kStar || t.kind == Kind::kDoubleStar;
          break;
        case Kind::kDoubleStar:
          stay = t.kind == Kind::kDoubleStar;
          break;
      }
      if (advance) next[i + 1] = true;
      if (stay) next[i] = true;
    }
    Close(next);
    return next;
  }

  const Glob& glob() const { return g_; }
  std::size_t size() const { return n_; }

 private:
  const Glob& g_;
  std::size_t n_;
};

std::string Key(std::size_t p, const States& s) {
  std::string k = std::to_string(p) + ":";
  for (bool b : s) k.push_back(b ? '1' : '0');
  return k;
}

std::string Key(const States& a, const States& b) {
  std::string k;
  for (bool x : a) k.push_back(x ? '1' : '0');
  k.push_back('|');
  for (bool x : b) k.push_back(x ? '1' : '0');
  return k;
}

// A character the class contains (other than the separator), or 0.
char ClassMember(const Glob::Token& t, char sep) {
  for (int c = 'a'; c <= 'z'; ++c) {
    if (c != sep && t.ClassContains(static_cast<char>(c))) return static_cast<char>(c);
  }
  for (int c = 33; c < 127; ++c) {
    if (c != sep && t.ClassContains(static_cast<char>(c))) return static_cast<char>(c);
  }
  return 0;
}

void AddAlphabet(const Glob& g, std::set<char>& out) {
  out.insert(g.separator());
  for (const Glob::Token& t : g.tokens()) {
    if (t.kind == Kind::kChar) out.insert(t.c);
    if (t.kind == Kind::kClass) {
      if (char c = ClassMember(t, g.separator())) out.insert(c);
      for (char c : t.set) {
        if (c != '-') out.insert(c);
      }
    }
  }
  for (char c : std::string_view(kFiller)) out.insert(c);
}

}  // namespace

bool GlobIncludes(const Glob& outer, const Glob& inner) {
  if (outer.matches_everything()) return true;
  Automaton q(outer);
  const std::vector<Glob::Token>& p = inner.tokens();
  const std::size_t n = p.size();
  // Epsilon closure of inner's states (as in Automaton::Close).
  auto close = [&](std::vector<std::size_t> states) {
    std::vector<bool> in(n + 1, false);
    for (std::size_t s : states) in[s] = true;
    for (std::size_t i = 0; i < n; ++i) {
      if (!in[i]) continue;
      if (p[i].kind == Kind::kStar || p[i].kind == Kind::kDoubleStar) in[i + 1] = true;
      if (inner.skip_to(i) != i) in[inner.skip_to(i)] = true;
    }
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i <= n; ++i) {
      if (in[i]) out.push_back(i);
    }
    return out;
  };
  std::vector<std::size_t> start = {0};
  if (inner.leading_skip()) start.push_back(2);
  std::deque<std::pair<std::size_t, States>> queue;
  std::unordered_set<std::string> seen;
  States qs = q.Start();
  for (std::size_t s : close(start)) {
    if (seen.insert(Key(s, qs)).second) queue.emplace_back(s, qs);
  }
  while (!queue.empty()) {
    auto [i, states] = std::move(queue.front());
    queue.pop_front();
    if (i == n) {
      if (!q.Accepts(states)) return false;
      continue;
    }
    if (Automaton::Empty(states)) return false;
    // Consume inner's token i (a star consumed as a whole may repeat: it loops on itself).
    States next = q.StepSymbol(states, p[i]);
    std::vector<std::size_t> targets = {i + 1};
    if (p[i].kind == Kind::kStar || p[i].kind == Kind::kDoubleStar) targets.push_back(i);
    for (std::size_t t : close(targets)) {
      if (seen.insert(Key(t, next)).second) queue.emplace_back(t, next);
    }
    if (seen.size() > 100'000) return false;  // give up: not provably included
  }
  return true;
}

std::optional<std::string> GlobIntersection(const Glob& a, const Glob& b) {
  Automaton x(a), y(b);
  std::set<char> alphabet;
  AddAlphabet(a, alphabet);
  AddAlphabet(b, alphabet);
  struct Node {
    States sa, sb;
    std::string text;
  };
  std::deque<Node> queue;
  std::unordered_set<std::string> seen;
  queue.push_back({x.Start(), y.Start(), ""});
  seen.insert(Key(queue.front().sa, queue.front().sb));
  while (!queue.empty()) {
    Node node = std::move(queue.front());
    queue.pop_front();
    if (x.Accepts(node.sa) && y.Accepts(node.sb)) return node.text;
    if (node.text.size() >= 256) continue;
    for (char c : alphabet) {
      States na = x.Step(node.sa, c);
      if (Automaton::Empty(na)) continue;
      States nb = y.Step(node.sb, c);
      if (Automaton::Empty(nb)) continue;
      if (!seen.insert(Key(na, nb)).second) continue;
      queue.push_back({std::move(na), std::move(nb), node.text + c});
    }
    if (seen.size() > 50'000) break;
  }
  return std::nullopt;
}

std::string GlobExample(const Glob& g) {
  std::string out;
  for (const Glob::Token& t : g.tokens()) {
    switch (t.kind) {
      case Kind::kChar:
        out.push_back(t.c);
        break;
      case Kind::kAnyChar:
        out.push_back('x');
        break;
      case Kind::kClass:
        if (char c = ClassMember(t, g.separator())) out.push_back(c);
        break;
      case Kind::kStar:
      case Kind::kDoubleStar:
        out += kFiller;
        break;
    }
  }
  if (!g.Matches(out)) {
    if (auto w = GlobIntersection(g, g)) return *w;
  }
  return out;
}

bool PatternIncludes(const ResourcePattern& outer, const ResourcePattern& inner) {
  using S = ResourcePattern::Scope;
  if (outer.scope() == S::kEverything) return true;
  if (inner.scope() == S::kEverything) return false;
  if (outer.type() != inner.type()) return false;
  if (outer.scope() == S::kType) return true;
  if (inner.scope() == S::kType) return false;
  if (!GlobIncludes(outer.name(), inner.name())) return false;
  if (outer.scope() == S::kName) return true;
  // outer is config:NS:PATH.
  if (inner.scope() == S::kName) return outer.path().matches_everything();
  return GlobIncludes(outer.path(), inner.path());
}

std::vector<ResourceName> PatternExamples(const ResourcePattern& p) {
  using S = ResourcePattern::Scope;
  std::vector<ResourceName> out;
  auto add = [&](ResourceType type, std::string name, std::string path) {
    if (name.empty()) name = kFiller;
    out.push_back({type, std::move(name), std::move(path)});
  };
  switch (p.scope()) {
    case S::kEverything:
      for (std::size_t t = 0; t < kResourceTypeCount; ++t) add(static_cast<ResourceType>(t), "", "");
      add(ResourceType::kConfig, "", kFiller);
      break;
    case S::kType:
      add(p.type(), "", "");
      if (p.type() == ResourceType::kConfig) add(p.type(), "", kFiller);
      break;
    case S::kName:
      add(p.type(), GlobExample(p.name()), "");
      if (p.type() == ResourceType::kConfig) add(p.type(), GlobExample(p.name()), kFiller);
      break;
    case S::kPath: {
      std::string path = GlobExample(p.path());
      add(p.type(), GlobExample(p.name()), path);
      break;
    }
  }
  return out;
}

std::optional<ResourceName> PatternIntersection(const ResourcePattern& a,
                                                const ResourcePattern& b) {
  using S = ResourcePattern::Scope;
  if (a.scope() == S::kEverything) {
    auto ex = PatternExamples(b);
    return ex.front();
  }
  if (b.scope() == S::kEverything) return PatternExamples(a).front();
  if (a.type() != b.type()) return std::nullopt;
  if (a.scope() == S::kType) return PatternExamples(b).back();
  if (b.scope() == S::kType) return PatternExamples(a).back();
  auto name = GlobIntersection(a.name(), b.name());
  if (!name || name->empty()) return std::nullopt;
  std::string path;
  const bool a_path = a.scope() == S::kPath, b_path = b.scope() == S::kPath;
  if (a_path && b_path) {
    auto p = GlobIntersection(a.path(), b.path());
    if (!p) return std::nullopt;
    path = *p;
  } else if (a_path) {
    path = GlobExample(a.path());
  } else if (b_path) {
    path = GlobExample(b.path());
  }
  ResourceName r{a.type(), *name, path};
  if (!a.Matches(r.ref()) || !b.Matches(r.ref())) return std::nullopt;
  return r;
}

}  // namespace bulwark::access::internal
