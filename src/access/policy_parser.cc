// Reading policy files: schema validation, then the checks the schema cannot express.
#include <fmt/format.h>

#include <set>
#include <utility>

#include "access/embedded_files.h"
#include "bulwark/access/glob.h"
#include "bulwark/access/policy.h"
#include "bulwark/access/resource.h"
#include "bulwark/config/format.h"
#include "bulwark/config/path.h"
#include "bulwark/config/schema.h"

namespace bulwark::access {
namespace {

// Error messages while reading one file: "<file:line:col>: policy P: statement S: <path>: msg".
class PolicyReader {
 public:
  PolicyReader(const config::Document& doc, std::string source)
      : doc_(doc), source_(std::move(source)) {}

  config::SourceLocation LocationOf(const config::Path& path) const {
    if (auto loc = doc_.LocationOf(path)) return *loc;
    return {source_, 0, 0};
  }
  std::string Message(const config::Path& path, std::string_view message) const {
    std::string out = LocationOf(path).ToString() + ": ";
    if (const config::Value* name = doc_.root.Get("name"); name != nullptr && name->is_string()) {
      out += "policy " + name->AsString() + ": ";
    }
    const auto& segs = path.segments();
    if (segs.size() >= 2 && segs[0].is_key() && segs[1].is_index()) {
      const config::Value* id = config::Find(
          doc_.root, config::Path().Key(segs[0].key()).Index(segs[1].index()).Key(
                         segs[0].key() == "roles" ? "name" : "id"));
      if (id != nullptr && id->is_string()) {
        if (segs[0].key() == "statements") out += "statement " + id->AsString() + ": ";
        if (segs[0].key() == "roles") out += "role " + id->AsString() + ": ";
      }
    }
    if (!path.empty()) out += path.ToString() + ": ";
    out += message;
    return out;
  }
  std::unexpected<Error> Fail(const config::Path& path, std::string_view message) const {
    return InvalidArgumentError(Message(path, message));
  }

