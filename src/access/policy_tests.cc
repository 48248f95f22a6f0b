#include "bulwark/access/policy_tests.h"

#include <fmt/format.h>

#include <chrono>
#include <map>

#include "bulwark/config/format.h"

namespace bulwark::access {
namespace {

class TestReader {
 public:
  TestReader(const config::Document& doc, std::string source)
      : doc_(doc), source_(std::move(source)) {}
  std::unexpected<Error> Fail(const config::Path& path, std::string_view test,
                              std::string_view message) const {
    std::string where = source_;
    if (auto loc = doc_.LocationOf(path)) where = loc->ToString();
    std::string out = where + ": ";
    if (!test.empty()) out += fmt::format("test {}: ", test);
    if (!path.empty()) out += path.ToString() + ": ";
    out += message;
    return InvalidArgumentError(out);
  }
  config::SourceLocation LocationOf(const config::Path& path) const {
    if (auto loc = doc_.LocationOf(path)) return *loc;
    return {source_, 0, 0};
  }

 private:
  const config::Document& doc_;
  std::string source_;
};

const std::string* String(const config::Value& map, std::string_view key) {
  const config::Value* v = map.Get(key);
  return v != nullptr ? v->IfString() : nullptr;
}

Result<std::vector<std::string>> StringList(const config::Value& map, std::string_view key) {
  std::vector<std::string> out;
  const config::Value* v = map.Get(key);
  if (v == nullptr) return out;
  if (!v->is_list()) return InvalidArgumentError(fmt::format("{}: expected a list of strings", key));
  for (const config::Value& e : v->AsList()) {
    if (!e.is_string()) return InvalidArgumentError(fmt::format("{}: expected a list of strings", key));
    out.push_back(e.AsString());
  }
  return out;
}

}  // namespace

std::optional<Reason> ParseReason(std::string_view name) {
  for (Reason r : {Reason::kAllowed, Reason::kDenied, Reason::kNoAllow,
                   Reason::kEnvironmentIsolation, Reason::kInvalidPolicy}) {
    if (ReasonName(r) == name) return r;
  }
  return std::nullopt;
}

Result<Principal> PrincipalFromValue(const config::Value& v, std::string_view where) {
  if (!v.is_map()) return InvalidArgumentError(fmt::format("{}: a principal is a map with an id", where));
  Principal p;
  const std::string* id = String(v, "id");
  if (id == nullptr || id->empty()) {
    return InvalidArgumentError(fmt::format("{}: the principal needs an id", where));
  }
  p.id = *id;
  const std::string* kind = String(v, "kind");
  p.kind = kind != nullptr ? *kind : p.id.substr(0, p.id.find(':'));
  auto roles = StringList(v, "roles");
  if (!roles) return InvalidArgumentError(fmt::format("{}: {}", where, roles.error().message()));
  p.roles = std::move(*roles);
  auto groups = StringList(v, "groups");
  if (!groups) return InvalidArgumentError(fmt::format("{}: {}", where, groups.error().message()));
  p.groups = std::move(*groups);
  if (const config::Value* a = v.Get("attributes")) {
    if (!a->is_map()) return InvalidArgumentError(fmt::format("{}: attributes must be a map", where));
    p.attributes = *a;
    config::ClearLocations(p.attributes);
  }
  for (const config::MapEntry& e : v.AsMap()) {
    if (e.key != "id" && e.key != "kind" && e.key != "roles" && e.key != "groups" &&
        e.key != "attributes") {
      return InvalidArgumentError(fmt::format("{}: unknown principal field '{}'", where, e.key));
    }
  }
  return p;
}

Result<PolicyTestSuite> ParsePolicyTests(std::string_view text, std::string source_name,
                                         TimePoint default_time) {
  config::ParseOptions popts;
  popts.source_name = source_name;
  popts.max_depth = 32;
  const bool json = source_name.ends_with(".json");
  auto doc = config::ParseDocument(text, json ? config::Format::kJson : config::Format::kYaml, popts);
  if (!doc) return std::unexpected(doc.error().WithContext("parse policy tests"));
  TestReader reader(*doc, source_name);
  const config::Value& root = doc->root;
  if (!root.is_map() || root.Get("tests") == nullptr || !root.Get("tests")->is_list()) {
    return reader.Fail({}, "", "a policy test file is a map with a list of `tests`");
  }
  for (const config::MapEntry& e : root.AsMap()) {
    if (e.key != "tests" && e.key != "principals") {
      return reader.Fail(config::Path().Key(e.key), "", "unknown field (tests, principals)");
    }
  }
  std::map<std::string, Principal, std::less<>> named;
  if (const config::Value* ps = root.Get("principals")) {
    if (!ps->is_map()) return reader.Fail(config::Path().Key("principals"), "", "expected a map");
    for (const config::MapEntry& e : ps->AsMap()) {
      const config::Path path = config::Path().Key("principals").Key(e.key);
      auto p = PrincipalFromValue(e.value, "principal");
      if (!p) return reader.Fail(path, "", p.error().message());
      named.emplace(e.key, std::move(*p));
    }
  }
  const auto seconds = std::chrono::duration_cast<std::chrono::nanoseconds>(
      default_time.time_since_epoch());
  PolicyTestSuite suite;
  suite.source = source_name;
  const config::ValueList& tests = root.Get("tests")->AsList();
  for (std::size_t i = 0; i < tests.size(); ++i) {
    const config::Value& t = tests[i];
    const config::Path tpath = config::Path().Key("tests").Index(i);
    if (!t.is_map()) return reader.Fail(tpath, "", "a test is a map");
    PolicyTestCase c;
    const std::string* name = String(t, "name");
    c.name = name != nullptr ? *name : fmt::format("tests[{}]", i);
    c.location = reader.LocationOf(tpath);
    auto fail = [&](std::string_view field, std::string_view msg) {
      return reader.Fail(field.empty() ? tpath : tpath.Key(std::string(field)), c.name, msg);
    };
    for (const config::MapEntry& e : t.AsMap()) {
      static constexpr std::string_view kFields[] = {
          "name",    "principal", "action", "resource", "resource_attributes",
          "request", "context",   "expect", "statement", "reason"};
      if (std::find(std::begin(kFields), std::end(kFields), e.key) == std::end(kFields)) {
        return fail(e.key, "unknown field");
      }
    }
    const config::Value* principal = t.Get("principal");
    if (principal == nullptr) return fail("", "missing principal");
    if (principal->is_string()) {
      auto it = named.find(principal->AsString());
      if (it == named.end()) {
        return fail("principal", fmt::format("no principal named '{}' under principals",
                                             principal->AsString()));
      }
      c.request.principal = it->second;
    } else {
      auto p = PrincipalFromValue(*principal, "principal");
      if (!p) return fail("principal", p.error().message());
      c.request.principal = std::move(*p);
    }
    const std::string* action = String(t, "action");
    if (action == nullptr) return fail("action", "missing action");
    auto a = ParseAction(*action);
    if (!a) return fail("action", fmt::format("unknown action '{}'", *action));
    c.request.action = *a;
    const std::string* resource = String(t, "resource");
    if (resource == nullptr) return fail("resource", "missing resource");
    auto r = ResourceName::Parse(*resource);
    if (!r) return fail("resource", r.error().message());
    c.request.resource = std::move(*r);
    for (std::string_view key : {"resource_attributes", "context"}) {
      if (const config::Value* m = t.Get(key)) {
        if (!m->is_map()) return fail(key, "expected a map");
        config::Value copy = *m;
        config::ClearLocations(copy);
        (key == "context" ? c.request.context : c.request.resource_attributes) = std::move(copy);
      }
    }
    c.request.facts.time_seconds = seconds.count() / 1'000'000'000;
    c.request.facts.time_nanos = static_cast<std::int32_t>(seconds.count() % 1'000'000'000);
    if (const config::Value* rq = t.Get("request")) {
      if (!rq->is_map()) return fail("request", "expected a map {time, source, mfa}");
      for (const config::MapEntry& e : rq->AsMap()) {
        if (e.key == "time") {
          if (e.value.is_int()) {
            c.request.facts.time_seconds = e.value.AsInt();
            c.request.facts.time_nanos = 0;
          } else if (e.value.is_string()) {
            auto tp = ParseRfc3339(e.value.AsString());
            if (!tp) return fail("request", "time: " + tp.error().message());
            auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(tp->time_since_epoch());
            c.request.facts.time_seconds = ns.count() / 1'000'000'000;
            c.request.facts.time_nanos = static_cast<std::int32_t>(ns.count() % 1'000'000'000);
          } else {
            return fail("request", "time: an RFC 3339 string or Unix seconds");
          }
        } else if (e.key == "source") {
          if (!e.value.is_string()) return fail("request", "source: a string");
          c.request.facts.source = e.value.AsString();
        } else if (e.key == "mfa") {
          if (!e.value.is_bool()) return fail("request", "mfa: true or false");
          c.request.facts.mfa = e.value.AsBool();
        } else {
          return fail("request", fmt::format("unknown field '{}' (time, source, mfa)", e.key));
        }
      }
    }
    const std::string* expect = String(t, "expect");
    if (expect == nullptr || (*expect != "allow" && *expect != "deny")) {
      return fail("expect", "expected allow or deny");
    }
    c.expect_allow = *expect == "allow";
    if (const std::string* s = String(t, "statement")) c.statement = *s;
    if (const config::Value* rs = t.Get("reason")) {
      std::optional<Reason> reason = rs->is_string() ? ParseReason(rs->AsString()) : std::nullopt;
      if (!reason) {
        return fail("reason", "expected allowed, denied, no-allow, environment-isolation or "
                              "invalid-policy");
      }
      c.reason = reason;
    }
    suite.tests.push_back(std::move(c));
  }
  return suite;
}

std::vector<PolicyTestResult> RunPolicyTests(const PolicySet& set, const PolicyTestSuite& suite) {
  std::vector<PolicyTestResult> out;
  for (const PolicyTestCase& c : suite.tests) {
    PolicyTestResult r;
    r.test = &c;
    r.decision = set.Decide(c.request.view());
    std::vector<std::string> problems;
    if (r.decision.allowed != c.expect_allow) {
      problems.push_back(fmt::format("expected {}, got {} ({})", c.expect_allow ? "allow" : "deny",
                                     r.decision.allowed ? "allow" : "deny",
                                     ReasonName(r.decision.reason)));
    }
    if (c.statement) {
      if (set.FindStatement(*c.statement) == nullptr) {
        problems.push_back(fmt::format("statement {} does not exist in the policy set", *c.statement));
      } else if (r.decision.statement == nullptr ||
                 r.decision.statement->QualifiedId() != *c.statement) {
        problems.push_back(fmt::format(
            "expected statement {}, decided by {}", *c.statement,
            r.decision.statement != nullptr ? r.decision.statement->QualifiedId() : "none"));
      }
    }
    if (c.reason && *c.reason != r.decision.reason) {
      problems.push_back(fmt::format("expected reason {}, got {}", ReasonName(*c.reason),
                                     ReasonName(r.decision.reason)));
    }
    r.passed = problems.empty();
    for (std::size_t i = 0; i < problems.size(); ++i) {
      if (i > 0) r.failure += "; ";
      r.failure += problems[i];
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace bulwark::access
