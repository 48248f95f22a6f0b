// Internal big-endian byte writer/reader for the keys module's binary file formats.
#ifndef BULWARK_SRC_KEYS_BYTE_IO_H_
#define BULWARK_SRC_KEYS_BYTE_IO_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/core/error.h"

namespace bulwark::keys::internal {

class ByteWriter {
 public:
  void U8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void U16(std::uint16_t v) { Int(v, 2); }
  void U32(std::uint32_t v) { Int(v, 4); }
  void U64(std::uint64_t v) { Int(v, 8); }
  void Bytes(std::span<const std::uint8_t> b) {
    out_.append(reinterpret_cast<const char*>(b.data()), b.size());
  }
  void Raw(std::string_view s) { out_.append(s); }
  // u32 length then the bytes.
  void Blob(std::span<const std::uint8_t> b) {
    U32(static_cast<std::uint32_t>(b.size()));
    Bytes(b);
  }
  const std::string& data() const { return out_; }
  std::string& mutable_data() { return out_; }

 private:
  void Int(std::uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  std::string out_;
};

// Every read fails with kDataLoss "<what>: truncated at byte N" past the end.
class ByteReader {
 public:
  ByteReader(std::span<const std::uint8_t> data, std::string what)
      : data_(data), what_(std::move(what)) {}
  Result<std::uint8_t> U8() {
    BULWARK_ASSIGN_OR_RETURN(auto b, Take(1));
    return b[0];
  }
  Result<std::uint16_t> U16() { return Int<std::uint16_t>(2); }
  Result<std::uint32_t> U32() { return Int<std::uint32_t>(4); }
  Result<std::uint64_t> U64() { return Int<std::uint64_t>(8); }
  Result<std::span<const std::uint8_t>> Take(std::size_t n) {
    if (data_.size() - pos_ < n) {
      return DataLossError(what_ + ": truncated at byte " + std::to_string(data_.size()));
    }
    auto s = data_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  Result<std::span<const std::uint8_t>> Blob(std::size_t max) {
    BULWARK_ASSIGN_OR_RETURN(std::uint32_t n, U32());
    if (n > max) {
      return DataLossError(what_ + ": field of " + std::to_string(n) + " bytes at byte " +
                           std::to_string(pos_ - 4) + " exceeds the limit of " +
                           std::to_string(max));
    }
    return Take(n);
  }
  std::size_t pos() const { return pos_; }
  std::size_t remaining() const { return data_.size() - pos_; }

 private:
  template <typename T>
  Result<T> Int(std::size_t n) {
    BULWARK_ASSIGN_OR_RETURN(auto b, Take(n));
    T v = 0;
    for (std::uint8_t x : b) v = static_cast<T>((v << 8) | x);
    return v;
  }
  std::span<const std::uint8_t> data_;
  std::size_t pos_ = 0;
  std::string what_;
};

// Replaces the error of `r` (if any) with f(error). (g++ 12's std::expected has no
// transform_error.)
template <typename T, typename F>
Result<T> MapError(Result<T> r, F&& f) {
  if (r.has_value()) return r;
  return std::unexpected<Error>(f(r.error()));
}

inline std::span<const std::uint8_t> AsBytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace bulwark::keys::internal

#endif  // BULWARK_SRC_KEYS_BYTE_IO_H_
