// Decisions: the indexed hot path, the explanation, and the naive reference.
#include <fmt/format.h>

#include <algorithm>

#include "access/compiled.h"
#include "access/index.h"
#include "access/scope.h"
#include "bulwark/access/policy_set.h"

namespace bulwark::access {
namespace {

// A vector that keeps its first N elements on the stack (trivially copyable T only).
template <typename T, std::size_t N>
class InlineVec {
 public:
  void push_back(T v) {
    if (heap_.empty() && size_ < N) {
      inline_[size_++] = v;
      return;
    }
    if (heap_.empty()) heap_.assign(inline_, inline_ + size_);
    heap_.push_back(v);
    ++size_;
  }
  T* begin() { return heap_.empty() ? inline_ : heap_.data(); }
  T* end() { return begin() + size_; }
  const T* begin() const { return heap_.empty() ? inline_ : heap_.data(); }
  const T* end() const { return begin() + size_; }
  std::size_t size() const { return size_; }
  void SortUnique() {
    std::sort(begin(), end());
    size_ = static_cast<std::size_t>(std::unique(begin(), end()) - begin());
    if (!heap_.empty()) heap_.resize(size_);
  }

 private:
  T inline_[N];
  std::size_t size_ = 0;
  std::vector<T> heap_;
};

using RoleIds = InlineVec<std::uint32_t, 16>;
using Subjects = InlineVec<const internal::ActionBuckets*, 16>;
using Candidates = InlineVec<std::uint32_t, 32>;

void ResolveSubjects(const internal::Index& idx, const Principal& p, RoleIds& roles,
                     Subjects* subjects) {
  auto add_roles = [&](const std::vector<std::uint32_t>& direct) {
    for (std::uint32_t r : direct) {
      for (std::uint32_t c : idx.roles[r].closure) roles.push_back(c);
    }
  };
  for (const std::string& name : p.roles) {
    auto it = idx.role_ids.find(name);
    if (it != idx.role_ids.end()) {
      for (std::uint32_t c : idx.roles[it->second].closure) roles.push_back(c);
    }
  }
  auto subject = [&](const internal::SubjectInfo& s) {
    add_roles(s.roles);
    if (subjects != nullptr) subjects->push_back(&s.buckets);
  };
  if (auto it = idx.principals.find(p.id); it != idx.principals.end()) subject(it->second);
  for (const internal::GlobSubject& g : idx.principal_globs) {
    if (g.glob.Matches(p.id)) subject(g.info);
  }
  for (const std::string& group : p.groups) {
    if (auto it = idx.groups.find(group); it != idx.groups.end()) subject(it->second);
  }
  subject(idx.anyone);
  roles.SortUnique();
  if (subjects != nullptr) {
    for (std::uint32_t r : roles) subjects->push_back(&idx.roles[r].buckets);
  }
}

// The effective role names: the index's closure plus identity roles the policies never name.
std::vector<std::string> RoleNamesOf(const internal::Index& idx, const RoleIds& roles,
                                     const Principal& p) {
  std::vector<std::string> out;
  for (std::uint32_t r : roles) out.push_back(idx.roles[r].name);
  for (const std::string& r : p.roles) out.push_back(r);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// Whether environment isolation denies the request; fills `why` when it does.
bool Isolated(const PolicySet& set, const Request& req, std::string* why) {
  if (!set.environment_isolation()) return false;
  const config::Value* pe = req.principal->attributes.Get("environment");
  if (pe == nullptr) return false;
  std::string_view env = set.EnvironmentOf(req.resource);
  if (env.empty()) return false;
  if (pe->is_string() && pe->AsString() == env) return false;
  if (pe->is_list()) {
    for (const config::Value& v : pe->AsList()) {
      if (v.is_string() && v.AsString() == env) return false;
    }
  }
  if (why != nullptr) {
    std::vector<std::string_view> envs = PolicySet::PrincipalEnvironments(*req.principal);
    *why = fmt::format("the principal is bound to environment {} and the resource is in {}",
                       envs.empty() ? std::string("(none)") : fmt::format("{}", fmt::join(envs, ", ")),
                       env);
  }
  return true;
}

void CollectCandidates(const PolicySet& set, const internal::Index& idx, const Subjects& subjects,
                       const Request& req, Candidates& out) {
  const auto action = static_cast<std::size_t>(req.action);
  std::string key_buffer;
  for (const internal::ActionBuckets* s : subjects) {
    std::int32_t id = (*s)[action];
    if (id < 0) continue;
    const internal::Bucket& b = idx.buckets[static_cast<std::size_t>(id)];
    auto consider = [&](const internal::Entry& e) {
      if (set.compiled(e.statement).patterns[e.pattern].Matches(req.resource)) {
        out.push_back(e.statement);
      }
    };
    if (!b.keyed) {
      for (const internal::Entry& e : b.entries) consider(e);
      continue;
    }
    ForEachIndexKey(req.resource, key_buffer, [&](std::string_view key) {
      auto it = b.by_key.find(key);
      if (it == b.by_key.end()) return;
      for (const internal::Entry& e : it->second) consider(e);
    });
  }
  out.SortUnique();
}

// Steps 3-5 of the decision procedure over candidates sorted in set order.
template <typename Ids>
Decision EvaluateCandidates(const PolicySet& set, const Ids& candidates, internal::Scope& scope) {
  for (std::uint32_t i : candidates) {
    const internal::CompiledStatement& cs = set.compiled(i);
    if (cs.effect != Effect::kDeny) continue;
    if (cs.condition) {
      Result<bool> r = cs.condition->program->EvaluateBool(scope.Activation());
      if (r && !*r) continue;
    }
    return {false, Reason::kDenied, cs.statement};
  }
  for (std::uint32_t i : candidates) {
    const internal::CompiledStatement& cs = set.compiled(i);
    if (cs.effect != Effect::kAllow) continue;
    if (cs.condition) {
      Result<bool> r = cs.condition->program->EvaluateBool(scope.Activation());
      if (!r || !*r) continue;
    }
    return {true, Reason::kAllowed, cs.statement};
  }
  return {false, Reason::kNoAllow, nullptr};
}

std::string MissingAttribute(internal::Scope& scope, const std::vector<internal::AttributeRef>& refs) {
  for (const internal::AttributeRef& ref : refs) {
    if (scope.Present(ref)) continue;
    internal::AttributeRef shown = ref;
    if (shown.test_only) shown.fields.pop_back();
    // Name the first missing level: principal.team, not principal.team.name.
    return shown.ToString();
  }
  return {};
}

}  // namespace

Decision PolicySet::Decide(const Request& req) const {
  if (Isolated(*this, req, nullptr)) return {false, Reason::kEnvironmentIsolation, nullptr};
  RoleIds roles;
  Subjects subjects;
  ResolveSubjects(*index_, *req.principal, roles, &subjects);
  Candidates candidates;
  CollectCandidates(*this, *index_, subjects, req, candidates);
  internal::Scope scope(*this, req);
  return EvaluateCandidates(*this, candidates, scope);
}

Explanation PolicySet::Explain(const Request& req) const {
  Explanation ex;
  RoleIds roles;
  Subjects subjects;
  ResolveSubjects(*index_, *req.principal, roles, &subjects);
  ex.effective_roles = RoleNamesOf(*index_, roles, *req.principal);
  ex.resource_environment = std::string(EnvironmentOf(req.resource));
  const bool isolated = Isolated(*this, req, &ex.isolation);
  Candidates ids;
  CollectCandidates(*this, *index_, subjects, req, ids);
  internal::Scope scope(*this, req);
  for (std::uint32_t i : ids) {
    const internal::CompiledStatement& cs = *compiled_[i];
    Candidate c;
    c.statement = cs.statement;
    for (std::size_t p = 0; p < cs.patterns.size(); ++p) {
      if (cs.patterns[p].Matches(req.resource)) {
        c.pattern = cs.patterns[p].text();
        break;
      }
    }
    if (cs.condition) {
      const internal::CompiledCondition& cond = *cs.condition;
      Result<bool> r = cond.program->EvaluateBool(scope.Activation());
      c.condition = !r ? ConditionOutcome::kError : *r ? ConditionOutcome::kTrue
                                                       : ConditionOutcome::kFalse;
      if (!r) c.error = r.error().message();
      if (c.condition != ConditionOutcome::kTrue) {
        // Name the first conjunct that failed, and what it missed.
        const std::vector<internal::AttributeRef>* refs = &cond.refs;
        const internal::ConjunctSet& parts = cond.Conjuncts();
        for (std::size_t k = 0; k < parts.size(); ++k) {
          Result<bool> part = parts.programs[k]->EvaluateBool(scope.Activation());
          if (part && *part) continue;
          c.failed_conjunct = parts.texts[k];
          if (!part) refs = &parts.refs[k];
          break;
        }
        if (c.condition == ConditionOutcome::kError) c.missing_attribute = MissingAttribute(scope, *refs);
      }
    }
    c.holds = c.condition == ConditionOutcome::kNone || c.condition == ConditionOutcome::kTrue ||
              (cs.effect == Effect::kDeny && c.condition == ConditionOutcome::kError);
    ex.candidates.push_back(std::move(c));
  }
  if (isolated) {
    ex.decision = {false, Reason::kEnvironmentIsolation, nullptr};
    return ex;
  }
  for (const Candidate& c : ex.candidates) {
    if (c.holds && c.statement->effect == Effect::kDeny) ex.deciding.push_back(c.statement);
  }
  if (!ex.deciding.empty()) {
    ex.decision = {false, Reason::kDenied, ex.deciding.front()};
    return ex;
  }
  for (const Candidate& c : ex.candidates) {
    if (c.holds) ex.deciding.push_back(c.statement);
  }
  if (!ex.deciding.empty()) {
    ex.decision = {true, Reason::kAllowed, ex.deciding.front()};
  } else {
    ex.decision = {false, Reason::kNoAllow, nullptr};
  }
  return ex;
}

Decision PolicySet::DecideNaive(const Request& req) const {
  if (Isolated(*this, req, nullptr)) return {false, Reason::kEnvironmentIsolation, nullptr};
  const Principal& p = *req.principal;
  // Effective roles, by a breadth-first walk over the role definitions themselves.
  std::vector<std::string> effective(p.roles.begin(), p.roles.end());
  for (const Policy& policy : policies_) {
    for (const RoleDefinition& r : policy.roles) {
      bool holds = false;
      for (const std::string& m : r.members) {
        auto g = Glob::Compile(m, '\0', false);
        if (g && g->Matches(p.id)) holds = true;
      }
      for (const std::string& g : r.groups) {
        if (std::find(p.groups.begin(), p.groups.end(), g) != p.groups.end()) holds = true;
      }
      if (holds) effective.push_back(r.name);
    }
  }
  for (std::size_t i = 0; i < effective.size(); ++i) {
    for (const Policy& policy : policies_) {
      for (const RoleDefinition& r : policy.roles) {
        if (r.name != effective[i]) continue;
        for (const std::string& parent : r.inherits) {
          if (std::find(effective.begin(), effective.end(), parent) == effective.end()) {
            effective.push_back(parent);
          }
        }
      }
    }
  }
  std::vector<std::uint32_t> candidates;
  for (const auto& cs_ptr : compiled_) {
    const internal::CompiledStatement& cs = *cs_ptr;
    const Statement& s = *cs.statement;
    bool subject = false;
    for (const Glob& g : cs.principal_globs) subject = subject || g.Matches(p.id);
    for (const std::string& r : s.roles) {
      subject = subject || std::find(effective.begin(), effective.end(), r) != effective.end();
    }
    for (const std::string& g : s.groups) {
      subject = subject || std::find(p.groups.begin(), p.groups.end(), g) != p.groups.end();
    }
    if (!subject || !s.actions.Contains(req.action)) continue;
    bool resource = false;
    for (const ResourcePattern& pat : cs.patterns) resource = resource || pat.Matches(req.resource);
    if (resource) candidates.push_back(cs.index);
  }
  internal::Scope scope(*this, req);
  return EvaluateCandidates(*this, candidates, scope);
}

std::vector<std::size_t> PolicySet::MatchingStatements(const Request& req) const {
  RoleIds roles;
  Subjects subjects;
  ResolveSubjects(*index_, *req.principal, roles, &subjects);
  Candidates ids;
  CollectCandidates(*this, *index_, subjects, req, ids);
  return std::vector<std::size_t>(ids.begin(), ids.end());
}

std::vector<std::string> PolicySet::EffectiveRoles(const Principal& principal) const {
  RoleIds roles;
  ResolveSubjects(*index_, principal, roles, nullptr);
  return RoleNamesOf(*index_, roles, principal);
}

}  // namespace bulwark::access
