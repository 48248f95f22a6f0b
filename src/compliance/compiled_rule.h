// The compiled form of a rule: its CEL programs, built once when the pack is parsed.
#ifndef BULWARK_SRC_COMPLIANCE_COMPILED_RULE_H_
#define BULWARK_SRC_COMPLIANCE_COMPILED_RULE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bulwark/compliance/rule_pack.h"
#include "bulwark/config/path.h"
#include "bulwark/expr/program.h"

namespace bulwark::compliance {

struct RulePack::CompiledRule {
  std::unique_ptr<expr::Program> foreach_program;  // null when the rule has no foreach
  std::unique_ptr<expr::Program> when_program;     // null when always applicable
  std::unique_ptr<expr::Program> check_program;
  // The message template: literal text, or an expression to render (program set).
  struct Segment {
    std::string literal;
    std::unique_ptr<expr::Program> program;
  };
  std::vector<Segment> message;
  // Set when an expression did not compile; the rule then evaluates to kError with this text.
  std::optional<std::string> compile_error;
  // Document path of the foreach collection when the expression is a plain `config.a.b` chain.
  std::optional<config::Path> foreach_path;
};

namespace internal {
// The path read by a single `<var>.a.b.c` chain in `source` (method calls excluded), when every
// occurrence of `var` reads the same chain; nullopt otherwise.
std::optional<config::Path> SingleChainPath(std::string_view source, std::string_view var);
// True when `source` is exactly a `config.a.b` chain; sets *path.
bool PlainConfigChain(std::string_view source, config::Path* path);
}  // namespace internal

}  // namespace bulwark::compliance

#endif  // BULWARK_SRC_COMPLIANCE_COMPILED_RULE_H_
