// The statement index of a PolicySet (internal; docs/access.md "Evaluation").
//
// Subjects (roles, groups, exact principal ids, principal globs, and "anyone") own one bucket per
// action. A bucket lists (statement, resource pattern) entries; past kIndexThreshold entries it
// is keyed by ResourcePattern::IndexKey so that a request visits only the entries filed under
// its own resource's index keys (ForEachIndexKey).
#ifndef BULWARK_SRC_ACCESS_INDEX_H_
#define BULWARK_SRC_ACCESS_INDEX_H_

#include <array>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "bulwark/access/action.h"
#include "bulwark/access/glob.h"
#include "bulwark/config/value.h"

namespace bulwark::access::internal {

struct Entry {
  std::uint32_t statement;
  std::uint32_t pattern;
};

struct Bucket {
  static constexpr std::size_t kIndexThreshold = 16;
  std::vector<Entry> entries;  // all entries (the small form, and the analyses)
  bool keyed = false;
  std::unordered_map<std::string, std::vector<Entry>, config::StringHash, std::equal_to<>> by_key;
};

// Bucket ids per action; -1 when the subject has no statement for that action.
using ActionBuckets = std::array<std::int32_t, kActionCount>;
inline ActionBuckets NoBuckets() {
  ActionBuckets b;
  b.fill(-1);
  return b;
}

struct RoleInfo {
  std::string name;
  std::vector<std::uint32_t> inherits;  // direct
  std::vector<std::uint32_t> closure;   // itself and everything inherited, sorted
  bool defined = false;                 // by a role definition (built in or in a policy)
  ActionBuckets buckets = NoBuckets();
};

// A principal id, a principal glob or a group: the roles it confers and its own statements.
struct SubjectInfo {
  std::vector<std::uint32_t> roles;  // direct role ids
  ActionBuckets buckets = NoBuckets();
};

struct GlobSubject {
  Glob glob;
  SubjectInfo info;
};

struct Index {
  std::vector<Bucket> buckets;
  std::vector<RoleInfo> roles;
  std::unordered_map<std::string, std::uint32_t, config::StringHash, std::equal_to<>> role_ids;
  std::unordered_map<std::string, SubjectInfo, config::StringHash, std::equal_to<>> principals;
  std::unordered_map<std::string, SubjectInfo, config::StringHash, std::equal_to<>> groups;
  std::vector<GlobSubject> principal_globs;
  SubjectInfo anyone;  // principals: ["*"], members: ["*"]
};

}  // namespace bulwark::access::internal

#endif  // BULWARK_SRC_ACCESS_INDEX_H_