 private:
  const config::Document& doc_;
  std::string source_;
};

std::string StringOr(const config::Value& map, std::string_view key) {
  const config::Value* v = map.Get(key);
  return v != nullptr && v->is_string() ? v->AsString() : std::string();
}

std::vector<std::string> Strings(const config::Value& map, std::string_view key) {
  std::vector<std::string> out;
  if (const config::Value* v = map.Get(key); v != nullptr && v->is_list()) {
    for (const config::Value& e : v->AsList()) {
      if (e.is_string()) out.push_back(e.AsString());
    }
  }
  return out;
}

const config::Schema& PolicySchema() {
  static const config::Schema* schema = [] {
    auto doc = config::ParseDocument(PolicySchemaText(), config::Format::kJson,
                                     {.source_name = "policy.schema.json"});
    if (!doc) std::abort();  // the embedded schema is part of the build; tests parse it
    auto s = config::Schema::Create(doc->root, "policy.schema.json");
    if (!s) std::abort();
    return s->release();
  }();
  return *schema;
}

// Escapes glob characters so that an exact principal id can be used as a principal glob.
std::string EscapeGlob(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '*' || c == '?' || c == '\\' || c == '[') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

bool IsRoleName(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  auto ok_first = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!ok_first(s[0])) return false;
  for (char c : s) {
    if (!ok_first(c) && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

Status CheckPrincipalGlobs(const PolicyReader& reader, const config::Path& path,
                           const std::vector<std::string>& globs) {
  for (std::size_t i = 0; i < globs.size(); ++i) {
    auto g = Glob::Compile(globs[i], '\0', /*classes=*/false);
    if (!g) return reader.Fail(path.Index(i), g.error().message());
  }
  return OkStatus();
}

Status CheckResources(const PolicyReader& reader, const config::Path& path,
                      const std::vector<std::string>& resources) {
  for (std::size_t i = 0; i < resources.size(); ++i) {
    auto p = ResourcePattern::Parse(resources[i]);
    if (!p) return reader.Fail(path.Index(i), p.error().message());
  }
  return OkStatus();
}

}  // namespace

std::string_view EffectName(Effect effect) { return effect == Effect::kAllow ? "allow" : "deny"; }

std::string_view PolicySchemaText() { return internal::kPolicySchema; }

ActionSet AccessLevelActions(std::string_view level) {
  ActionSet s;
  using A = Action;
  if (level == "READ" || level == "WRITE" || level == "ADMIN") {
    s.Add(A::kRead);
    s.Add(A::kReveal);
    s.Add(A::kList);
  }
  if (level == "WRITE" || level == "ADMIN") {
    s.Add(A::kWrite);
    s.Add(A::kDelete);
  }
  if (level == "ROTATE" || level == "ADMIN") s.Add(A::kRotate);
  if (level == "ADMIN") s.Add(A::kAdmin);
  return s;
}

Result<Policy> ParsePolicy(std::string_view text, std::string source_name) {
  config::ParseOptions popts;
  popts.source_name = source_name;
  popts.max_depth = 32;
  const bool json = source_name.ends_with(".json");
  auto doc =
      config::ParseDocument(text, json ? config::Format::kJson : config::Format::kYaml, popts);
  if (!doc) return std::unexpected(doc.error().WithContext("parse access policy"));
  PolicyReader reader(*doc, source_name);
  const config::Value& root = doc->root;
  if (!root.is_map()) {
    return InvalidArgumentError(source_name + ": an access policy is a map (apiVersion, kind, "
                                              "name, statements, ...)");
  }
  std::vector<config::SchemaError> problems = PolicySchema().Validate(root);
  if (!problems.empty()) {
    std::string msg = reader.Message(problems.front().path, problems.front().message);
    if (problems.size() > 1) msg += fmt::format(" (and {} more problems)", problems.size() - 1);
    return InvalidArgumentError(msg);
  }

  Policy policy;
  policy.name = StringOr(root, "name");
  policy.description = StringOr(root, "description");
  policy.source = source_name;
  if (const config::Value* s = root.Get("settings")) {
    if (const config::Value* b = s->Get("builtin")) policy.settings.builtin = b->AsBool();
    if (const config::Value* b = s->Get("environment_isolation")) {
      policy.settings.environment_isolation = b->AsBool();
    }
  }
  if (const config::Value* envs = root.Get("environments")) {
    for (const config::MapEntry& e : envs->AsMap()) {
      std::vector<std::string> patterns;
      for (const config::Value& p : e.value.AsList()) patterns.push_back(p.AsString());
      BULWARK_RETURN_IF_ERROR(
          CheckResources(reader, config::Path().Key("environments").Key(e.key), patterns));
      policy.environments.emplace_back(e.key, std::move(patterns));
    }
  }
  if (const config::Value* attrs = root.Get("attributes")) {
    policy.attributes.principal = Strings(*attrs, "principal");
    policy.attributes.resource = Strings(*attrs, "resource");
    policy.attributes.context = Strings(*attrs, "context");
  }

  if (const config::Value* roles = root.Get("roles")) {
    std::set<std::string, std::less<>> names;
    const config::ValueList& list = roles->AsList();
    for (std::size_t i = 0; i < list.size(); ++i) {
      const config::Value& r = list[i];
      const config::Path rpath = config::Path().Key("roles").Index(i);
      RoleDefinition role;
      role.name = StringOr(r, "name");
      if (!names.insert(role.name).second) {
        return reader.Fail(rpath.Key("name"), "role defined twice in this file");
      }
      role.description = StringOr(r, "description");
      role.defines_inheritance = r.Get("inherits") != nullptr;
      role.inherits = Strings(r, "inherits");
      role.members = Strings(r, "members");
      role.groups = Strings(r, "groups");
      BULWARK_RETURN_IF_ERROR(CheckPrincipalGlobs(reader, rpath.Key("members"), role.members));
      role.location = reader.LocationOf(rpath);
      policy.roles.push_back(std::move(role));
    }
  }

  std::set<std::string, std::less<>> ids;
  if (const config::Value* statements = root.Get("statements")) {
    const config::ValueList& list = statements->AsList();
    for (std::size_t i = 0; i < list.size(); ++i) {
      const config::Value& s = list[i];
      const config::Path spath = config::Path().Key("statements").Index(i);
      Statement st;
      st.policy = policy.name;
      st.id = StringOr(s, "id");
      if (!ids.insert(st.id).second) {
        return reader.Fail(spath.Key("id"), "statement id used twice in this file");
      }
      st.description = StringOr(s, "description");
      st.effect = StringOr(s, "effect") == "deny" ? Effect::kDeny : Effect::kAllow;
      st.principals = Strings(s, "principals");
      st.roles = Strings(s, "roles");
      st.groups = Strings(s, "groups");
      BULWARK_RETURN_IF_ERROR(
          CheckPrincipalGlobs(reader, spath.Key("principals"), st.principals));
      std::vector<std::string> actions = Strings(s, "actions");
      for (std::size_t a = 0; a < actions.size(); ++a) {
        if (actions[a] == "*") {
          st.actions = ActionSet::All();
          continue;
        }
        auto action = ParseAction(actions[a]);
        if (!action) {
          return reader.Fail(
              spath.Key("actions").Index(a),
              fmt::format("unknown action '{}' (read, reveal, write, delete, list, rotate, "
                          "approve, admin, audit.read, or *)",
                          actions[a]));
        }
        st.actions.Add(*action);
      }
      st.resources = Strings(s, "resources");
      BULWARK_RETURN_IF_ERROR(CheckResources(reader, spath.Key("resources"), st.resources));
      st.when = StringOr(s, "when");
      st.location = reader.LocationOf(spath);
      if (!st.when.empty()) st.when_location = reader.LocationOf(spath.Key("when"));
      policy.statements.push_back(std::move(st));
    }
  }

  if (const config::Value* levels = root.Get("access_levels")) {
    const config::ValueList& list = levels->AsList();
    for (std::size_t i = 0; i < list.size(); ++i) {
      const config::Value& entry = list[i];
      const config::Path lpath = config::Path().Key("access_levels").Index(i);
      std::vector<std::string> resources = Strings(entry, "resources");
      BULWARK_RETURN_IF_ERROR(CheckResources(reader, lpath.Key("resources"), resources));
      for (const config::MapEntry& subject : entry.Get("levels")->AsMap()) {
        const config::Path spath = lpath.Key("levels").Key(subject.key);
        Statement base;
        base.policy = policy.name;
        base.effect = Effect::kAllow;
        base.resources = resources;
        base.location = reader.LocationOf(spath);
        const std::string& key = subject.key;
        if (key.starts_with("role:")) {
          base.roles.push_back(key.substr(5));
          if (!IsRoleName(base.roles.back())) return reader.Fail(spath, "invalid role name");
        } else if (key.starts_with("group:")) {
          base.groups.push_back(key.substr(6));
          if (base.groups.back().empty()) return reader.Fail(spath, "empty group name");
        } else {
          base.principals.push_back(EscapeGlob(key));
          if (IsRoleName(key)) base.roles.push_back(key);
        }
        std::set<std::string, std::less<>> seen;
        for (const config::Value& level : subject.value.AsList()) {
          const std::string& name = level.AsString();
          if (!seen.insert(name).second) continue;
          Statement st = base;
          st.id = fmt::format("access_levels[{}].{}.{}", i, key, name);
          st.actions = AccessLevelActions(name);
          st.description = fmt::format("access level {} of {}", name, key);
          policy.statements.push_back(std::move(st));
        }
      }
    }
  }
  return policy;
}

Result<std::vector<Policy>> LoadPolicyDirectory(FileSystem& fs, const std::filesystem::path& dir) {
  BULWARK_ASSIGN_OR_RETURN(bool exists, fs.Exists(dir));
  if (!exists) {
    return NotFoundError(fmt::format("policy directory {} does not exist", dir.string()));
  }
  auto entries = fs.ListDirectory(dir);
  if (!entries) return std::unexpected(entries.error().WithContext("list policy directory"));
  std::vector<Policy> out;
  for (const std::filesystem::path& entry : *entries) {
    const std::string ext = entry.extension().string();
    if (ext != ".yaml" && ext != ".yml" && ext != ".json") continue;
    const std::filesystem::path file = dir / entry.filename();
    auto text = fs.ReadFile(file, 64 << 20);
    if (!text) return std::unexpected(text.error().WithContext("read access policy"));
    BULWARK_ASSIGN_OR_RETURN(Policy p, ParsePolicy(*text, file.string()));
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace bulwark::access
