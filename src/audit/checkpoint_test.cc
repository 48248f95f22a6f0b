#include "bulwark/audit/checkpoint.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "bulwark/audit/in_memory_tree.h"
#include "bulwark/audit/proof.h"
#include "bulwark/core/encoding.h"
#include "bulwark/testing/assert_ok.h"
#include "bulwark/testing/test_data.h"

namespace bulwark::audit {
namespace {

using nlohmann::json;

// testdata/merkle/checkpoint_signed_note.derived.json
Result<json> Derived() {
  const std::string path =
      bulwark::testing::TestDataPath("merkle/checkpoint_signed_note.derived.json");
  BULWARK_ASSIGN_OR_RETURN(std::string text, bulwark::testing::ReadDataFile(path));
  json v = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (v.is_discarded()) return InvalidArgumentError("test data file " + path + " is not JSON");
  return v;
}

TEST(CheckpointTest, FormatAndParseRoundTrip) {
  Checkpoint cp{"bulwark.example/audit", 1234, HashLeaf("x"), {"ext one", "ext two"}};
  const std::string body = FormatCheckpoint(cp);
  auto back = ParseCheckpoint(body);
  ASSERT_TRUE(back.has_value()) << back.error();
  EXPECT_EQ(*back, cp);
}

TEST(CheckpointTest, StrictParsingNamesTheBadLine) {
  const std::string root = Base64Encode(EmptyRoot());
  struct Case {
    std::string body;
    std::string want;
  };
  const Case cases[] = {
      {"origin\n7\n", "line 3: missing"},
      {"\n7\n" + root + "\n", "line 1: empty origin"},
      {"o\n07\n" + root + "\n", "line 2: tree size has a leading zero"},
      {"o\n-7\n" + root + "\n", "line 2: tree size is not a decimal"},
      {"o\n+7\n" + root + "\n", "line 2: tree size is not a decimal"},
      {"o\n18446744073709551616\n" + root + "\n", "line 2: tree size does not fit"},
      {"o\n7\nnot base64\n", "line 3: root hash is not valid"},
      {"o\n7\nAAAA\n", "line 3: root hash must be 32 bytes"},
      {"o\n7\n" + root + "\n\n", "line 4: empty extension"},
      {"o\n7\n" + root, "does not end with a newline"},
  };
  for (const auto& c : cases) {
    auto r = ParseCheckpoint(c.body);
    ASSERT_FALSE(r.has_value()) << c.body;
    EXPECT_NE(r.error().message().find(c.want), std::string::npos)
        << "got: " << r.error().message() << " want: " << c.want;
  }
  auto max = ParseCheckpoint("o\n18446744073709551615\n" + root + "\n");
  ASSERT_TRUE(max.has_value());
  EXPECT_EQ(max->size, 18446744073709551615u);
  EXPECT_TRUE(ParseCheckpoint("o\n0\n" + root + "\n").has_value());
}

class DerivedCheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(v_, Derived());
    auto verifier = NoteVerifier::FromVerifierKey(v_["log_key"]["vkey"].get<std::string>());
    ASSERT_TRUE(verifier.has_value()) << verifier.error();
    verifiers_.push_back(*verifier);
    origin_ = v_["log_key"]["name"].get<std::string>();
  }
  json v_;
  std::vector<NoteVerifier> verifiers_;
  std::string origin_;
};

TEST_F(DerivedCheckpointTest, SignedCheckpointsVerifyAndMatchTheTestTree) {
  for (const char* name : {"checkpoint_size7", "checkpoint_size8"}) {
    const std::string note = v_[name]["signed_note"].get<std::string>();
    auto cp = OpenCheckpoint(note, origin_, verifiers_);
    ASSERT_TRUE(cp.has_value()) << name << ": " << cp.error();
    EXPECT_EQ(FormatCheckpoint(*cp), v_[name]["body"].get<std::string>());
  }
}

