#include "bulwark/drift/baseline_record.h"

#include <gtest/gtest.h>

namespace bulwark::drift {
namespace {

TEST(BaselineRecordTest, RoundTripsThroughItsFileFormat) {
  BaselineRecords in;
  BaselineRecord r;
  r.version = 7;
  r.content_hash = "abc";
  r.recorded_at = "2026-12-07T16:00:00Z";
  r.recorded_by = "local:alice";
  r.fingerprints[*config::Path::Parse("db.password")] = std::string(64, 'a');
  in["production/app"] = r;
  auto out = ParseBaselineRecords(SerializeBaselineRecords(in), "f");
  ASSERT_TRUE(out) << out.error().ToString();
  ASSERT_EQ(out->size(), 1u);
  const BaselineRecord& o = out->at("production/app");
  EXPECT_EQ(o.version, 7);
  EXPECT_EQ(o.content_hash, "abc");
  EXPECT_EQ(o.recorded_by, "local:alice");
  EXPECT_EQ(o.fingerprints, r.fingerprints);
}

TEST(BaselineRecordTest, ADamagedFileIsDataLossNamingTheFile) {
  for (const char* text : {"", "[]", "{\"format\":\"x\",\"baselines\":{}}",
                           "{\"format\":\"bulwark-drift-baselines/v1\",\"baselines\":{\"a\":{}}}",
                           "{\"format\":\"bulwark-drift-baselines/v1\",\"baselines\":{\"a\":"
                           "{\"version\":1,\"fingerprints\":{\"p\":\"zz\"}}}}"}) {
    auto r = ParseBaselineRecords(text, "/home/drift-baselines.json");
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().code(), ErrorCode::kDataLoss);
    EXPECT_NE(r.error().message().find("/home/drift-baselines.json"), std::string::npos);
  }
}

}  // namespace
}  // namespace bulwark::drift
