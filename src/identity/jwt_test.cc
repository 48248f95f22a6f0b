#include "bulwark/identity/jwt.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "bulwark/identity/jwk.h"
#include "identity/jwt_test_util.h"

namespace bulwark::identity {
namespace {

using identity::testing::B64;
using identity::testing::HmacToken;
using identity::testing::TestKey;

std::string ReadTestdata(const std::string& name) {
  std::ifstream in(std::string(BULWARK_SOURCE_DIR) + "/testdata/identity/jose/" + name);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

JwkSet MustParse(const std::string& json) {
  auto set = JwkSet::Parse(json, "test.jwks");
  if (!set) {
    ADD_FAILURE() << set.error();
    std::abort();
  }
  return std::move(*set);
}

// The RFC examples carry iss "joe" and exp 1300819380 and no audience.
constexpr TimePoint kRfcNow{std::chrono::seconds(1300819000)};

JwtValidation RfcValidation() {
  JwtValidation v;
  v.issuer = "joe";
  v.audiences = {"bulwark"};
  return v;
}

TEST(JwtRfcVectorsTest, Rfc7515A2Rs256VerifiesAndOnlyTheMissingAudienceIsRefused) {
  JwkSet keys = MustParse(ReadTestdata("rfc7515-a2-rs256.jwks.json"));
  auto jwt = ParseJwt(ReadTestdata("rfc7515-a2.jws"));
  ASSERT_TRUE(jwt.has_value()) << jwt.error();
  EXPECT_EQ(jwt->alg, "RS256");
  auto claims = VerifyJwt(*jwt, keys, RfcValidation(), kRfcNow);
  ASSERT_FALSE(claims.has_value());
  // Steps 1-4 (algorithm, key, signature, issuer) passed; the RFC token has no audience.
  EXPECT_EQ(claims.error().message(), "token audience is not accepted");
  ASSERT_EQ(keys.Candidates("rfc7515-a2", JwsAlgorithm::kRs256).size(), 1u);
  EXPECT_TRUE(keys.Candidates("rfc7515-a2", JwsAlgorithm::kRs256)[0]->Verify(jwt->signing_input,
                                                                             jwt->signature));
}

TEST(JwtRfcVectorsTest, Rfc7515A3Es256Verifies) {
  JwkSet keys = MustParse(ReadTestdata("rfc7515-a3-es256.jwks.json"));
  auto jwt = ParseJwt(ReadTestdata("rfc7515-a3.jws"));
  ASSERT_TRUE(jwt.has_value()) << jwt.error();
  const Jwk* key = keys.Candidates("", JwsAlgorithm::kEs256).at(0);
  EXPECT_TRUE(key->Verify(jwt->signing_input, jwt->signature));
  auto claims = VerifyJwt(*jwt, keys, RfcValidation(), kRfcNow);
  ASSERT_FALSE(claims.has_value());
  EXPECT_EQ(claims.error().message(), "token audience is not accepted");
  std::vector<std::uint8_t> bad = jwt->signature;
  bad[10] ^= 1;
  EXPECT_FALSE(key->Verify(jwt->signing_input, bad));
}

TEST(JwtRfcVectorsTest, Rfc8037A4EdDsaVerifies) {
  JwkSet keys = MustParse(ReadTestdata("rfc8037-a2-ed25519.jwks.json"));
  const std::string token = ReadTestdata("rfc8037-a4.jws");
  // The A.4 payload is not JSON, so ParseJwt refuses it as a JWT; the signature itself verifies.
  auto jwt = ParseJwt(token);
  ASSERT_FALSE(jwt.has_value());
  EXPECT_EQ(jwt.error().message(), "malformed token: the payload is not valid JSON");
  const std::size_t last = token.rfind('.');
  auto sig = Base64Decode(token.substr(last + 1), Base64Alphabet::kUrlSafe);
  ASSERT_TRUE(sig.has_value());
  const Jwk* key = keys.Candidates("", JwsAlgorithm::kEdDsa).at(0);
  EXPECT_TRUE(key->Verify(token.substr(0, last), *sig));
  EXPECT_FALSE(key->Verify(token.substr(0, last - 1), *sig));
}

TEST(JwkSetTest, RefusesPrivateKeysAndSkipsKeysItCannotUse) {
  auto priv = JwkSet::Parse(
      R"({"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
                  "d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}]})",
      "idp.jwks");
  ASSERT_FALSE(priv.has_value());
  EXPECT_NE(priv.error().message().find("idp.jwks: keys[0]: holds private key material ('d')"),
            std::string::npos)
      << priv.error();
  EXPECT_EQ(priv.error().message().find("nWGxne"), std::string::npos);

  auto mixed = JwkSet::Parse(
      R"({"keys":[{"kty":"oct","k":"c2VjcmV0"},
                  {"kty":"RSA","use":"enc","n":"AQAB","e":"AQAB"},
                  {"kty":"EC","crv":"P-384","x":"AA","y":"AA"},
                  {"kty":"OKP","crv":"Ed25519","alg":"EdDSA",
                   "x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]})",
      "idp.jwks");
  // oct is refused as private material ("k") before anything else: a JWKS must be public.
  ASSERT_FALSE(mixed.has_value());

  auto skipped = JwkSet::Parse(
      R"({"keys":[{"kty":"RSA","use":"enc","n":"AQAB","e":"AQAB"},
                  {"kty":"EC","crv":"P-384","x":"AA","y":"AA"},
                  {"kty":"RSA","alg":"PS256","n":"AQAB","e":"AQAB"},
                  {"kty":"OKP","crv":"Ed25519","alg":"EdDSA",
                   "x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]})",
      "idp.jwks");
  ASSERT_TRUE(skipped.has_value()) << skipped.error();
  EXPECT_EQ(skipped->size(), 1u);
  EXPECT_EQ(skipped->skipped(), 3u);
}

TEST(JwkSetTest, RefusesWeakMalformedAndOffCurveKeys) {
  TestKey ec(JwsAlgorithm::kEs256, "ec");
  const std::string off_curve = R"({"kty":"EC","crv":"P-256","x":")" +
                                B64(std::vector<std::uint8_t>(32, 1)) + R"(","y":")" +
                                B64(std::vector<std::uint8_t>(32, 2)) + R"("})";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"kty":"RSA","n":")" + B64(std::vector<std::uint8_t>(128, 0xC5)) + R"(","e":"AQAB"})",
       "2048 or more required"},
      {off_curve, "not a valid EC public key"},
      {R"({"kty":"OKP","crv":"Ed25519","x":"AAAA"})", "32 bytes"},
      {R"({"kty":"RSA","e":"AQAB"})", ".n: required"},
      {R"({"kty":"EC","crv":"P-256","x":"*","y":"*"})", "not base64url"},
      {R"({"keys":{}})", "keys: expected a list"},
      {R"([1,2])", "expected a JWK Set"},
      {R"({"keys":[]})", "no usable signing key"},
      {"{\"keys\":[" + ec.PublicJwk() + "," + ec.PublicJwk() + "]}", "used by two keys"},
      {"{\"keys\": [", "JWKS"},
  };
  for (const auto& [json, want] : cases) {
    auto set = JwkSet::Parse(json, "bad.jwks");
    ASSERT_FALSE(set.has_value()) << json;
    EXPECT_EQ(set.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(set.error().message().find(want), std::string::npos)
        << set.error() << " (wanted '" << want << "')";
  }
}

// A generated matrix of hostile tokens against a JWKS holding one key of each algorithm.
class HostileTokenTest : public ::testing::Test {
 protected:
  HostileTokenTest()
      : rsa_(JwsAlgorithm::kRs256, "rsa-1"),
        ec_(JwsAlgorithm::kEs256, "ec-1"),
        ed_(JwsAlgorithm::kEdDsa, "ed-1"),
        attacker_(JwsAlgorithm::kRs256, "rsa-1") {
    jwks_json_ =
        "{\"keys\":[" + rsa_.PublicJwk() + "," + ec_.PublicJwk() + "," + ed_.PublicJwk() + "]}";
    keys_ = std::make_unique<JwkSet>(MustParse(jwks_json_));
    validation_.issuer = "https://idp.example.com";
    validation_.audiences = {"bulwark", "bulwark-api"};
    validation_.leeway = std::chrono::seconds(60);
  }

