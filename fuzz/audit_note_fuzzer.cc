// Fuzzes the signed-note, checkpoint and verifier-key parsers: no crash, and whatever is accepted
// formats back to exactly the input (the formats have one encoding per value).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "bulwark/audit/checkpoint.h"
#include "bulwark/audit/note.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto note = bulwark::audit::ParseNote(text)) {
    if (bulwark::audit::FormatNote(*note) != text) std::abort();
  }
  if (auto cp = bulwark::audit::ParseCheckpoint(text)) {
    if (bulwark::audit::FormatCheckpoint(*cp) != text) std::abort();
  }
  if (auto v = bulwark::audit::NoteVerifier::FromVerifierKey(text)) {
    if (v->VerifierKey() != text) std::abort();
  }
  return 0;
}
