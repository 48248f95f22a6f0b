#include "bulwark/lifecycle/generator.h"

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>

#include "bulwark/core/encoding.h"
#include "bulwark/core/subprocess.h"

namespace bulwark::lifecycle {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

std::string Alphabet(const Strategy& s, std::vector<std::string>* classes_out) {
  std::string all;
  for (const std::string& c : s.classes) {
    std::string chars;
    if (c == "lower") chars = "abcdefghijklmnopqrstuvwxyz";
    if (c == "upper") chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    if (c == "digit") chars = "0123456789";
    if (c == "symbol") chars = s.symbols;
    classes_out->push_back(chars);
    all += chars;
  }
  return all;
}

// A uniformly chosen index below n (n <= 256) by rejection sampling over random bytes.
class IndexSource {
 public:
  explicit IndexSource(SecureRandom& r) : random_(r), pool_(256) {}
  Result<std::size_t> Next(std::size_t n) {
    const std::size_t limit = 256 - (256 % n);
    for (;;) {
      if (used_ == pool_.size()) {
        BULWARK_RETURN_IF_ERROR(random_.Fill(pool_.MutableReveal()));
        used_ = 0;
      }
      const std::size_t b = pool_.Reveal()[used_++];
      if (b < limit) return b % n;
    }
  }

 private:
  SecureRandom& random_;
  SecretBytes pool_;
  std::size_t used_ = 256;
};

Result<GeneratedSecret> Password(const Strategy& s, SecureRandom& random) {
  std::vector<std::string> classes;
  const std::string alphabet = Alphabet(s, &classes);
  if (alphabet.empty() || alphabet.size() > 256) {
    return InvalidArgumentError("password strategy: the classes give no characters");
  }
  for (const auto& c : classes) {
    if (c.empty()) return InvalidArgumentError("password strategy: a class has no characters");
  }
  if (s.length < classes.size()) {
    return InvalidArgumentError("password strategy: shorter than the number of classes");
  }
  IndexSource idx(random);
  GeneratedSecret out{SecretBytes(s.length), {}};
  // Uniform over the passwords that contain every class: draw, and draw again when one is missing.
  for (int attempt = 0; attempt < 10000; ++attempt) {
    auto buf = out.value.MutableReveal();
    for (std::size_t i = 0; i < buf.size(); ++i) {
      BULWARK_ASSIGN_OR_RETURN(std::size_t k, idx.Next(alphabet.size()));
      buf[i] = static_cast<std::uint8_t>(alphabet[k]);
    }
    bool all = true;
    for (const auto& c : classes) {
      bool found = false;
      for (std::uint8_t b : buf) found = found || c.find(static_cast<char>(b)) != std::string::npos;
      all = all && found;
    }
    if (all) return out;
  }
  return InternalError("password strategy: could not draw a password with every class");
}

Result<GeneratedSecret> RandomBytes(const Strategy& s, SecureRandom& random) {
  BULWARK_ASSIGN_OR_RETURN(SecretBytes raw, random.Secret(s.bytes));
  std::string text;
  if (s.encoding == "hex") {
    text = HexEncode(raw.Reveal());
  } else {
    text = Base64Encode(raw.Reveal(), s.encoding == "base64url" ? Base64Alphabet::kUrlSafe
                                                              : Base64Alphabet::kStandard);
  }
  GeneratedSecret out{SecretBytes::FromString(text), {}};
  SecureZero(text);
  return out;
}

Result<SecretBytes> ReadBio(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  if (n <= 0 || data == nullptr) return InternalError("key pair: empty PEM");
  return SecretBytes(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(data),
                                                   static_cast<std::size_t>(n)));
}