  std::int64_t now_s() const { return 1'800'000'000; }
  TimePoint now() const { return TimePoint(std::chrono::seconds(now_s())); }

  std::string Claims(std::string_view extra = "") const {
    std::string c =
        "\"iss\":\"https://idp.example.com\",\"aud\":\"bulwark\",\"sub\":\"alice\",\"exp\":" +
        std::to_string(now_s() + 300) + ",\"iat\":" + std::to_string(now_s() - 10);
    return "{" + c + (extra.empty() ? "" : ",") + std::string(extra) + "}";
  }
  static std::string Header(const TestKey& k) {
    return "{\"alg\":\"" + std::string(JwsAlgorithmName(k.alg())) + "\",\"kid\":\"" + k.kid() +
           "\"}";
  }

  Result<config::Value> Check(std::string_view token) const {
    BULWARK_ASSIGN_OR_RETURN(ParsedJwt jwt, ParseJwt(token));
    return VerifyJwt(jwt, *keys_, validation_, now());
  }

  void ExpectRejected(std::string_view token, std::string_view why, std::string_view label) {
    auto r = Check(token);
    ASSERT_FALSE(r.has_value()) << label << ": accepted";
    EXPECT_EQ(r.error().code(), ErrorCode::kUnauthenticated) << label;
    EXPECT_NE(r.error().message().find(why), std::string::npos)
        << label << ": " << r.error() << " (wanted '" << why << "')";
    // Never echo the token or its signature.
    const std::string_view sig = token.substr(token.rfind('.') + 1);
    if (sig.size() > 8) {
      EXPECT_EQ(r.error().message().find(sig), std::string::npos) << label;
    }
  }

  TestKey rsa_, ec_, ed_, attacker_;
  std::string jwks_json_;
  std::unique_ptr<JwkSet> keys_;
  JwtValidation validation_;
};

TEST_F(HostileTokenTest, WellFormedTokensOfEachAlgorithmAreAccepted) {
  for (const TestKey* k : {&rsa_, &ec_, &ed_}) {
    auto r = Check(k->Token(Header(*k), Claims()));
    ASSERT_TRUE(r.has_value()) << JwsAlgorithmName(k->alg()) << ": " << r.error();
    EXPECT_EQ(r->Get("sub")->AsString(), "alice");
    // Without a kid every key of the algorithm is tried.
    auto no_kid =
        Check(k->Token("{\"alg\":\"" + std::string(JwsAlgorithmName(k->alg())) + "\"}", Claims()));
    EXPECT_TRUE(no_kid.has_value()) << JwsAlgorithmName(k->alg());
  }
}

TEST_F(HostileTokenTest, AlgNoneInAnySpellingIsRejected) {
  for (std::string alg : {"none", "None", "NONE", "nOnE", ""}) {
    const std::string header = "{\"alg\":\"" + alg + "\"}";
    ExpectRejected(B64(header) + "." + B64(Claims()) + ".", "is not accepted", "alg " + alg);
    ExpectRejected(B64(header) + "." + B64(Claims()) + "." + B64("x"), "is not accepted",
                   "alg " + alg + " with a signature");
  }
}

TEST_F(HostileTokenTest, AlgorithmConfusionWithAnHmacOverThePublicKeyIsRejected) {
  // The classic attack: HS256 keyed with the verifier's public key (as JWK text, as raw bytes).
  for (const std::string& key : {rsa_.PublicJwk(), jwks_json_, std::string("AQAB")}) {
    for (std::string alg : {"HS256", "HS384", "HS512"}) {
      ExpectRejected(HmacToken("{\"alg\":\"" + alg + "\",\"kid\":\"rsa-1\"}", Claims(), key),
                     "is not accepted", alg);
    }
  }
  // An allowed algorithm with the kid of a key of another type.
  ExpectRejected(ec_.Token("{\"alg\":\"ES256\",\"kid\":\"rsa-1\"}", Claims()),
                 "does not match its signing key", "ES256 with an RSA kid");
  ExpectRejected(rsa_.Token("{\"alg\":\"RS256\",\"kid\":\"ed-1\"}", Claims()),
                 "does not match its signing key", "RS256 with an Ed25519 kid");
  // Algorithms outside the configured subset.
  validation_.algorithms = {JwsAlgorithm::kEdDsa};
  ExpectRejected(rsa_.Token(Header(rsa_), Claims()), "'RS256' is not accepted", "RS256 disabled");
  for (std::string alg : {"PS256", "RS384", "ES384", "ES512", "EdDSA448", "rs256"}) {
    ExpectRejected(rsa_.Token("{\"alg\":\"" + alg + "\"}", Claims()), "is not accepted", alg);
  }
}

TEST_F(HostileTokenTest, ForgedAndTamperedSignaturesAreRejected) {
  // Signed by an attacker's key under a trusted kid, or carrying the attacker's key in the header.
  ExpectRejected(attacker_.Token(Header(attacker_), Claims()), "signature is invalid",
                 "attacker key, trusted kid");
  const std::string embedded =
      "{\"alg\":\"RS256\",\"kid\":\"evil\",\"jwk\":" + attacker_.PublicJwk() +
      ",\"jku\":\"https://evil.example/jwks\"}";
  ExpectRejected(attacker_.Token(embedded, Claims()), "unknown signing key", "embedded jwk / jku");
  ExpectRejected(
      attacker_.Token("{\"alg\":\"RS256\",\"x5u\":\"https://evil.example/c\"}", Claims()),
      "signature is invalid", "x5u, no kid");

  for (const TestKey* k : {&rsa_, &ec_, &ed_}) {
    const std::string good = k->Token(Header(*k), Claims());
    const std::size_t d1 = good.find('.');
    const std::size_t d2 = good.rfind('.');
    // Flip one signature character (keeping base64url canonical).
    std::string sig_flip = good;
    sig_flip[d2 + 5] = sig_flip[d2 + 5] == 'A' ? 'B' : 'A';
    ExpectRejected(sig_flip, "", "signature flipped");
    // Payload swapped for an elevated one under the old signature.
    const std::string elevated = good.substr(0, d1) + "." +
                                 B64(Claims("\"groups\":[\"platform-admins\"]")) + good.substr(d2);
    ExpectRejected(elevated, "signature is invalid", "payload swapped");
    // Signature truncated / empty.
    ExpectRejected(good.substr(0, good.size() - 4), "", "signature truncated");
    ExpectRejected(good.substr(0, d2 + 1), "signature is invalid", "signature empty");
  }
  // ES256 signatures are R || S: an ASN.1 DER signature of the right key is refused.
  const std::string input = B64(Header(ec_)) + "." + B64(Claims());
  std::vector<std::uint8_t> raw = ec_.Sign(input);
  std::vector<std::uint8_t> der = {0x30, 0x44, 0x02, 0x20};
  der.insert(der.end(), raw.begin(), raw.begin() + 32);
  der.insert(der.end(), {0x02, 0x20});
  der.insert(der.end(), raw.begin() + 32, raw.end());
  ExpectRejected(input + "." + B64(der), "signature is invalid", "ES256 DER signature");
}

TEST_F(HostileTokenTest, TimeClaimsAreEnforcedWithTheConfiguredSkew) {
  auto at = [&](std::string claims) { return ed_.Token(Header(ed_), claims); };
  const std::string base =
      "\"iss\":\"https://idp.example.com\",\"aud\":\"bulwark\",\"sub\":\"alice\"";
  auto t = [&](std::int64_t delta) { return std::to_string(now_s() + delta); };
  ExpectRejected(at("{" + base + ",\"exp\":" + t(-61) + "}"), "token expired", "expired");
  EXPECT_TRUE(Check(at("{" + base + ",\"exp\":" + t(-59) + "}"))) << "within the skew";
  ExpectRejected(at("{" + base + ",\"exp\":" + t(-60) + "}"), "token expired", "at exp + skew");
  ExpectRejected(at("{" + base + ",\"exp\":" + t(600) + ",\"nbf\":" + t(61) + "}"), "not yet valid",
                 "nbf");
  EXPECT_TRUE(Check(at("{" + base + ",\"exp\":" + t(600) + ",\"nbf\":" + t(59) + "}")));
  ExpectRejected(at("{" + base + ",\"exp\":" + t(600) + ",\"iat\":" + t(3600) + "}"),
                 "issued in the future", "iat");
  ExpectRejected(at("{" + base + "}"), "no expiry", "no exp");
  ExpectRejected(at("{" + base + ",\"exp\":\"" + t(600) + "\"}"), "not a NumericDate",
                 "exp string");
  ExpectRejected(at("{" + base + ",\"exp\":" + t(600) + ",\"nbf\":null}"), "not a NumericDate",
                 "nbf null");
  validation_.leeway = std::chrono::seconds(0);
  ExpectRejected(at("{" + base + ",\"exp\":" + t(-1) + "}"), "token expired", "no skew");
  validation_.require_exp = false;
  EXPECT_TRUE(Check(at("{" + base + "}"))) << "exp optional when configured";
}

TEST_F(HostileTokenTest, IssuerAndAudienceMustMatchExactly) {
  auto with = [&](std::string iss_aud) {
    return rsa_.Token(Header(rsa_), "{" + iss_aud + ",\"sub\":\"a\",\"exp\":" +
                                        std::to_string(now_s() + 60) + "}");
  };
  ExpectRejected(with("\"iss\":\"https://evil.example.com\",\"aud\":\"bulwark\""),
                 "issuer is not accepted", "other issuer");
  ExpectRejected(with("\"iss\":\"https://idp.example.com/\",\"aud\":\"bulwark\""),
                 "issuer is not accepted", "trailing slash");
  ExpectRejected(with("\"aud\":\"bulwark\""), "issuer is not accepted", "no iss");
  ExpectRejected(with("\"iss\":[\"https://idp.example.com\"],\"aud\":\"bulwark\""),
                 "issuer is not accepted", "iss list");
  const std::string iss = "\"iss\":\"https://idp.example.com\"";
  ExpectRejected(with(iss + ",\"aud\":\"other\""), "audience is not accepted", "other aud");
  ExpectRejected(with(iss + ",\"aud\":[\"a\",\"b\"]"), "audience is not accepted", "aud list");
  ExpectRejected(with(iss + ",\"aud\":\"Bulwark\""), "audience is not accepted", "aud case");
  ExpectRejected(with(iss + ",\"aud\":7"), "audience is not accepted", "aud number");
  ExpectRejected(with(iss + ",\"aud\":[]"), "audience is not accepted", "aud empty");
  ExpectRejected(with(iss), "audience is not accepted", "no aud");
  EXPECT_TRUE(Check(with(iss + ",\"aud\":[\"x\",\"bulwark-api\"]")));
}

TEST_F(HostileTokenTest, MalformedStructureIsRejectedBeforeAnyKey) {
  const std::string good = ed_.Token(Header(ed_), Claims());
  const std::string h = B64(Header(ed_));
  const std::string p = B64(Claims());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "empty"},
      {good + ".x", "three dot-separated parts"},
      {h + "." + p, "three dot-separated parts"},
      {h + "=." + p + ".AA", "padded"},
      {" " + good, "not base64url"},
      {h + "." + p + "+/.AA", "not base64url"},
      {B64("{\"alg\":\"EdDSA\",\"crit\":[\"exp\"],\"exp\":1}") + "." + p + ".AA", "crit"},
      {B64("{\"alg\":\"EdDSA\",\"alg\":\"none\"}") + "." + p + ".AA", "header is not valid JSON"},
      {B64("[\"EdDSA\"]") + "." + p + ".AA", "header is not a JSON object"},
      {B64("{\"alg\":1}") + "." + p + ".AA", "no string 'alg'"},
      {B64("{\"alg\":\"EdDSA\",\"kid\":5}") + "." + p + ".AA", "'kid' is not a string"},
      {h + "." + B64("{\"sub\":\"alice\",\"sub\":\"admin\"}") + ".AA", "payload is not valid JSON"},
      {h + "." + B64("\"alice\"") + ".AA", "payload is not a JSON object"},
      {h + "." + B64(std::string("{\"sub\":\"\xff\"}")) + ".AA", "payload is not valid JSON"},
      {h + "." + B64(std::string(kMaxJwtSize, 'a')) + ".AA", "too large"},
      {"{\"payload\":\"" + p + "\",\"signatures\":[]}", "three dot-separated parts"},
  };
  for (const auto& [token, why] : cases) ExpectRejected(token, why, why);
}

TEST_F(HostileTokenTest, UnknownKidIsReportedForARefresh) {
  TestKey rotated(JwsAlgorithm::kEs256, "ec-2");
  auto r = Check(rotated.Token(Header(rotated), Claims()));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message(), kUnknownSigningKey);
}

}  // namespace
}  // namespace bulwark::identity
