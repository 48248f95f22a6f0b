#include "bulwark/identity/certificate_authenticator.h"

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <set>

#include "identity/internal/config_reader.h"
#include "identity/internal/principal.h"

namespace bulwark::identity {
namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

X509Ptr Parse(const std::vector<std::uint8_t>& der) {
  const unsigned char* p = der.data();
  X509* x = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
  if (x == nullptr || p != der.data() + der.size()) {
    X509_free(x);
    ERR_clear_error();
    return nullptr;
  }
  return X509Ptr(x);
}

// A printable name: no NUL, no control characters.
std::optional<std::string> Text(const ASN1_STRING* s) {
  if (s == nullptr) return std::nullopt;
  std::string out(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                  static_cast<std::size_t>(ASN1_STRING_length(s)));
  for (unsigned char c : out) {
    if (c < 0x20 || c == 0x7f) return std::nullopt;
  }
  return out;
}

std::string NameRfc2253(const X509_NAME* name) {
  BIO* bio = BIO_new(BIO_s_mem());
  X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(len));
  BIO_free(bio);
  return out;
}

std::vector<std::string> Entries(const X509_NAME* name, int nid) {
  std::vector<std::string> out;
  for (int i = X509_NAME_get_index_by_NID(name, nid, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(name, nid, i)) {
    ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
    unsigned char* utf8 = nullptr;
    const int len = ASN1_STRING_to_UTF8(&utf8, s);
    if (len < 0) continue;
    std::string v(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(len));
    OPENSSL_free(utf8);
    bool ok = true;
    for (unsigned char c : v) ok = ok && c >= 0x20 && c != 0x7f;
    if (ok) out.push_back(std::move(v));
  }
  return out;
}

struct San {
  int type;
  std::string value;
};

std::vector<San> Sans(X509* x) {
  std::vector<San> out;
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* g = sk_GENERAL_NAME_value(names, i);
    if (g->type == GEN_URI || g->type == GEN_DNS || g->type == GEN_EMAIL) {
      if (auto t = Text(g->d.ia5)) out.push_back({g->type, *t});
    }
  }
  GENERAL_NAMES_free(names);
  return out;
}

int NidOf(std::string_view short_name) {
  static const std::map<std::string, int, std::less<>> kFields = {
      {"cn", NID_commonName},
      {"o", NID_organizationName},
      {"ou", NID_organizationalUnitName},
      {"l", NID_localityName},
      {"st", NID_stateOrProvinceName},
      {"c", NID_countryName},
      {"serialNumber", NID_serialNumber}};
  auto it = kFields.find(short_name);
  return it == kFields.end() ? NID_undef : it->second;
}

}  // namespace

Result<std::unique_ptr<CertificateAuthenticator>> CertificateAuthenticator::Create(
    CertificateMapping mapping, std::shared_ptr<Clock> clock) {
  static const std::set<std::string, std::less<>> kReserved = {"method", "mfa",    "subject",
                                                               "issuer", "serial", "sans"};
  for (const auto& [attr, field] : mapping.attributes) {
    if (kReserved.contains(attr)) {
      return InvalidArgumentError(
          fmt::format("mtls.attributes.{}: set by the method itself", attr));
    }
    if (NidOf(field) == NID_undef) {
      return InvalidArgumentError(fmt::format(
          "mtls.attributes.{}: '{}' is not a subject field (cn, o, ou, l, st, c, serialNumber)",
          attr, field));
    }
  }
  return std::unique_ptr<CertificateAuthenticator>(
      new CertificateAuthenticator(std::move(mapping), std::move(clock)));
}

