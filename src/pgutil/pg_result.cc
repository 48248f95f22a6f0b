#include "pgutil/pg_result.h"

#include <endian.h>

#include <cstdlib>
#include <cstring>

namespace bulwark::pgutil {

std::string PgResult::Text(int row, int col) const {
  return std::string(PQgetvalue(r_, row, col), static_cast<std::size_t>(PQgetlength(r_, row, col)));
}

std::span<const std::uint8_t> PgResult::Bytes(int row, int col) const {
  return {reinterpret_cast<const std::uint8_t*>(PQgetvalue(r_, row, col)),
          static_cast<std::size_t>(PQgetlength(r_, row, col))};
}

std::int64_t PgResult::Int(int row, int col) const {
  const char* p = PQgetvalue(r_, row, col);
  if (!binary(col)) return std::strtoll(p, nullptr, 10);
  if (PQgetlength(r_, row, col) == 8) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return static_cast<std::int64_t>(be64toh(v));
  }
  std::uint32_t v = 0;
  std::memcpy(&v, p, 4);
  return static_cast<std::int32_t>(be32toh(v));
}

std::optional<std::int64_t> PgResult::OptInt(int row, int col) const {
  if (IsNull(row, col)) return std::nullopt;
  return Int(row, col);
}

Result<std::string> PgResult::Bytea(int row, int col) const {
  if (binary(col)) return Text(row, col);
  std::size_t n = 0;
  unsigned char* p =
      PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(r_, row, col)), &n);
  if (p == nullptr) return ResourceExhaustedError("postgresql: cannot decode bytea");
  std::string out(reinterpret_cast<const char*>(p), n);
  PQfreemem(p);
  return out;
}

}  // namespace bulwark::pgutil
