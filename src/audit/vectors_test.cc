// Conformance with testdata/merkle/ (transparency-dev/merkle probes and derived files).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "bulwark/audit/in_memory_tree.h"
#include "bulwark/audit/proof.h"
#include "bulwark/audit/subtree_proof.h"
#include "bulwark/core/encoding.h"
#include "bulwark/testing/assert_ok.h"
#include "bulwark/testing/test_data.h"

namespace bulwark::audit {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path VectorDir() { return bulwark::testing::TestDataPath("merkle"); }

Result<json> ReadJson(const fs::path& p) {
  BULWARK_ASSIGN_OR_RETURN(std::string text, bulwark::testing::ReadDataFile(p.string()));
  json v = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (v.is_discarded())
    return InvalidArgumentError("test data file " + p.string() + " is not JSON");
  return v;
}

std::vector<std::uint8_t> B64(const json& j) {
  if (j.is_null()) return {};
  auto r = Base64Decode(j.get<std::string>());
  EXPECT_TRUE(r.has_value()) << j;
  return r.value_or(std::vector<std::uint8_t>{});
}

std::vector<std::vector<std::uint8_t>> B64List(const json& j) {
  std::vector<std::vector<std::uint8_t>> out;
  if (j.is_null()) return out;
  for (const auto& e : j) out.push_back(B64(e));
  return out;
}

// The .json files under dir, sorted; an error naming dir when it cannot be listed.
Result<std::vector<fs::path>> JsonFiles(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, ec);
  if (ec) return NotFoundError("test data folder " + dir.string() + ": " + ec.message());
  for (const auto& e : it) {
    if (e.is_regular_file() && e.path().extension() == ".json") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

Status RunInclusionProbe(const json& v) {
  BULWARK_ASSIGN_OR_RETURN(auto proof, ProofFromBytes(B64List(v["proof"])));
  return VerifyInclusion(v["leafIdx"].get<std::uint64_t>(), v["treeSize"].get<std::uint64_t>(),
                         B64(v["leafHash"]), proof, B64(v["root"]));
}

Status RunConsistencyProbe(const json& v) {
  BULWARK_ASSIGN_OR_RETURN(auto proof, ProofFromBytes(B64List(v["proof"])));
  return VerifyConsistency(v["size1"].get<std::uint64_t>(), v["size2"].get<std::uint64_t>(), proof,
                           B64(v["root1"]), B64(v["root2"]));
}

TEST(MerkleVectorsTest, All196InclusionAndConsistencyProbesGiveTheExpectedResult) {
  int files = 0, passing = 0;
  for (const char* kind : {"inclusion", "consistency"}) {
    ASSERT_OK_AND_ASSIGN(const std::vector<fs::path> paths, JsonFiles(VectorDir() / kind));
    for (const auto& path : paths) {
      ASSERT_OK_AND_ASSIGN(const json v, ReadJson(path));
      const Status s =
          std::string(kind) == "inclusion" ? RunInclusionProbe(v) : RunConsistencyProbe(v);
      const bool want_err = v["wantErr"].get<bool>();
      EXPECT_EQ(!s.has_value(), want_err)
          << path << " (" << v["desc"] << "): " << (s ? "ok" : s.error().ToString());
      ++files;
      if (!want_err) ++passing;
    }
  }
  EXPECT_EQ(files, 196);
  EXPECT_EQ(passing, 12);
}

Status RunSubtreeInclusionProbe(const json& v) {
  BULWARK_ASSIGN_OR_RETURN(auto proof, ProofFromBytes(B64List(v["proof"])));
  return VerifySubtreeInclusion(v["leafIdx"].get<std::uint64_t>(), v["start"].get<std::uint64_t>(),
                                v["end"].get<std::uint64_t>(), B64(v["leafHash"]), proof,
                                B64(v["root"]));
}

Status RunSubtreeConsistencyProbe(const json& v) {
  BULWARK_ASSIGN_OR_RETURN(auto proof, ProofFromBytes(B64List(v["proof"])));
  return VerifySubtreeConsistency(v["start"].get<std::uint64_t>(), v["end"].get<std::uint64_t>(),
                                  v["size"].get<std::uint64_t>(), proof, B64(v["root1"]),
                                  B64(v["root2"]));
}

TEST(MerkleVectorsTest, All322SubtreeProbesGiveTheExpectedResult) {
  int inclusion = 0, consistency = 0;
  ASSERT_OK_AND_ASSIGN(const std::vector<fs::path> inclusion_paths,
                       JsonFiles(VectorDir() / "subtreeinclusion"));
  for (const auto& path : inclusion_paths) {
    ASSERT_OK_AND_ASSIGN(const json v, ReadJson(path));
    const Status s = RunSubtreeInclusionProbe(v);
    EXPECT_EQ(!s.has_value(), v["wantErr"].get<bool>())
        << path << " (" << v["desc"] << "): " << (s ? "ok" : s.error().ToString());
    ++inclusion;
  }
  ASSERT_OK_AND_ASSIGN(const std::vector<fs::path> consistency_paths,
                       JsonFiles(VectorDir() / "subtreeconsistency"));
  for (const auto& path : consistency_paths) {
    ASSERT_OK_AND_ASSIGN(const json v, ReadJson(path));
    const Status s = RunSubtreeConsistencyProbe(v);
    EXPECT_EQ(!s.has_value(), v["wantErr"].get<bool>())
        << path << " (" << v["desc"] << "): " << (s ? "ok" : s.error().ToString());
    ++consistency;
  }
  EXPECT_EQ(inclusion, 204);
  EXPECT_EQ(consistency, 118);
}

class DerivedTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(v_, ReadJson(VectorDir() / "rfc6962_8leaf_all_proofs.derived.json"));
    for (const auto& leaf : v_["leaves_hex"]) tree_.AppendLeaf(*HexDecode(leaf.get<std::string>()));
  }
  static std::vector<Hash> Hashes(const json& list) {
    std::vector<Hash> out;
    for (const auto& h : list) out.push_back(*HashFromHex(h.get<std::string>()));
    return out;
  }
  json v_;
  InMemoryTree tree_;
};

