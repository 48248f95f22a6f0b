#include "bulwark/node/home.h"

#include <fmt/format.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "bulwark/config/format.h"

namespace bulwark::node {
namespace fs = std::filesystem;

Environment ProcessEnvironment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

fs::path Home::compromise_journal(keys::KeyId id) const {
  return dir / fmt::format("compromise-{}.journal", keys::FormatKeyId(id));
}

namespace {

// A set, non-empty variable.
std::optional<std::string> NonEmpty(const Environment& env, std::string_view name) {
  auto v = env(name);
  if (!v || v->empty()) return std::nullopt;
  return v;
}

}  // namespace

Status RestrictHome(FileSystem& fs, const Home& home,
                    const std::function<void(std::string_view)>& warn) {
  constexpr fs::perms kShared = fs::perms::group_all | fs::perms::others_all;
  auto restrict = [&](const fs::path& path) -> Status {
    Result<fs::perms> before = fs.RestrictToOwner(path);
    if (!before) {
      // Gone since the listing (a temporary renamed away): nothing to protect.
      if (before.error().code() == ErrorCode::kNotFound) return OkStatus();
      return std::unexpected(before.error().WithContext("making the home private"));
    }
    if ((*before & kShared) != fs::perms::none && warn) {
      const auto mode = static_cast<unsigned>(*before & fs::perms::mask);
      warn(fmt::format("warning: {} was readable or writable by others (mode {:04o}); now {:04o}",
                       path.string(), mode, mode & ~static_cast<unsigned>(kShared)));
    }
    return OkStatus();
  };
  BULWARK_ASSIGN_OR_RETURN(bool exists, fs.Exists(home.dir));
  if (!exists) return OkStatus();
  // Only a directory that holds a home's files is treated as one: a BULWARK_HOME pointed at some
  // other directory by mistake does not have its unrelated files changed (init restricts the
  // directory it takes over).
  bool is_home = false;
  for (const fs::path& f : {home.settings_file(), home.keyring(), home.keystore(), home.store_db(),
                            home.audit_db(), home.audit_log_key(), home.provider_file()}) {
    BULWARK_ASSIGN_OR_RETURN(bool e, fs.Exists(f));
    if (e) {
      is_home = true;
      break;
    }
  }
  if (!is_home) return OkStatus();
  BULWARK_RETURN_IF_ERROR(restrict(home.dir));
  BULWARK_ASSIGN_OR_RETURN(std::vector<fs::path> entries, fs.ListDirectory(home.dir));
  for (const fs::path& name : entries) BULWARK_RETURN_IF_ERROR(restrict(home.dir / name));
  return OkStatus();
}

Result<Home> ResolveHome(const fs::path& flag, const Environment& env) {
  if (!flag.empty()) return Home{flag};
  if (auto h = NonEmpty(env, "BULWARK_HOME")) return Home{fs::path(*h)};
  if (auto h = NonEmpty(env, "HOME")) return Home{fs::path(*h) / ".bulwark"};
  return InvalidArgumentError("no home directory: pass --home or set BULWARK_HOME");
}

std::string ResolveStoreUrl(const std::string& flag, const Environment& env, const Home& home) {
  if (!flag.empty()) return flag;
  if (auto s = NonEmpty(env, "BULWARK_STORE")) return *s;
  return home.default_store_url();
}

std::filesystem::path ResolveStoreMacKeyPath(const Environment& env, const Home& home) {
  if (auto e = env("BULWARK_STORE_MAC_KEY"); e && !e->empty()) return *e;
  return home.store_mac_key();
}

Result<std::string> ResolveAuditStoreUrl(const Environment& env, FileSystem& files,
                                         const Home& home) {
  if (auto e = NonEmpty(env, "BULWARK_AUDIT_STORE")) return *e;
  const fs::path file = home.config_file();
  BULWARK_ASSIGN_OR_RETURN(bool exists, files.Exists(file));
  if (exists) {
    BULWARK_ASSIGN_OR_RETURN(config::Document doc,
                             config::LoadFile(files, file, config::Format::kYaml));
    if (const config::Value* a = doc.root.Get("audit")) {
      const config::Value* st = a->is_map() ? a->Get("store") : nullptr;
      if (st != nullptr) {
        if (!st->is_string() || st->AsString().empty()) {
          return InvalidArgumentError(fmt::format(
              "{}: audit.store: a store URL (sqlite:PATH or postgresql://...)", file.string()));
        }
        return st->AsString();
      }
    }
  }
  return "sqlite:" + home.audit_db().string();
}

std::string DisplayUrl(std::string_view url) {
  std::string out(url);
  if (const auto at = out.find('@'); out.starts_with("postgres") && at != std::string::npos) {
    const auto scheme = out.find("://");
    if (scheme != std::string::npos && scheme < at) {
      out = out.substr(0, scheme + 3) + "***" + out.substr(at);
    }
  }
  if (out.starts_with("sqlite:")) out = out.substr(7);
  return out;
}

Result<HomeSettings> ParseHomeSettings(std::string_view text, std::string_view file) {
  HomeSettings s;
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return DataLossError(fmt::format("{}: not a JSON object", file));
  if (j.contains("algorithm_policy")) {
    const auto& p = j["algorithm_policy"];
    if (!p.is_string() || (p != "standard" && p != "fips")) {
      return DataLossError(
          fmt::format("{}: 'algorithm_policy' must be \"standard\" or \"fips\"", file));
    }
    s.fips = p == "fips";
  }
  return s;
}

Result<HomeSettings> ReadHomeSettings(FileSystem& files, const Home& home) {
  const fs::path file = home.settings_file();
  BULWARK_ASSIGN_OR_RETURN(bool exists, files.Exists(file));
  if (!exists) return HomeSettings{};
  BULWARK_ASSIGN_OR_RETURN(std::string text, files.ReadFile(file));
  return ParseHomeSettings(text, file.string());
}

Status WriteHomeSettings(FileSystem& files, const Home& home, const HomeSettings& settings) {
  nlohmann::ordered_json j = {{"algorithm_policy", settings.fips ? "fips" : "standard"}};
  return files.WriteFileAtomic(home.settings_file(), j.dump(2) + "\n", kPrivateFile);
}

Result<ProviderConfig> ParseProviderConfig(std::string_view text, std::string_view file) {
  ProviderConfig c;
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto str = [&](const char* k) -> std::string {
    return j.is_object() && j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : "";
  };
  c.kind = str("provider");
  if (c.kind == "local") return c;
  if (c.kind != "pkcs11") {
    return DataLossError(fmt::format("{}: 'provider' must be \"local\" or \"pkcs11\"", file));
  }
  c.module = str("module");
  c.token_label = str("token_label");
  c.key_label = str("key_label");
  if (c.module.empty() || c.token_label.empty() || c.key_label.empty()) {
    return DataLossError(
        fmt::format("{}: pkcs11 needs 'module', 'token_label' and 'key_label'", file));
  }
  return c;
}

Result<ProviderConfig> ReadProviderConfig(FileSystem& files, const Home& home) {
  const fs::path file = home.provider_file();
  BULWARK_ASSIGN_OR_RETURN(bool exists, files.Exists(file));
  if (!exists) return ProviderConfig{};
  BULWARK_ASSIGN_OR_RETURN(std::string text, files.ReadFile(file));
  return ParseProviderConfig(text, file.string());
}

Status WriteProviderConfig(FileSystem& files, const Home& home, const ProviderConfig& c) {
  nlohmann::ordered_json j = {{"provider", c.kind}};
  if (c.kind == "pkcs11") {
    j["module"] = c.module;
    j["token_label"] = c.token_label;
    j["key_label"] = c.key_label;
  }
  return files.WriteFileAtomic(home.provider_file(), j.dump(2) + "\n", kPrivateFile);
}

Result<ComplianceSettings> ReadComplianceSettings(FileSystem& files, const Home& home) {
  ComplianceSettings out;
  const fs::path file = home.config_file();
  BULWARK_ASSIGN_OR_RETURN(bool exists, files.Exists(file));
  if (!exists) return out;
  BULWARK_ASSIGN_OR_RETURN(config::Document doc,
                           config::LoadFile(files, file, config::Format::kYaml));
  const config::Value* c = doc.root.Get("compliance");
  if (c == nullptr) return out;
  if (const config::Value* packs = c->Get("packs")) {
    if (!packs->is_list()) {
      return InvalidArgumentError(
          fmt::format("{}: compliance.packs must be a list", file.string()));
    }
    out.packs.clear();
    for (const auto& p : packs->AsList()) {
      if (!p.is_string()) {
        return InvalidArgumentError(
            fmt::format("{}: compliance.packs: names or files", file.string()));
      }
      out.packs.push_back(p.AsString());
    }
  }
  if (const config::Value* gate = c->Get("gate")) {
    if (!gate->is_string()) {
      return InvalidArgumentError(
          fmt::format("{}: compliance.gate: a severity or off", file.string()));
    }
    if (gate->AsString() != "off") {
      BULWARK_ASSIGN_OR_RETURN(compliance::Severity sev,
                               compliance::ParseSeverity(gate->AsString()));
      out.gate = sev;
    }
  }
  return out;
}

}  // namespace bulwark::node
