// Compiling conditions: the program, its top-level conjuncts, and the attributes it reads.
#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "access/compiled.h"
#include "bulwark/expr/parser.h"

namespace bulwark::access::internal {
namespace {

constexpr std::array<std::string_view, 4> kRoots = {"principal", "resource", "request", "context"};

bool IsRoot(std::string_view name) {
  if (name.starts_with('.')) name.remove_prefix(1);
  return std::find(kRoots.begin(), kRoots.end(), name) != kRoots.end();
}

// `e` as root.field.field... (selections and constant-string indexing); false otherwise.
bool Chain(const expr::Expr& e, std::string* root, std::vector<std::string>* fields) {
  switch (e.kind) {
    case expr::ExprKind::kIdent:
      *root = e.name.starts_with('.') ? e.name.substr(1) : e.name;
      return true;
    case expr::ExprKind::kSelect:
      if (e.test_only || !e.target || !Chain(*e.target, root, fields)) return false;
      fields->push_back(e.name);
      return true;
    case expr::ExprKind::kCall:
      if (e.name == "_[_]" && !e.target && e.args.size() == 2 &&
          e.args[1]->kind == expr::ExprKind::kConst &&
          e.args[1]->constant.kind() == expr::Kind::kString &&
          Chain(*e.args[0], root, fields)) {
        fields->push_back(std::string(e.args[1]->constant.str()));
        return true;
      }
      return false;
    default:
      return false;
  }
}

void Walk(const expr::Expr& e, std::vector<AttributeRef>& out) {
  AttributeRef ref;
  bool is_chain = false;
  if (e.kind == expr::ExprKind::kSelect && e.test_only && e.target) {
    is_chain = Chain(*e.target, &ref.root, &ref.fields);
    if (is_chain) {
      ref.fields.push_back(e.name);
      ref.test_only = true;
    }
  } else if (e.kind == expr::ExprKind::kSelect || e.kind == expr::ExprKind::kCall) {
    is_chain = Chain(e, &ref.root, &ref.fields);
  }
  if (is_chain && !ref.fields.empty() && IsRoot(ref.root)) {
    for (const AttributeRef& r : out) {
      if (r.root == ref.root && r.fields == ref.fields && r.test_only == ref.test_only) return;
    }
    out.push_back(std::move(ref));
    return;
  }
  if (e.target) Walk(*e.target, out);
  for (const auto& a : e.args) Walk(*a, out);
  for (const auto& k : e.keys) Walk(*k, out);
}

bool UsesVariables(const expr::Expr& e) {
  if (e.kind == expr::ExprKind::kIdent && IsRoot(e.name)) return true;
  if (e.target && UsesVariables(*e.target)) return true;
  for (const auto& a : e.args) {
    if (UsesVariables(*a)) return true;
  }
  for (const auto& k : e.keys) {
    if (UsesVariables(*k)) return true;
  }
  return false;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' ||
                        s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// Scans `s` at bracket depth 0, skipping string literals; calls fn(position) at each depth-0
// character. Returns false when the brackets or quotes do not balance.
template <typename Fn>
bool ScanTopLevel(std::string_view s, Fn&& fn) {
  int depth = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\'' || c == '"') {
      const bool triple = i + 2 < s.size() && s[i + 1] == c && s[i + 2] == c;
      std::size_t j = i + (triple ? 3 : 1);
      bool closed = false;
      while (j < s.size()) {
        if (s[j] == '\\') {
          j += 2;
          continue;
        }
        if (s[j] == c && (!triple || (j + 2 < s.size() && s[j + 1] == c && s[j + 2] == c))) {
          closed = true;
          j += triple ? 2 : 0;
          break;
        }
        ++j;
      }
      if (!closed) return false;
      i = j;
      continue;
    }
    if (c == '(' || c == '[' || c == '{') {
      ++depth;
    } else if (c == ')' || c == ']' || c == '}') {
      if (--depth < 0) return false;
    } else if (depth == 0) {
      fn(i);
    }
  }
  return depth == 0;
}

// Whether `s` is one parenthesized expression: "(...)" whose '(' closes at the end.
bool WrappedInParens(std::string_view s) {
  if (s.size() < 2 || s.front() != '(' || s.back() != ')') return false;
  // The inner text must balance on its own: then the outer pair encloses everything.
  return ScanTopLevel(s.substr(1, s.size() - 2), [](std::size_t) {});
}

}  // namespace