TEST_F(DerivedTreeTest, LeafHashesAndRootsForEverySizeMatch) {
  ASSERT_EQ(tree_.size(), 8u);
  std::vector<Hash> leaf_hashes;
  ASSERT_TRUE(tree_.ReadLeafHashes(0, 8, leaf_hashes).has_value());
  EXPECT_EQ(leaf_hashes, Hashes(v_["leaf_hashes"]));
  int checked = 0;
  for (const auto& [size, root] : v_["roots_by_size"].items()) {
    EXPECT_EQ(HashToHex(*RootAt(tree_, std::stoull(size))), root.get<std::string>()) << size;
    ++checked;
  }
  EXPECT_EQ(checked, 9);
}

TEST_F(DerivedTreeTest, All36InclusionProofsMatchAndVerify) {
  ASSERT_EQ(v_["inclusion_proofs"].size(), 36u);
  for (const auto& p : v_["inclusion_proofs"]) {
    const auto index = p["index"].get<std::uint64_t>(), size = p["tree_size"].get<std::uint64_t>();
    auto proof = InclusionProof(tree_, index, size);
    ASSERT_TRUE(proof.has_value());
    EXPECT_EQ(*proof, Hashes(p["proof"])) << index << "/" << size;
    const Hash leaf = *HashFromHex(p["leaf_hash"].get<std::string>());
    const Hash root = *HashFromHex(p["root"].get<std::string>());
    EXPECT_TRUE(VerifyInclusion(index, size, leaf, *proof, root).has_value());
  }
}

TEST_F(DerivedTreeTest, All36ConsistencyProofsMatchAndVerify) {
  ASSERT_EQ(v_["consistency_proofs"].size(), 36u);
  for (const auto& p : v_["consistency_proofs"]) {
    const auto m = p["size1"].get<std::uint64_t>(), n = p["size2"].get<std::uint64_t>();
    auto proof = ConsistencyProof(tree_, m, n);
    ASSERT_TRUE(proof.has_value());
    EXPECT_EQ(*proof, Hashes(p["proof"])) << m << "->" << n;
    const Hash r1 = *HashFromHex(p["root1"].get<std::string>());
    const Hash r2 = *HashFromHex(p["root2"].get<std::string>());
    EXPECT_EQ(*RootAt(tree_, m), r1);
    EXPECT_EQ(*RootAt(tree_, n), r2);
    EXPECT_TRUE(VerifyConsistency(m, n, *proof, r1, r2).has_value()) << m << "->" << n;
  }
}

}  // namespace
}  // namespace bulwark::audit
