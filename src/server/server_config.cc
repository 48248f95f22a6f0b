#include "bulwark/server/server_config.h"

#include <fmt/format.h>

#include <charconv>
#include <functional>
#include <map>

#include "bulwark/config/format.h"
#include "bulwark/core/duration.h"

namespace bulwark::server {
namespace fs = std::filesystem;
namespace {

// Reads one map, refusing keys that have no reader.
class MapReader {
 public:
  MapReader(std::string file, std::string where) : file_(std::move(file)), where_(std::move(where)) {}

  std::string Field(std::string_view key) const {
    return where_.empty() ? std::string(key) : fmt::format("{}.{}", where_, key);
  }
  std::unexpected<Error> Bad(std::string_view key, std::string_view what) const {
    return InvalidArgumentError(fmt::format("{}: {}: {}", file_, Field(key), what));
  }

  using Fn = std::function<Status(const config::Value&)>;
  Status Read(const config::Value& v, const std::map<std::string, Fn, std::less<>>& fields) const {
    if (!v.is_map()) {
      return InvalidArgumentError(fmt::format("{}: {}: a map", file_, where_.empty() ? "<top>" : where_));
    }
    for (const auto& [k, val] : v.AsMap()) {
      auto it = fields.find(k);
      if (it == fields.end()) {
        std::string known;
        for (const auto& [name, fn] : fields) known += (known.empty() ? "" : ", ") + name;
        return Bad(k, fmt::format("unknown field (known: {})", known));
      }
      BULWARK_RETURN_IF_ERROR(it->second(val));
    }
    return OkStatus();
  }

  Fn String(std::string_view key, std::string& out) const {
    return [this, key = std::string(key), &out](const config::Value& v) -> Status {
      if (!v.is_string() || v.AsString().empty()) return Bad(key, "a non-empty string");
      out = v.AsString();
      return OkStatus();
    };
  }
  Fn Path(std::string_view key, fs::path& out, const fs::path& base) const {
    return [this, key = std::string(key), &out, base](const config::Value& v) -> Status {
      if (!v.is_string() || v.AsString().empty()) return Bad(key, "a file path");
      fs::path p(v.AsString());
      out = p.is_absolute() ? p : base / p;
      return OkStatus();
    };
  }
  template <typename T>
  Fn Positive(std::string_view key, T& out) const {
    return [this, key = std::string(key), &out](const config::Value& v) -> Status {
      if (!v.is_int() || v.AsInt() <= 0) return Bad(key, "a positive integer");
      out = static_cast<T>(v.AsInt());
      return OkStatus();
    };
  }
  Fn Millis(std::string_view key, std::chrono::milliseconds& out) const {
    return [this, key = std::string(key), &out](const config::Value& v) -> Status {
      if (!v.is_int() || v.AsInt() <= 0) return Bad(key, "a positive number of milliseconds");
      out = std::chrono::milliseconds(v.AsInt());
      return OkStatus();
    };
  }
  Fn NonNegative(std::string_view key, double& out) const {
    return [this, key = std::string(key), &out](const config::Value& v) -> Status {
      double d = 0;
      if (v.is_int()) {
        d = static_cast<double>(v.AsInt());
      } else if (v.is_double()) {
        d = v.AsDouble();
      } else {
        return Bad(key, "a number");
      }
      if (d < 0) return Bad(key, "a number >= 0");
      out = d;
      return OkStatus();
    };
  }
  Fn Bool(std::string_view key, bool& out) const {
    return [this, key = std::string(key), &out](const config::Value& v) -> Status {
      if (!v.is_bool()) return Bad(key, "true or false");
      out = v.AsBool();
      return OkStatus();
    };
  }
  Fn Strings(std::string_view key, std::vector<std::string>& out) const {
    return [this, key = std::string(key), &out](const config::Value& v) -> Status {
      if (!v.is_list()) return Bad(key, "a list of strings");
      out.clear();
      for (const auto& e : v.AsList()) {
        if (!e.is_string() || e.AsString().empty()) return Bad(key, "a list of non-empty strings");
        out.push_back(e.AsString());
      }
      return OkStatus();
    };
  }
  const std::string& file() const { return file_; }

