// PgResult: owns one libpq query result (PQclear on destruction) and reads its values in either
// result format.
//
// libpq results carry a format per column (PQfformat: 0 text, 1 binary); the store asks for text
// results and the audit log for binary ones, and the accessors below decode whichever the column
// has, so both backends share this one class.
//
// Preconditions (as for libpq's PQgetvalue): `row` < rows() and `col` < the number of columns; a
// binary integer column is int8 or int4. Values are not checked beyond that: the backends read
// columns of their own schema.
//
// Thread safety: like the PGresult it owns, safe to read from several threads; not to move while
// read.
#ifndef BULWARK_SRC_PGUTIL_PG_RESULT_H_
#define BULWARK_SRC_PGUTIL_PG_RESULT_H_

#include <libpq-fe.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "bulwark/core/error.h"

namespace bulwark::pgutil {

class PgResult {
 public:
  // Takes ownership of `r` (may be null: libpq returns null when out of memory).
  explicit PgResult(PGresult* r) : r_(r) {}
  PgResult(PgResult&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;
  ~PgResult() { PQclear(r_); }

  PGresult* get() const { return r_; }
  int rows() const { return PQntuples(r_); }
  bool IsNull(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }

  // The value's bytes as they are (text: the text form; binary: the wire bytes).
  std::string Text(int row, int col) const;
  std::span<const std::uint8_t> Bytes(int row, int col) const;
  // An integer column: text (decimal) or binary (int8 / int4, network byte order).
  std::int64_t Int(int row, int col) const;
  // Int, or nullopt for NULL.
  std::optional<std::int64_t> OptInt(int row, int col) const;
  // A bytea column: text ("\x..." escape form, unescaped here) or binary (the bytes).
  // kResourceExhausted when libpq cannot allocate the unescaped copy.
  Result<std::string> Bytea(int row, int col) const;

 private:
  bool binary(int col) const { return PQfformat(r_, col) == 1; }

  PGresult* r_;
};

}  // namespace bulwark::pgutil

#endif  // BULWARK_SRC_PGUTIL_PG_RESULT_H_
