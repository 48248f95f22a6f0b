// Fuzzes rule pack parsing: any input gives a pack or an error (no crash, no hang), errors name a
// location, and an accepted pack evaluates against a small document without crashing, with every
// rule ending in a definite status.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "bulwark/compliance/engine.h"
#include "bulwark/compliance/rule_pack.h"

namespace {

const bulwark::config::Document& Target() {
  static const bulwark::config::Document* doc = [] {
    using bulwark::config::Value;
    using bulwark::config::ValueList;
    using bulwark::config::ValueMap;
    ValueMap svc;
    svc.Set("name", Value("api"));
    svc.Set("environment", Value("production"));
    svc.Set("port", Value(443));
    svc.Set("tls", Value(true));
    ValueMap root;
    root.Set("services", Value(ValueList{Value(svc), Value(svc)}));
    root.Set("debug", Value(false));
    auto* d = new bulwark::config::Document();
    d->root = Value(std::move(root));
    return d;
  }();
  return *doc;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 64 * 1024) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  bulwark::compliance::RulePackOptions options;
  options.limits.cost_budget = 10'000;
  options.limits.max_list_size = 1'000;
  options.limits.max_string_size = 64 * 1024;
  auto pack = bulwark::compliance::RulePack::Parse(text, "fuzz.yaml", options);
  if (!pack) {
    if (pack.error().message().empty()) std::abort();
    return 0;
  }
  auto engine = bulwark::compliance::Engine::Create(
      {std::shared_ptr<const bulwark::compliance::RulePack>(std::move(*pack))});
  if (!engine) return 0;
  bulwark::compliance::Report report = (*engine)->Evaluate(Target(), {.environment = "production"});
  for (const auto& r : report.rules) {
    if (r.status == bulwark::compliance::RuleStatus::kFail && r.failed == 0) std::abort();
    if (r.status == bulwark::compliance::RuleStatus::kError && r.errors.empty()) std::abort();
  }
  return 0;
}
