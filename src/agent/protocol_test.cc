#include "bulwark/agent/protocol.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "bulwark/testing/assert_ok.h"

namespace bulwark::agent {
namespace {

std::vector<std::uint8_t> Bytes(std::string_view s) { return {s.begin(), s.end()}; }

TEST(AgentProtocolTest, UnwrapRequestRoundTrips) {
  Request r;
  r.op = Op::kUnwrap;
  r.context = Bytes("bulwark dek v1....");
  r.blob = SecretBytes::FromString("wrapped-blob");
  ASSERT_OK_AND_ASSIGN(Request back, DecodeRequest(EncodeRequest(r)));
  EXPECT_EQ(back.op, Op::kUnwrap);
  EXPECT_EQ(back.context, r.context);
  EXPECT_TRUE(back.blob == r.blob);
}

TEST(AgentProtocolTest, RequestsOfEveryMalformedShapeAreRefusedNamingTheField) {
  Request r;
  r.op = Op::kWrap;
  r.context = Bytes("ctx");
  r.blob = SecretBytes(32);
  const std::vector<std::uint8_t> good = EncodeRequest(r);
  ASSERT_TRUE(DecodeRequest(good));

  auto v = good;
  v[0] = 2;
  EXPECT_NE(DecodeRequest(v).error().message().find("protocol version 2"), std::string::npos);
  v = good;
  v[1] = 9;
  EXPECT_NE(DecodeRequest(v).error().message().find("unknown op 9"), std::string::npos);
  v = good;
  v.push_back(0);
  EXPECT_NE(DecodeRequest(v).error().message().find("trailing"), std::string::npos);
  v = good;
  v.pop_back();
  EXPECT_NE(DecodeRequest(v).error().message().find("truncated at blob"), std::string::npos);
  v = {1, 3, 0xFF, 0xFF};
  EXPECT_NE(DecodeRequest(v).error().message().find("context length 65535"), std::string::npos);
  EXPECT_EQ(DecodeRequest({}).error().code(), ErrorCode::kInvalidArgument);

  Request big;
  big.op = Op::kWrap;
  big.blob = SecretBytes(kMaxDek + 1);
  EXPECT_NE(DecodeRequest(EncodeRequest(big)).error().message().find("data key to wrap"),
            std::string::npos);
  Request status_with_blob;
  status_with_blob.op = Op::kStatus;
  status_with_blob.blob = SecretBytes(1);
  EXPECT_NE(DecodeRequest(EncodeRequest(status_with_blob)).error().message().find("takes no"),
            std::string::npos);
  Request empty_unwrap;
  empty_unwrap.op = Op::kUnwrap;
  EXPECT_FALSE(DecodeRequest(EncodeRequest(empty_unwrap)));
}

TEST(AgentProtocolTest, ResponsesCarryTheErrorCodeAndMessage) {
  Response r;
  r.error = Error(ErrorCode::kFailedPrecondition, "the key agent is locked (idle)");
  ASSERT_OK_AND_ASSIGN(Response back, DecodeResponse(EncodeResponse(r)));
  ASSERT_TRUE(back.error);
  EXPECT_EQ(*back.error, *r.error);
  Response ok;
  ok.data = SecretBytes::FromString("dek");
  ASSERT_OK_AND_ASSIGN(Response ok_back, DecodeResponse(EncodeResponse(ok)));
  EXPECT_FALSE(ok_back.error);
  EXPECT_TRUE(ok_back.data == ok.data);
  auto bad = EncodeResponse(ok);
  bad[1] = 200;
  EXPECT_NE(DecodeResponse(bad).error().message().find("unknown status 200"), std::string::npos);
}

TEST(AgentProtocolTest, StatusRoundTrips) {
  AgentStatus s{.unlocked = false,
                .pid = 4242,
                .generation = 7,
                .idle_timeout_s = 900,
                .idle_remaining_s = 0,
                .memory_locked = true,
                .home = "/home/u/.bulwark",
                .lock_reason = "idle for 900 s"};
  ASSERT_OK_AND_ASSIGN(AgentStatus back, DecodeStatus(EncodeStatus(s)));
  EXPECT_EQ(back.unlocked, s.unlocked);
  EXPECT_EQ(back.pid, s.pid);
  EXPECT_EQ(back.generation, s.generation);
  EXPECT_EQ(back.idle_timeout_s, s.idle_timeout_s);
  EXPECT_EQ(back.memory_locked, s.memory_locked);
  EXPECT_EQ(back.home, s.home);
  EXPECT_EQ(back.lock_reason, s.lock_reason);
  auto bad = EncodeStatus(s);
  bad[0] = 3;
  EXPECT_FALSE(DecodeStatus(bad));
}

TEST(AgentProtocolTest, FrameLengthsOutsideTheLimitAreRefused) {
  std::vector<std::uint8_t> h;
  AppendFrameLength(h, 65536);
  EXPECT_TRUE(DecodeFrameLength(std::span<const std::uint8_t, 4>(h.data(), 4)));
  h.clear();
  AppendFrameLength(h, 65537);
  EXPECT_FALSE(DecodeFrameLength(std::span<const std::uint8_t, 4>(h.data(), 4)));
  h.clear();
  AppendFrameLength(h, 0);
  EXPECT_FALSE(DecodeFrameLength(std::span<const std::uint8_t, 4>(h.data(), 4)));
}

RC_GTEST_PROP(AgentProtocolProperty, WellFormedRequestsRoundTrip,
              (std::vector<std::uint8_t> context, std::vector<std::uint8_t> blob, bool wrap)) {
  RC_PRE(context.size() <= kMaxContext && !blob.empty());
  if (wrap) RC_PRE(blob.size() <= kMaxDek);
  Request r;
  r.op = wrap ? Op::kWrap : Op::kUnwrap;
  r.context = context;
  r.blob = SecretBytes(blob);
  auto back = DecodeRequest(EncodeRequest(r));
  RC_ASSERT(back.has_value());
  RC_ASSERT(back->op == r.op);
  RC_ASSERT(back->context == context);
  RC_ASSERT(back->blob == r.blob);
}

RC_GTEST_PROP(AgentProtocolProperty, AnyBytesDecodeOrAreRefusedWithoutReadingPastTheEnd,
              (std::vector<std::uint8_t> bytes)) {
  auto req = DecodeRequest(bytes);
  if (req) RC_ASSERT(EncodeRequest(*req) == bytes);  // the encoding is canonical
  auto resp = DecodeResponse(bytes);
  if (resp) RC_ASSERT(EncodeResponse(*resp) == bytes);
  (void)DecodeStatus(bytes);
}

}  // namespace
}  // namespace bulwark::agent
