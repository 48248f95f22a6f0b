#include "bulwark/auditship/format.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "auditship/test_util.h"
#include "bulwark/core/encoding.h"

namespace bulwark::auditship {
namespace {

using ::testing::HasSubstr;

audit::StoredEvent Stored(std::uint64_t index, std::string leaf) {
  audit::StoredEvent e;
  e.index = index;
  e.leaf = std::move(leaf);
  e.time_us = 1767323045000006;
  return e;
}

TEST(FormatTest, SyslogIsAnRfc5424MessageWithTheLeafAsMsg) {
  const std::string leaf = testing::EventLeaf(7, "high");
  FormatContext ctx;
  ctx.hostname = "host-1";
  auto s = FormatEvent(EventFormat::kSyslog, Stored(7, leaf), ctx);
  ASSERT_TRUE(s.has_value());
  // PRI = 13 * 8 + 3 (error for high impact), VERSION 1, TIMESTAMP, HOSTNAME, APP-NAME, PROCID,
  // MSGID, SD, MSG.
  EXPECT_EQ(*s,
            "<107>1 2026-01-02T03:04:05.000006Z host-1 bulwark - dev.bulwark.config.set "
            "[bulwark@32473 index=\"7\" impact=\"high\"] " +
                leaf);
}

TEST(FormatTest, SyslogHeaderFieldsDropNonPrintableCharactersAndCanCarryCef) {
  FormatContext ctx;
  ctx.hostname = "bad host\n";
  ctx.syslog_payload = SyslogPayload::kCef;
  ctx.product_version = "1.2";
  auto s = FormatEvent(EventFormat::kSyslog, Stored(1, testing::EventLeaf(1)), ctx);
  ASSERT_TRUE(s.has_value());
  EXPECT_THAT(*s, HasSubstr(" badhost bulwark - "));
  EXPECT_THAT(*s, HasSubstr("] CEF:0|Bulwark|bulwark|1.2|dev.bulwark.config.set|config.set|3|"));
}

TEST(FormatTest, CefEscapesHeaderAndExtensionSpecials) {
  nlohmann::json j = nlohmann::json::parse(testing::EventLeaf(2));
  j["type"] = "a|b";
  j["data"]["actor"]["id"] = "x=y\\z\nw";
  auto s = FormatEvent(EventFormat::kCef, Stored(2, j.dump()), FormatContext{});
  ASSERT_TRUE(s.has_value());
  EXPECT_THAT(*s, HasSubstr("|a\\|b|"));
  EXPECT_THAT(*s, HasSubstr("suser=x\\=y\\\\z\\nw "));
  EXPECT_THAT(*s, HasSubstr("cn1Label=index cn1=2 externalId=ev-2"));
  EXPECT_EQ(s->find('\n'), std::string::npos);
}

TEST(FormatTest, JsonlCarriesTheExactLeafBytesAndTheIndex) {
  const std::string leaf = testing::EventLeaf(3);
  auto s = FormatEvent(EventFormat::kJsonl, Stored(3, leaf), FormatContext{});
  ASSERT_TRUE(s.has_value());
  auto j = nlohmann::json::parse(*s);
  EXPECT_EQ(j["index"], 3);
  auto bytes = Base64Decode(j["leaf"].get<std::string>());
  ASSERT_TRUE(bytes.has_value());
  EXPECT_EQ(std::string(bytes->begin(), bytes->end()), leaf);
  EXPECT_EQ(j["event"]["id"], "ev-3");
}

TEST(FormatTest, CloudEventsIsTheLeafAndAnUnreadableLeafIsDataLoss) {
  EXPECT_EQ(*FormatEvent(EventFormat::kCloudEvents, Stored(0, "{\"a\":1}"), {}), "{\"a\":1}");
  auto bad = FormatEvent(EventFormat::kCef, Stored(4, "not json"), {});
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), ErrorCode::kDataLoss);
  EXPECT_THAT(bad.error().message(), HasSubstr("audit event 4"));
}

TEST(FormatTest, ParseEventFormatNamesTheAcceptedFormats) {
  EXPECT_EQ(*ParseEventFormat("cef"), EventFormat::kCef);
  for (auto f :
       {EventFormat::kJsonl, EventFormat::kCloudEvents, EventFormat::kCef, EventFormat::kSyslog}) {
    EXPECT_EQ(*ParseEventFormat(EventFormatName(f)), f);
  }
  auto bad = ParseEventFormat("xml");
  ASSERT_FALSE(bad.has_value());
  EXPECT_THAT(bad.error().message(), HasSubstr("jsonl, cloudevents, cef or syslog"));
}

}  // namespace
}  // namespace bulwark::auditship
