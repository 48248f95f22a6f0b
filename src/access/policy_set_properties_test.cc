// Properties of decisions over random policy sets and requests (RapidCheck).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>

#include "bulwark/access/policy_set.h"
#include "bulwark/expr/program.h"

namespace bulwark::access {
namespace {

const std::vector<std::string> kPrincipalPatterns = {"*", "local:alice", "token:ci-*", "local:b*",
                                                     "mtls:svc"};
const std::vector<std::string> kRoles = {"r0", "r1", "r2", "r3", "r4", "viewer"};
const std::vector<std::string> kGroups = {"g0", "g1"};
const std::vector<std::string> kPatterns = {
    "*",         "config",        "config:a",          "config:a/**",  "config:a/*:x.*",
    "config:*/prod", "config:**/prod:db.**", "key:*", "audit:log",   "config:b:x.y",
    "config:[ab]", "config:a:**"};
const std::vector<std::string> kConditions = {
    "request.mfa",
    "has(request.mfa) && request.mfa",
    "principal.tenant == 'acme'",
    "request.time.getHours() < 12",
    "context.flag == true",
    "resource.environment == 'production'",
    "'r1' in principal.roles",
    "resource.namespace.startsWith('a')"};

template <typename T>
std::vector<T> SubsetOf(const std::vector<T>& pool) {
  std::vector<T> out;
  for (const T& x : pool) {
    if (*rc::gen::inRange(0, 4) == 0) out.push_back(x);
  }
  return out;
}

Statement RandomStatement(const std::string& policy, int n, std::optional<Effect> effect = {}) {
  Statement s;
  s.policy = policy;
  s.id = "s" + std::to_string(n);
  s.effect = effect ? *effect : (*rc::gen::inRange(0, 3) == 0 ? Effect::kDeny : Effect::kAllow);
  s.principals = SubsetOf(kPrincipalPatterns);
  s.roles = SubsetOf(kRoles);
  s.groups = SubsetOf(kGroups);
  if (s.principals.empty() && s.roles.empty() && s.groups.empty()) {
    s.roles.push_back(*rc::gen::elementOf(kRoles));
  }
  if (*rc::gen::inRange(0, 5) == 0) {
    s.actions = ActionSet::All();
  } else {
    int count = *rc::gen::inRange(1, 4);
    for (int i = 0; i < count; ++i) {
      s.actions.Add(static_cast<Action>(*rc::gen::inRange(0, static_cast<int>(kActionCount))));
    }
  }
  int resources = *rc::gen::inRange(1, 3);
  for (int i = 0; i < resources; ++i) s.resources.push_back(*rc::gen::elementOf(kPatterns));
  if (*rc::gen::inRange(0, 3) == 0) s.when = *rc::gen::elementOf(kConditions);
  return s;
}

std::vector<Policy> RandomPolicies() {
  std::vector<Policy> out;
  Policy roles;
  roles.name = "roles";
  roles.settings.builtin = *rc::gen::arbitrary<bool>();
  roles.settings.environment_isolation = *rc::gen::arbitrary<bool>();
  if (*rc::gen::arbitrary<bool>()) roles.environments.push_back({"production", {"config:**/prod"}});
  for (std::size_t i = 0; i + 1 < kRoles.size(); ++i) {
    RoleDefinition r;
    r.name = kRoles[i];
    for (std::size_t j = 0; j < i; ++j) {
      if (*rc::gen::inRange(0, 3) == 0) r.inherits.push_back(kRoles[j]);
    }
    r.defines_inheritance = !r.inherits.empty();
    r.members = SubsetOf(kPrincipalPatterns);
    r.groups = SubsetOf(kGroups);
    roles.roles.push_back(std::move(r));
  }
  out.push_back(std::move(roles));
  int policies = *rc::gen::inRange(1, 3);
  int n = 0;
  for (int p = 0; p < policies; ++p) {
    Policy policy;
    policy.name = "p" + std::to_string(p);
    int statements = *rc::gen::inRange(0, 10);
    for (int i = 0; i < statements; ++i) policy.statements.push_back(RandomStatement(policy.name, n++));
    if (*rc::gen::inRange(0, 4) == 0) {
      // Enough statements for one role and action to make its bucket keyed by prefix.
      for (int i = 0; i < 24; ++i) {
        Statement s = RandomStatement(policy.name, n++);
        s.roles.push_back("r0");
        s.actions.Add(Action::kRead);
        policy.statements.push_back(std::move(s));
      }
    }
    out.push_back(std::move(policy));
  }
  return out;
}

using Ask = OwnedRequest;

Ask RandomAsk() {
  Ask a;
  a.principal.id = *rc::gen::element<std::string>("local:alice", "local:bob", "token:ci-1", "mtls:svc");
  a.principal.roles = SubsetOf(std::vector<std::string>{"r0", "r2", "r4", "viewer", "unknown"});
  a.principal.groups = SubsetOf(kGroups);
  config::ValueMap attrs;
  if (*rc::gen::arbitrary<bool>()) attrs.Set("tenant", config::Value(*rc::gen::element<std::string>("acme", "other")));
  if (*rc::gen::inRange(0, 4) == 0) {
    attrs.Set("environment", config::Value(*rc::gen::element<std::string>("development", "production")));
  }
  a.principal.attributes = config::Value(std::move(attrs));
  a.action = static_cast<Action>(*rc::gen::inRange(0, static_cast<int>(kActionCount)));
  std::string name = *rc::gen::element<std::string>("config:a", "config:a:x.y", "config:a/b:x.z",
                                                    "config:c/prod:db.password", "config:b:x.y",
                                                    "key:k1", "audit:log", "config:prod");
  a.resource = *ResourceName::Parse(name);
  if (*rc::gen::inRange(0, 4) == 0) {
    config::ValueMap r;
    r.Set("environment", config::Value("production"));
    a.resource_attributes = config::Value(std::move(r));
  }
  int mfa = *rc::gen::inRange(0, 3);
  if (mfa < 2) a.facts.mfa = mfa == 1;
  a.facts.time_seconds = *rc::gen::element<std::int64_t>(1714644000, 1714687200);
  if (*rc::gen::arbitrary<bool>()) {
    config::ValueMap c;
    c.Set("flag", config::Value(*rc::gen::arbitrary<bool>()));
    a.context = config::Value(std::move(c));
  }
  return a;
}

std::shared_ptr<const PolicySet> Build(std::vector<Policy> policies) {
  auto set = PolicySet::Create(std::move(policies));
  if (!set) RC_FAIL(set.error().ToString());
  return *set;
}

RC_GTEST_PROP(PolicySetProperties, TheIndexAnswersExactlyAsTheNaiveEvaluation, ()) {
  auto set = Build(RandomPolicies());
  for (int i = 0; i < 20; ++i) {
    Ask a = RandomAsk();
    Decision fast = set->Decide(a.view());
    Decision naive = set->DecideNaive(a.view());
    RC_ASSERT(fast.allowed == naive.allowed);
    RC_ASSERT(fast.reason == naive.reason);
    RC_ASSERT(fast.statement == naive.statement);
    Explanation ex = set->Explain(a.view());
    RC_ASSERT(ex.decision.allowed == fast.allowed);
    RC_ASSERT(ex.decision.reason == fast.reason);
    RC_ASSERT(ex.decision.statement == fast.statement);
  }
}

RC_GTEST_PROP(PolicySetProperties, AddingADenyNeverGrants, ()) {
  std::vector<Policy> policies = RandomPolicies();
  auto before = Build(policies);
  std::size_t target = *rc::gen::inRange<std::size_t>(0, policies.size());
  Statement deny = RandomStatement(policies[target].name, 1000, Effect::kDeny);
  auto& list = policies[target].statements;
  list.insert(list.begin() + *rc::gen::inRange<std::size_t>(0, list.size() + 1), deny);
  auto after = Build(std::move(policies));
  for (int i = 0; i < 20; ++i) {
    Ask a = RandomAsk();
    if (after->Decide(a.view()).allowed) RC_ASSERT(before->Decide(a.view()).allowed);
  }
}

RC_GTEST_PROP(PolicySetProperties, AddingAnAllowNeverRevokes, ()) {
  std::vector<Policy> policies = RandomPolicies();
  auto before = Build(policies);
  std::size_t target = *rc::gen::inRange<std::size_t>(0, policies.size());
  Statement allow = RandomStatement(policies[target].name, 1000, Effect::kAllow);
  auto& list = policies[target].statements;
  list.insert(list.begin() + *rc::gen::inRange<std::size_t>(0, list.size() + 1), allow);
  auto after = Build(std::move(policies));
  for (int i = 0; i < 20; ++i) {
    Ask a = RandomAsk();
    if (before->Decide(a.view()).allowed) RC_ASSERT(after->Decide(a.view()).allowed);
  }
}

RC_GTEST_PROP(PolicySetProperties, WithoutAllowStatementsNothingIsAllowed, ()) {
  std::vector<Policy> policies = RandomPolicies();
  policies[0].settings.builtin = false;
  for (Policy& p : policies) {
    for (Statement& s : p.statements) s.effect = Effect::kDeny;
  }
  auto set = Build(std::move(policies));
  for (int i = 0; i < 20; ++i) {
    Ask a = RandomAsk();
    Decision d = set->Decide(a.view());
    RC_ASSERT(!d.allowed);
    RC_ASSERT(d.reason != Reason::kAllowed);
  }
}

// Checks, independently of the engine, that statement `s` applies to the request: its subjects,
// action and resources match, and its condition holds (evaluated here with the documented
// variables).
bool StatementApplies(const PolicySet& set, const Statement& s, const Ask& a) {
  const Principal& p = a.principal;
  std::vector<std::string> roles = set.EffectiveRoles(p);
  bool subject = false;
  for (const std::string& pattern : s.principals) {
    auto g = Glob::Compile(pattern, '\0', false);
    subject = subject || (g && g->Matches(p.id));
  }
  for (const std::string& r : s.roles) {
    subject = subject || std::find(roles.begin(), roles.end(), r) != roles.end();
  }
  for (const std::string& g : s.groups) {
    subject = subject || std::find(p.groups.begin(), p.groups.end(), g) != p.groups.end();
  }
  if (!subject || !s.actions.Contains(a.action)) return false;
  bool resource = false;
  for (const std::string& text : s.resources) {
    auto pattern = ResourcePattern::Parse(text);
    resource = resource || (pattern && pattern->Matches(a.resource.ref()));
  }
  if (!resource) return false;
  if (s.when.empty()) return true;
  config::Value principal = p.attributes;
  principal.AsMap().Set("id", config::Value(p.id));
  config::ValueList role_list(roles.begin(), roles.end());
  principal.AsMap().Set("roles", config::Value(std::move(role_list)));
  config::Value resource_view = a.resource_attributes;
  if (a.resource.type == ResourceType::kConfig) {
    resource_view.AsMap().Set("namespace", config::Value(a.resource.name));
  }
  if (!resource_view.AsMap().Contains("environment")) {
    std::string_view env = set.EnvironmentOf(a.resource.ref());
    if (!env.empty()) resource_view.AsMap().Set("environment", config::Value(env));
  }
  expr::MapData request;
  request.entries.emplace_back(expr::Value::String("time"),
                               expr::Value::Timestamp(a.facts.time_seconds, 0));
  if (a.facts.mfa) {
    request.entries.emplace_back(expr::Value::String("mfa"), expr::Value::Bool(*a.facts.mfa));
  }
  expr::Activation vars;
  vars.BindNode("principal", principal);
  vars.BindNode("resource", resource_view);
  vars.Bind("request", expr::Value::Map(std::move(request)));
  vars.BindNode("context", a.context);
  auto program = expr::Program::Compile(s.when);
  if (!program) return false;
  Result<bool> r = (*program)->EvaluateBool(vars);
  if (!r) return s.effect == Effect::kDeny;  // an erring deny holds
  return *r;
}

RC_GTEST_PROP(PolicySetProperties, TheDecidingStatementReallyMatchesTheRequest, ()) {
  auto set = Build(RandomPolicies());
  for (int i = 0; i < 20; ++i) {
    Ask a = RandomAsk();
    Explanation ex = set->Explain(a.view());
    if (ex.decision.statement != nullptr) {
      RC_LOG() << ex.decision.statement->QualifiedId() << " when=" << ex.decision.statement->when
               << " principal=" << a.principal.id << " action=" << ActionName(a.action)
               << " resource=" << a.resource.ToString() << "\n" << ex.ToText();
      RC_ASSERT(StatementApplies(*set, *ex.decision.statement, a));
      RC_ASSERT((ex.decision.statement->effect == Effect::kAllow) == ex.decision.allowed);
    }
    for (const Statement* s : ex.deciding) RC_ASSERT(StatementApplies(*set, *s, a));
  }
}

}  // namespace
}  // namespace bulwark::access
