// Building a PolicySet: settings, the role hierarchy, compiled statements and the index.
#include "bulwark/access/policy_set.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <map>

#include "access/compiled.h"
#include "access/embedded_files.h"
#include "access/index.h"

namespace bulwark::access {

struct PolicySetBuilder {
  PolicySet& set;
  internal::Index& idx;

  std::uint32_t InternRole(const std::string& name) {
    auto it = idx.role_ids.find(name);
    if (it != idx.role_ids.end()) return it->second;
    auto id = static_cast<std::uint32_t>(idx.roles.size());
    idx.roles.push_back({});
    idx.roles.back().name = name;
    idx.role_ids.emplace(name, id);
    return id;
  }

  // The subject a principal pattern names: anyone, an exact id, or a glob.
  internal::SubjectInfo& PrincipalSubject(const std::string& pattern, const Glob& glob) {
    if (glob.matches_everything()) return idx.anyone;
    if (glob.is_literal()) return idx.principals[glob.literal_prefix()];
    for (internal::GlobSubject& g : idx.principal_globs) {
      if (g.glob.pattern() == pattern) return g.info;
    }
    idx.principal_globs.push_back({glob, {}});
    return idx.principal_globs.back().info;
  }

  static void AddUnique(std::vector<std::uint32_t>& v, std::uint32_t x) {
    if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
  }

  Status Roles() {
    for (const Policy& p : set.policies_) {
      for (const RoleDefinition& r : p.roles) {
        std::uint32_t id = InternRole(r.name);
        idx.roles[id].defined = true;
        for (const std::string& inh : r.inherits) {
          // Intern first: it may grow idx.roles, which would leave a reference into it dangling.
          const std::uint32_t parent = InternRole(inh);
          AddUnique(idx.roles[id].inherits, parent);
        }
        for (const std::string& m : r.members) {
          auto glob = Glob::Compile(m, '\0', false);
          if (!glob) return InvalidArgumentError(r.location.ToString() + ": " + glob.error().message());
          AddUnique(PrincipalSubject(m, *glob).roles, id);
        }
        for (const std::string& g : r.groups) AddUnique(idx.groups[g].roles, id);
      }
      for (const Statement& s : p.statements) {
        for (const std::string& r : s.roles) InternRole(r);
      }
    }
    // Closures, with cycle detection (0 = unvisited, 1 = on the stack, 2 = done).
    std::vector<int> state(idx.roles.size(), 0);
    std::vector<std::uint32_t> stack;
    std::function<Status(std::uint32_t)> visit = [&](std::uint32_t r) -> Status {
      if (state[r] == 2) return OkStatus();
      if (state[r] == 1) {
        std::string cycle;
        auto start = std::find(stack.begin(), stack.end(), r);
        for (auto it = start; it != stack.end(); ++it) cycle += idx.roles[*it].name + " -> ";
        cycle += idx.roles[r].name;
        return InvalidArgumentError(fmt::format("{}role inheritance cycle: {}",
                                                DefinitionPlace(idx.roles[r].name), cycle));
      }
      state[r] = 1;
      stack.push_back(r);
      std::vector<std::uint32_t> closure = {r};
      for (std::uint32_t parent : idx.roles[r].inherits) {
        BULWARK_RETURN_IF_ERROR(visit(parent));
        const auto& pc = idx.roles[parent].closure;
        closure.insert(closure.end(), pc.begin(), pc.end());
      }
      std::sort(closure.begin(), closure.end());
      closure.erase(std::unique(closure.begin(), closure.end()), closure.end());
      idx.roles[r].closure = std::move(closure);
      stack.pop_back();
      state[r] = 2;
      return OkStatus();
    };
    for (std::uint32_t r = 0; r < idx.roles.size(); ++r) BULWARK_RETURN_IF_ERROR(visit(r));
    return OkStatus();
  }

  std::string DefinitionPlace(const std::string& role) const {
    for (const Policy& p : set.policies_) {
      for (const RoleDefinition& r : p.roles) {
        if (r.name == role) return fmt::format("{}: policy {}: role {}: ", r.location.ToString(), p.name, role);
      }
    }
    return "";
  }

  void AddEntries(internal::ActionBuckets& buckets, const internal::CompiledStatement& cs) {
    for (std::size_t a = 0; a < kActionCount; ++a) {
      if (!cs.actions.Contains(static_cast<Action>(a))) continue;
      if (buckets[a] < 0) {
        buckets[a] = static_cast<std::int32_t>(idx.buckets.size());
        idx.buckets.emplace_back();
      }
      internal::Bucket& b = idx.buckets[static_cast<std::size_t>(buckets[a])];
      for (std::uint32_t p = 0; p < cs.patterns.size(); ++p) {
        // A statement listed twice under one subject (roles [a, a]) is filed once.
        if (!b.entries.empty() && b.entries.back().statement == cs.index &&
            b.entries.back().pattern >= p) {
          continue;
        }
        b.entries.push_back({cs.index, p});
      }
    }
  }

