// Resources: what a request names, and the patterns statements match them with.
//
// A resource name is `TYPE:NAME` (`config:tenant-5/production` for a namespace,
// `config:tenant-5/production:db.password` for one of its paths, `audit:log`, `key:k1`,
// `policy:payments`, `change:42`); a pattern is `*`, a type alone (`config`), `TYPE:GLOB`, or
// `config:NSGLOB:PATHGLOB` (docs/access.md "Resource patterns", globs in bulwark/access/glob.h).
#ifndef BULWARK_ACCESS_RESOURCE_H_
#define BULWARK_ACCESS_RESOURCE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "bulwark/access/action.h"
#include "bulwark/access/glob.h"
#include "bulwark/config/value.h"
#include "bulwark/core/error.h"

namespace bulwark::access {

enum class ResourceType : std::uint8_t { kConfig, kAudit, kKey, kPolicy, kChange };
inline constexpr std::size_t kResourceTypeCount = 5;

// "config", "audit", "key", "policy", "change".
std::string_view ResourceTypeName(ResourceType type);
std::optional<ResourceType> ParseResourceType(std::string_view name);

// The actions that can apply to resources of a type (config: read, reveal, write, delete, list,
// rotate, admin; audit: audit.read, list, admin; key: read, write, delete, list, rotate, admin;
// policy: read, write, delete, list, admin; change: read, write, delete, list, approve, admin).
ActionSet ApplicableActions(ResourceType type);

// A resource as a request names it, by view: the strings belong to the caller and must outlive
// the decision. `path` is the canonical dotted path (config only), empty for the namespace as a
// whole. `attributes` (a map: environment, sensitivity, owner, tags, tenant, ...) may be null.
struct ResourceRef {
  ResourceType type = ResourceType::kConfig;
  std::string_view name;
  std::string_view path;
  const config::Value* attributes = nullptr;
};

// An owned, parsed resource name.
struct ResourceName {
  ResourceType type = ResourceType::kConfig;
  std::string name;
  std::string path;

  // kInvalidArgument for an unknown type, an empty name, glob characters, an empty or invalid
  // path (the path is canonicalized: `a["b"]` becomes `a.b`), or a path on a non-config type.
  static Result<ResourceName> Parse(std::string_view text);
  ResourceRef ref(const config::Value* attributes = nullptr) const {
    return {type, name, path, attributes};
  }
  std::string ToString() const;
};
// `config:NAME[:PATH]`, `TYPE:NAME`.
std::string FormatResource(const ResourceRef& r);

class ResourcePattern {
 public:
  enum class Scope : std::uint8_t {
    kEverything,  // "*"
    kType,        // "config": every resource of the type
    kName,        // "TYPE:GLOB" (config: the namespaces and every path in them)
    kPath,        // "config:NSGLOB:PATHGLOB"
  };

  // kInvalidArgument naming the problem (unknown type, empty part, bad glob).
  static Result<ResourcePattern> Parse(std::string_view text);

  bool Matches(const ResourceRef& r) const;

  const std::string& text() const { return text_; }
  Scope scope() const { return scope_; }
  ResourceType type() const { return type_; }
  const Glob& name() const { return name_; }
  const Glob& path() const { return path_; }
  // The key under which the engine's prefix index files this pattern: every resource the pattern
  // matches has this key among its IndexKeys (bulwark/access internal index, docs/access.md).
  std::string IndexKey() const;

 private:
  std::string text_;
  Scope scope_ = Scope::kEverything;
  ResourceType type_ = ResourceType::kConfig;
  Glob name_;
  Glob path_;
};

// Calls `fn(key)` for every index key of a resource (see ResourcePattern::IndexKey): "", "TYPE:",
// each prefix of the name ending in '/', NAME + '/', NAME + ':', and for a path each prefix ending
// in '.' and PATH + '.'. `buffer` is scratch space.
template <typename Fn>
void ForEachIndexKey(const ResourceRef& r, std::string& buffer, Fn&& fn) {
  buffer.clear();
  fn(std::string_view());
  buffer.append(ResourceTypeName(r.type));
  buffer.push_back(':');
  fn(std::string_view(buffer));
  const std::size_t base = buffer.size();
  buffer.append(r.name);
  for (std::size_t i = 0; i < r.name.size(); ++i) {
    if (r.name[i] == '/') fn(std::string_view(buffer).substr(0, base + i + 1));
  }
  buffer.push_back('/');
  fn(std::string_view(buffer));
  buffer.back() = ':';
  fn(std::string_view(buffer));
  if (r.path.empty()) return;
  const std::size_t pbase = buffer.size();
  buffer.append(r.path);
  for (std::size_t i = 0; i < r.path.size(); ++i) {
    if (r.path[i] == '.') fn(std::string_view(buffer).substr(0, pbase + i + 1));
  }
  buffer.push_back('.');
  fn(std::string_view(buffer));
}

}  // namespace bulwark::access

#endif  // BULWARK_ACCESS_RESOURCE_H_
