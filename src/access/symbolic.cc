#include "access/symbolic.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "access/compiled.h"
#include "access/pattern_algebra.h"
#include "access/scope.h"
#include "bulwark/expr/parser.h"
#include "bulwark/access/analysis.h"

namespace bulwark::access {
namespace internal {
namespace {

std::string Normalize(std::string_view text) {
  text = StripParens(text);
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

bool TermHolds(const Term& t, std::uint32_t assignment) {
  for (int a : t.atoms) {
    if (((assignment >> a) & 1u) == 0) return false;
  }
  return true;
}

// Whether an atom is a plain chain or call that needs no parentheses after '!'.
bool Simple(std::string_view s) {
  for (char c : s) {
    if (c == ' ' || c == '&' || c == '|' || c == '?' || c == '!' || c == '<' || c == '>' ||
        c == '=') {
      return false;
    }
  }
  return true;
}

// "!x" for an atom; "!!x" and "!(!x)" simplify to x.
std::string Negated(const std::string& a) {
  if (a.starts_with('!')) {
    std::string_view rest = std::string_view(a).substr(1);
    std::string_view inner = StripParens(rest);
    if (Simple(rest) || inner.size() + 2 == rest.size()) return std::string(inner);
  }
  return Simple(a) ? "!" + a : "!(" + a + ")";
}

enum class Known { kTrue, kFalse, kError, kUnknown };

// A part of a condition is known when it reads nothing but fields the resource has, or nothing
// at all (a constant); its value is then computed.
Known Resolve(Scope& scope, std::string_view, const expr::Program& program,
              const std::vector<AttributeRef>& refs) {
  if (refs.empty()) {
    if (!program.EvaluateBool(expr::Activation()).has_value()) return Known::kUnknown;
  } else {
    for (const AttributeRef& r : refs) {
      if (r.root != "resource" || !scope.Present(r)) return Known::kUnknown;
    }
  }
  Result<bool> r = program.EvaluateBool(scope.Activation());
  if (!r) return Known::kError;
  return *r ? Known::kTrue : Known::kFalse;
}

Known ResolveText(Scope& scope, std::string_view text) {
  auto parsed = expr::Parse(text);
  if (!parsed) return Known::kUnknown;
  std::vector<AttributeRef> refs = CollectAttributeRefs(*parsed->root);
  auto program = expr::Program::Compile(std::move(*parsed));
  if (!program) return Known::kUnknown;
  return Resolve(scope, text, **program, refs);
}

}  // namespace

std::string TermCondition(const Term& t, const AtomTable& atoms) {
  if (t.atoms.empty()) return "always";
  std::vector<std::string> parts;
  for (int a : t.atoms) {
    const std::string& text = atoms.text(static_cast<std::size_t>(a));
    parts.push_back(t.atoms.size() > 1 && SplitDisjuncts(text).size() > 1 ? "(" + text + ")" : text);
  }
  return fmt::format("{}", fmt::join(parts, " && "));
}

int AtomTable::Intern(const std::string& text) {
  for (std::size_t i = 0; i < texts_.size(); ++i) {
    if (texts_[i] == text) return static_cast<int>(i);
  }
  texts_.push_back(text);
  return static_cast<int>(texts_.size() - 1);
}

bool Formula::Allowed(std::uint32_t assignment) const {
  for (const Term& t : denies) {
    if (TermHolds(t, assignment)) return false;
  }
  for (const Term& t : allows) {
    if (TermHolds(t, assignment)) return true;
  }
  return false;
}

std::string Formula::Deciding(std::uint32_t assignment) const {
  std::vector<std::string> names;
  for (const Term& t : denies) {
    if (TermHolds(t, assignment)) {
      names.push_back(t.statement ? t.statement->QualifiedId() : "builtin/environment-isolation");
    }
  }
  if (names.empty()) {
    for (const Term& t : allows) {
      if (TermHolds(t, assignment)) names.push_back(t.statement->QualifiedId());
    }
  }
  return fmt::format("{}", fmt::join(names, ", "));
}

Formula Symbolic(const PolicySet& set, const Request& req, AtomTable& atoms) {
  Formula f;
  std::string_view env = set.EnvironmentOf(req.resource);
  if (set.environment_isolation() && !env.empty()) {
    f.denies.push_back({nullptr, {atoms.Intern(fmt::format(
                                     "principal.environment excludes '{}'", env))}});
  }
  Scope scope(set, req);
  for (std::size_t i : set.MatchingStatements(req)) {
    const CompiledStatement& cs = set.compiled(i);
    Term t{cs.statement, {}};
    bool dead = false;
    if (cs.condition) {
      const CompiledCondition& c = *cs.condition;
      const ConjunctSet& cj = c.Conjuncts();
      const std::size_t parts = cj.empty() ? 1 : cj.size();
      for (std::size_t k = 0; k < parts && !dead; ++k) {
        const std::string& text = cj.empty() ? c.source : cj.texts[k];
        const expr::Program& program = cj.empty() ? *c.program : *cj.programs[k];
        const std::vector<AttributeRef>& refs = cj.empty() ? c.refs : cj.refs[k];
        Known known = Resolve(scope, text, program, refs);
        if (known == Known::kTrue) continue;
        if (known == Known::kFalse) {
          dead = true;
          continue;
        }
        if (known == Known::kError) {
          if (cs.effect == Effect::kAllow) dead = true;  // an erring deny holds
          continue;
        }
        // Unknown: keep the disjuncts that are not known to be false.
        std::string kept;
        bool all_kept = true;
        std::vector<std::string_view> disjuncts = SplitDisjuncts(text);
        for (std::string_view d : disjuncts) {
          Known dk = disjuncts.size() == 1 ? Known::kUnknown : ResolveText(scope, d);
          if (dk == Known::kTrue) {
            kept.clear();
            all_kept = false;
            known = Known::kTrue;
            break;
          }
          if (dk == Known::kFalse || dk == Known::kError) {
            all_kept = false;
            continue;
          }
          if (!kept.empty()) kept += " || ";
          kept += std::string(d);
        }
        if (known == Known::kTrue) continue;
        if (kept.empty()) {
          dead = true;
          continue;
        }
        t.atoms.push_back(atoms.Intern(Normalize(all_kept ? std::string(text) : kept)));
      }
    }
    if (dead) continue;
    std::sort(t.atoms.begin(), t.atoms.end());
    t.atoms.erase(std::unique(t.atoms.begin(), t.atoms.end()), t.atoms.end());
    (cs.effect == Effect::kDeny ? f.denies : f.allows).push_back(std::move(t));
  }
  return f;
}

std::string SumOfProducts(const std::vector<bool>& truth, const AtomTable& atoms,
                          std::size_t* product_count, const std::vector<bool>* dont_care) {
  if (product_count != nullptr) *product_count = 0;
  const std::size_t n = atoms.size();
  std::vector<std::uint32_t> minterms;
  std::size_t coverable = 0;
  for (std::uint32_t a = 0; a < truth.size(); ++a) {
    if (truth[a]) minterms.push_back(a);
    if (truth[a] || (dont_care != nullptr && (*dont_care)[a])) ++coverable;
  }
  if (minterms.empty()) return "never";
  if (coverable == truth.size()) return "always";
  // Quine-McCluskey: implicants are (value, mask of don't-care bits), grown from the minterms
  // and the don't-cares; only the minterms must be covered.
  using Implicant = std::pair<std::uint32_t, std::uint32_t>;
  std::set<Implicant> current;
  for (std::uint32_t a = 0; a < truth.size(); ++a) {
    if (truth[a] || (dont_care != nullptr && (*dont_care)[a])) current.insert({a, 0});
  }
  std::set<Implicant> primes;
  while (!current.empty()) {
    std::set<Implicant> next;
    std::set<Implicant> combined;
    std::vector<Implicant> list(current.begin(), current.end());
    for (std::size_t i = 0; i < list.size(); ++i) {
      for (std::size_t j = i + 1; j < list.size(); ++j) {
        if (list[i].second != list[j].second) continue;
        std::uint32_t diff = list[i].first ^ list[j].first;
        if (diff == 0 || (diff & (diff - 1)) != 0) continue;
        next.insert({list[i].first & ~diff, list[i].second | diff});
        combined.insert(list[i]);
        combined.insert(list[j]);
      }
    }
    for (const Implicant& imp : list) {
      if (!combined.count(imp)) primes.insert(imp);
    }
    current = std::move(next);
  }
  auto covers = [](const Implicant& p, std::uint32_t m) { return (m & ~p.second) == p.first; };
  // Greedy cover: take the prime that covers most uncovered minterms (fewest literals on ties).
  std::set<std::uint32_t> uncovered(minterms.begin(), minterms.end());
  std::vector<Implicant> chosen;
  while (!uncovered.empty()) {
    const Implicant* best = nullptr;
    std::size_t best_count = 0;
    for (const Implicant& p : primes) {
      std::size_t count = 0;
      for (std::uint32_t m : uncovered) count += covers(p, m) ? 1 : 0;
      if (count > best_count ||
          (count == best_count && count > 0 && best != nullptr &&
           std::popcount(p.second) > std::popcount(best->second))) {
        best = &p;
        best_count = count;
      }
    }
    if (best == nullptr) break;
    chosen.push_back(*best);
    for (auto it = uncovered.begin(); it != uncovered.end();) {
      it = covers(*best, *it) ? uncovered.erase(it) : std::next(it);
    }
  }
  std::vector<std::string> products;
  for (const Implicant& p : chosen) {
    std::vector<std::string> literals;
    for (std::size_t i = 0; i < n; ++i) {
      if ((p.second >> i) & 1u) continue;
      const std::string& a = atoms.text(i);
      if ((p.first >> i) & 1u) {
        const bool plain = Simple(a) || (a.starts_with('!') && Simple(std::string_view(a).substr(1)));
        literals.push_back(plain ? a : "(" + a + ")");
      } else {
        std::string neg = Negated(a);
        literals.push_back(Simple(neg) || neg.starts_with('!') ? neg : "(" + neg + ")");
      }
    }
    products.push_back(fmt::format("{}", fmt::join(literals, " && ")));
  }
  std::sort(products.begin(), products.end());
  if (product_count != nullptr) *product_count = products.size();
  if (products.size() == 1) return products.front();
  std::string out;
  for (const std::string& p : products) {
    if (!out.empty()) out += " || ";
    out += p.find("&&") != std::string::npos ? "(" + p + ")" : p;
  }
  return out;
}

}  // namespace internal

std::string Subject::Describe() const {
  switch (kind) {
    case Kind::kRole:
      return "role " + name;
    case Kind::kPrincipal:
      return "principal " + name;
    case Kind::kPrincipalGlob:
      return "principals " + name;
    case Kind::kGroup:
      return "group " + name;
    case Kind::kAnyone:
      return "anyone";
  }
  return name;
}

Principal Subject::AsPrincipal() const {
  Principal p;
  switch (kind) {
    case Kind::kRole:
      p.roles = {name};
      break;
    case Kind::kPrincipal:
      p.id = name;
      break;
    case Kind::kPrincipalGlob: {
      auto g = Glob::Compile(name, '\0', false);
      p.id = g ? internal::GlobExample(*g) : name;
      break;
    }
    case Kind::kGroup:
      p.groups = {name};
      break;
    case Kind::kAnyone:
      break;
  }
  p.kind = p.id.substr(0, p.id.find(':'));
  return p;
}

std::vector<Subject> SubjectsOf(const PolicySet& set) {
  std::vector<Subject> out;
  for (const std::string& r : set.RoleNames()) out.push_back({Subject::Kind::kRole, r});
  std::set<std::string> exact, globs, groups;
  auto add_principal = [&](const std::string& pattern) {
    auto g = Glob::Compile(pattern, '\0', false);
    if (!g || g->matches_everything()) return;
    if (g->is_literal()) {
      exact.insert(g->literal_prefix());
    } else {
      globs.insert(pattern);
    }
  };
  for (const Policy& p : set.policies()) {
    for (const RoleDefinition& r : p.roles) {
      for (const std::string& m : r.members) add_principal(m);
      groups.insert(r.groups.begin(), r.groups.end());
    }
    for (const Statement& s : p.statements) {
      for (const std::string& m : s.principals) add_principal(m);
      groups.insert(s.groups.begin(), s.groups.end());
    }
  }
  for (const std::string& e : exact) out.push_back({Subject::Kind::kPrincipal, e});
  for (const std::string& g : globs) out.push_back({Subject::Kind::kPrincipalGlob, g});
  for (const std::string& g : groups) out.push_back({Subject::Kind::kGroup, g});
  out.push_back({Subject::Kind::kAnyone, ""});
  return out;
}

}  // namespace bulwark::access