  Status Statements(const PolicySetOptions& options) {
    expr::Declarations decls;
    for (std::string_view v : {"principal", "resource", "request", "context"}) {
      decls.Add(std::string(v), "map(string, dyn)");
    }
    expr::CompileOptions copts;
    copts.declarations = &decls;
    copts.limits = options.limits;
    copts.fs = options.fs;
    for (const Policy& p : set.policies_) {
      for (const Statement& s : p.statements) {
        auto cs = std::make_unique<internal::CompiledStatement>();
        cs->statement = &s;
        cs->index = static_cast<std::uint32_t>(set.statements_.size());
        cs->effect = s.effect;
        cs->actions = s.actions;
        const std::string where = fmt::format("{}: policy {}: statement {}: ",
                                              s.location.ToString(), p.name, s.id);
        for (const std::string& pr : s.principals) {
          auto g = Glob::Compile(pr, '\0', false);
          if (!g) return InvalidArgumentError(where + "principals: " + g.error().message());
          if (g->matches_everything()) cs->any_principal = true;
          cs->principal_globs.push_back(std::move(*g));
        }
        for (const std::string& r : s.resources) {
          auto pat = ResourcePattern::Parse(r);
          if (!pat) return InvalidArgumentError(where + "resources: " + pat.error().message());
          cs->patterns.push_back(std::move(*pat));
        }
        if (!s.when.empty()) {
          auto cond = internal::CompileCondition(s.when, copts);
          if (!cond) {
            return InvalidArgumentError(fmt::format(
                "{}: policy {}: statement {}: when: does not compile: {}",
                (s.when_location.line != 0 ? s.when_location : s.location).ToString(), p.name,
                s.id, cond.error().message()));
          }
          cs->condition = std::move(*cond);
        }
        set.statements_.push_back(&s);
        set.compiled_.push_back(std::move(cs));
      }
    }
    return OkStatus();
  }

