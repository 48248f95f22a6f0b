// diff: the (subject, action, resource pattern) triples whose decision changes between two sets.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "access/compiled.h"
#include "access/pattern_algebra.h"
#include "access/symbolic.h"
#include "bulwark/access/analysis.h"

namespace bulwark::access {
namespace {

// What makes a statement itself, for deciding whether it changed.
std::string Fingerprint(const Statement& s) {
  return fmt::format("{}|{}|{}|{}|{}|{}|{}|{}", EffectName(s.effect), fmt::join(s.principals, ","),
                     fmt::join(s.roles, ","), fmt::join(s.groups, ","), s.actions.bits(),
                     fmt::join(s.resources, ","), s.when, s.QualifiedId());
}

// Roles, settings and environments: if any of these differ, every pattern is examined.
std::string Structure(const PolicySet& set) {
  std::string out = fmt::format("{}|{}|", set.builtin_included(), set.environment_isolation());
  for (const auto& [env, pattern] : set.environment_patterns()) out += env + "=" + pattern + ";";
  for (const std::string& r : set.RoleNames()) {
    out += r + ":" + fmt::format("{}", fmt::join(set.RoleClosure(r), ",")) + ";";
  }
  for (const Policy& p : set.policies()) {
    for (const RoleDefinition& r : p.roles) {
      out += fmt::format("{}[{}|{}]", r.name, fmt::join(r.members, ","), fmt::join(r.groups, ","));
    }
  }
  return out;
}

struct Sample {
  ResourceName resource;
  std::string origin;
};

void AddSample(std::vector<Sample>& out, std::set<std::string>& seen, ResourceName r,
               std::string origin) {
  if (!seen.insert(r.ToString()).second) return;
  out.push_back({std::move(r), std::move(origin)});
}

std::vector<Sample> Samples(const PolicySet& before, const PolicySet& after) {
  std::map<std::string, std::string> before_prints, after_prints;
  for (const Statement* s : before.statements()) before_prints[s->QualifiedId()] = Fingerprint(*s);
  for (const Statement* s : after.statements()) after_prints[s->QualifiedId()] = Fingerprint(*s);
  const bool structural = Structure(before) != Structure(after);
  // Patterns of changed statements (all of them after a structural change), and all patterns.
  std::vector<ResourcePattern> changed, all;
  std::set<std::string> changed_texts, all_texts;
  auto collect = [&](const PolicySet& set, const std::map<std::string, std::string>& other) {
    for (std::size_t i = 0; i < set.statements().size(); ++i) {
      const Statement* s = set.statements()[i];
      auto it = other.find(s->QualifiedId());
      const bool differs = structural || it == other.end() || it->second != Fingerprint(*s);
      for (const ResourcePattern& p : set.compiled(i).patterns) {
        if (all_texts.insert(p.text()).second) all.push_back(p);
        if (differs && changed_texts.insert(p.text()).second) changed.push_back(p);
      }
    }
    for (const auto& [env, text] : set.environment_patterns()) {
      auto p = ResourcePattern::Parse(text);
      if (p && all_texts.insert(p->text()).second) all.push_back(*p);
    }
  };
  collect(before, after_prints);
  collect(after, before_prints);
  std::vector<Sample> out;
  std::set<std::string> seen;
  for (const ResourcePattern& p : changed) {
    for (ResourceName& r : internal::PatternExamples(p)) AddSample(out, seen, std::move(r), p.text());
  }
  for (const ResourcePattern& p : changed) {
    for (const ResourcePattern& q : all) {
      if (p.text() == q.text()) continue;
      if (auto r = internal::PatternIntersection(p, q)) {
        AddSample(out, seen, std::move(*r), p.text() + " & " + q.text());
      }
    }
  }
  return out;
}

}  // namespace

std::vector<DiffChange> Diff(const PolicySet& before, const PolicySet& after) {
  std::vector<Subject> subjects = SubjectsOf(before);
  for (const Subject& s : SubjectsOf(after)) {
    if (std::find(subjects.begin(), subjects.end(), s) == subjects.end()) subjects.push_back(s);
  }
  std::vector<Sample> samples = Samples(before, after);
  std::vector<DiffChange> out;
  std::set<std::tuple<std::string, int, std::string, bool, std::string>> reported;
  for (const Subject& subject : subjects) {
    OwnedRequest req;
    req.principal = subject.AsPrincipal();
    for (const Sample& sample : samples) {
      req.resource = sample.resource;
      for (std::size_t a = 0; a < kActionCount; ++a) {
        req.action = static_cast<Action>(a);
        if (!ApplicableActions(sample.resource.type).Contains(req.action)) continue;
        internal::AtomTable atoms;
        internal::Formula fb = internal::Symbolic(before, req.view(), atoms);
        internal::Formula fa = internal::Symbolic(after, req.view(), atoms);
        if (fb.allows.empty() && fa.allows.empty()) continue;  // denied either way
        const std::size_t n = std::min(atoms.size(), kMaxAtoms);
        std::vector<bool> granted(std::size_t{1} << n), revoked(std::size_t{1} << n),
            both_denied(std::size_t{1} << n);
        std::uint32_t granted_example = 0, revoked_example = 0;
        bool any_granted = false, any_revoked = false;
        for (std::uint32_t x = 0; x < granted.size(); ++x) {
          bool b = fb.Allowed(x), f = fa.Allowed(x);
          granted[x] = !b && f;
          revoked[x] = b && !f;
          both_denied[x] = !b && !f;
          if (granted[x] && !any_granted) granted_example = x;
          if (revoked[x] && !any_revoked) revoked_example = x;
          any_granted = any_granted || granted[x];
          any_revoked = any_revoked || revoked[x];
        }
        internal::AtomTable shown = atoms;
        for (int dir = 0; dir < 2; ++dir) {
          const bool now_allowed = dir == 0;
          if (now_allowed ? !any_granted : !any_revoked) continue;
          DiffChange c;
          c.subject = subject;
          c.action = req.action;
          c.pattern = sample.origin;
          c.example = sample.resource;
          c.now_allowed = now_allowed;
          c.condition = atoms.size() > kMaxAtoms
                            ? "under some conditions (too many to enumerate)"
                            : internal::SumOfProducts(now_allowed ? granted : revoked, shown,
                                                      nullptr, &both_denied);
          std::uint32_t x = now_allowed ? granted_example : revoked_example;
          c.before = fb.Deciding(x);
          c.after = fa.Deciding(x);
          auto key = std::make_tuple(subject.Describe(), static_cast<int>(a), c.pattern,
                                     now_allowed, c.condition);
          if (!reported.insert(key).second) continue;
          out.push_back(std::move(c));
        }
      }
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const DiffChange& x, const DiffChange& y) {
    return std::make_tuple(x.subject.Describe(), static_cast<int>(x.action), x.pattern) <
           std::make_tuple(y.subject.Describe(), static_cast<int>(y.action), y.pattern);
  });
  return out;
}

}  // namespace bulwark::access
