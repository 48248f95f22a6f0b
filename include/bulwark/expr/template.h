// Message templates: literal text with `{{ CEL }}` placeholders, as in rule messages
// ("TLS disabled for {{ item.name }}", docs/compliance.md) and alert summaries
// ("{{ group }}: more than 5 failed logins", docs/monitor.md).
//
//   SplitTemplate("a {{ x.y }} b") -> [{literal "a "}, {expr "x.y"}, {literal " b"}]
//
// Placeholders are trimmed of spaces and tabs; "{{" without "}}" and an empty "{{ }}" are
// kInvalidArgument naming the offset. Callers compile each expression once (Program::Compile)
// and render with AppendValueText, which prints strings without quotes and other values as CEL
// prints them. Thread safety: pure functions.
#ifndef BULWARK_EXPR_TEMPLATE_H_
#define BULWARK_EXPR_TEMPLATE_H_

#include <string>
#include <string_view>
#include <vector>

#include "bulwark/core/error.h"
#include "bulwark/expr/value.h"

namespace bulwark::expr {

struct TemplateSegment {
  bool is_expression = false;
  std::string text;  // the literal text, or the expression's source
};

Result<std::vector<TemplateSegment>> SplitTemplate(std::string_view text);

// Appends the text of `v` inside a message: strings as they are, bool/int/uint/double/null as
// CEL prints them, anything else in its debug form.
void AppendValueText(const Value& v, std::string& out);

}  // namespace bulwark::expr

#endif  // BULWARK_EXPR_TEMPLATE_H_
