// who-can: every subject that may perform an action on a resource, and how.
#include <algorithm>

#include "access/symbolic.h"
#include "bulwark/access/analysis.h"

namespace bulwark::access {

std::vector<WhoCanEntry> WhoCan(const PolicySet& set, Action action, const ResourceName& resource,
                                const config::Value& resource_attributes) {
  std::vector<WhoCanEntry> out;
  for (const Subject& subject : SubjectsOf(set)) {
    OwnedRequest req;
    req.principal = subject.AsPrincipal();
    req.action = action;
    req.resource = resource;
    req.resource_attributes = resource_attributes;
    internal::AtomTable atoms;
    internal::Formula f = internal::Symbolic(set, req.view(), atoms);
    if (f.allows.empty()) continue;
    std::vector<bool> truth;
    WhoCanEntry e;
    e.subject = subject;
    if (atoms.size() > kMaxAtoms) {
      e.condition = "under conditions too many to enumerate";
    } else {
      truth.resize(std::size_t{1} << atoms.size());
      bool any = false;
      for (std::uint32_t a = 0; a < truth.size(); ++a) {
        truth[a] = f.Allowed(a);
        any = any || truth[a];
      }
      if (!any) continue;
      std::size_t products = 0;
      e.condition = internal::SumOfProducts(truth, atoms, &products);
      if (products > kMaxShownProducts) e.condition.clear();
    }
    for (const internal::Term& t : f.allows) {
      e.allows.push_back({t.statement->QualifiedId(), internal::TermCondition(t, atoms)});
    }
    for (const internal::Term& t : f.denies) {
      e.denies.push_back({t.statement != nullptr ? t.statement->QualifiedId()
                                                 : "builtin/environment-isolation",
                          internal::TermCondition(t, atoms)});
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace bulwark::access
