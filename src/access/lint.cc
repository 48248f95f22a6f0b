// lint: statements that can never apply, are shadowed by a deny, read unknown attributes, name
// unknown roles, or grant every action on production.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <set>

#include "access/compiled.h"
#include "access/pattern_algebra.h"
#include "bulwark/access/analysis.h"

namespace bulwark::access {
namespace {

constexpr std::array<std::string_view, 12> kPrincipalFields = {
    "id", "kind", "roles", "groups", "tenant", "team", "clearance", "environment", "mfa",
    "auth_method", "email", "name"};
constexpr std::array<std::string_view, 11> kResourceFields = {
    "type", "id", "namespace", "path", "name", "environment", "sensitivity", "sensitive",
    "owner", "tags", "tenant"};
constexpr std::array<std::string_view, 4> kRequestFields = {"action", "time", "source", "mfa"};

template <typename Array>
bool In(const Array& a, std::string_view x) {
  return std::find(a.begin(), a.end(), x) != a.end();
}

bool IsProductionName(std::string_view env) { return env == "production" || env == "prod"; }

// Whether a pattern may cover production resources.
bool CoversProduction(const PolicySet& set, const ResourcePattern& p) {
  using S = ResourcePattern::Scope;
  if (p.scope() == S::kEverything) return true;
  if (p.type() != ResourceType::kConfig) return false;
  if (p.scope() == S::kType || p.name().matches_everything()) return true;
  if (p.text().find("prod") != std::string::npos) return true;
  for (const auto& [env, text] : set.environment_patterns()) {
    if (!IsProductionName(env)) continue;
    auto q = ResourcePattern::Parse(text);
    if (q && internal::PatternIntersection(p, *q)) return true;
  }
  return false;
}

// Whether every principal `allow` applies to is covered by `deny`'s subjects.
bool SubjectsCovered(const PolicySet& set, const internal::CompiledStatement& deny,
                     const internal::CompiledStatement& allow) {
  if (deny.any_principal) return true;
  const Statement& d = *deny.statement;
  const Statement& a = *allow.statement;
  for (const Glob& g : allow.principal_globs) {
    bool covered = false;
    for (const Glob& h : deny.principal_globs) covered = covered || internal::GlobIncludes(h, g);
    if (!covered) return false;
  }
  for (const std::string& r : a.roles) {
    std::vector<std::string> held = set.RoleClosure(r);
    if (held.empty()) held.push_back(r);
    bool covered = false;
    for (const std::string& dr : d.roles) {
      covered = covered || std::find(held.begin(), held.end(), dr) != held.end();
    }
    if (!covered) return false;
  }
  for (const std::string& g : a.groups) {
    if (std::find(d.groups.begin(), d.groups.end(), g) == d.groups.end()) return false;
  }
  return true;
}

bool ResourcesCovered(const internal::CompiledStatement& deny,
                      const internal::CompiledStatement& allow) {
  for (const ResourcePattern& p : allow.patterns) {
    bool covered = false;
    for (const ResourcePattern& q : deny.patterns) covered = covered || internal::PatternIncludes(q, p);
    if (!covered) return false;
  }
  return true;
}

}  // namespace

std::string LintFinding::ToString() const {
  return fmt::format("{}: {}: {}: {}", statement->location.ToString(), statement->QualifiedId(),
                     kind, message);
}

std::vector<LintFinding> Lint(const PolicySet& set) {
  std::vector<LintFinding> out;
  const AttributeDeclarations& declared = set.declared_attributes();
  auto add = [&](const Statement* s, std::string kind, std::string message) {
    out.push_back({std::move(kind), s, std::move(message)});
  };
  for (std::size_t i = 0; i < set.statements().size(); ++i) {
    const internal::CompiledStatement& cs = set.compiled(i);
    const Statement& s = *cs.statement;
    if (s.policy == "builtin") continue;

    // never-applies: no action of the statement applies to any of its resources.
    ActionSet applicable;
    for (const ResourcePattern& p : cs.patterns) {
      if (p.scope() == ResourcePattern::Scope::kEverything) {
        applicable = ActionSet::All();
      } else {
        applicable = applicable | ApplicableActions(p.type());
      }
    }
    if ((applicable & s.actions).empty()) {
      add(&s, "never-applies",
          fmt::format("none of the actions ({}) applies to its resources ({})", s.actions.ToString(),
                      fmt::join(s.resources, ", ")));
    } else {
      for (const ResourcePattern& p : cs.patterns) {
        if (p.scope() == ResourcePattern::Scope::kEverything) continue;
        if ((ApplicableActions(p.type()) & s.actions).empty()) {
          add(&s, "never-applies",
              fmt::format("resource {} is a {} resource, to which none of the actions ({}) applies",
                          p.text(), ResourceTypeName(p.type()), s.actions.ToString()));
        }
      }
    }
    if (cs.condition && cs.condition->constant) {
      Result<bool> r = cs.condition->program->EvaluateBool(expr::Activation());
      if (r && !*r) {
        add(&s, "never-applies", fmt::format("its condition is always false: {}", s.when));
      } else if (!r) {
        add(&s, "never-applies",
            fmt::format("its condition always fails to evaluate ({}): the statement {}",
                        r.error().message(), s.effect == Effect::kDeny ? "always denies" : "never allows"));
      }
    }

    // unknown-role
    for (const std::string& r : s.roles) {
      if (!set.IsDefinedRole(r)) {
        add(&s, "unknown-role",
            fmt::format("role '{}' is neither built in nor defined in a policy: the statement "
                        "applies only if an identity provider assigns it",
                        r));
      }
    }

    // unknown-attribute
    if (cs.condition) {
      std::set<std::string> reported;
      for (const internal::AttributeRef& ref : cs.condition->refs) {
        const std::string& f = ref.fields[0];
        bool known = false;
        if (ref.root == "principal") {
          known = In(kPrincipalFields, f) || In(declared.principal, f);
        } else if (ref.root == "resource") {
          known = In(kResourceFields, f) || In(declared.resource, f);
        } else if (ref.root == "request") {
          known = In(kRequestFields, f);
        } else {
          known = In(declared.context, f);
        }
        std::string name = ref.root + "." + f;
        if (!known && reported.insert(name).second) {
          add(&s, "unknown-attribute",
              fmt::format("the condition reads {}, which is neither built in nor declared under "
                          "attributes.{}",
                          name, ref.root));
        }
      }
    }

    // star-on-production
    if (s.effect == Effect::kAllow && s.actions.is_all()) {
      for (const ResourcePattern& p : cs.patterns) {
        if (CoversProduction(set, p)) {
          add(&s, "star-on-production",
              fmt::format("allows every action (*) on {}, which includes production resources",
                          p.text()));
          break;
        }
      }
    }

    // shadowed: an allow entirely covered by an unconditional deny.
    if (s.effect == Effect::kAllow) {
      for (std::size_t j = 0; j < set.statements().size(); ++j) {
        const internal::CompiledStatement& d = set.compiled(j);
        if (d.effect != Effect::kDeny || d.condition) continue;
        if (!d.actions.Covers(s.actions)) continue;
        if (!SubjectsCovered(set, d, cs) || !ResourcesCovered(d, cs)) continue;
        add(&s, "shadowed",
            fmt::format("every request it allows is denied by {} ({})", d.statement->QualifiedId(),
                        d.statement->location.ToString()));
        break;
      }
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const LintFinding& a, const LintFinding& b) {
    return std::make_tuple(a.statement->location.source, a.statement->location.line,
                           a.statement->location.column) <
           std::make_tuple(b.statement->location.source, b.statement->location.line,
                           b.statement->location.column);
  });
  return out;
}

}  // namespace bulwark::access
