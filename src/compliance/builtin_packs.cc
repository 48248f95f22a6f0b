#include "bulwark/compliance/builtin_packs.h"

#include <algorithm>

#include "compliance/embedded_files.h"

namespace bulwark::compliance {

std::string_view RulePackSchemaText() { return internal::kRulePackSchema; }

std::string_view ServiceSchemaText() { return internal::kServiceSchema; }

std::vector<std::string> BuiltinPackNames() {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < internal::kBuiltinPackCount; ++i) {
    names.emplace_back(internal::kBuiltinPacks[i].name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

Result<std::string_view> BuiltinPackText(std::string_view name) {
  for (std::size_t i = 0; i < internal::kBuiltinPackCount; ++i) {
    if (internal::kBuiltinPacks[i].name == name) return internal::kBuiltinPacks[i].text;
  }
  std::string list;
  for (const std::string& n : BuiltinPackNames()) list += (list.empty() ? "" : ", ") + n;
  return NotFoundError("no built-in rule pack named '" + std::string(name.substr(0, 64)) +
                       "' (built-in packs: " + list + ")");
}

Result<std::unique_ptr<RulePack>> LoadBuiltinPack(std::string_view name,
                                                  const RulePackOptions& options) {
  BULWARK_ASSIGN_OR_RETURN(std::string_view text, BuiltinPackText(name));
  return RulePack::Parse(text, "builtin:" + std::string(name) + ".yaml", options);
}

}  // namespace bulwark::compliance

namespace bulwark::compliance {

Result<std::shared_ptr<const RulePack>> LoadPackSpec(FileSystem& fs, const std::string& spec) {
  if (!spec.ends_with(".yaml") && !spec.ends_with(".yml") && !spec.ends_with(".json")) {
    auto builtin = LoadBuiltinPack(spec);
    if (builtin) return std::shared_ptr<const RulePack>(std::move(*builtin));
    auto exists = fs.Exists(spec);
    if (!exists || !*exists) return std::unexpected(builtin.error());
  }
  BULWARK_ASSIGN_OR_RETURN(auto pack, RulePack::LoadFile(fs, spec));
  return std::shared_ptr<const RulePack>(std::move(pack));
}

}  // namespace bulwark::compliance