  void Index() {
    for (const auto& cs_ptr : set.compiled_) {
      const internal::CompiledStatement& cs = *cs_ptr;
      const Statement& s = *cs.statement;
      for (std::size_t i = 0; i < s.principals.size(); ++i) {
        AddEntries(PrincipalSubject(s.principals[i], cs.principal_globs[i]).buckets, cs);
      }
      for (const std::string& r : s.roles) AddEntries(idx.roles[idx.role_ids.at(r)].buckets, cs);
      for (const std::string& g : s.groups) AddEntries(idx.groups[g].buckets, cs);
    }
    for (internal::Bucket& b : idx.buckets) {
      if (b.entries.size() <= internal::Bucket::kIndexThreshold) continue;
      b.keyed = true;
      for (const internal::Entry& e : b.entries) {
        b.by_key[set.compiled_[e.statement]->patterns[e.pattern].IndexKey()].push_back(e);
      }
    }
  }
};

PolicySet::PolicySet() : index_(std::make_unique<internal::Index>()) {}
PolicySet::~PolicySet() = default;

Result<std::shared_ptr<const PolicySet>> PolicySet::Create(std::vector<Policy> policies,
                                                           const PolicySetOptions& options) {
  std::shared_ptr<PolicySet> set(new PolicySet());
  // Settings: each may be given by one policy only (or by several that agree).
  std::optional<bool> builtin, isolation;
  std::string builtin_src, isolation_src;
  auto setting = [](std::optional<bool>& into, std::string& src, std::optional<bool> v,
                    const Policy& p, std::string_view name) -> Status {
    if (!v) return OkStatus();
    if (into && *into != *v) {
      return InvalidArgumentError(fmt::format("{}: policy {}: settings.{} is {}, but {} sets it to {}",
                                              p.source, p.name, name, *v, src, *into));
    }
    into = v;
    src = p.source;
    return OkStatus();
  };
  for (const Policy& p : policies) {
    if (p.name == "builtin") {
      return InvalidArgumentError(
          fmt::format("{}: the policy name 'builtin' is reserved for the built-in policy", p.source));
    }
    BULWARK_RETURN_IF_ERROR(setting(builtin, builtin_src, p.settings.builtin, p, "builtin"));
    BULWARK_RETURN_IF_ERROR(setting(isolation, isolation_src, p.settings.environment_isolation, p,
                                    "environment_isolation"));
  }
  set->builtin_ = builtin.value_or(true);
  set->isolation_ = isolation.value_or(true);
  if (set->builtin_) policies.push_back(BuiltinPolicy());
  std::stable_sort(policies.begin(), policies.end(),
                   [](const Policy& a, const Policy& b) { return a.name < b.name; });
  for (std::size_t i = 1; i < policies.size(); ++i) {
    if (policies[i].name == policies[i - 1].name) {
      return InvalidArgumentError(fmt::format("policy name '{}' is used by both {} and {}",
                                              policies[i].name, policies[i - 1].source,
                                              policies[i].source));
    }
  }
  set->policies_ = std::move(policies);
  for (const Policy& p : set->policies_) {
    auto append = [](std::vector<std::string>& into, const std::vector<std::string>& from) {
      into.insert(into.end(), from.begin(), from.end());
    };
    append(set->declared_.principal, p.attributes.principal);
    append(set->declared_.resource, p.attributes.resource);
    append(set->declared_.context, p.attributes.context);
    for (const auto& [env, patterns] : p.environments) {
      for (const std::string& text : patterns) {
        auto pat = ResourcePattern::Parse(text);
        if (!pat) {
          return InvalidArgumentError(fmt::format("{}: policy {}: environments.{}: {}", p.source,
                                                  p.name, env, pat.error().message()));
        }
        set->environments_.emplace_back(env, std::move(*pat));
        set->environment_texts_.emplace_back(env, text);
      }
    }
  }
  PolicySetBuilder b{*set, *set->index_};
  BULWARK_RETURN_IF_ERROR(b.Roles());
  BULWARK_RETURN_IF_ERROR(b.Statements(options));
  b.Index();
  return std::shared_ptr<const PolicySet>(std::move(set));
}

Result<std::shared_ptr<const PolicySet>> PolicySet::LoadDirectory(FileSystem& fs,
                                                                  const std::filesystem::path& dir,
                                                                  const PolicySetOptions& options) {
  BULWARK_ASSIGN_OR_RETURN(std::vector<Policy> policies, LoadPolicyDirectory(fs, dir));
  return Create(std::move(policies), options);
}

const Statement* PolicySet::FindStatement(std::string_view qualified_id) const {
  for (const Statement* s : statements_) {
    if (qualified_id.size() == s->policy.size() + 1 + s->id.size() &&
        qualified_id.starts_with(s->policy) && qualified_id[s->policy.size()] == '/' &&
        qualified_id.ends_with(s->id)) {
      return s;
    }
  }
  return nullptr;
}

std::string_view PolicySet::EnvironmentOf(const ResourceRef& resource) const {
  if (resource.attributes != nullptr) {
    if (const config::Value* e = resource.attributes->Get("environment");
        e != nullptr && e->is_string()) {
      return e->AsString();
    }
  }
  for (const auto& [env, pattern] : environments_) {
    if (pattern.Matches(resource)) return env;
  }
  return {};
}

std::vector<std::string_view> PolicySet::PrincipalEnvironments(const Principal& principal) {
  std::vector<std::string_view> out;
  const config::Value* e = principal.attributes.Get("environment");
  if (e == nullptr) return out;
  if (e->is_string()) out.push_back(e->AsString());
  if (e->is_list()) {
    for (const config::Value& v : e->AsList()) {
      if (v.is_string()) out.push_back(v.AsString());
    }
  }
  return out;
}

std::vector<std::string> PolicySet::RoleNames() const {
  std::vector<std::string> out;
  for (const internal::RoleInfo& r : index_->roles) out.push_back(r.name);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> PolicySet::RoleClosure(std::string_view role) const {
  std::vector<std::string> out;
  auto it = index_->role_ids.find(role);
  if (it == index_->role_ids.end()) return out;
  for (std::uint32_t r : index_->roles[it->second].closure) out.push_back(index_->roles[r].name);
  std::sort(out.begin(), out.end());
  return out;
}

bool PolicySet::IsDefinedRole(std::string_view role) const {
  auto it = index_->role_ids.find(role);
  return it != index_->role_ids.end() && index_->roles[it->second].defined;
}

const Policy& BuiltinPolicy() {
  static const Policy* policy = [] {
    auto p = ParsePolicy(internal::kBuiltinPolicy, "<builtin>");
    if (!p) std::abort();  // part of the build; policy_set_test loads it
    return new Policy(std::move(*p));
  }();
  return *policy;
}

}  // namespace bulwark::access
