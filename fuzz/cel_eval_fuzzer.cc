// Fuzzes CEL evaluation: parse, plan and evaluate with a small cost budget and small size limits
// against a fixed document bound to `item` (and `request`); no crash, hang or sanitizer report.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "bulwark/config/format.h"
#include "bulwark/expr/json.h"
#include "bulwark/expr/program.h"

namespace {

const bulwark::config::Value& Document() {
  static const bulwark::config::Value* doc = [] {
    auto parsed = bulwark::config::ParseDocument(
        R"({"name": "svc-1", "environment": "production", "region": "eu-west-1",
            "database": {"host": "db.internal", "port": 5432, "ssl_mode": "require"},
            "tags": ["a", "b", "c"], "limits": {"cpu": 1.5, "replicas": 3},
            "origins": ["https://a.example", "*"], "enabled": true, "nothing": null})",
        bulwark::config::Format::kJson);
    if (!parsed) std::abort();
    return new bulwark::config::Value(std::move(parsed->root));
  }();
  return *doc;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  bulwark::expr::CompileOptions opts;
  opts.limits.cost_budget = 10'000;
  opts.limits.max_list_size = 1'000;
  opts.limits.max_string_size = 64 * 1024;
  auto program = bulwark::expr::Program::Compile(text, opts);
  if (!program) return 0;
  bulwark::expr::Activation vars;
  vars.BindNode("item", Document());
  vars.Bind("request", bulwark::expr::Value::String("GET /api"));
  auto result = (*program)->Evaluate(vars);
  if (result) (void)bulwark::expr::ToJson(*result);
  (void)(*program)->EvaluateBool(vars);
  return 0;
}
