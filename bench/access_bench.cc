// Access decisions on the workload of bench/workloads/casbin_abac.mjs (node-casbin): tenants with
// operator-T (read+write config:tenant-T/**), viewer-T (read), developer-T (write
// config:tenant-T/staging/**), operator inheriting viewer, global-admin (* on *),
// security-auditor (audit.read on audit:*); users assigned round-robin (user-U holds
// [operator, viewer, developer][U % 3]-(U % T)); 20,000 requests for
// config:tenant-T/production:db.password, half on the user's own tenant (odd requests read,
// even ones write). At 200 tenants 6,740 requests are allowed, as node-casbin counts.
//
//   access_bench [rounds] [tenants...]      default: 5 rounds, tenants 200 and 20000
//
// Per round and mode it prints the mean wall time per decision over the 20,000 requests and the
// median CPU time per decision over 200 blocks of 100 decisions (the figure to read on a shared
// machine). Modes: decide (no explanation), explain (explanation
// built), cel (every statement carries a CEL condition: time window, CIDR, MFA; requests vary
// those facts). Lines "ACCESS_<MODE>_<TENANTS>=<ns>" are for bench/run_access_bench.sh.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bulwark/access/policy_set.h"

namespace {

using namespace bulwark::access;
using Clock = std::chrono::steady_clock;

constexpr int kRequests = 20'000;
constexpr const char* kCondition =
    "request.time.getHours() >= 6 && request.time.getHours() < 22 && "
    "ip(request.source).inCidr('10.0.0.0/8') && request.mfa";

std::vector<Policy> Workload(int tenants, bool cel) {
  Policy p;
  p.name = "casbin-abac";
  p.settings.builtin = false;
  auto statement = [&](std::string id, std::string role, Action a, std::string resource) {
    Statement s;
    s.policy = p.name;
    s.id = std::move(id);
    s.roles = {std::move(role)};
    s.actions.Add(a);
    s.resources = {std::move(resource)};
    if (cel) s.when = kCondition;
    p.statements.push_back(std::move(s));
  };
  for (int t = 0; t < tenants; ++t) {
    const std::string ts = std::to_string(t);
    const std::string all = "config:tenant-" + ts + "/**";
    statement("operator-write-" + ts, "operator-" + ts, Action::kWrite, all);
    statement("operator-read-" + ts, "operator-" + ts, Action::kRead, all);
    statement("viewer-read-" + ts, "viewer-" + ts, Action::kRead, all);
    statement("developer-write-" + ts, "developer-" + ts, Action::kWrite,
              "config:tenant-" + ts + "/staging/**");
    RoleDefinition op;
    op.name = "operator-" + ts;
    op.inherits = {"viewer-" + ts};
    p.roles.push_back(op);
  }
  Statement admin;
  admin.policy = p.name;
  admin.id = "global-admin";
  admin.roles = {"global-admin"};
  admin.actions = ActionSet::All();
  admin.resources = {"*"};
  p.statements.push_back(admin);
  Statement auditor;
  auditor.policy = p.name;
  auditor.id = "security-auditor";
  auditor.roles = {"security-auditor"};
  auditor.actions.Add(Action::kAuditRead);
  auditor.resources = {"audit:*"};
  p.statements.push_back(auditor);
  // Users: round-robin over the three roles and the tenants (casbin's "g, user-U, ROLE-T").
  const int users = tenants * 10;
  const char* kinds[] = {"operator", "viewer", "developer"};
  std::vector<std::vector<std::string>> members(static_cast<std::size_t>(tenants) * 3);
  for (int u = 0; u < users; ++u) {
    members[static_cast<std::size_t>((u % tenants) * 3 + u % 3)].push_back("user-" + std::to_string(u));
  }
  for (int t = 0; t < tenants; ++t) {
    for (int k = 0; k < 3; ++k) {
      std::string name = std::string(kinds[k]) + "-" + std::to_string(t);
      auto it = std::find_if(p.roles.begin(), p.roles.end(),
                             [&](const RoleDefinition& r) { return r.name == name; });
      if (it == p.roles.end()) {
        RoleDefinition r;
        r.name = name;
        p.roles.push_back(r);
        it = p.roles.end() - 1;
      }
      it->members = std::move(members[static_cast<std::size_t>(t * 3 + k)]);
    }
  }
  return {std::move(p)};
}

struct Requests {
  std::vector<Principal> principals;
  std::vector<ResourceName> resources;
  std::vector<Request> requests;
};

// The same 20,000 requests as casbin_abac.mjs; with `cel`, facts vary so that conditions differ.
Requests MakeRequests(int tenants, bool cel) {
  Requests r;
  const int users = tenants * 10;
  r.principals.resize(static_cast<std::size_t>(kRequests));
  r.resources.resize(static_cast<std::size_t>(kRequests));
  r.requests.resize(static_cast<std::size_t>(kRequests));
  for (int i = 0; i < kRequests; ++i) {
    const int u = i % users;
    const int t = i % 2 ? u % tenants : (i * 7) % tenants;
    auto idx = static_cast<std::size_t>(i);
    r.principals[idx].id = "user-" + std::to_string(u);
    r.resources[idx] = {ResourceType::kConfig, "tenant-" + std::to_string(t) + "/production",
                        "db.password"};
    Request& q = r.requests[idx];
    q.principal = &r.principals[idx];
    q.action = i % 2 ? Action::kRead : Action::kWrite;
    q.resource = r.resources[idx].ref();
    q.facts.time_seconds = 1714644000;  // 2024-05-02T10:00:00Z
    if (cel) {
      if (i % 5 == 4) q.facts.time_seconds += 13 * 3600;  // 23:00: outside the window
      q.facts.source = i % 7 == 6 ? "192.0.2.10" : "10.1.2.3";
      q.facts.mfa = i % 11 != 10;
    }
  }
  return r;
}

struct Timing {
  double mean_ns = 0;          // wall time per decision over the whole pass
  double block_median_ns = 0;  // median over blocks of 100 decisions, thread CPU time
  int allowed = 0;
};

// This thread's CPU time: time the scheduler gave other processes is not counted (the machine
// is shared).
double CpuNs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

template <typename Fn>
Timing Measure(const Requests& reqs, Fn&& decide) {
  constexpr int kBlock = 100;
  std::vector<double> blocks;
  Timing t;
  auto start = Clock::now();
  for (int b = 0; b < kRequests; b += kBlock) {
    double b0 = CpuNs();
    for (int i = b; i < b + kBlock; ++i) t.allowed += decide(reqs.requests[static_cast<std::size_t>(i)]) ? 1 : 0;
    blocks.push_back((CpuNs() - b0) / kBlock);
  }
  t.mean_ns = std::chrono::duration<double, std::nano>(Clock::now() - start).count() / kRequests;
  std::nth_element(blocks.begin(), blocks.begin() + blocks.size() / 2, blocks.end());
  t.block_median_ns = blocks[blocks.size() / 2];
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = argc > 1 ? std::atoi(argv[1]) : 5;
  std::vector<int> sizes;
  for (int i = 2; i < argc; ++i) sizes.push_back(std::atoi(argv[i]));
  if (sizes.empty()) sizes = {200, 20'000};
  for (int tenants : sizes) {
    auto t0 = Clock::now();
    auto set = PolicySet::Create(Workload(tenants, false));
    auto cel_set = PolicySet::Create(Workload(tenants, true));
    if (!set || !cel_set) {
      std::fprintf(stderr, "policy: %s\n", (!set ? set.error() : cel_set.error()).ToString().c_str());
      return 1;
    }
    double build_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count() / 2;
    Requests plain = MakeRequests(tenants, false);
    Requests cel = MakeRequests(tenants, true);
    // The index must answer as the naive evaluation (on a sample at the large size).
    const int step = tenants > 1000 ? 97 : 1;
    for (int i = 0; i < kRequests; i += step) {
      const Request& q = plain.requests[static_cast<std::size_t>(i)];
      const Request& c = cel.requests[static_cast<std::size_t>(i)];
      if ((*set)->Decide(q).allowed != (*set)->DecideNaive(q).allowed ||
          (*cel_set)->Decide(c).allowed != (*cel_set)->DecideNaive(c).allowed) {
        std::fprintf(stderr, "index and naive evaluation disagree on request %d\n", i);
        return 1;
      }
    }
    std::printf("tenants=%d statements=%zu users=%d requests=%d build_ms=%.0f\n", tenants,
                (*set)->statements().size(), tenants * 10, kRequests, build_ms);
    for (int r = 0; r < rounds; ++r) {
      Timing d = Measure(plain, [&](const Request& q) { return (*set)->Decide(q).allowed; });
      Timing e = Measure(plain, [&](const Request& q) { return (*set)->Explain(q).decision.allowed; });
      Timing c = Measure(cel, [&](const Request& q) { return (*cel_set)->Decide(q).allowed; });
      std::printf("round %d: decide %.0f ns wall (median CPU %.0f), explain %.0f (%.0f), cel %.0f "
                  "(%.0f); allowed %d / %d / %d\n",
                  r + 1, d.mean_ns, d.block_median_ns, e.mean_ns, e.block_median_ns, c.mean_ns,
                  c.block_median_ns, d.allowed, e.allowed, c.allowed);
      std::printf("ACCESS_DECIDE_%d=%.1f\nACCESS_EXPLAIN_%d=%.1f\nACCESS_CEL_%d=%.1f\n", tenants,
                  d.block_median_ns, tenants, e.block_median_ns, tenants, c.block_median_ns);
      std::printf("ACCESS_ALLOWED_%d=%d\nACCESS_CEL_ALLOWED_%d=%d\n", tenants, d.allowed, tenants,
                  c.allowed);
      std::fflush(stdout);
    }
  }
  return 0;
}
