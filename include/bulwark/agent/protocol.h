// The key agent's wire protocol (docs/agent.md, section 2): one length-prefixed binary frame per
// request and per response over <home>/agent.sock. Pure functions, no I/O; the decoders take
// untrusted bytes (fuzz/agent_protocol_fuzzer.cc) and never read past what they were given.
//
// Secrets: a wrap request and an unwrap response carry a data key; those bytes are held in
// SecretBytes on both sides and the encoded frame is wiped by its owner once written.
//
// Thread safety: plain values and functions.
#ifndef BULWARK_AGENT_PROTOCOL_H_
#define BULWARK_AGENT_PROTOCOL_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bulwark/core/error.h"
#include "bulwark/core/secret_bytes.h"

namespace bulwark::agent {

inline constexpr std::uint8_t kProtocolVersion = 1;
inline constexpr std::size_t kMaxFrame = 65536;   // payload bytes
inline constexpr std::size_t kMaxContext = 1024;  // wrap context bytes
inline constexpr std::size_t kMaxBlob = 16384;    // wrapped blob bytes
inline constexpr std::size_t kMaxDek = 64;        // data key bytes

enum class Op : std::uint8_t { kStatus = 1, kWrap = 2, kUnwrap = 3, kLock = 4, kStop = 5 };
// "status", "wrap", ...
std::string_view OpName(Op op);

struct Request {
  Op op = Op::kStatus;
  std::vector<std::uint8_t> context;  // wrap/unwrap
  SecretBytes blob;                   // wrap: the DEK; unwrap: the wrapped blob
};

struct Response {
  // OK, or the error the agent reports (code and message; never key material).
  std::optional<Error> error;
  SecretBytes data;  // wrap: blob; unwrap: DEK; status: EncodeStatus
};

struct AgentStatus {
  bool unlocked = false;
  std::uint32_t pid = 0;
  std::uint64_t generation = 0;           // keystore generation the agent opened
  std::uint32_t idle_timeout_s = 0;
  std::uint32_t idle_remaining_s = 0;     // 0 when locked
  bool memory_locked = false;
  std::string home;                       // the home directory served
  std::string lock_reason;                // why it is locked; "" when unlocked
};

// Payload encoders (without the 4-byte length prefix) and decoders (of a payload).
// Decode errors are kInvalidArgument naming the field.
std::vector<std::uint8_t> EncodeRequest(const Request& request);
Result<Request> DecodeRequest(std::span<const std::uint8_t> payload);
std::vector<std::uint8_t> EncodeResponse(const Response& response);
Result<Response> DecodeResponse(std::span<const std::uint8_t> payload);
std::vector<std::uint8_t> EncodeStatus(const AgentStatus& status);
Result<AgentStatus> DecodeStatus(std::span<const std::uint8_t> data);

// The frame header of a payload: kInvalidArgument when 0 or above kMaxFrame.
Result<std::uint32_t> DecodeFrameLength(std::span<const std::uint8_t, 4> header);
void AppendFrameLength(std::vector<std::uint8_t>& out, std::uint32_t length);

}  // namespace bulwark::agent

#endif  // BULWARK_AGENT_PROTOCOL_H_
