#include "pgutil/pg_result.h"

#include <endian.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <utility>

namespace bulwark::pgutil {
namespace {

// A result built in memory (no server): column formats as given, one row of values.
PgResult MakeResult(const std::vector<int>& formats,
                    const std::vector<std::optional<std::string>>& row) {
  PGresult* r = PQmakeEmptyPGresult(nullptr, PGRES_TUPLES_OK);
  std::vector<PGresAttDesc> attrs(formats.size());
  std::vector<std::string> names(formats.size());
  for (std::size_t i = 0; i < formats.size(); ++i) {
    names[i] = "c" + std::to_string(i);
    attrs[i] = PGresAttDesc{names[i].data(), 0, 0, formats[i], 0, -1, -1};
  }
  EXPECT_EQ(PQsetResultAttrs(r, static_cast<int>(attrs.size()), attrs.data()), 1);
  for (std::size_t i = 0; i < row.size(); ++i) {
    const int len = row[i] ? static_cast<int>(row[i]->size()) : -1;
    char* value = row[i] ? const_cast<char*>(row[i]->data()) : nullptr;
    EXPECT_EQ(PQsetvalue(r, 0, static_cast<int>(i), value, len), 1);
  }
  return PgResult(r);
}

std::string BigEndian64(std::int64_t v) {
  const std::uint64_t be = htobe64(static_cast<std::uint64_t>(v));
  return std::string(reinterpret_cast<const char*>(&be), 8);
}
std::string BigEndian32(std::int32_t v) {
  const std::uint32_t be = htobe32(static_cast<std::uint32_t>(v));
  return std::string(reinterpret_cast<const char*>(&be), 4);
}

TEST(PgResultTest, ReadsTextFormatIntegersByteaAndNulls) {
  PgResult r = MakeResult({0, 0, 0, 0}, {"-42", std::nullopt, "\\x00ff41", "héllo"});
  ASSERT_EQ(r.rows(), 1);
  EXPECT_EQ(r.Int(0, 0), -42);
  EXPECT_EQ(r.OptInt(0, 0), std::optional<std::int64_t>(-42));
  EXPECT_TRUE(r.IsNull(0, 1));
  EXPECT_EQ(r.OptInt(0, 1), std::nullopt);
  EXPECT_EQ(r.Bytea(0, 2).value(), std::string("\0\xff"
                                               "A",
                                               3));
  EXPECT_EQ(r.Text(0, 3), "héllo");
}

TEST(PgResultTest, ReadsBinaryFormatInt8Int4AndBytes) {
  const std::string bytes("\0\x01\xfe", 3);
  PgResult r =
      MakeResult({1, 1, 1}, {BigEndian64(-(std::int64_t{1} << 40)), BigEndian32(-7), bytes});
  EXPECT_EQ(r.Int(0, 0), -(std::int64_t{1} << 40));
  EXPECT_EQ(r.Int(0, 1), -7);
  EXPECT_EQ(r.Bytea(0, 2).value(), bytes);  // binary bytea is the bytes themselves
  const auto span = r.Bytes(0, 2);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(span.data()), span.size()), bytes);
}

TEST(PgResultTest, MovingTransfersOwnership) {
  PgResult a = MakeResult({0}, {"1"});
  PGresult* raw = a.get();
  PgResult b(std::move(a));
  EXPECT_EQ(a.get(), nullptr);  // NOLINT(bugprone-use-after-move): checking the moved-from state
  EXPECT_EQ(b.get(), raw);
  EXPECT_EQ(b.Int(0, 0), 1);
}

}  // namespace
}  // namespace bulwark::pgutil