Result<GeneratedSecret> Pem(EVP_PKEY* key, std::string_view what) {
  BioPtr priv(BIO_new(BIO_s_secmem()));
  BioPtr pub(BIO_new(BIO_s_mem()));
  if (!priv || !pub ||
      PEM_write_bio_PrivateKey(priv.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1 ||
      PEM_write_bio_PUBKEY(pub.get(), key) != 1) {
    return InternalError(fmt::format("{}: cannot encode the key pair", what));
  }
  GeneratedSecret out;
  BULWARK_ASSIGN_OR_RETURN(out.value, ReadBio(priv.get()));
  BULWARK_ASSIGN_OR_RETURN(SecretBytes p, ReadBio(pub.get()));
  out.public_key = std::string(p.RevealAsString());
  return out;
}

Result<GeneratedSecret> Ed25519(SecureRandom& random) {
  BULWARK_ASSIGN_OR_RETURN(SecretBytes seed, random.Secret(32));
  PkeyPtr key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.Reveal().data(),
                                           seed.size()));
  if (!key) return InternalError("ed25519 strategy: cannot create the key");
  return Pem(key.get(), "ed25519 strategy");
}

Result<GeneratedSecret> Rsa(const Strategy& s) {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(s.bits)));
  if (!key) return UnavailableError(fmt::format("rsa strategy: key generation ({} bits) failed", s.bits));
  return Pem(key.get(), "rsa strategy");
}

Result<GeneratedSecret> Command(const Strategy& s,
                                const std::vector<std::pair<std::string, std::string>>& env) {
  if (s.command.command.empty()) return InvalidArgumentError("command strategy: no command");
  SubprocessOptions o;
  o.argv = s.command.command;
  o.env = s.command.env;
  o.env.insert(o.env.end(), env.begin(), env.end());
  o.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(s.command.timeout);
  o.max_stdout = 64 << 10;
  BULWARK_ASSIGN_OR_RETURN(SubprocessResult r, RunSubprocess(o));
  if (!r.ok()) {
    return UnavailableError(fmt::format("generator command '{}': {}", s.command.command[0],
                                        r.Describe(o.timeout)));
  }
  std::string_view v = r.stdout_data.RevealAsString();
  if (v.ends_with("\r\n")) {
    v.remove_suffix(2);
  } else if (v.ends_with('\n')) {
    v.remove_suffix(1);
  }
  if (v.empty()) {
    return UnavailableError(fmt::format("generator command '{}': printed no value", s.command.command[0]));
  }
  return GeneratedSecret{SecretBytes::FromString(v), {}};
}

}  // namespace

Result<GeneratedSecret> GenerateSecret(const Strategy& s, SecureRandom& random,
                                       const std::vector<std::pair<std::string, std::string>>& env) {
  switch (s.kind) {
    case StrategyKind::kPassword:
      return Password(s, random);
    case StrategyKind::kRandomBytes:
      return RandomBytes(s, random);
    case StrategyKind::kEd25519:
      return Ed25519(random);
    case StrategyKind::kRsa:
      return Rsa(s);
    case StrategyKind::kCommand:
      return Command(s, env);
    case StrategyKind::kNone:
      break;
  }
  return InvalidArgumentError("no rotation strategy: this secret is rotated by hand (bulwark set)");
}

Result<std::string> PublicKeyOf(const SecretBytes& private_pem) {
  BioPtr in(BIO_new_mem_buf(private_pem.Reveal().data(), static_cast<int>(private_pem.size())));
  if (!in) return InternalError("public key: cannot read the private key");
  PkeyPtr key(PEM_read_bio_PrivateKey(in.get(), nullptr, nullptr, nullptr));
  if (!key) return InvalidArgumentError("public key: the value is not a PEM private key");
  BioPtr pub(BIO_new(BIO_s_mem()));
  if (!pub || PEM_write_bio_PUBKEY(pub.get(), key.get()) != 1) {
    return InternalError("public key: cannot encode it");
  }
  BULWARK_ASSIGN_OR_RETURN(SecretBytes p, ReadBio(pub.get()));
  return std::string(p.RevealAsString());
}

}  // namespace bulwark::lifecycle
