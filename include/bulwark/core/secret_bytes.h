// SecretBytes: a byte buffer for key material, passphrases and decrypted secret values.
//
// Contract:
//  - The buffer is overwritten with zeros (OPENSSL_cleanse, which the compiler cannot elide) when
//    the object is destroyed, reassigned, cleared, or moved from. A moved-from SecretBytes is empty.
//  - Copying is explicit (`Clone()`), so a secret is never duplicated by accident.
//  - `==` compares in constant time with respect to the contents (CRYPTO_memcmp); only the lengths
//    may leak through timing.
//  - Streaming or formatting a SecretBytes prints "[redacted]", never its bytes, so a secret that
//    reaches a log line or an error message by mistake is not disclosed.
//  - Reading the bytes requires calling `Reveal()`: grep for it to audit every place plaintext leaves.
//
// Thread safety: not synchronized; a const SecretBytes may be read from several threads.
#ifndef BULWARK_CORE_SECRET_BYTES_H_
#define BULWARK_CORE_SECRET_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <span>
#include <string>
#include <string_view>

namespace bulwark {

class SecretBytes {
 public:
  SecretBytes() = default;
  // A zero-filled buffer of `size` bytes, to be written through MutableReveal().
  explicit SecretBytes(std::size_t size);
  // Copies `bytes` into a new secret buffer. The caller remains responsible for wiping the source.
  explicit SecretBytes(std::span<const std::uint8_t> bytes);
  static SecretBytes FromString(std::string_view s);

  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  ~SecretBytes();

  SecretBytes Clone() const;

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Read access to the plaintext. Keep the span's lifetime within this object's.
  std::span<const std::uint8_t> Reveal() const { return {data_, size_}; }
  std::string_view RevealAsString() const {
    return {reinterpret_cast<const char*>(data_), size_};
  }
  std::span<std::uint8_t> MutableReveal() { return {data_, size_}; }

  // Zeroes and frees the buffer.
  void Clear();

  // Constant-time comparison of the contents.
  friend bool operator==(const SecretBytes& a, const SecretBytes& b);

  friend std::ostream& operator<<(std::ostream& os, const SecretBytes&) {
    return os << "[redacted]";
  }

 private:
  std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

// Constant-time equality of two byte strings of public length (MACs, tags, hashes).
bool ConstantTimeEquals(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// Overwrites a buffer with zeros in a way the optimizer cannot remove.
void SecureZero(void* data, std::size_t size);
inline void SecureZero(std::string& s) { SecureZero(s.data(), s.size()); }

}  // namespace bulwark

#endif  // BULWARK_CORE_SECRET_BYTES_H_