std::string AttributeRef::ToString() const {
  std::string out = root;
  for (const std::string& f : fields) {
    out += '.';
    out += f;
  }
  return out;
}

std::vector<AttributeRef> CollectAttributeRefs(const expr::Expr& root) {
  std::vector<AttributeRef> out;
  Walk(root, out);
  return out;
}

namespace {

// Splits at top-level `op` ("&&" or "||"); one element when a top-level `?:` (or, with
// `or_blocks`, a top-level `||`) makes the split meaningless.
std::vector<std::string_view> SplitTopLevel(std::string_view source, char op, bool or_blocks) {
  std::string_view s = Trim(source);
  while (WrappedInParens(s)) s = Trim(s.substr(1, s.size() - 2));
  std::vector<std::size_t> cuts;
  bool blocked = false;
  bool ok = ScanTopLevel(s, [&](std::size_t i) {
    if (i + 1 < s.size() && s[i] == op && s[i + 1] == op) cuts.push_back(i);
    if (s[i] == '?') blocked = true;
    if (or_blocks && i + 1 < s.size() && s[i] == '|' && s[i + 1] == '|') blocked = true;
  });
  if (!ok || blocked || cuts.empty()) return {s};
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i < cuts.size(); ++i) {
    if (i > 0 && cuts[i] < cuts[i - 1] + 2) return {s};  // "&&&" is not CEL
    out.push_back(Trim(s.substr(start, cuts[i] - start)));
    start = cuts[i] + 2;
  }
  out.push_back(Trim(s.substr(start)));
  for (std::string_view part : out) {
    if (part.empty()) return {s};
  }
  return out;
}

}  // namespace

std::string_view StripParens(std::string_view source) {
  std::string_view s = Trim(source);
  while (WrappedInParens(s)) s = Trim(s.substr(1, s.size() - 2));
  return s;
}

std::vector<std::string_view> SplitConjuncts(std::string_view source) {
  return SplitTopLevel(source, '&', /*or_blocks=*/true);
}

std::vector<std::string_view> SplitDisjuncts(std::string_view source) {
  return SplitTopLevel(source, '|', /*or_blocks=*/false);
}

Result<std::unique_ptr<CompiledCondition>> CompileCondition(std::string_view source,
                                                            const expr::CompileOptions& options) {
  auto c = std::make_unique<CompiledCondition>();
  c->source = std::string(source);
  c->limits = options.limits;
  c->fs = options.fs;
  BULWARK_ASSIGN_OR_RETURN(expr::ParsedExpr parsed, expr::Parse(source, options.parse));
  c->refs = CollectAttributeRefs(*parsed.root);
  c->constant = !UsesVariables(*parsed.root);
  BULWARK_ASSIGN_OR_RETURN(c->program, expr::Program::Compile(std::move(parsed), options));
  return c;
}

const ConjunctSet& CompiledCondition::Conjuncts() const {
  std::call_once(conjuncts_once, [this] {
    std::vector<std::string_view> parts = SplitConjuncts(source);
    if (parts.size() < 2) return;
    // The whole condition compiled (and type-checked), so every part does too; a part that
    // does not (a split the scanner got wrong) leaves the set empty.
    expr::CompileOptions options;
    options.limits = limits;
    options.fs = fs;
    ConjunctSet set;
    for (std::string_view part : parts) {
      auto p = expr::Parse(part, options.parse);
      if (!p) return;
      std::vector<AttributeRef> refs = CollectAttributeRefs(*p->root);
      auto program = expr::Program::Compile(std::move(*p), options);
      if (!program) return;
      set.texts.emplace_back(part);
      set.programs.push_back(std::move(*program));
      set.refs.push_back(std::move(refs));
    }
    conjuncts = std::move(set);
  });
  return conjuncts;
}

}  // namespace bulwark::access::internal
