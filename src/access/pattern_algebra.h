// Reasoning about patterns instead of strings (internal; used by lint, who-can and diff).
//
// Inclusion is sound but not complete: GlobIncludes(outer, inner) is true only when every string
// `inner` matches is matched by `outer` (it treats inner's wildcards as symbols that only an
// equally or more general wildcard of `outer` absorbs), so a lint finding built on it is never a
// false alarm. Intersection finds a real witness string (a breadth-first search of the product of
// the two automata over the characters both patterns mention plus a filler), or reports none.
#ifndef BULWARK_SRC_ACCESS_PATTERN_ALGEBRA_H_
#define BULWARK_SRC_ACCESS_PATTERN_ALGEBRA_H_

#include <optional>
#include <string>
#include <vector>

#include "bulwark/access/glob.h"
#include "bulwark/access/resource.h"

namespace bulwark::access::internal {

// The filler written for wildcards in examples: a name no pattern is expected to mention.
inline constexpr char kFiller[] = "x0";

bool GlobIncludes(const Glob& outer, const Glob& inner);
// A string both globs match (they must share the separator), if any.
std::optional<std::string> GlobIntersection(const Glob& a, const Glob& b);
// A string the glob matches: wildcards filled with kFiller, classes with a member.
std::string GlobExample(const Glob& g);

bool PatternIncludes(const ResourcePattern& outer, const ResourcePattern& inner);
// Example resources the pattern matches (for config names: the namespace and a path in it).
std::vector<ResourceName> PatternExamples(const ResourcePattern& p);
// A resource both patterns match, if any.
std::optional<ResourceName> PatternIntersection(const ResourcePattern& a,
                                                const ResourcePattern& b);

}  // namespace bulwark::access::internal

#endif  // BULWARK_SRC_ACCESS_PATTERN_ALGEBRA_H_
