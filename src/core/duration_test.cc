#include "bulwark/core/duration.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace bulwark {
namespace {

TEST(DurationTest, ParsesEveryUnitAndCombinations) {
  EXPECT_EQ(ParseDuration("90s").value(), Seconds(90));
  EXPECT_EQ(ParseDuration("5m").value(), Seconds(300));
  EXPECT_EQ(ParseDuration("24h").value(), Seconds(86400));
  EXPECT_EQ(ParseDuration("30d").value(), Seconds(30 * 86400));
  EXPECT_EQ(ParseDuration("2w").value(), Seconds(14 * 86400));
  EXPECT_EQ(ParseDuration("1h30m").value(), Seconds(5400));
  EXPECT_EQ(ParseDuration("1d12h").value(), Seconds(129600));
  EXPECT_EQ(ParseDuration("0").value(), Seconds(0));
  EXPECT_EQ(ParseDuration("0s").value(), Seconds(0));
}

TEST(DurationTest, RejectsMalformedTextNamingIt) {
  for (const char* bad : {"", "5", "m", "5x", "-5m", "5m5h", "5m5m", "1.5h", " 5m", "5m ",
                          "99999999999999999999s", "500000w"}) {
    auto r = ParseDuration(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message().find("duration '"), std::string::npos);
  }
}

TEST(DurationTest, FormatsCanonically) {
  EXPECT_EQ(FormatDuration(Seconds(0)), "0s");
  EXPECT_EQ(FormatDuration(Seconds(90)), "1m30s");
  EXPECT_EQ(FormatDuration(Seconds(30 * 86400)), "4w2d");
  EXPECT_EQ(FormatDuration(Seconds(86400)), "1d");
}

RC_GTEST_PROP(DurationProperty, FormatThenParseIsIdentity, ()) {
  const auto s = *rc::gen::inRange<std::int64_t>(0, std::int64_t{100} * 365 * 86400);
  const auto back = ParseDuration(FormatDuration(Seconds(s)));
  RC_ASSERT(back.has_value());
  RC_ASSERT(back->count() == s);
}

}  // namespace
}  // namespace bulwark
