#include "bulwark/identity/ldap_authenticator.h"

#include <fmt/format.h>
#include <ldap.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <map>
#include <optional>

#include "identity/internal/config_reader.h"
#include "identity/internal/principal.h"

namespace bulwark::identity {
namespace {

constexpr std::string_view kInvalid = "invalid credentials";

std::string Replace(std::string_view tmpl, std::string_view key, std::string_view value) {
  std::string out;
  std::size_t pos = 0;
  while (true) {
    const std::size_t at = tmpl.find(key, pos);
    out.append(tmpl.substr(pos, at == std::string_view::npos ? std::string_view::npos : at - pos));
    if (at == std::string_view::npos) return out;
    out.append(value);
    pos = at + key.size();
  }
}

bool ValidUserName(std::string_view user) {
  if (user.empty() || user.size() > 256) return false;
  for (unsigned char c : user) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

// One connection to the directory, unbound on destruction.
class Connection {
 public:
  ~Connection() {
    if (ld_ != nullptr) ldap_unbind_ext_s(ld_, nullptr, nullptr);
  }

  Status Open(const LdapConfig& c) {
    if (ldap_initialize(&ld_, c.url.c_str()) != LDAP_SUCCESS || ld_ == nullptr) {
      return UnavailableError(fmt::format("ldap {}: cannot initialize", c.url));
    }
    int version = LDAP_VERSION3;
    ldap_set_option(ld_, LDAP_OPT_PROTOCOL_VERSION, &version);
    ldap_set_option(ld_, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(c.timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((c.timeout.count() % 1000) * 1000);
    ldap_set_option(ld_, LDAP_OPT_NETWORK_TIMEOUT, &tv);
    ldap_set_option(ld_, LDAP_OPT_TIMEOUT, &tv);
    timeout_ = tv;
    int demand = LDAP_OPT_X_TLS_DEMAND;
    ldap_set_option(ld_, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand);
    if (!c.ca_file.empty()) ldap_set_option(ld_, LDAP_OPT_X_TLS_CACERTFILE, c.ca_file.c_str());
    int new_ctx = 0;
    ldap_set_option(ld_, LDAP_OPT_X_TLS_NEWCTX, &new_ctx);
    if (c.start_tls) {
      const int rc = ldap_start_tls_s(ld_, nullptr, nullptr);
      if (rc != LDAP_SUCCESS) {
        return UnavailableError(
            fmt::format("ldap {}: StartTLS failed: {}", c.url, ldap_err2string(rc)));
      }
    }
    url_ = c.url;
    return OkStatus();
  }

  // LDAP_SUCCESS, LDAP_INVALID_CREDENTIALS, or another code.
  int Bind(const std::string& dn, const SecretBytes& password) {
    berval cred{};
    cred.bv_len = static_cast<ber_len_t>(password.size());
    cred.bv_val = const_cast<char*>(password.RevealAsString().data());
    return ldap_sasl_bind_s(ld_, dn.c_str(), LDAP_SASL_SIMPLE, &cred, nullptr, nullptr, nullptr);
  }

  Status Unavailable(std::string_view what, int rc) const {
    return UnavailableError(fmt::format("ldap {}: {}: {}", url_, what, ldap_err2string(rc)));
  }

  struct Entry {
    std::string dn;
    std::map<std::string, std::vector<std::string>> values;
  };

  Result<std::vector<Entry>> Search(const std::string& base, int scope, const std::string& filter,
                                    const std::vector<std::string>& attrs, int limit) {
    std::vector<char*> names;
    for (const auto& a : attrs) names.push_back(const_cast<char*>(a.c_str()));
    names.push_back(nullptr);
    LDAPMessage* res = nullptr;
    timeval tv = timeout_;
    const int rc = ldap_search_ext_s(ld_, base.c_str(), scope, filter.c_str(),
                                     attrs.empty() ? nullptr : names.data(), 0, nullptr, nullptr,
                                     &tv, limit, &res);
    std::vector<Entry> out;
    if (rc != LDAP_SUCCESS && rc != LDAP_SIZELIMIT_EXCEEDED && rc != LDAP_NO_SUCH_OBJECT) {
      ldap_msgfree(res);
      return std::unexpected(Unavailable("search", rc).error());
    }
    for (LDAPMessage* e = ldap_first_entry(ld_, res); e != nullptr; e = ldap_next_entry(ld_, e)) {
      Entry entry;
      if (char* dn = ldap_get_dn(ld_, e); dn != nullptr) {
        entry.dn = dn;
        ldap_memfree(dn);
      }
      for (const auto& a : attrs) {
        berval** vals = ldap_get_values_len(ld_, e, a.c_str());
        if (vals == nullptr) continue;
        for (int i = 0; vals[i] != nullptr; ++i) {
          entry.values[a].emplace_back(vals[i]->bv_val, vals[i]->bv_len);
        }
        ldap_value_free_len(vals);
      }
      out.push_back(std::move(entry));
    }
    ldap_msgfree(res);
    if (rc == LDAP_SIZELIMIT_EXCEEDED && out.size() < 2) {
      return std::unexpected(Unavailable("search", rc).error());
    }
    return out;
  }

 private:
  LDAP* ld_ = nullptr;
  std::string url_;
  timeval timeout_{};
};

}  // namespace

std::string EscapeLdapFilterValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '*':
        out += "\\2a";
        break;
      case '(':
        out += "\\28";
        break;
      case ')':
        out += "\\29";
        break;
      case '\\':
        out += "\\5c";
        break;
      case '\0':
        out += "\\00";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string EscapeLdapDnValue(std::string_view value) {
  std::string out;
  out.reserve(value.size() + 4);
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    const bool special = c == ',' || c == '+' || c == '"' || c == '\\' || c == '<' || c == '>' ||
                         c == ';' || c == '=';
    const bool edge = (i == 0 && (c == '#' || c == ' ')) || (i + 1 == value.size() && c == ' ');
    if (c == '\0') {
      out += "\\00";
    } else if (special || edge) {
      out.push_back('\\');
      out.push_back(c);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Result<std::unique_ptr<LdapAuthenticator>> LdapAuthenticator::Create(LdapConfig c) {
  if (!c.url.starts_with("ldap://") && !c.url.starts_with("ldaps://")) {
    return InvalidArgumentError("ldap.url: expected ldap://host[:port] or ldaps://host[:port]");
  }
  if (c.url.starts_with("ldap://") && !c.start_tls && !c.allow_plaintext) {
    return InvalidArgumentError(
        "ldap: ldap:// sends passwords in clear; set start_tls: true, use ldaps://, or (loopback "
        "tests only) allow_plaintext: true");
  }
  if (c.user_dn.empty() == c.user_base.empty()) {
    return InvalidArgumentError(
        "ldap: give exactly one of user_dn (direct bind) and user_base "
        "(search-then-bind)");
  }
  if (!c.user_dn.empty() && c.user_dn.find("{user}") == std::string::npos) {
    return InvalidArgumentError("ldap.user_dn: must contain {user}");
  }
  if (!c.user_base.empty()) {
    if (c.user_filter.find("{user}") == std::string::npos) {
      return InvalidArgumentError("ldap.user_filter: must contain {user}");
    }
    if (c.bind_dn.empty() || c.bind_password == nullptr || c.bind_password->empty()) {
      return InvalidArgumentError(
          "ldap: search-then-bind needs bind_dn and bind_password_file (a service account)");
    }
  }
  if (c.id_attribute.empty()) return InvalidArgumentError("ldap.id_attribute: required");
  if (!c.group_base.empty() && c.group_attribute.empty()) {
    return InvalidArgumentError("ldap.group_attribute: required with group_base");
  }
  return std::unique_ptr<LdapAuthenticator>(new LdapAuthenticator(std::move(c)));
}

Result<std::unique_ptr<LdapAuthenticator>> LdapAuthenticator::FromConfig(
    const config::Value& section, std::string_view where, const Runtime& runtime,
    const std::filesystem::path& base_dir) {
  BULWARK_ASSIGN_OR_RETURN(auto r, internal::ConfigReader::Create(section, std::string(where)));
  BULWARK_RETURN_IF_ERROR(
      r.OnlyKeys({"url", "start_tls", "ca_file", "allow_plaintext", "timeout", "user_dn", "bind_dn",
                  "bind_password_file", "user_base", "user_filter", "group_base", "group_filter",
                  "group_attribute", "id_attribute", "attributes", "roles"}));
  LdapConfig c;
  auto rel = [&](const std::string& p) {
    return p.empty() || std::filesystem::path(p).is_absolute() ? p : (base_dir / p).string();
  };
  BULWARK_ASSIGN_OR_RETURN(c.url, r.RequiredString("url"));
  BULWARK_ASSIGN_OR_RETURN(c.start_tls, r.Bool("start_tls", false));
  BULWARK_ASSIGN_OR_RETURN(std::string ca, r.String("ca_file"));
  c.ca_file = rel(ca);
  BULWARK_ASSIGN_OR_RETURN(c.allow_plaintext, r.Bool("allow_plaintext", false));
  BULWARK_ASSIGN_OR_RETURN(auto timeout, r.Duration("timeout", std::chrono::seconds(5)));
  if (timeout.count() < 1 || timeout > std::chrono::minutes(1)) {
    return InvalidArgumentError(fmt::format("{}: from 1s to 1m", r.Where("timeout")));
  }
  c.timeout = timeout;
  BULWARK_ASSIGN_OR_RETURN(c.user_dn, r.String("user_dn"));
  BULWARK_ASSIGN_OR_RETURN(c.bind_dn, r.String("bind_dn"));
  BULWARK_ASSIGN_OR_RETURN(std::string pw_file, r.String("bind_password_file"));
  if (!pw_file.empty()) {
    auto text = runtime.fs->ReadFile(rel(pw_file), 4096);
    if (!text) return std::unexpected(text.error().WithContext(r.Where("bind_password_file")));
    std::string_view t = *text;
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.remove_suffix(1);
    c.bind_password = std::make_shared<const SecretBytes>(SecretBytes::FromString(t));
    OPENSSL_cleanse(text->data(), text->size());
  }
  BULWARK_ASSIGN_OR_RETURN(c.user_base, r.String("user_base"));
  BULWARK_ASSIGN_OR_RETURN(c.user_filter, r.String("user_filter", "(uid={user})"));
  BULWARK_ASSIGN_OR_RETURN(c.group_base, r.String("group_base"));
  BULWARK_ASSIGN_OR_RETURN(c.group_filter, r.String("group_filter", "(member={dn})"));
  BULWARK_ASSIGN_OR_RETURN(c.group_attribute, r.String("group_attribute", "cn"));
  BULWARK_ASSIGN_OR_RETURN(c.id_attribute, r.String("id_attribute", "uid"));
  BULWARK_ASSIGN_OR_RETURN(c.attributes,
                           r.StringMap("attributes", {"method", "mfa", "dn", "groups"}));
  if (const config::Value* roles = r.Find("roles"); roles != nullptr) {
    BULWARK_ASSIGN_OR_RETURN(c.roles, RoleMapping::FromValue(*roles, r.Where("roles")));
  }
  auto a = Create(std::move(c));
  if (!a) return std::unexpected(a.error().WithContext(where));
  return a;
}

bool LdapAuthenticator::Accepts(const Credential& credential) const {
  return credential.kind == CredentialKind::kPassword;
}

std::string LdapAuthenticator::ClaimedId(const Credential& credential) const {
  return "ldap:" + credential.username.substr(0, 256);
}

Result<service::Principal> LdapAuthenticator::Authenticate(const Credential& credential) const {
  const std::string& user = credential.username;
  if (credential.kind != CredentialKind::kPassword || !ValidUserName(user) ||
      credential.secret.empty()) {
    return UnauthenticatedError(std::string(kInvalid));
  }
  Connection conn;
  BULWARK_RETURN_IF_ERROR(conn.Open(config_));

  std::vector<std::string> attrs = {config_.id_attribute};
  for (const auto& [_, attr] : config_.attributes) attrs.push_back(attr);

  std::string dn;
  std::optional<Connection::Entry> entry;
  if (!config_.user_dn.empty()) {
    dn = Replace(config_.user_dn, "{user}", EscapeLdapDnValue(user));
  } else {
    const int rc = conn.Bind(config_.bind_dn, *config_.bind_password);
    if (rc != LDAP_SUCCESS)
      return std::unexpected(conn.Unavailable("service account bind", rc).error());
    BULWARK_ASSIGN_OR_RETURN(
        auto found,
        conn.Search(config_.user_base, LDAP_SCOPE_SUBTREE,
                    Replace(config_.user_filter, "{user}", EscapeLdapFilterValue(user)), attrs, 2));
    if (found.size() == 1) {
      dn = found[0].dn;
      entry = std::move(found[0]);
    } else {
      // Unknown (or ambiguous) user: still pay for a bind, to a DN nobody has.
      (void)conn.Bind("cn=bulwark-no-such-user," + config_.user_base, credential.secret);
      return UnauthenticatedError(std::string(kInvalid));
    }
  }

  const int rc = conn.Bind(dn, credential.secret);
  if (rc == LDAP_INVALID_CREDENTIALS || rc == LDAP_INVALID_DN_SYNTAX || rc == LDAP_NO_SUCH_OBJECT ||
      rc == LDAP_UNWILLING_TO_PERFORM || rc == LDAP_INAPPROPRIATE_AUTH) {
    return UnauthenticatedError(std::string(kInvalid));
  }
  if (rc != LDAP_SUCCESS) return std::unexpected(conn.Unavailable("bind", rc).error());

  if (!entry) {
    BULWARK_ASSIGN_OR_RETURN(auto self,
                             conn.Search(dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 1));
    if (!self.empty()) entry = std::move(self[0]);
  }
  std::string id;
  if (entry) {
    auto it = entry->values.find(config_.id_attribute);
    if (it != entry->values.end() && !it->second.empty()) id = it->second[0];
  }
  if (id.empty()) {
    return UnauthenticatedError(
        fmt::format("directory entry has no '{}' to name the principal", config_.id_attribute));
  }
  std::vector<std::string> groups;
  if (!config_.group_base.empty()) {
    if (!config_.bind_dn.empty()) {
      const int again = conn.Bind(config_.bind_dn, *config_.bind_password);
      if (again != LDAP_SUCCESS) {
        return std::unexpected(conn.Unavailable("service account bind", again).error());
      }
    }
    std::string filter = Replace(config_.group_filter, "{dn}", EscapeLdapFilterValue(dn));
    filter = Replace(filter, "{user}", EscapeLdapFilterValue(user));
    BULWARK_ASSIGN_OR_RETURN(auto found, conn.Search(config_.group_base, LDAP_SCOPE_SUBTREE, filter,
                                                     {config_.group_attribute}, 1000));
    for (const auto& g : found) {
      auto it = g.values.find(config_.group_attribute);
      if (it != g.values.end()) groups.insert(groups.end(), it->second.begin(), it->second.end());
    }
    std::sort(groups.begin(), groups.end());
    groups.erase(std::unique(groups.begin(), groups.end()), groups.end());
  }

  service::Principal p =
      internal::NewPrincipal("ldap", "ldap:" + id, config_.roles.Map(groups), "ldap", false);
  auto& a = p.attributes.AsMap();
  a.Set("dn", config::Value(dn));
  a.Set("groups", internal::StringListValue(groups));
  if (entry) {
    for (const auto& [attribute, ldap_attr] : config_.attributes) {
      auto it = entry->values.find(ldap_attr);
      if (it != entry->values.end() && !it->second.empty())
        a.Set(attribute, config::Value(it->second[0]));
    }
  }
  return p;
}

}  // namespace bulwark::identity
