// Fuzzes the key agent's decoders (docs/agent.md section 2): what a peer on <home>/agent.sock
// sends (requests, frame lengths) and what the agent answers (responses, status records).
// Invariants: no crash, no sanitizer report, no read past the input; a decoded request or
// response re-encodes to exactly the input (the encoding is canonical), and the decoded lengths
// respect the protocol's limits.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "bulwark/agent/protocol.h"

using namespace bulwark;
using namespace bulwark::agent;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> in(data, size);
  if (auto req = DecodeRequest(in)) {
    if (req->context.size() > kMaxContext || req->blob.size() > kMaxBlob) std::abort();
    if (req->op == Op::kWrap && (req->blob.empty() || req->blob.size() > kMaxDek)) std::abort();
    if (EncodeRequest(*req) != std::vector<std::uint8_t>(in.begin(), in.end())) std::abort();
  }
  if (auto resp = DecodeResponse(in)) {
    if (resp->data.size() > kMaxBlob) std::abort();
    if (EncodeResponse(*resp) != std::vector<std::uint8_t>(in.begin(), in.end())) std::abort();
  }
  if (auto status = DecodeStatus(in)) {
    if (EncodeStatus(*status) != std::vector<std::uint8_t>(in.begin(), in.end())) std::abort();
  }
  if (size >= 4) {
    if (auto n = DecodeFrameLength(std::span<const std::uint8_t, 4>(data, 4))) {
      if (*n == 0 || *n > kMaxFrame) std::abort();
    }
  }
  return 0;
}
