// Audit log Merkle tree benchmarks: append-and-root throughput, full log verification, proof
// generation and verification latency on a 1,000,000-leaf tree, JCS of a typical event.
// Results and the machine: bench/results/merkle.md.
#include <benchmark/benchmark.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "bulwark/audit/checkpoint.h"
#include "bulwark/audit/in_memory_tree.h"
#include "bulwark/audit/jcs.h"
#include "bulwark/audit/log_verifier.h"
#include "bulwark/audit/proof.h"
#include "bulwark/audit/tree_builder.h"

namespace {

using namespace bulwark::audit;

constexpr std::uint64_t kMillion = 1'000'000;

// A typical audit event (CloudEvents attributes and Bulwark's fields), about 480 bytes.
nlohmann::json Event(std::uint64_t i) {
  return {{"specversion", "1.0"},
          {"id", "01HV" + std::to_string(1000000000 + i)},
          {"source", "bulwark://prod-eu-1"},
          {"type", "dev.bulwark.config.write"},
          {"time", "2026-11-22T05:46:03.123456Z"},
          {"subject", "payments/database.password"},
          {"data",
           {{"actor", "user:alice@example.com"},
            {"action", "write"},
            {"namespace", "payments"},
            {"paths", {"database.password"}},
            {"outcome", "success"},
            {"version_before", 41},
            {"version_after", 42},
            {"value_hmac",
             "hmac-sha256:5f2b1c0e9d8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c"},
            {"request",
             {{"source_address", "10.1.2.3"},
              {"client", "bulwark-cli/0.1"},
              {"request_id", "req-" + std::to_string(i)}}},
            {"impact", {{"level", "critical"}, {"reasons", {"sensitive value changed"}}}}}}};
}

const std::vector<std::string>& Leaves() {
  static const std::vector<std::string> leaves = [] {
    std::vector<std::string> out;
    out.reserve(kMillion);
    for (std::uint64_t i = 0; i < kMillion; ++i) out.push_back(*CanonicalizeJson(Event(i)));
    return out;
  }();
  return leaves;
}

const InMemoryTree& MillionTree() {
  static const auto tree = [] {
    auto t = std::make_unique<InMemoryTree>();
    for (const auto& leaf : Leaves()) t->AppendLeaf(leaf);
    return t;
  }();
  return *tree;
}

// Append 1M canonical event leaves (hash each, fold into the frontier), then take the root.
void BM_AppendLeavesAndRoot(benchmark::State& state) {
  const auto& leaves = Leaves();
  const auto n = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    TreeBuilder builder;
    for (std::size_t i = 0; i < n; ++i) {
      builder.AppendLeaf(
          {reinterpret_cast<const std::uint8_t*>(leaves[i].data()), leaves[i].size()});
    }
    benchmark::DoNotOptimize(builder.Root());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n * leaves[0].size()));
}
BENCHMARK(BM_AppendLeavesAndRoot)->Arg(kMillion)->Unit(benchmark::kMillisecond)->Iterations(3);

// Same from precomputed leaf hashes (only the interior node hashes).
void BM_AppendLeafHashesAndRoot(benchmark::State& state) {
  std::vector<Hash> hashes;
  for (std::uint64_t i = 0; i < kMillion; ++i) hashes.push_back(HashLeaf(std::to_string(i)));
  for (auto _ : state) {
    TreeBuilder builder;
    for (const Hash& h : hashes) builder.AppendLeafHash(h);
    benchmark::DoNotOptimize(builder.Root());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kMillion));
}
BENCHMARK(BM_AppendLeafHashesAndRoot)->Unit(benchmark::kMillisecond)->Iterations(3);

