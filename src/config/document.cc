#include "bulwark/config/document.h"

namespace bulwark::config {

std::string SourceLocation::ToString() const {
  if (line == 0) return source;
  return source + ":" + std::to_string(line) + ":" + std::to_string(column);
}

const SourceLocation* Document::LocationOf(const Path& path) const {
  Path p = path;
  for (;;) {
    auto it = locations.find(p);
    if (it != locations.end()) return &it->second;
    if (p.empty()) return nullptr;
    p.Pop();
  }
}

}  // namespace bulwark::config
