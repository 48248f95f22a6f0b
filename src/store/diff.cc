#include "bulwark/store/diff.h"

#include <map>
#include <string>

#include "bulwark/config/path.h"

namespace bulwark::store {

bool IsEncryptedToken(const config::Value& v) {
  const std::string* s = v.IfString();
  return s != nullptr && s->starts_with("ENC[");
}

std::vector<DiffEntry> DiffValues(const config::Value& from, const config::Value& to) {
  std::map<std::string, const config::Value*> old_leaves;
  std::map<std::string, const config::Value*> new_leaves;
  config::WalkLeaves(from, [&](const config::Path& p, const config::Value& v) {
    old_leaves.emplace(p.ToString(), &v);
  });
  config::WalkLeaves(to, [&](const config::Path& p, const config::Value& v) {
    new_leaves.emplace(p.ToString(), &v);
  });

  std::vector<DiffEntry> out;
  auto o = old_leaves.begin();
  auto n = new_leaves.begin();
  while (o != old_leaves.end() || n != new_leaves.end()) {
    DiffEntry e;
    if (n == new_leaves.end() || (o != old_leaves.end() && o->first < n->first)) {
      e.path = o->first;
      e.kind = DiffEntry::Kind::kRemoved;
      e.redacted = IsEncryptedToken(*o->second);
      if (!e.redacted) e.old_value = *o->second;
      ++o;
    } else if (o == old_leaves.end() || n->first < o->first) {
      e.path = n->first;
      e.kind = DiffEntry::Kind::kAdded;
      e.redacted = IsEncryptedToken(*n->second);
      if (!e.redacted) e.new_value = *n->second;
      ++n;
    } else {
      const config::Value& a = *o->second;
      const config::Value& b = *n->second;
      std::string path = o->first;
      ++o;
      ++n;
      if (a == b) continue;
      e.path = std::move(path);
      e.kind = DiffEntry::Kind::kChanged;
      e.redacted = IsEncryptedToken(a) || IsEncryptedToken(b);
      if (!e.redacted) {
        e.old_value = a;
        e.new_value = b;
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace bulwark::store