// Full verification: 1M leaves against 1,000 checkpoints (one every 1,000 events, the default
// publication interval), checkpoints already opened.
void BM_LogVerifierMillionLeaves(benchmark::State& state) {
  const auto& leaves = Leaves();
  const InMemoryTree& tree = MillionTree();
  std::vector<Checkpoint> checkpoints;
  for (std::uint64_t size = 1000; size <= kMillion; size += 1000) {
    checkpoints.push_back({"bench/audit", size, *RootAt(tree, size), {}});
  }
  for (auto _ : state) {
    LogVerifier v = LogVerifier::Create(checkpoints);
    for (const auto& leaf : leaves) {
      v.AppendLeaf({reinterpret_cast<const std::uint8_t*>(leaf.data()), leaf.size()});
    }
    LogReport r = v.Finish();
    if (!r.clean()) state.SkipWithError("log not clean");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kMillion));
}
BENCHMARK(BM_LogVerifierMillionLeaves)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_InclusionProofMillionTree(benchmark::State& state) {
  const InMemoryTree& tree = MillionTree();
  std::mt19937_64 rng(1);
  for (auto _ : state) {
    auto proof = InclusionProof(tree, rng() % kMillion, kMillion);
    benchmark::DoNotOptimize(proof);
  }
}
BENCHMARK(BM_InclusionProofMillionTree)->Unit(benchmark::kMicrosecond);

void BM_ConsistencyProofMillionTree(benchmark::State& state) {
  const InMemoryTree& tree = MillionTree();
  std::mt19937_64 rng(2);
  for (auto _ : state) {
    auto proof = ConsistencyProof(tree, 1 + rng() % (kMillion - 1), kMillion);
    benchmark::DoNotOptimize(proof);
  }
}
BENCHMARK(BM_ConsistencyProofMillionTree)->Unit(benchmark::kMicrosecond);

// A store that keeps only leaf hashes: every proof hash is recomputed (what caching avoids).
class LeafOnly final : public TreeReader {
 public:
  explicit LeafOnly(const InMemoryTree& t) : t_(t) {}
  bulwark::Result<std::uint64_t> LeafCount() const override { return t_.size(); }
  bulwark::Status ReadLeafHashes(std::uint64_t b, std::uint64_t e,
                                 std::vector<Hash>& out) const override {
    return t_.ReadLeafHashes(b, e, out);
  }

 private:
  const InMemoryTree& t_;
};

void BM_InclusionProofMillionTreeLeafHashesOnly(benchmark::State& state) {
  const LeafOnly reader(MillionTree());
  std::mt19937_64 rng(3);
  for (auto _ : state) {
    auto proof = InclusionProof(reader, rng() % kMillion, kMillion);
    benchmark::DoNotOptimize(proof);
  }
}
BENCHMARK(BM_InclusionProofMillionTreeLeafHashesOnly)->Unit(benchmark::kMillisecond)->Iterations(5);

void BM_VerifyInclusionMillionTree(benchmark::State& state) {
  const InMemoryTree& tree = MillionTree();
  const Hash root = tree.Root();
  std::vector<Hash> leaf_hashes;
  (void)tree.ReadLeafHashes(123456, 123457, leaf_hashes);
  const auto proof = *InclusionProof(tree, 123456, kMillion);
  for (auto _ : state) {
    benchmark::DoNotOptimize(VerifyInclusion(123456, kMillion, leaf_hashes[0], proof, root));
  }
}
BENCHMARK(BM_VerifyInclusionMillionTree)->Unit(benchmark::kMicrosecond);

void BM_CanonicalizeEvent(benchmark::State& state) {
  const nlohmann::json event = Event(7);
  for (auto _ : state) benchmark::DoNotOptimize(CanonicalizeJson(event));
}
BENCHMARK(BM_CanonicalizeEvent)->Unit(benchmark::kMicrosecond);

void BM_SignCheckpoint(benchmark::State& state) {
  bulwark::SecretBytes seed(32);
  auto signer = *NoteSigner::Create("bench/audit", seed);
  const NoteSigner* signers[] = {signer.get()};
  const Checkpoint cp{"bench/audit", kMillion, HashLeaf("x"), {}};
  for (auto _ : state) benchmark::DoNotOptimize(SignCheckpoint(cp, signers));
}
BENCHMARK(BM_SignCheckpoint)->Unit(benchmark::kMicrosecond);

void BM_OpenCheckpoint(benchmark::State& state) {
  bulwark::SecretBytes seed(32);
  auto signer = *NoteSigner::Create("bench/audit", seed);
  const NoteSigner* signers[] = {signer.get()};
  const std::string note = *SignCheckpoint({"bench/audit", kMillion, HashLeaf("x"), {}}, signers);
  const NoteVerifier verifiers[] = {signer->Verifier()};
  for (auto _ : state) benchmark::DoNotOptimize(OpenCheckpoint(note, "bench/audit", verifiers));
}
BENCHMARK(BM_OpenCheckpoint)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