 private:
  std::string file_;
  std::string where_;
};

}  // namespace

Status ParseListen(std::string_view text, std::string& host, std::uint16_t& port) {
  std::string_view h, p;
  if (text.starts_with('[')) {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return InvalidArgumentError(fmt::format("'{}': expected [ipv6]:port", text));
    }
    h = text.substr(1, close - 1);
    p = text.substr(close + 2);
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return InvalidArgumentError(fmt::format("'{}': expected host:port", text));
    h = text.substr(0, colon);
    p = text.substr(colon + 1);
  }
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
  if (h.empty() || ec != std::errc() || ptr != p.data() + p.size() || value > 65535) {
    return InvalidArgumentError(fmt::format("'{}': expected host:port with a port 0-65535", text));
  }
  host = std::string(h);
  port = static_cast<std::uint16_t>(value);
  return OkStatus();
}

Result<ServerConfig> LoadServerConfig(FileSystem& files, const fs::path& file) {
  BULWARK_ASSIGN_OR_RETURN(config::Document doc, config::LoadFile(files, file, config::Format::kYaml));
  ServerConfig c;
  c.file = file;
  const std::string f = file.string();
  const fs::path base = file.has_parent_path() ? file.parent_path() : fs::path(".");
  std::string listen = "127.0.0.1:8200";
  std::string min_version = "1.3", client_auth = "none";
  bool have_tls = false, have_home = false;
  MapReader top(f, "");
  MapReader tls(f, "tls"), auth(f, "auth"), mtls(f, "auth.mtls"), authz(f, "authorization"),
      limits(f, "limits"), rate(f, "limits.rate_limit"), threads(f, "threads"), cache(f, "cache"),
      log(f, "log"), shutdown(f, "shutdown"), rotation(f, "rotation");
  std::string mtls_principal = "cn", mtls_roles = "ou";
  bool have_mtls = false;
  Status s = top.Read(doc.root, {
      {"listen", top.String("listen", listen)},
      {"home", [&](const config::Value& v) -> Status {
         have_home = true;
         return top.Path("home", c.home, base)(v);
       }},
      {"store", top.String("store", c.store_url)},
      {"audit_store", top.String("audit_store", c.audit_store_url)},
      {"passphrase_file", top.Path("passphrase_file", c.passphrase_file, base)},
      {"tls", [&](const config::Value& v) -> Status {
         have_tls = true;
         return tls.Read(v, {{"cert", tls.Path("cert", c.server.tls.cert, base)},
                             {"key", tls.Path("key", c.server.tls.key, base)},
                             {"client_ca", tls.Path("client_ca", c.server.tls.client_ca, base)},
                             {"min_version", tls.String("min_version", min_version)},
                             {"client_auth", tls.String("client_auth", client_auth)}});
       }},
      {"auth", [&](const config::Value& v) -> Status {
         // `token` and `jwt` are the identity module's sections (docs/identity.md), kept as they
         // are and read by identity::BuildAuthenticationMethods when the server opens.
         auto identity = [&](std::string key) {
           return [&c, key](const config::Value& m) -> Status {
             if (!c.identity_auth.is_map()) c.identity_auth = config::Value::EmptyMap();
             c.identity_auth.AsMap().Set(key, m);
             return OkStatus();
           };
         };
         return auth.Read(v, {{"tokens_file", auth.Path("tokens_file", c.tokens_file, base)},
                              {"token", identity("token")},
                              {"jwt", identity("jwt")},
                              {"ldap", identity("ldap")},
                              {"login", [&](const config::Value& m) -> Status {
                                 MapReader login(f, "auth.login");
                                 std::string ttl;
                                 std::size_t per_minute = c.login_attempts_per_minute;
                                 BULWARK_RETURN_IF_ERROR(login.Read(
                                     m, {{"token_ttl", login.String("token_ttl", ttl)},
                                         {"attempts_per_minute", login.Positive("attempts_per_minute", per_minute)}}));
                                 if (!ttl.empty()) {
                                   auto d = ParseDuration(ttl);
                                   if (!d) return login.Bad("token_ttl", d.error().message());
                                   if (*d < std::chrono::minutes(1) || *d > std::chrono::hours(24)) {
                                     return login.Bad("token_ttl", "between 1m and 24h");
                                   }
                                   c.login_token_ttl = *d;
                                 }
                                 c.login_attempts_per_minute = static_cast<unsigned>(per_minute);
                                 return OkStatus();
                               }},
                              {"mtls", [&](const config::Value& m) -> Status {
                                 have_mtls = true;
                                 return mtls.Read(m, {{"principal", mtls.String("principal", mtls_principal)},
                                                      {"roles_from", mtls.String("roles_from", mtls_roles)}});
                               }}});
       }},
      {"authorization", [&](const config::Value& v) -> Status {
         return authz.Read(v, {{"policies", authz.Path("policies", c.policies_dir, base)},
                               {"grants", [&](const config::Value& g) -> Status {
                                  if (!g.is_list()) return authz.Bad("grants", "a list of grants");
                                  std::size_t i = 0;
                                  for (const auto& e : g.AsList()) {
                                    Grant grant;
                                    MapReader gr(f, fmt::format("authorization.grants[{}]", i++));
                                    BULWARK_RETURN_IF_ERROR(gr.Read(
                                        e, {{"roles", gr.Strings("roles", grant.roles)},
                                            {"principals", gr.Strings("principals", grant.principals)},
                                            {"actions", gr.Strings("actions", grant.actions)},
                                            {"resources", gr.Strings("resources", grant.resources)}}));
                                    c.grants.push_back(std::move(grant));
                                  }
                                  return OkStatus();
                                }}});
       }},
      {"limits", [&](const config::Value& v) -> Status {
         Limits& l = c.server.limits;
         return limits.Read(v, {{"max_body_bytes", limits.Positive("max_body_bytes", l.max_body_bytes)},
                                {"max_header_bytes", limits.Positive("max_header_bytes", l.max_header_bytes)},
                                {"header_timeout_ms", limits.Millis("header_timeout_ms", l.header_timeout)},
                                {"request_timeout_ms", limits.Millis("request_timeout_ms", l.request_timeout)},
                                {"idle_timeout_ms", limits.Millis("idle_timeout_ms", l.idle_timeout)},
                                {"max_connections", limits.Positive("max_connections", l.max_connections)},
                                {"max_json_depth", limits.Positive("max_json_depth", l.max_json_depth)},
                                {"rate_limit", [&](const config::Value& r) -> Status {
                                   return rate.Read(r, {{"per_second", rate.NonNegative("per_second", l.rate_per_second)},
                                                        {"burst", rate.NonNegative("burst", l.rate_burst)}});
                                 }}});
       }},
      {"threads", [&](const config::Value& v) -> Status {
         return threads.Read(v, {{"io", threads.Positive("io", c.server.io_threads)},
                                 {"workers", threads.Positive("workers", c.server.worker_threads)}});
       }},
      {"cache", [&](const config::Value& v) -> Status {
         return cache.Read(v, {{"max_entries", [&](const config::Value& n) -> Status {
                                  if (!n.is_int() || n.AsInt() < 0) return cache.Bad("max_entries", "an integer >= 0");
                                  c.cache_entries = static_cast<std::size_t>(n.AsInt());
                                  return OkStatus();
                                }}});
       }},
      {"log", [&](const config::Value& v) -> Status {
         return log.Read(v, {{"requests", log.Bool("requests", c.server.log_requests)}});
       }},
      {"rotation", [&](const config::Value& v) -> Status {
         std::string schedule;
         BULWARK_RETURN_IF_ERROR(rotation.Read(
             v, {{"schedule", rotation.String("schedule", schedule)},
                 {"principal", rotation.String("principal", c.rotation_principal)},
                 {"roles", rotation.Strings("roles", c.rotation_roles)}}));
         if (schedule.empty()) return rotation.Bad("schedule", "required (a duration such as 1h)");
         auto d = ParseDuration(schedule);
         if (!d) return rotation.Bad("schedule", d.error().message());
         if (*d < std::chrono::minutes(1)) return rotation.Bad("schedule", "at least 1m");
         c.rotation_schedule = *d;
         if (c.rotation_principal.empty()) return rotation.Bad("principal", "a non-empty principal id");
         return OkStatus();
       }},
      {"shutdown", [&](const config::Value& v) -> Status {
         return shutdown.Read(v, {{"drain_timeout_ms", shutdown.Millis("drain_timeout_ms", c.server.drain_timeout)}});
       }},
  });
  BULWARK_RETURN_IF_ERROR(s);
  if (auto l = ParseListen(listen, c.server.host, c.server.port); !l) {
    return InvalidArgumentError(fmt::format("{}: listen: {}", f, l.error().message()));
  }
  if (!have_home) return InvalidArgumentError(fmt::format("{}: home: required (the Bulwark home the server opens)", f));
  if (!c.policies_dir.empty() && !c.grants.empty()) {
    return InvalidArgumentError(fmt::format(
        "{}: authorization: give policies (the access engine) or grants, not both", f));
  }
  if (!have_tls || c.server.tls.cert.empty() || c.server.tls.key.empty()) {
    return InvalidArgumentError(fmt::format("{}: tls.cert and tls.key: required (the server speaks TLS only)", f));
  }
  if (min_version == "1.2") {
    c.server.tls.allow_tls12 = true;
  } else if (min_version != "1.3") {
    return InvalidArgumentError(fmt::format("{}: tls.min_version: \"1.3\" or \"1.2\", not \"{}\"", f, min_version));
  }
  if (client_auth == "none") {
    c.server.tls.client_auth = TlsOptions::ClientAuth::kNone;
  } else if (client_auth == "optional") {
    c.server.tls.client_auth = TlsOptions::ClientAuth::kOptional;
  } else if (client_auth == "required") {
    c.server.tls.client_auth = TlsOptions::ClientAuth::kRequired;
  } else {
    return InvalidArgumentError(fmt::format("{}: tls.client_auth: none, optional or required, not \"{}\"", f, client_auth));
  }
  if (c.server.tls.client_auth != TlsOptions::ClientAuth::kNone && c.server.tls.client_ca.empty()) {
    return InvalidArgumentError(fmt::format("{}: tls.client_ca: required when client_auth is {}", f, client_auth));
  }
  if (c.identity_auth.is_map() && c.identity_auth.AsMap().Contains("ldap") &&
      !c.identity_auth.AsMap().Contains("token")) {
    return InvalidArgumentError(fmt::format(
        "{}: auth.ldap: needs auth.token (the LDAP login returns a token from that store)", f));
  }
  if (have_mtls) {
    if (c.server.tls.client_auth == TlsOptions::ClientAuth::kNone) {
      return InvalidArgumentError(fmt::format("{}: auth.mtls: needs tls.client_auth optional or required", f));
    }
    MtlsMapping m;
    static const std::map<std::string, MtlsMapping::Name, std::less<>> kNames = {
        {"cn", MtlsMapping::Name::kCommonName}, {"san-dns", MtlsMapping::Name::kSanDns},
        {"san-uri", MtlsMapping::Name::kSanUri}, {"san-email", MtlsMapping::Name::kSanEmail}};
    auto it = kNames.find(mtls_principal);
    if (it == kNames.end()) {
      return InvalidArgumentError(fmt::format("{}: auth.mtls.principal: cn, san-dns, san-uri or san-email", f));
    }
    m.name = it->second;
    if (mtls_roles != "ou" && mtls_roles != "none") {
      return InvalidArgumentError(fmt::format("{}: auth.mtls.roles_from: ou or none", f));
    }
    m.roles_from_ou = mtls_roles == "ou";
    c.mtls = m;
  }
  if (c.server.limits.rate_per_second > 0 && c.server.limits.rate_burst == 0) {
    c.server.limits.rate_burst = c.server.limits.rate_per_second;
  }
  return c;
}

}  // namespace bulwark::server