Result<std::unique_ptr<CertificateAuthenticator>> CertificateAuthenticator::FromConfig(
    const config::Value& section, std::string_view where, std::shared_ptr<Clock> clock) {
  BULWARK_ASSIGN_OR_RETURN(auto r, internal::ConfigReader::Create(section, std::string(where)));
  BULWARK_RETURN_IF_ERROR(
      r.OnlyKeys({"id_from", "id_prefix", "roles_from", "roles", "attributes"}));
  CertificateMapping m;
  BULWARK_ASSIGN_OR_RETURN(std::string id_from, r.String("id_from", "san_uri"));
  if (id_from == "san_uri") {
    m.id_from = CertificateMapping::IdSource::kSanUri;
  } else if (id_from == "san_dns") {
    m.id_from = CertificateMapping::IdSource::kSanDns;
  } else if (id_from == "san_email") {
    m.id_from = CertificateMapping::IdSource::kSanEmail;
  } else if (id_from == "cn") {
    m.id_from = CertificateMapping::IdSource::kCommonName;
  } else {
    return InvalidArgumentError(fmt::format("{}: '{}' (expected san_uri, san_dns, san_email or cn)",
                                            r.Where("id_from"), id_from));
  }
  BULWARK_ASSIGN_OR_RETURN(m.id_prefix, r.String("id_prefix"));
  BULWARK_ASSIGN_OR_RETURN(std::string roles_from, r.String("roles_from", "ou"));
  if (roles_from != "ou" && roles_from != "none") {
    return InvalidArgumentError(fmt::format("{}: expected ou or none", r.Where("roles_from")));
  }
  m.roles_from_ou = roles_from == "ou";
  if (const config::Value* roles = r.Find("roles"); roles != nullptr) {
    BULWARK_ASSIGN_OR_RETURN(m.roles, RoleMapping::FromValue(*roles, r.Where("roles")));
  }
  BULWARK_ASSIGN_OR_RETURN(m.attributes, r.StringMap("attributes", {}));
  auto a = Create(std::move(m), std::move(clock));
  if (!a) return std::unexpected(a.error().WithContext(where));
  return a;
}

bool CertificateAuthenticator::Accepts(const Credential& credential) const {
  return credential.kind == CredentialKind::kClientCertificate;
}

std::string CertificateAuthenticator::ClaimedId(const Credential& credential) const {
  X509Ptr x = Parse(credential.certificate_der);
  return x ? "mtls:" + NameRfc2253(X509_get_subject_name(x.get())).substr(0, 256) : "";
}

Result<service::Principal> CertificateAuthenticator::Authenticate(
    const Credential& credential) const {
  if (credential.kind != CredentialKind::kClientCertificate) {
    return UnauthenticatedError("not a client certificate");
  }
  X509Ptr x = Parse(credential.certificate_der);
  if (!x) return UnauthenticatedError("client certificate is malformed");
  time_t now = std::chrono::system_clock::to_time_t(clock_->Now());
  if (X509_cmp_time(X509_get0_notBefore(x.get()), &now) > 0 ||
      X509_cmp_time(X509_get0_notAfter(x.get()), &now) < 0) {
    return UnauthenticatedError("client certificate is not valid at this time");
  }
  const X509_NAME* subject = X509_get_subject_name(x.get());
  const std::vector<San> sans = Sans(x.get());

  std::vector<std::string> candidates;
  using Src = CertificateMapping::IdSource;
  if (mapping_.id_from == Src::kCommonName) {
    candidates = Entries(subject, NID_commonName);
  } else {
    const int type = mapping_.id_from == Src::kSanUri   ? GEN_URI
                     : mapping_.id_from == Src::kSanDns ? GEN_DNS
                                                        : GEN_EMAIL;
    for (const auto& s : sans) {
      if (s.type == type) candidates.push_back(s.value);
    }
  }
  std::string name;
  for (const auto& c : candidates) {
    if (!c.starts_with(mapping_.id_prefix)) continue;
    name = c.substr(mapping_.id_prefix.size());
    if (!name.empty()) break;
  }
  if (name.empty()) return UnauthenticatedError("client certificate has no usable name");

  std::vector<std::string> groups;
  if (mapping_.roles_from_ou) groups = Entries(subject, NID_organizationalUnitName);

  service::Principal p =
      internal::NewPrincipal("mtls", "mtls:" + name, mapping_.roles.Map(groups), "mtls", false);
  auto& a = p.attributes.AsMap();
  a.Set("subject", config::Value(NameRfc2253(subject)));
  a.Set("issuer", config::Value(NameRfc2253(X509_get_issuer_name(x.get()))));
  if (BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x.get()), nullptr); bn != nullptr) {
    char* hex = BN_bn2hex(bn);
    a.Set("serial", config::Value(std::string(hex)));
    OPENSSL_free(hex);
    BN_free(bn);
  }
  std::vector<std::string> san_text;
  for (const auto& s : sans) {
    san_text.push_back((s.type == GEN_URI   ? "URI:"
                        : s.type == GEN_DNS ? "DNS:"
                                            : "email:") +
                       s.value);
  }
  a.Set("sans", internal::StringListValue(san_text));
  for (const auto& [attr, field] : mapping_.attributes) {
    auto values = Entries(subject, NidOf(field));
    if (!values.empty()) a.Set(attr, config::Value(values[0]));
  }
  return p;
}

}  // namespace bulwark::identity
