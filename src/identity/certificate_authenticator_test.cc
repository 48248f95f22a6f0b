#include "bulwark/identity/certificate_authenticator.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdlib>

#include "bulwark/config/format.h"
#include "bulwark/testing/fake_runtime.h"
#include "bulwark/testing/temp_dir.h"

namespace bulwark::identity {
namespace {

// A self-signed certificate made by the openssl CLI, as DER. Empty on failure.
std::vector<std::uint8_t> MakeCert(const bulwark::testing::TempDir& dir, const std::string& name,
                                   const std::string& subject, const std::string& san) {
  const std::string d = dir.path().string();
  std::string cmd = "cd '" + d +
                    "' && openssl req -x509 -newkey ec -pkeyopt "
                    "ec_paramgen_curve:P-256 -nodes -keyout " +
                    name + ".key -out " + name + ".pem -days 2 -subj '" + subject + "'";
  if (!san.empty()) cmd += " -addext 'subjectAltName=" + san + "'";
  cmd += " >>gen.log 2>&1";
  if (std::system(cmd.c_str()) != 0) return {};
  std::FILE* f = std::fopen((dir / (name + ".pem")).c_str(), "r");
  if (f == nullptr) return {};
  X509* x = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (x == nullptr) return {};
  unsigned char* der = nullptr;
  const int len = i2d_X509(x, &der);
  std::vector<std::uint8_t> out(der, der + len);
  OPENSSL_free(der);
  X509_free(x);
  return out;
}

class CertificateAuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spiffe_ = MakeCert(dir_, "spiffe", "/O=acme/OU=payments/OU=ops/CN=deployer",
                       "URI:spiffe://example.org/ns/payments/sa/deployer,DNS:deployer.example.org,"
                       "email:deployer@example.org");
    ASSERT_FALSE(spiffe_.empty()) << "openssl req failed, see " << dir_.path() << "/gen.log";
    // An hour into the certificates' two-day validity (openssl stamps notBefore when it runs).
    clock_->Set(std::chrono::system_clock::now() + std::chrono::hours(1));
  }

  Result<service::Principal> Map(const std::string& yaml, const std::vector<std::uint8_t>& der) {
    auto doc = config::ParseDocument(yaml, config::Format::kYaml, {.source_name = "s.yaml"});
    if (!doc) return std::unexpected(doc.error());
    BULWARK_ASSIGN_OR_RETURN(auto a,
                             CertificateAuthenticator::FromConfig(doc->root, "mtls", clock_));
    return a->Authenticate(Credential::ClientCertificate(der, "203.0.113.5:443"));
  }

  bulwark::testing::TempDir dir_{"mtls"};
  std::shared_ptr<bulwark::testing::FakeClock> clock_ =
      std::make_shared<bulwark::testing::FakeClock>();
  std::vector<std::uint8_t> spiffe_;
};

TEST_F(CertificateAuthenticatorTest, SpiffeUriBecomesTheIdAndOusTheRoles) {
  auto p = Map(R"(
id_from: san_uri
id_prefix: "spiffe://example.org/"
roles: {groups: {payments: [operator-payments]}, default: [workload]}
attributes: {tenant: o}
)",
               spiffe_);
  ASSERT_TRUE(p.has_value()) << p.error();
  EXPECT_EQ(p->id, "mtls:ns/payments/sa/deployer");
  EXPECT_EQ(p->kind, "mtls");
  EXPECT_EQ(p->roles, (std::vector<std::string>{"operator-payments", "workload"}));
  const auto& a = p->attributes.AsMap();
  EXPECT_EQ(a.Find("tenant")->AsString(), "acme");
  EXPECT_EQ(a.Find("method")->AsString(), "mtls");
  EXPECT_NE(a.Find("subject")->AsString().find("CN=deployer"), std::string::npos);
  EXPECT_EQ(a.Find("sans")->AsList().size(), 3u);
  EXPECT_FALSE(a.Find("serial")->AsString().empty());
}

TEST_F(CertificateAuthenticatorTest, EachIdSourcePicksItsName) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"id_from: san_dns", "mtls:deployer.example.org"},
      {"id_from: san_email", "mtls:deployer@example.org"},
      {"id_from: cn", "mtls:deployer"},
      {"id_from: san_uri", "mtls:spiffe://example.org/ns/payments/sa/deployer"},
  };
  for (const auto& [yaml, id] : cases) {
    auto p = Map(yaml, spiffe_);
    ASSERT_TRUE(p.has_value()) << yaml << ": " << p.error();
    EXPECT_EQ(p->id, id);
  }
  auto none = Map("id_from: cn\nroles_from: none\nroles: {groups: {payments: [x]}}", spiffe_);
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->roles.empty());
}

TEST_F(CertificateAuthenticatorTest, ACertificateWithoutAUsableNameIsRefused) {
  auto other_domain = Map("id_prefix: 'spiffe://other.org/'", spiffe_);
  ASSERT_FALSE(other_domain.has_value());
  EXPECT_EQ(other_domain.error().message(), "client certificate has no usable name");
  auto no_san = MakeCert(dir_, "plain", "/CN=plain", "");
  ASSERT_FALSE(no_san.empty());
  auto p = Map("id_from: san_uri", no_san);
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().code(), ErrorCode::kUnauthenticated);
}

TEST_F(CertificateAuthenticatorTest, ExpiredNotYetValidAndMalformedCertificatesAreRefused) {
  clock_->Advance(std::chrono::hours(24 * 2));
  auto late = Map("id_from: cn", spiffe_);
  ASSERT_FALSE(late.has_value());
  EXPECT_EQ(late.error().message(), "client certificate is not valid at this time");
  clock_->Advance(-std::chrono::hours(24 * 2 + 2));
  EXPECT_FALSE(Map("id_from: cn", spiffe_).has_value()) << "an hour before notBefore";
  clock_->Advance(std::chrono::hours(2));
  auto truncated = spiffe_;
  truncated.resize(truncated.size() - 10);
  auto bad = Map("id_from: cn", truncated);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message(), "client certificate is malformed");
  auto trailing = spiffe_;
  trailing.push_back(0);
  EXPECT_FALSE(Map("id_from: cn", trailing).has_value()) << "trailing bytes after the DER";
}

TEST_F(CertificateAuthenticatorTest, ConfigurationErrorsNameTheField) {
  for (const auto& [yaml, want] : std::vector<std::pair<std::string, std::string>>{
           {"id_from: san_ip", "expected san_uri"},
           {"roles_from: o", "expected ou or none"},
           {"attributes: {tenant: org}", "not a subject field"},
           {"attributes: {mfa: o}", "set by the method itself"},
           {"id_form: cn", "unknown field 'id_form'"}}) {
    auto p = Map(yaml, spiffe_);
    ASSERT_FALSE(p.has_value()) << yaml;
    EXPECT_NE(p.error().message().find(want), std::string::npos) << p.error();
  }
}

}  // namespace
}  // namespace bulwark::identity
