// Sequential byte sources read in chunks, so that a scan holds a bounded amount of a target in
// memory however large it is (docs/scan.md section 1.1).
//
// Thread safety: a ByteSource is used by one thread at a time.
#ifndef BULWARK_SCAN_BYTE_SOURCE_H_
#define BULWARK_SCAN_BYTE_SOURCE_H_

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "bulwark/core/error.h"

namespace bulwark::scan {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to `n` bytes into `buf`; returns how many were read, 0 at the end. kUnavailable
  // naming the source on an I/O error.
  virtual Result<std::size_t> Read(char* buf, std::size_t n) = 0;
  // The expected total size (0 if unknown); only a hint for buffer sizes.
  virtual std::size_t SizeHint() const { return 0; }
};

// The bytes of `data`, which must outlive the source.
std::unique_ptr<ByteSource> NewStringSource(std::string_view data);
// The file at `path`, read with read(2). kNotFound if missing, kInvalidArgument if a directory,
// kUnavailable for other errors; each message names the path.
Result<std::unique_ptr<ByteSource>> OpenFileSource(const std::filesystem::path& path);

}  // namespace bulwark::scan

#endif  // BULWARK_SCAN_BYTE_SOURCE_H_
