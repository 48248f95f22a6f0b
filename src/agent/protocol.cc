#include "bulwark/agent/protocol.h"

#include <fmt/format.h>

namespace bulwark::agent {
namespace {

constexpr std::uint8_t kLastErrorCode = static_cast<std::uint8_t>(ErrorCode::kInternal);

void PutU16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}
void PutU32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
}
void PutU64(std::vector<std::uint8_t>& out, std::uint64_t v) {
  for (int s = 56; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
}
void PutBytes(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> b) {
  out.insert(out.end(), b.begin(), b.end());
}
void PutString16(std::vector<std::uint8_t>& out, std::string_view s) {
  s = s.substr(0, 0xFFFF);
  PutU16(out, static_cast<std::uint16_t>(s.size()));
  PutBytes(out, {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
}

// Reads big-endian fields from an untrusted buffer; every read is bounds-checked.
class Reader {
 public:
  Reader(std::span<const std::uint8_t> data, std::string_view what) : d_(data), what_(what) {}
  Result<std::uint64_t> Uint(std::size_t n, std::string_view field) {
    if (d_.size() - pos_ < n) return Truncated(field);
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v = (v << 8) | d_[pos_ + i];
    pos_ += n;
    return v;
  }
  Result<std::span<const std::uint8_t>> Bytes(std::size_t n, std::string_view field) {
    if (d_.size() - pos_ < n) return Truncated(field);
    auto s = d_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  Result<std::string> String16(std::string_view field) {
    BULWARK_ASSIGN_OR_RETURN(std::uint64_t n, Uint(2, field));
    BULWARK_ASSIGN_OR_RETURN(auto b, Bytes(n, field));
    return std::string(reinterpret_cast<const char*>(b.data()), b.size());
  }
  Status End() {
    if (pos_ != d_.size()) {
      return InvalidArgumentError(
          fmt::format("agent {}: {} trailing byte(s)", what_, d_.size() - pos_));
    }
    return OkStatus();
  }

 private:
  std::unexpected<Error> Truncated(std::string_view field) const {
    return InvalidArgumentError(fmt::format("agent {}: truncated at {}", what_, field));
  }
  std::span<const std::uint8_t> d_;
  std::size_t pos_ = 0;
  std::string_view what_;
};

Status CheckVersion(std::uint64_t v, std::string_view what) {
  if (v != kProtocolVersion) {
    return InvalidArgumentError(
        fmt::format("agent {}: protocol version {} (this bulwark speaks {})", what, v,
                    kProtocolVersion));
  }
  return OkStatus();
}

}  // namespace

std::string_view OpName(Op op) {
  switch (op) {
    case Op::kStatus: return "status";
    case Op::kWrap: return "wrap";
    case Op::kUnwrap: return "unwrap";
    case Op::kLock: return "lock";
    case Op::kStop: return "stop";
  }
  return "unknown";
}

std::vector<std::uint8_t> EncodeRequest(const Request& r) {
  std::vector<std::uint8_t> out;
  out.reserve(8 + r.context.size() + r.blob.size());
  out.push_back(kProtocolVersion);
  out.push_back(static_cast<std::uint8_t>(r.op));
  PutU16(out, static_cast<std::uint16_t>(r.context.size()));
  PutBytes(out, r.context);
  PutU32(out, static_cast<std::uint32_t>(r.blob.size()));
  PutBytes(out, r.blob.Reveal());
  return out;
}

Result<Request> DecodeRequest(std::span<const std::uint8_t> payload) {
  Reader in(payload, "request");
  BULWARK_ASSIGN_OR_RETURN(std::uint64_t version, in.Uint(1, "version"));
  BULWARK_RETURN_IF_ERROR(CheckVersion(version, "request"));
  BULWARK_ASSIGN_OR_RETURN(std::uint64_t op, in.Uint(1, "op"));
  if (op < 1 || op > 5) return InvalidArgumentError(fmt::format("agent request: unknown op {}", op));
  Request r;
  r.op = static_cast<Op>(op);
  BULWARK_ASSIGN_OR_RETURN(std::uint64_t clen, in.Uint(2, "context length"));
  if (clen > kMaxContext) {
    return InvalidArgumentError(
        fmt::format("agent request: context length {} exceeds {}", clen, kMaxContext));
  }
  BULWARK_ASSIGN_OR_RETURN(auto ctx, in.Bytes(clen, "context"));
  r.context.assign(ctx.begin(), ctx.end());
  BULWARK_ASSIGN_OR_RETURN(std::uint64_t blen, in.Uint(4, "blob length"));
  if (blen > kMaxBlob) {
    return InvalidArgumentError(
        fmt::format("agent request: blob length {} exceeds {}", blen, kMaxBlob));
  }
  BULWARK_ASSIGN_OR_RETURN(auto blob, in.Bytes(blen, "blob"));
  BULWARK_RETURN_IF_ERROR(in.End());
  const bool keyed = r.op == Op::kWrap || r.op == Op::kUnwrap;
  if (!keyed && (clen != 0 || blen != 0)) {
    return InvalidArgumentError(
        fmt::format("agent request: op {} takes no context or blob", OpName(r.op)));
  }
  if (r.op == Op::kWrap && (blen == 0 || blen > kMaxDek)) {
    return InvalidArgumentError(
        fmt::format("agent request: a data key to wrap is 1..{} bytes, not {}", kMaxDek, blen));
  }
  if (r.op == Op::kUnwrap && blen == 0) {
    return InvalidArgumentError("agent request: unwrap of an empty blob");
  }
  r.blob = SecretBytes(blob);
  return r;
}

std::vector<std::uint8_t> EncodeResponse(const Response& r) {
  std::vector<std::uint8_t> out;
  out.reserve(8 + r.data.size() + (r.error ? r.error->message().size() : 0));
  out.push_back(kProtocolVersion);
  out.push_back(r.error ? static_cast<std::uint8_t>(1 + static_cast<std::uint8_t>(r.error->code()))
                        : std::uint8_t{0});
  PutString16(out, r.error ? std::string_view(r.error->message()) : std::string_view());
  PutU32(out, static_cast<std::uint32_t>(r.data.size()));
  PutBytes(out, r.data.Reveal());
  return out;
}

Result<Response> DecodeResponse(std::span<const std::uint8_t> payload) {
  Reader in(payload, "response");
  BULWARK_ASSIGN_OR_RETURN(std::uint64_t version, in.Uint(1, "version"));
  BULWARK_RETURN_IF_ERROR(CheckVersion(version, "response"));
  BULWARK_ASSIGN_OR_RETURN(std::uint64_t code, in.Uint(1, "status"));
  if (code > 1u + kLastErrorCode) {
    return InvalidArgumentError(fmt::format("agent response: unknown status {}", code));
  }
  BULWARK_ASSIGN_OR_RETURN(std::string message, in.String16("message"));
  BULWARK_ASSIGN_OR_RETURN(std::uint64_t dlen, in.Uint(4, "data length"));
  if (dlen > kMaxBlob) {
    return InvalidArgumentError(
        fmt::format("agent response: data length {} exceeds {}", dlen, kMaxBlob));
  }
  BULWARK_ASSIGN_OR_RETURN(auto data, in.Bytes(dlen, "data"));
  BULWARK_RETURN_IF_ERROR(in.End());
  if (code == 0 && !message.empty()) {
    return InvalidArgumentError("agent response: a message with a success status");
  }
  Response r;
  if (code != 0) r.error = Error(static_cast<ErrorCode>(code - 1), std::move(message));
  r.data = SecretBytes(data);
  return r;
}

std::vector<std::uint8_t> EncodeStatus(const AgentStatus& s) {
  std::vector<std::uint8_t> out;
  out.push_back(s.unlocked ? 1 : 2);
  PutU32(out, s.pid);
  PutU64(out, s.generation);
  PutU32(out, s.idle_timeout_s);
  PutU32(out, s.idle_remaining_s);
  out.push_back(s.memory_locked ? 1 : 0);
  PutString16(out, s.home);
  PutString16(out, s.lock_reason);
  return out;
}

Result<AgentStatus> DecodeStatus(std::span<const std::uint8_t> data) {
  Reader in(data, "status");
  AgentStatus s;
  BULWARK_ASSIGN_OR_RETURN(std::uint64_t state, in.Uint(1, "state"));
  if (state != 1 && state != 2) {
    return InvalidArgumentError(fmt::format("agent status: unknown state {}", state));
  }
  s.unlocked = state == 1;
  BULWARK_ASSIGN_OR_RETURN(std::uint64_t pid, in.Uint(4, "pid"));
  s.pid = static_cast<std::uint32_t>(pid);
  BULWARK_ASSIGN_OR_RETURN(s.generation, in.Uint(8, "generation"));
  BULWARK_ASSIGN_OR_RETURN(std::uint64_t t, in.Uint(4, "idle timeout"));
  s.idle_timeout_s = static_cast<std::uint32_t>(t);
  BULWARK_ASSIGN_OR_RETURN(std::uint64_t rem, in.Uint(4, "idle remaining"));
  s.idle_remaining_s = static_cast<std::uint32_t>(rem);
  BULWARK_ASSIGN_OR_RETURN(std::uint64_t mem, in.Uint(1, "memory locked"));
  if (mem > 1) return InvalidArgumentError("agent status: memory locked is not 0 or 1");
  s.memory_locked = mem == 1;
  BULWARK_ASSIGN_OR_RETURN(s.home, in.String16("home"));
  BULWARK_ASSIGN_OR_RETURN(s.lock_reason, in.String16("lock reason"));
  BULWARK_RETURN_IF_ERROR(in.End());
  return s;
}

Result<std::uint32_t> DecodeFrameLength(std::span<const std::uint8_t, 4> h) {
  const std::uint32_t n = (std::uint32_t{h[0]} << 24) | (std::uint32_t{h[1]} << 16) |
                          (std::uint32_t{h[2]} << 8) | std::uint32_t{h[3]};
  if (n == 0 || n > kMaxFrame) {
    return InvalidArgumentError(
        fmt::format("agent frame: length {} outside 1..{}", n, kMaxFrame));
  }
  return n;
}

void AppendFrameLength(std::vector<std::uint8_t>& out, std::uint32_t length) {
  PutU32(out, length);
}

}  // namespace bulwark::agent
