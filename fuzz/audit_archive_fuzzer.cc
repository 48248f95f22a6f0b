// Fuzzes archive file verification (VerifyArchiveFile, docs/formats-audit.md section 9): any
// bytes give findings or an I/O error, never a crash, and a file with findings never verifies
// clean by accident of its SHA-256 (the digest always covers every byte).
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "bulwark/auditlog/archive.h"
#include "bulwark/audit/checkpoint_verifier.h"
#include "bulwark/audit/note.h"
#include "bulwark/core/encoding.h"
#include "bulwark/crypto/hash.h"

namespace {

const bulwark::audit::CheckpointVerifier& Verifier() {
  static const auto* v = [] {
    std::vector<std::uint8_t> seed(32, 1);
    auto signer = *bulwark::audit::NoteSigner::Create("fuzz/log", bulwark::SecretBytes(seed));
    return new bulwark::audit::CheckpointVerifier(
        *bulwark::audit::CheckpointVerifier::Create("fuzz/log", {signer->Verifier()}));
  }();
  return *v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = (std::filesystem::temp_directory_path() /
                                   ("bulwark_archive_fuzz_" + std::to_string(::getpid())))
                                      .string();
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return 0;
  if (size > 0) std::fwrite(data, 1, size, f);
  std::fclose(f);
  auto v = bulwark::audit::VerifyArchiveFile(path, Verifier());
  if (!v) return 0;
  const auto digest = *bulwark::crypto::Sha256(std::span<const std::uint8_t>(data, size));
  if (v->sha256_hex != bulwark::HexEncode(digest)) std::abort();
  (void)v->Summary();
  return 0;
}
