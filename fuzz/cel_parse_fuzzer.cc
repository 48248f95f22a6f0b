// Fuzzes the CEL parser (and the checker and planner on what it accepts): no crash, no hang, no
// sanitizer report, and every error carries the "line:column" prefix.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "bulwark/expr/checker.h"
#include "bulwark/expr/parser.h"
#include "bulwark/expr/program.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = bulwark::expr::Parse(text);
  if (!parsed) {
    const std::string& m = parsed.error().message();
    if (m.find("Syntax error") == std::string::npos && m.find("too long") == std::string::npos) {
      std::abort();
    }
    return 0;
  }
  bulwark::expr::Declarations decls;
  decls.Add("x", "map(string, dyn)").Add("n", "int").Add("s", "string");
  (void)bulwark::expr::Check(*parsed, decls);
  (void)bulwark::expr::Program::Compile(std::move(*parsed));
  return 0;
}
