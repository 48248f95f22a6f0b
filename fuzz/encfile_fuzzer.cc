// Fuzzes the file encryption paths. The first byte picks the format (YAML, JSON, TOML, dotenv, INI)
// and a selection of values; the rest is the document. Checks:
//  - the span scanner never crashes and returns ordered, non-overlapping, in-bounds spans;
//  - when encryption succeeds, decryption gives back the input bytes exactly;
//  - decrypting arbitrary input (and the encrypted output with one byte changed) never crashes and
//    never "succeeds" with different values silently (a changed byte inside a token must fail);
//  - ListTokens (key usage without decrypting) never crashes on arbitrary input, and on encrypted
//    output names exactly the encrypted paths, each under the primary key.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "bulwark/core/runtime.h"
#include "bulwark/crypto/policy.h"
#include "bulwark/keys/keyring.h"
#include "bulwark/secfile/encfile.h"
#include "bulwark/secfile/spans.h"
#include "bulwark/secfile/token.h"

namespace {

using bulwark::secfile::FileFormat;

struct Fixture {
  bulwark::Runtime runtime = bulwark::Runtime::System();
  std::unique_ptr<bulwark::keys::Keyring> keyring;
  Fixture() {
    auto k = bulwark::keys::Keyring::Create(runtime, bulwark::crypto::AlgorithmPolicy::Standard());
    if (!k) std::abort();
    keyring = std::move(*k);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Fixture* fixture = new Fixture();  // one keyring for the whole run
  if (size < 1) return 0;
  const FileFormat format = static_cast<FileFormat>(data[0] % 5);
  const bool all = (data[0] & 0x80) != 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);

  auto spans = bulwark::secfile::ScanValues(text, format);
  if (spans) {
    std::size_t last_end = 0;
    for (const auto& s : *spans) {
      if (s.begin > s.end || s.end > text.size() || s.begin < last_end) std::abort();
      last_end = s.end;
    }
  }
  (void)bulwark::secfile::DecryptFile(text, format, *fixture->keyring);
  (void)bulwark::secfile::ListTokens(text, format);
  if (!spans) return 0;

  bulwark::secfile::EncryptOptions options;
  if (all) {
    options.paths.emplace();
    for (const auto& s : *spans) options.paths->push_back(s.path);
  }
  auto enc =
      bulwark::secfile::EncryptFile(text, format, *fixture->keyring, fixture->runtime, options);
  if (!enc) return 0;
  auto dec = bulwark::secfile::DecryptFile(enc->text, format, *fixture->keyring);
  if (!dec || dec->text != text) std::abort();
  auto tokens = bulwark::secfile::ListTokens(enc->text, format);
  if (!tokens || tokens->values.size() != enc->encrypted.size()) std::abort();
  for (std::size_t i = 0; i < tokens->values.size(); ++i) {
    if (tokens->values[i].path != enc->encrypted[i] ||
        tokens->values[i].key_id != fixture->keyring->primary_id()) {
      std::abort();
    }
  }

  // Change one byte inside the first value token (comments may contain "ENC[" too): decryption
  // must fail.
  auto enc_spans = bulwark::secfile::ScanValues(enc->text, format);
  if (!enc_spans) std::abort();
  for (const auto& span : *enc_spans) {
    if (!bulwark::secfile::LooksLikeToken(span.text)) continue;
    const std::size_t begin = enc->text.find("ENC[", span.begin);
    if (begin == std::string::npos || begin >= span.end) std::abort();
    std::string forged = enc->text;
    const std::size_t pos = begin + 4 + (size % 20);
    forged[pos] = static_cast<char>(forged[pos] ^ 0x01);
    if (bulwark::secfile::DecryptFile(forged, format, *fixture->keyring)) std::abort();
    break;
  }
  return 0;
}
