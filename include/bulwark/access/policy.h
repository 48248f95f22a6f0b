// Access policies as data: one policy file, parsed and checked (docs/access.md "Policy files",
// JSON Schema docs/policy.schema.json, compiled into the library).
//
// ParsePolicy validates the document against the schema and checks what the schema cannot say:
// known action names, well-formed resource patterns and principal globs, unique statement ids,
// access levels. Conditions are compiled later, by PolicySet::Create, which reports their errors
// with the statement's location too. Every error is kInvalidArgument and reads
// "<file>:<line>:<column>: policy NAME: statement ID: <field>: <problem>" (the parts that are
// known). Access levels are expanded into ordinary allow statements here.
#ifndef BULWARK_ACCESS_POLICY_H_
#define BULWARK_ACCESS_POLICY_H_

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bulwark/access/action.h"
#include "bulwark/config/document.h"
#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"

namespace bulwark::access {

enum class Effect : std::uint8_t { kAllow, kDeny };
std::string_view EffectName(Effect effect);  // "allow", "deny"

struct Statement {
  std::string policy;  // the policy's name
  std::string id;      // unique in the policy
  std::string description;
  Effect effect = Effect::kAllow;
  std::vector<std::string> principals;  // principal id globs ('*' matches any run)
  std::vector<std::string> roles;
  std::vector<std::string> groups;
  ActionSet actions;
  std::vector<std::string> resources;  // resource patterns (bulwark/access/resource.h)
  std::string when;                    // CEL; "" when unconditional
  config::SourceLocation location;      // where the statement starts
  config::SourceLocation when_location;  // where `when` is (condition errors)

  // "POLICY/ID".
  std::string QualifiedId() const { return policy + "/" + id; }
};

struct RoleDefinition {
  std::string name;
  std::string description;
  std::vector<std::string> inherits;
  bool defines_inheritance = false;     // `inherits` was given
  std::vector<std::string> members;     // principal id globs
  std::vector<std::string> groups;
  config::SourceLocation location;
};

struct PolicySettings {
  std::optional<bool> builtin;
  std::optional<bool> environment_isolation;
};

// Attribute names conditions may use besides the built-in ones (for lint).
struct AttributeDeclarations {
  std::vector<std::string> principal;
  std::vector<std::string> resource;
  std::vector<std::string> context;
};

struct Policy {
  std::string name;
  std::string description;
  std::string source;  // file name (or "<builtin>")
  PolicySettings settings;
  // environment name -> resource patterns, in file order.
  std::vector<std::pair<std::string, std::vector<std::string>>> environments;
  AttributeDeclarations attributes;
  std::vector<RoleDefinition> roles;
  std::vector<Statement> statements;  // access levels appended as allow statements
};

// Parses one policy (YAML, or JSON when `source_name` ends in ".json").
Result<Policy> ParsePolicy(std::string_view text, std::string source_name);

// Every *.yaml, *.yml and *.json file of `dir` (not recursive), sorted by file name.
// kNotFound when the directory does not exist, kInvalidArgument for an invalid file, kUnavailable
// when a file cannot be read.
Result<std::vector<Policy>> LoadPolicyDirectory(FileSystem& fs, const std::filesystem::path& dir);

// The built-in policy (src/access/builtin.yaml): the built-in roles and their permissions.
const Policy& BuiltinPolicy();

// The JSON Schema of policy files (docs/policy.schema.json).
std::string_view PolicySchemaText();

// The actions of a per-secret access level ("READ", "WRITE", "ROTATE", "ADMIN"); empty for an
// unknown level.
ActionSet AccessLevelActions(std::string_view level);

}  // namespace bulwark::access

#endif  // BULWARK_ACCESS_POLICY_H_
