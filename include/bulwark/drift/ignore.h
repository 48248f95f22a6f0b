// Ignore rules for drift reports: path globs for values that legitimately differ between the
// approved baseline and what is live (a pod name, a build id).
//
// A rule is a glob over the canonical dotted path (config/path.h), in the access policies' path
// glob language (access/glob.h with separator '.', no classes): `*` matches any run of characters
// without `.`, `**` any run, `?` one character other than `.`, `\c` the character c; brackets
// are literal (`hosts[*]` matches `hosts[3]`). A rule matches a path when it matches the path
// itself or one of its ancestors, so `cache` and `cache.**` both ignore everything under `cache`.
//
// Ignore files hold one rule per line; blank lines and lines starting with `#` are skipped;
// surrounding whitespace is trimmed.
//
// Errors: kInvalidArgument for an empty rule, a rule with a control character or one the glob
// compiler refuses (a trailing backslash, too many wildcards), naming the rule's source (option or
// file:line).
//
// Thread safety: an IgnoreRules is immutable after construction and safe to share.
#ifndef BULWARK_DRIFT_IGNORE_H_
#define BULWARK_DRIFT_IGNORE_H_

#include <string>
#include <string_view>
#include <vector>

#include "bulwark/access/glob.h"
#include "bulwark/config/path.h"
#include "bulwark/core/error.h"

namespace bulwark::drift {

class IgnoreRules {
 public:
  IgnoreRules() = default;
  // Rules given directly (`--ignore GLOB`); `source` names them in errors.
  static Result<IgnoreRules> Create(const std::vector<std::string>& globs,
                                    std::string_view source = "--ignore");
  // Rules from the text of an ignore file named `source`.
  static Result<IgnoreRules> Parse(std::string_view text, std::string_view source);
  // Adds the rules of `other`.
  void Merge(const IgnoreRules& other);

  bool Matches(const config::Path& path) const;
  bool empty() const { return globs_.empty(); }
  std::vector<std::string> globs() const;

 private:
  std::vector<access::Glob> globs_;
};

}  // namespace bulwark::drift

#endif  // BULWARK_DRIFT_IGNORE_H_
