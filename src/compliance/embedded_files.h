// Data embedded at build time (see embed_files.cmake): the built-in packs, the pack schema and the
// service configuration schema.
#ifndef BULWARK_SRC_COMPLIANCE_EMBEDDED_FILES_H_
#define BULWARK_SRC_COMPLIANCE_EMBEDDED_FILES_H_

#include <cstddef>
#include <string_view>

namespace bulwark::compliance::internal {

struct EmbeddedFile {
  std::string_view name;  // file name without extension
  std::string_view text;
};

extern const std::string_view kRulePackSchema;
extern const std::string_view kServiceSchema;
extern const EmbeddedFile kBuiltinPacks[];
extern const std::size_t kBuiltinPackCount;

}  // namespace bulwark::compliance::internal

#endif  // BULWARK_SRC_COMPLIANCE_EMBEDDED_FILES_H_