TEST_F(DerivedCheckpointTest, OurSignatureIsByteIdenticalToTheVector) {
  SecretBytes seed(*HexDecode(v_["log_key"]["ed25519_seed_hex"].get<std::string>()));
  auto signer = NoteSigner::Create(origin_, seed);
  ASSERT_TRUE(signer.has_value());
  const NoteSigner* signers[] = {signer->get()};
  for (const char* name : {"checkpoint_size7", "checkpoint_size8"}) {
    auto cp = ParseCheckpoint(v_[name]["body"].get<std::string>());
    ASSERT_TRUE(cp.has_value());
    auto note = SignCheckpoint(*cp, signers);
    ASSERT_TRUE(note.has_value());
    EXPECT_EQ(*note, v_[name]["signed_note"].get<std::string>());
  }
}

TEST_F(DerivedCheckpointTest, NoteWithWitnessCosignatureVerifiesWithTheLogKeyAlone) {
  const std::string note =
      v_["cosignature_over_checkpoint_size8"]["note_with_log_sig_and_cosig"].get<std::string>();
  auto cp = OpenCheckpoint(note, origin_, verifiers_);
  ASSERT_TRUE(cp.has_value()) << cp.error();
  EXPECT_EQ(cp->size, 8u);
}

TEST_F(DerivedCheckpointTest, AlteredCheckpointsFail) {
  const std::string note = v_["checkpoint_size8"]["signed_note"].get<std::string>();
  // Size, root, origin changed; signature byte changed; signature line removed.
  std::string size_changed = note;
  size_changed.replace(size_changed.find("\n8\n"), 3, "\n9\n");
  EXPECT_EQ(OpenCheckpoint(size_changed, origin_, verifiers_).error().code(), ErrorCode::kDataLoss);
  std::string root_changed = note;
  root_changed[root_changed.find("Xcna")] = 'Y';
  EXPECT_EQ(OpenCheckpoint(root_changed, origin_, verifiers_).error().code(), ErrorCode::kDataLoss);
  std::string sig_changed = note;
  sig_changed[sig_changed.size() - 6] ^= 1;
  EXPECT_FALSE(OpenCheckpoint(sig_changed, origin_, verifiers_).has_value());
  const std::string body_only = v_["checkpoint_size8"]["body"].get<std::string>();
  EXPECT_FALSE(OpenCheckpoint(body_only, origin_, verifiers_).has_value());
  EXPECT_FALSE(OpenCheckpoint(note, "another.example/log", verifiers_).has_value());
  // A checkpoint signed by another key under the same name is rejected (key id differs).
  auto forger = NoteSigner::Create(origin_, SecretBytes::FromString(std::string(32, 'f')));
  ASSERT_TRUE(forger.has_value());
  const NoteSigner* signers[] = {forger->get()};
  auto forged =
      SignCheckpoint(*ParseCheckpoint(v_["checkpoint_size8"]["body"].get<std::string>()), signers);
  ASSERT_TRUE(forged.has_value());
  EXPECT_FALSE(OpenCheckpoint(*forged, origin_, verifiers_).has_value());
}

TEST_F(DerivedCheckpointTest, ConsistencyProofFrom7To8MatchesTheVector) {
  InMemoryTree tree;
  for (const char* hex : {"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                          "606162636465666768696a6b6c6d6e6f"}) {
    tree.AppendLeaf(*HexDecode(hex));
  }
  auto proof = ConsistencyProof(tree, 7, 8);
  ASSERT_TRUE(proof.has_value());
  std::vector<std::string> hex;
  for (const Hash& h : *proof) hex.push_back(HashToHex(h));
  EXPECT_EQ(hex, v_["consistency_7_to_8"].get<std::vector<std::string>>());
  auto cp7 =
      OpenCheckpoint(v_["checkpoint_size7"]["signed_note"].get<std::string>(), origin_, verifiers_);
  auto cp8 =
      OpenCheckpoint(v_["checkpoint_size8"]["signed_note"].get<std::string>(), origin_, verifiers_);
  ASSERT_TRUE(cp7.has_value() && cp8.has_value());
  EXPECT_TRUE(VerifyConsistency(7, 8, *proof, cp7->root, cp8->root).has_value());
  EXPECT_EQ(cp8->root, tree.Root());
}

}  // namespace
}  // namespace bulwark::audit
