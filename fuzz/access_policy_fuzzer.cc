// Fuzzes access policy parsing and compilation: any input gives a policy set or an error (no
// crash, no hang); errors name the file; an accepted set decides and explains a few fixed
// requests without crashing, the index agrees with the naive evaluation, and explanations agree
// with decisions.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "bulwark/access/policy_set.h"

namespace {

void Check(const bulwark::access::PolicySet& set, const bulwark::access::Request& req) {
  using bulwark::access::Decision;
  Decision fast = set.Decide(req);
  Decision naive = set.DecideNaive(req);
  if (fast.allowed != naive.allowed || fast.reason != naive.reason ||
      fast.statement != naive.statement) {
    std::abort();
  }
  bulwark::access::Explanation ex = set.Explain(req);
  if (ex.decision.allowed != fast.allowed || ex.decision.statement != fast.statement) std::abort();
  if (ex.ToText().empty()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bulwark::access;
  if (size > 64 * 1024) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto policy = ParsePolicy(text, "fuzz.yaml");
  if (!policy) {
    if (policy.error().message().find("fuzz.yaml") == std::string::npos) std::abort();
    return 0;
  }
  PolicySetOptions options;
  options.limits.cost_budget = 10'000;
  std::vector<Policy> policies;
  policies.push_back(std::move(*policy));
  auto set = PolicySet::Create(std::move(policies), options);
  if (!set) {
    if (set.error().message().empty()) std::abort();
    return 0;
  }
  Principal alice;
  alice.id = "local:alice";
  alice.kind = "local";
  alice.roles = {"operator", "viewer", "r1"};
  alice.groups = {"payments"};
  alice.attributes.AsMap().Set("tenant", bulwark::config::Value("acme"));
  alice.attributes.AsMap().Set("environment", bulwark::config::Value("production"));
  bulwark::config::Value resource_attributes = bulwark::config::Value::EmptyMap();
  resource_attributes.AsMap().Set("tenant", bulwark::config::Value("acme"));
  for (std::string_view name : {"config:payments/production:db.password", "config:acme",
                                "audit:log", "key:k1", "change:42", "policy:p"}) {
    auto r = ResourceName::Parse(name);
    if (!r) std::abort();
    for (std::size_t a = 0; a < kActionCount; ++a) {
      Request req{&alice, static_cast<Action>(a), r->ref(&resource_attributes),
                  {.time_seconds = 1714644000, .source = "10.1.2.3", .mfa = true}, nullptr};
      Check(**set, req);
      req.facts.mfa.reset();
      req.facts.source.reset();
      Check(**set, req);
    }
  }
  return 0;
}
