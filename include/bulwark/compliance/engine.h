// Evaluating rule packs against a configuration document.
//
//   BULWARK_ASSIGN_OR_RETURN(auto baseline, LoadBuiltinPack("baseline"));
//   BULWARK_ASSIGN_OR_RETURN(auto engine, Engine::Create({std::move(baseline)}));
//   Report report = engine->Evaluate(document, {.environment = "production"});
//
// `foreach` may return a list it builds from document nodes (`has(config.services) ?
// config.services : [config]`): each item keeps its document path. A plain `config.a.b` foreach
// whose target is absent (or null) makes its rules not applicable, with that reason in
// RuleResult::note. Message templates see `name`: the item's `name` (or `service_name`) field, else
// its map key, else EvalContext::ns, else EvalContext::target.
//
// Evaluation never fails as a whole: a rule whose expression does not compile, exceeds its cost
// budget, meets a type error or a missing field becomes a kError RuleResult (with the item path
// and the CEL message) and the report is marked partial; every other rule still runs.
//
// Thread safety: an Engine is immutable; Evaluate may run concurrently on several documents.
#ifndef BULWARK_COMPLIANCE_ENGINE_H_
#define BULWARK_COMPLIANCE_ENGINE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bulwark/compliance/report.h"
#include "bulwark/compliance/rule_pack.h"
#include "bulwark/config/document.h"
#include "bulwark/config/path.h"
#include "bulwark/core/error.h"

namespace bulwark::compliance {

// What the expressions see besides the document.
struct EvalContext {
  std::string target;  // copied into Report::target; the name of a single-service document
  // The target's environment. When set, every item is checked for it; when empty, each item for
  // its own `environment` field ("" when it has none). An item's environment is `env` in the
  // expressions, selects the rule's overrides and `environments`, and groups the scores
  // (Report::environments).
  std::string environment;
  // `meta`: namespace, version and labels of a stored version ("", 0, {} for a file).
  std::string ns;
  std::int64_t version = 0;
  std::map<std::string, std::string> labels;
  // The document's sensitive nodes (config::SensitivityClassifier, stored tokens). Their values
  // never reach a report: a message template segment whose text equals one of their values, or
  // contains one of 4 bytes or more (`{{ config.db.password }}`, a concatenation, a map holding
  // it), renders as "[redacted]", and such values are cut out of rule error messages.
  std::vector<config::Path> sensitive;
};

class Engine {
 public:
  // kInvalidArgument when two packs define the same rule id (naming both packs).
  static Result<std::unique_ptr<Engine>> Create(std::vector<std::shared_ptr<const RulePack>> packs);
  ~Engine();

  Report Evaluate(const config::Document& document, const EvalContext& context) const;

  const std::vector<std::shared_ptr<const RulePack>>& packs() const { return packs_; }

 private:
  explicit Engine(std::vector<std::shared_ptr<const RulePack>> packs);
  std::vector<std::shared_ptr<const RulePack>> packs_;
};

}  // namespace bulwark::compliance

#endif  // BULWARK_COMPLIANCE_ENGINE_H_
