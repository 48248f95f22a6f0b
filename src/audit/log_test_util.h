// Test helpers: a signed toy log with checkpoints published every few entries.
#ifndef BULWARK_SRC_AUDIT_LOG_TEST_UTIL_H_
#define BULWARK_SRC_AUDIT_LOG_TEST_UTIL_H_

#include <memory>
#include <string>
#include <vector>

#include "bulwark/audit/checkpoint.h"
#include "bulwark/audit/checkpoint_verifier.h"
#include "bulwark/audit/in_memory_tree.h"
#include "bulwark/audit/note.h"
#include "bulwark/audit/proof.h"

namespace bulwark::audit::testing {

inline constexpr std::string_view kOrigin = "bulwark.test/audit";

inline std::unique_ptr<NoteSigner> TestSigner(std::uint8_t first = 1,
                                              std::string_view name = kOrigin) {
  SecretBytes seed(32);
  for (int i = 0; i < 32; ++i) seed.MutableReveal()[i] = static_cast<std::uint8_t>(first + i);
  return std::move(*NoteSigner::Create(name, seed));
}

inline std::vector<std::uint8_t> Entry(std::uint64_t i) {
  const std::string s = "{\"id\":\"event-" + std::to_string(i) + "\"}";
  return {s.begin(), s.end()};
}

inline std::vector<std::vector<std::uint8_t>> Entries(std::uint64_t n) {
  std::vector<std::vector<std::uint8_t>> out;
  for (std::uint64_t i = 0; i < n; ++i) out.push_back(Entry(i));
  return out;
}

// Signed checkpoints of the log `entries` at each of `sizes`.
inline std::vector<std::string> SignedCheckpoints(
    const std::vector<std::vector<std::uint8_t>>& entries, const std::vector<std::uint64_t>& sizes,
    const NoteSigner& signer) {
  InMemoryTree tree;
  for (const auto& e : entries) tree.AppendLeaf(e);
  std::vector<std::string> out;
  const NoteSigner* signers[] = {&signer};
  for (std::uint64_t size : sizes) {
    Checkpoint cp{std::string(kOrigin), size, *RootAt(tree, size), {}};
    out.push_back(*SignCheckpoint(cp, signers));
  }
  return out;
}

}  // namespace bulwark::audit::testing

#endif  // BULWARK_SRC_AUDIT_LOG_TEST_UTIL_H_
