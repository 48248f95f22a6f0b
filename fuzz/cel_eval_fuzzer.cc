// Fuzzes CEL evaluation: parse, plan and evaluate with a small cost budget and small size limits
// against a fixed document bound to `item` (and `request`); no crash, hang or sanitizer report.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "bulwark/config/value.h"
#include "bulwark/expr/json.h"
#include "bulwark/expr/program.h"

namespace {

const bulwark::config::Value& Document() {
  using bulwark::config::Value;
  using bulwark::config::ValueList;
  using bulwark::config::ValueMap;
  static const Value* doc = [] {
    ValueMap db;
    db.Set("host", Value("db.internal"));
    db.Set("port", Value(5432));
    db.Set("ssl_mode", Value("require"));
    ValueMap limits;
    limits.Set("cpu", Value(1.5));
    limits.Set("replicas", Value(3));
    ValueMap m;
    m.Set("name", Value("svc-1"));
    m.Set("environment", Value("production"));
    m.Set("region", Value("eu-west-1"));
    m.Set("database", Value(std::move(db)));
    m.Set("tags", Value(ValueList{Value("a"), Value("b"), Value("c")}));
    m.Set("limits", Value(std::move(limits)));
    m.Set("origins", Value(ValueList{Value("https://a.example"), Value("*")}));
    m.Set("enabled", Value(true));
    m.Set("nothing", Value());
    m.Set("blob", Value::FromBytes({0x00, 0xff, 0x41}));
    return new Value(std::move(m));
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
