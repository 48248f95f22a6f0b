#include "bulwark/auditlog/archive.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "bulwark/audit/checkpoint.h"
#include "bulwark/audit/jcs.h"
#include "bulwark/audit/log_verifier.h"
#include "bulwark/audit/proof.h"
#include "bulwark/audit/tree_builder.h"
#include "bulwark/core/encoding.h"
#include "bulwark/crypto/hash.h"

namespace bulwark::audit {
namespace fs = std::filesystem;

namespace {

// The nodes of the compact range of [0, size), largest first.
std::vector<NodeId> FrontierIds(std::uint64_t size) {
  std::vector<NodeId> ids;
  std::uint64_t a = 0;
  for (int level = 63; level >= 0; --level) {
    const std::uint64_t bit = std::uint64_t{1} << level;
    if ((size & bit) == 0) continue;
    ids.push_back({static_cast<unsigned>(level), a >> level});
    a += bit;
  }
  return ids;
}

// Aligned perfect subtrees covering [a, b), left to right.
void Decompose(std::uint64_t a, std::uint64_t b, std::vector<NodeId>& out) {
  while (a < b) {
    unsigned level = a == 0 ? 63u : static_cast<unsigned>(std::countr_zero(a));
    level = std::min(level, static_cast<unsigned>(std::bit_width(b - a) - 1));
    out.push_back({level, a >> level});
    a += std::uint64_t{1} << level;
  }
}

Hash Fold(std::span<const Hash> frontier) {
  if (frontier.empty()) return EmptyRoot();
  Hash h = frontier.back();
  for (std::size_t i = frontier.size() - 1; i-- > 0;) h = HashChildren(frontier[i], h);
  return h;
}

std::string HexOf(std::span<const std::uint8_t> b) { return HexEncode(b); }

nlohmann::json HashesToJson(std::span<const Hash> hs) {
  nlohmann::json a = nlohmann::json::array();
  for (const Hash& h : hs) a.push_back(Base64Encode(h));
  return a;
}

Result<std::vector<Hash>> HashesFromJson(const nlohmann::json& j, std::string_view what) {
  if (!j.is_array()) return InvalidArgumentError(fmt::format("{}: expected an array", what));
  std::vector<Hash> out;
  for (std::size_t i = 0; i < j.size(); ++i) {
    if (!j[i].is_string()) {
      return InvalidArgumentError(fmt::format("{}[{}]: expected a base64 string", what, i));
    }
    auto raw = Base64Decode(j[i].get<std::string>());
    if (!raw) return InvalidArgumentError(fmt::format("{}[{}]: not base64", what, i));
    BULWARK_ASSIGN_OR_RETURN(Hash h, HashFromBytes(*raw, fmt::format("{}[{}]", what, i)));
    out.push_back(h);
  }
  return out;
}

std::string Sha256Hex(const crypto::Sha256Digest& d) { return HexEncode(d); }

// Writes a file durably: FILE.tmp, fsync, rename, fsync of the directory. The archive can be
// larger than Runtime's whole-file API allows (FileSystem::kDefaultMaxFileSize), so it streams.
class DurableWriter {
 public:
  static Result<DurableWriter> Create(const fs::path& path) {
    DurableWriter w;
    w.path_ = path;
    w.tmp_ = path;
    w.tmp_ += ".tmp";
    w.fd_ = ::open(w.tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (w.fd_ < 0) return w.Fail("open");
    BULWARK_ASSIGN_OR_RETURN(auto hasher, crypto::Sha256Hasher::Create());
    w.hasher_.emplace(std::move(hasher));
    return w;
  }
  DurableWriter() = default;
  DurableWriter(DurableWriter&& o) noexcept
      : path_(std::move(o.path_)),
        tmp_(std::move(o.tmp_)),
        fd_(std::exchange(o.fd_, -1)),
        buf_(std::move(o.buf_)),
        hasher_(std::move(o.hasher_)) {}
  DurableWriter& operator=(DurableWriter&&) = delete;
  ~DurableWriter() {
    if (fd_ >= 0) {
      ::close(fd_);
      ::unlink(tmp_.c_str());
    }
  }

  Status Write(std::string_view s) {
    buf_.append(s);
    if (buf_.size() >= (1u << 20)) return Flush();
    return OkStatus();
  }
  // Makes the file durable under its final name; returns its SHA-256.
  Result<crypto::Sha256Digest> Commit() {
    BULWARK_RETURN_IF_ERROR(Flush());
    if (::fsync(fd_) != 0) return Fail("fsync");
    if (::close(std::exchange(fd_, -1)) != 0) return Fail("close");
    if (::rename(tmp_.c_str(), path_.c_str()) != 0) return Fail("rename");
    fs::path dir = path_.parent_path();
    if (dir.empty()) dir = ".";
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || ::fsync(dfd) != 0) {
      if (dfd >= 0) ::close(dfd);
      return UnavailableError(
          fmt::format("archive {}: fsync directory: {}", dir.string(), std::strerror(errno)));
    }
    ::close(dfd);
    return hasher_->Finish();
  }

 private:
  Status Flush() {
    BULWARK_RETURN_IF_ERROR(hasher_->Update(buf_));
    std::size_t off = 0;
    while (off < buf_.size()) {
      const ssize_t n = ::write(fd_, buf_.data() + off, buf_.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Fail("write");
      off += static_cast<std::size_t>(n);
    }
    buf_.clear();
    return OkStatus();
  }
  Error FailError(const char* op) const {
    return UnavailableError(
               fmt::format("archive {}: {}: {}", tmp_.string(), op, std::strerror(errno)))
        .error();
  }
  std::unexpected<Error> Fail(const char* op) const { return std::unexpected(FailError(op)); }

  fs::path path_, tmp_;
  int fd_ = -1;
  std::string buf_;
  std::optional<crypto::Sha256Hasher> hasher_;
};

// One event line: {"index":N,"leaf":"<base64>","event":<leaf bytes>}
std::string EventLine(std::uint64_t index, std::string_view leaf) {
  std::string line = fmt::format(R"({{"index":{},"leaf":")", index);
  line += Base64Encode(leaf);
  line += R"(","event":)";
  line += leaf;
  line += "}\n";
  return line;
}

// The line as EventLine writes it: index, and the leaf bytes, which the "event" member repeats
// exactly. nullopt for any other form (the caller then parses it as JSON).
std::optional<std::pair<std::uint64_t, std::string>> ParseExactEventLine(std::string_view line) {
  constexpr std::string_view kIndex = R"({"index":)", kLeaf = R"(,"leaf":")",
                             kEvent = R"(","event":)";
  if (!line.starts_with(kIndex) || !line.ends_with('}')) return std::nullopt;
  std::size_t pos = kIndex.size();
  std::uint64_t index = 0;
  const std::size_t digits_start = pos;
  while (pos < line.size() && line[pos] >= '0' && line[pos] <= '9') {
    if (pos - digits_start >= 19) return std::nullopt;
    index = index * 10 + static_cast<std::uint64_t>(line[pos++] - '0');
  }
  if (pos == digits_start || (line[digits_start] == '0' && pos - digits_start > 1)) {
    return std::nullopt;
  }
  if (line.substr(pos, kLeaf.size()) != kLeaf) return std::nullopt;
  pos += kLeaf.size();
  const std::size_t quote = line.find('"', pos);
  if (quote == std::string_view::npos) return std::nullopt;
  auto leaf = Base64Decode(line.substr(pos, quote - pos));
  if (!leaf) return std::nullopt;
  pos = quote;
  if (line.substr(pos, kEvent.size()) != kEvent) return std::nullopt;
  pos += kEvent.size();
  const std::string_view event = line.substr(pos, line.size() - 1 - pos);
  if (event.size() != leaf->size() || !std::equal(event.begin(), event.end(), leaf->begin())) {
    return std::nullopt;
  }
  return std::pair{index, std::string(event)};
}

}  // namespace

std::vector<std::uint8_t> FrontierToBytes(std::span<const Hash> frontier) {
  std::vector<std::uint8_t> out;
  for (const Hash& h : frontier) out.insert(out.end(), h.begin(), h.end());
  return out;
}

Result<std::vector<Hash>> FrontierFromBytes(std::uint64_t size,
                                            std::span<const std::uint8_t> bytes) {
  const auto count = static_cast<std::size_t>(std::popcount(size));
  if (bytes.size() != count * kHashSize) {
    return InvalidArgumentError(
        fmt::format("compact range of {} leaves: expected {} hashes ({} bytes), got {} bytes", size,
                    count, count * kHashSize, bytes.size()));
  }
  std::vector<Hash> out(count);
  for (std::size_t i = 0; i < count; ++i) {
    std::copy_n(bytes.begin() + static_cast<std::ptrdiff_t>(i * kHashSize), kHashSize,
                out[i].begin());
  }
  return out;
}

Result<LogStart> LogStartOf(const AuditLog& log) {
  BULWARK_ASSIGN_OR_RETURN(std::vector<ArchiveRecord> records, log.Archives());
  LogStart s;
  if (records.empty()) return s;
  s.last = records.back();
  s.size = s.last->end;
  auto f = FrontierFromBytes(s.size, s.last->frontier);
  if (!f) {
    return DataLossError(
        fmt::format("audit log: archive boundary {}: {}", s.size, f.error().message()));
  }
  s.frontier = std::move(*f);
  return s;
}

// ---- ArchivedTreeReader -------------------------------------------------------------------------

ArchivedTreeReader::ArchivedTreeReader(const TreeReader& base, std::uint64_t start,
                                       std::vector<Hash> frontier, std::string archive_file)
    : base_(&base),
      start_(start),
      frontier_(std::move(frontier)),
      frontier_ids_(FrontierIds(start)),
      file_(std::move(archive_file)) {}

Result<ArchivedTreeReader> ArchivedTreeReader::ForLog(const AuditLog& log) {
  BULWARK_ASSIGN_OR_RETURN(LogStart s, LogStartOf(log));
  return ArchivedTreeReader(log, s.size, std::move(s.frontier), s.last ? s.last->file : "");
}

Result<std::uint64_t> ArchivedTreeReader::LeafCount() const { return base_->LeafCount(); }

Status ArchivedTreeReader::ReadLeafHashes(std::uint64_t begin, std::uint64_t end,
                                          std::vector<Hash>& out) const {
  if (begin < start_ && begin < end) {
    return FailedPreconditionError(
        fmt::format("events [{}, {}) are archived in {}", begin, std::min(end, start_), file_));
  }
  return base_->ReadLeafHashes(begin, end, out);
}

Status ArchivedTreeReader::ReadNodeHashes(std::span<const NodeId> ids,
                                          std::span<std::optional<Hash>> out) const {
  BULWARK_RETURN_IF_ERROR(base_->ReadNodeHashes(ids, out));
  if (start_ == 0) return OkStatus();
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const std::uint64_t a = ids[i].index << ids[i].level;
    const std::uint64_t c = a + (std::uint64_t{1} << ids[i].level);
    if (c <= start_) {
      // Inside the archived prefix: only the compact range's own nodes are known (rows the
      // store may still hold there, before an interrupted prune finishes, are not used).
      out[i] = std::nullopt;
      for (std::size_t k = 0; k < frontier_ids_.size(); ++k) {
        if (frontier_ids_[k] == ids[i]) out[i] = frontier_[k];
      }
      continue;  // otherwise the caller asks for the leaves and gets the "archived" error
    }
    if (a >= start_) continue;  // only stored leaves: served by the store or recomputed
    out[i] = std::nullopt;
    // Straddles the boundary: the range's nodes inside [a, start), then [start, c) from the store.
    std::vector<std::pair<unsigned, Hash>> blocks;  // (level, hash), left to right
    for (std::size_t k = 0; k < frontier_ids_.size(); ++k) {
      if ((frontier_ids_[k].index << frontier_ids_[k].level) >= a) {
        blocks.emplace_back(frontier_ids_[k].level, frontier_[k]);
      }
    }
    std::vector<NodeId> right;
    Decompose(start_, c, right);
    std::vector<std::optional<Hash>> cached(right.size());
    BULWARK_RETURN_IF_ERROR(base_->ReadNodeHashes(right, cached));
    for (std::size_t k = 0; k < right.size(); ++k) {
      if (!cached[k]) {
        const std::uint64_t b = right[k].index << right[k].level;
        std::vector<Hash> leaves;
        BULWARK_RETURN_IF_ERROR(
            base_->ReadLeafHashes(b, b + (std::uint64_t{1} << right[k].level), leaves));
        TreeBuilder tb;
        for (const Hash& h : leaves) tb.AppendLeafHash(h);
        cached[k] = tb.Root();
      }
      blocks.emplace_back(right[k].level, *cached[k]);
    }
    // Merge equal neighbours: the sizes fall to the boundary and rise after it, so a stack of
    // blocks folds into the single perfect subtree [a, c).
    std::vector<std::pair<unsigned, Hash>> stack;
    for (auto& b : blocks) {
      stack.push_back(b);
      while (stack.size() >= 2 && stack[stack.size() - 2].first == stack.back().first) {
        const Hash h = HashChildren(stack[stack.size() - 2].second, stack.back().second);
        const unsigned level = stack.back().first + 1;
        stack.pop_back();
        stack.back() = {level, h};
      }
    }
    if (stack.size() != 1 || stack[0].first != ids[i].level) {
      return InternalError(
          fmt::format("archived tree reader: node (level {}, index {}) did not fold", ids[i].level,
                      ids[i].index));
    }
    out[i] = stack[0].second;
  }
  return OkStatus();
}

// ---- verification of a file ---------------------------------------------------------------------

std::string_view ArchiveProblemName(ArchiveProblem p) {
  switch (p) {
    case ArchiveProblem::kMalformed:
      return "malformed";
    case ArchiveProblem::kBadCheckpoint:
      return "bad checkpoint";
    case ArchiveProblem::kStartRange:
      return "start range";
    case ArchiveProblem::kIndex:
      return "index";
    case ArchiveProblem::kEventMismatch:
      return "event mismatch";
    case ArchiveProblem::kRootMismatch:
      return "root mismatch";
    case ArchiveProblem::kEndRange:
      return "end range";
    case ArchiveProblem::kConsistency:
      return "consistency";
    case ArchiveProblem::kNotRecorded:
      return "not recorded";
    case ArchiveProblem::kChain:
      return "chain";
  }
  return "unknown";
}

std::string ArchiveVerification::Summary() const {
  std::string out;
  if (clean()) {
    return fmt::format("archive {} intact: events [{}, {}) (sha256 {})\n", file.string(), start,
                       end, sha256_hex);
  }
  out = fmt::format("TAMPERING in archive {} (events [{}, {}), sha256 {})\n", file.string(), start,
                    end, sha256_hex);
  for (const auto& f : findings) {
    out += fmt::format("  {}: {}\n", ArchiveProblemName(f.problem), f.message);
  }
  return out;
}

namespace {

struct Header {
  std::string origin;
  std::uint64_t start = 0, end = 0;
  std::vector<Hash> start_range, end_range, consistency_proof;
  std::optional<std::string> start_checkpoint;
  std::string previous_sha256;
  std::vector<std::string> checkpoints;
  std::string end_checkpoint, later_checkpoint;
};

Result<Header> ParseHeader(const std::string& line) {
  nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgumentError("line 1: not a JSON object");
  auto str = [&](const char* k) -> Result<std::string> {
    auto it = j.find(k);
    if (it == j.end() || !it->is_string()) {
      return InvalidArgumentError(fmt::format("header: {}: expected a string", k));
    }
    return it->get<std::string>();
  };
  auto num = [&](const char* k) -> Result<std::uint64_t> {
    auto it = j.find(k);
    if (it == j.end() || !it->is_number_unsigned()) {
      return InvalidArgumentError(fmt::format("header: {}: expected an unsigned integer", k));
    }
    return it->get<std::uint64_t>();
  };
  auto hashes = [&](const char* k) -> Result<std::vector<Hash>> {
    auto it = j.find(k);
    if (it == j.end()) return InvalidArgumentError(fmt::format("header: {}: missing", k));
    return HashesFromJson(*it, fmt::format("header: {}", k));
  };
  Header h;
  BULWARK_ASSIGN_OR_RETURN(std::string format, str("format"));
  if (format != kArchiveFormat) {
    return InvalidArgumentError(
        fmt::format("header: format \"{}\", expected \"{}\"", format, kArchiveFormat));
  }
  BULWARK_ASSIGN_OR_RETURN(h.origin, str("origin"));
  BULWARK_ASSIGN_OR_RETURN(h.start, num("start"));
  BULWARK_ASSIGN_OR_RETURN(h.end, num("end"));
  if (h.end <= h.start) {
    return InvalidArgumentError(fmt::format("header: empty range [{}, {})", h.start, h.end));
  }
  BULWARK_ASSIGN_OR_RETURN(h.start_range, hashes("start_range"));
  BULWARK_ASSIGN_OR_RETURN(h.end_range, hashes("end_range"));
  BULWARK_ASSIGN_OR_RETURN(h.consistency_proof, hashes("consistency_proof"));
  if (auto it = j.find("start_checkpoint"); it != j.end() && it->is_string()) {
    h.start_checkpoint = it->get<std::string>();
  } else if (h.start > 0) {
    return InvalidArgumentError("header: start_checkpoint: expected a signed note");
  }
  if (auto it = j.find("previous_archive_sha256"); it != j.end() && it->is_string()) {
    h.previous_sha256 = it->get<std::string>();
  }
  if (auto it = j.find("checkpoints"); it != j.end() && it->is_array()) {
    for (const auto& c : *it) {
      if (!c.is_string()) return InvalidArgumentError("header: checkpoints: expected notes");
      h.checkpoints.push_back(c.get<std::string>());
    }
  } else {
    return InvalidArgumentError("header: checkpoints: expected an array");
  }
  BULWARK_ASSIGN_OR_RETURN(h.end_checkpoint, str("end_checkpoint"));
  BULWARK_ASSIGN_OR_RETURN(h.later_checkpoint, str("later_checkpoint"));
  return h;
}

}  // namespace

Result<ArchiveVerification> VerifyArchiveFile(const fs::path& path,
                                              const CheckpointVerifier& verifier) {
  ArchiveVerification v;
  v.file = path;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return NotFoundError(
        fmt::format("archive {}: cannot open: {}", path.string(), std::strerror(errno)));
  }
  BULWARK_ASSIGN_OR_RETURN(auto hasher, crypto::Sha256Hasher::Create());
  auto finding = [&](ArchiveProblem p, std::optional<std::uint64_t> index, std::string msg) {
    v.findings.push_back({p, index, std::move(msg)});
  };
  std::string line;
  // Reads one line; `had_newline` false for a last line without "\n".
  auto next_line = [&](bool& had_newline) -> bool {
    if (!std::getline(in, line)) return false;
    had_newline = !in.eof();
    (void)hasher.Update(line);
    if (had_newline) (void)hasher.Update(std::string_view("\n"));
    return true;
  };
  auto finish_hash = [&]() -> Status {
    // Hash whatever is left unread (a malformed file still gets its digest).
    std::string rest((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    BULWARK_RETURN_IF_ERROR(hasher.Update(rest));
    BULWARK_ASSIGN_OR_RETURN(auto d, hasher.Finish());
    v.sha256_hex = Sha256Hex(d);
    return OkStatus();
  };
  bool nl = true;
  if (!next_line(nl)) {
    finding(ArchiveProblem::kMalformed, std::nullopt, "the file is empty");
    BULWARK_RETURN_IF_ERROR(finish_hash());
    return v;
  }
  auto header = ParseHeader(line);
  if (!header) {
    finding(ArchiveProblem::kMalformed, std::nullopt, header.error().message());
    BULWARK_RETURN_IF_ERROR(finish_hash());
    return v;
  }
  v.start = header->start;
  v.end = header->end;
  v.end_range = header->end_range;
  v.start_range = header->start_range;
  v.previous_sha256_hex = header->previous_sha256;
  if (header->origin != verifier.origin()) {
    finding(
        ArchiveProblem::kBadCheckpoint, std::nullopt,
        fmt::format("the archive is of log \"{}\", not \"{}\"", header->origin, verifier.origin()));
  }

  // Checkpoints: signatures and sizes.
  auto open = [&](const std::string& note, std::string_view what,
                  auto size_ok) -> std::optional<Checkpoint> {
    auto cp = verifier.Open(note);
    if (!cp) {
      finding(ArchiveProblem::kBadCheckpoint, std::nullopt,
              fmt::format("{} does not verify: {}", what, cp.error().message()));
      return std::nullopt;
    }
    if (!size_ok(cp->size)) {
      finding(ArchiveProblem::kBadCheckpoint, std::nullopt,
              fmt::format("{} has size {}, which does not fit the range [{}, {})", what, cp->size,
                          v.start, v.end));
      return std::nullopt;
    }
    return *cp;
  };
  const std::uint64_t s = header->start, n = header->end;
  std::optional<Checkpoint> start_cp;
  if (s > 0) {
    start_cp = open(*header->start_checkpoint, "the start checkpoint",
                    [&](std::uint64_t z) { return z == s; });
  }
  v.end_checkpoint =
      open(header->end_checkpoint, "the end checkpoint", [&](std::uint64_t z) { return z == n; });
  auto later = open(header->later_checkpoint, "the later checkpoint",
                    [&](std::uint64_t z) { return z >= n; });
  std::vector<Checkpoint> inner;
  for (std::size_t i = 0; i < header->checkpoints.size(); ++i) {
    if (auto cp = open(header->checkpoints[i], fmt::format("checkpoint #{}", i),
                       [&](std::uint64_t z) { return z > s && z < n; })) {
      inner.push_back(*cp);
    }
  }

  // The start range.
  bool start_ok = static_cast<std::size_t>(std::popcount(s)) == header->start_range.size();
  if (!start_ok) {
    finding(ArchiveProblem::kStartRange, s,
            fmt::format("start_range has {} hashes, a compact range of {} leaves has {}",
                        header->start_range.size(), s, std::popcount(s)));
  } else if (start_cp && Fold(header->start_range) != start_cp->root) {
    start_ok = false;
    finding(ArchiveProblem::kStartRange, s,
            fmt::format("start_range does not hash to the root of the signed checkpoint of size {}",
                        s));
  }
  std::vector<Hash> start_range =
      start_ok ? header->start_range : std::vector<Hash>(std::popcount(s), Hash{});

  // The events.
  std::vector<Checkpoint> cps = inner;
  if (v.end_checkpoint) cps.push_back(*v.end_checkpoint);
  LogVerifier lv = LogVerifier::Create(cps);
  BULWARK_RETURN_IF_ERROR(lv.StartAt(s, start_range));
  TreeBuilder tb = *TreeBuilder::FromFrontier(s, start_range);
  std::uint64_t expect = s;
  bool order_ok = true;
  auto check_index = [&](std::uint64_t index) {
    if (index == expect || !order_ok) return;
    order_ok = false;
    finding(ArchiveProblem::kIndex, expect,
            index > expect
                ? fmt::format("event {} is missing (the next line holds event {})", expect, index)
                : fmt::format("line {} holds event {} where event {} belongs (inserted or "
                              "reordered)",
                              expect - s + 2, index, expect));
  };
  while (expect < n && next_line(nl)) {
    if (auto exact = ParseExactEventLine(line)) {
      // Fast path: the event member is the leaf itself, byte for byte.
      check_index(exact->first);
      const Hash lh = HashLeaf(exact->second);
      lv.AppendLeafHash(lh);
      tb.AppendLeafHash(lh);
      ++expect;
      continue;
    }
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    auto idx = j.is_object() ? j.find("index") : j.end();
    auto leaf = j.is_object() ? j.find("leaf") : j.end();
    if (idx == j.end() || !idx->is_number_unsigned() || leaf == j.end() || !leaf->is_string()) {
      finding(ArchiveProblem::kMalformed, expect,
              fmt::format("line {}: expected {{\"index\", \"leaf\", \"event\"}}", expect - s + 2));
      order_ok = false;
      break;
    }
    const auto index = idx->get<std::uint64_t>();
    check_index(index);
    auto bytes = Base64Decode(leaf->get<std::string>());
    if (!bytes) {
      finding(ArchiveProblem::kMalformed, expect,
              fmt::format("event {}: leaf is not base64", index));
      order_ok = false;
      break;
    }
    const std::string_view leaf_text(reinterpret_cast<const char*>(bytes->data()), bytes->size());
    auto ev = j.find("event");
    if (ev == j.end()) {
      finding(ArchiveProblem::kEventMismatch, index,
              fmt::format("event {}: the event member is missing", index));
    } else if (auto canon = CanonicalizeJson(*ev); !canon || *canon != leaf_text) {
      finding(ArchiveProblem::kEventMismatch, index,
              fmt::format("event {}: the event member differs from the logged leaf bytes", index));
    }
    const Hash lh = HashLeaf(*bytes);
    lv.AppendLeafHash(lh);
    tb.AppendLeafHash(lh);
    ++expect;
  }
  if (expect < n && order_ok) {
    finding(ArchiveProblem::kIndex, expect,
            fmt::format("the archive ends before event {}: events [{}, {}) are missing", expect,
                        expect, n));
  }
  if (expect == n) {
    bool extra = false;
    while (next_line(nl)) extra = extra || !line.empty();
    if (extra) {
      finding(ArchiveProblem::kIndex, n,
              fmt::format("extra lines after event {} (the header says the archive ends at {})",
                          n - 1, n));
    }
  }
  LogReport report = lv.Finish();
  for (const auto& f : report.findings) {
    if (f.problem == LogProblem::kRootMismatch) {
      finding(ArchiveProblem::kRootMismatch, f.first_bad_index,
              fmt::format("the events do not hash to the signed root of size {}: an event with "
                          "index in [{}, {}) was modified",
                          f.bad_range_end, f.first_bad_index, f.bad_range_end));
    }
  }
  if (expect == n && order_ok) {
    if (tb.frontier() != header->end_range) {
      finding(ArchiveProblem::kEndRange, n,
              "end_range is not the compact range of the archived events");
    }
  }
  // The consistency proof from the end checkpoint to the later one.
  if (v.end_checkpoint && later) {
    Status c = VerifyConsistency(n, later->size, header->consistency_proof, v.end_checkpoint->root,
                                 later->root);
    if (!c) {
      finding(ArchiveProblem::kConsistency, std::nullopt,
              fmt::format("the consistency proof from size {} to the later checkpoint of size {} "
                          "does not verify: {}",
                          n, later->size, c.error().message()));
    }
  }
  BULWARK_RETURN_IF_ERROR(finish_hash());
  return v;
}

void CheckArchiveChain(std::span<ArchiveVerification> archives) {
  for (auto& later : archives) {
    for (const auto& earlier : archives) {
      if (&earlier == &later || earlier.end != later.start || earlier.end == 0) continue;
      if (later.previous_sha256_hex != earlier.sha256_hex) {
        later.findings.push_back(
            {ArchiveProblem::kChain, later.start,
             fmt::format("previous_archive_sha256 is \"{}\" but {} (events [{}, {})) has sha256 "
                         "{}",
                         later.previous_sha256_hex, earlier.file.string(), earlier.start,
                         earlier.end, earlier.sha256_hex)});
      }
      if (later.start_range != earlier.end_range) {
        later.findings.push_back(
            {ArchiveProblem::kChain, later.start,
             fmt::format("start_range differs from the end_range of {}", earlier.file.string())});
      }
    }
  }
}

void CheckArchiveRecorded(std::span<const ArchiveRecord> records, ArchiveVerification& v) {
  for (const auto& r : records) {
    if (r.end != v.end) continue;
    if (r.start != v.start) {
      v.findings.push_back({ArchiveProblem::kNotRecorded, v.start,
                            fmt::format("the log recorded an archive of [{}, {}), this file "
                                        "holds [{}, {})",
                                        r.start, r.end, v.start, v.end)});
    }
    if (FrontierToBytes(v.end_range) != r.frontier) {
      v.findings.push_back({ArchiveProblem::kNotRecorded, v.end,
                            "the file's end_range differs from the compact range stored in the "
                            "log at the boundary"});
    }
    if (HexOf(r.sha256) != v.sha256_hex) {
      v.findings.push_back(
          {ArchiveProblem::kNotRecorded, std::nullopt,
           fmt::format("the log recorded sha256 {} for this range ({}), the file has {}",
                       HexOf(r.sha256), r.file, v.sha256_hex)});
    }
    return;
  }
  v.findings.push_back({ArchiveProblem::kNotRecorded, std::nullopt,
                        fmt::format("the log has no archive ending at {}", v.end)});
}

// ---- making an archive --------------------------------------------------------------------------

namespace {

constexpr std::uint64_t kScanChunk = 2048;

// AuditLog::Scan holds the log's connection for the whole scan; scanning in chunks lets
// appenders of the same process in between.
Status ScanInChunks(const AuditLog& log, std::uint64_t begin, std::uint64_t end,
                    const std::function<Status(const StoredEvent&)>& fn) {
  for (std::uint64_t b = begin; b < end; b += kScanChunk) {
    BULWARK_RETURN_IF_ERROR(log.Scan(b, std::min(end, b + kScanChunk), fn));
  }
  return OkStatus();
}

// An existing output file is replaced only when it is an unfinished archive of this log from
// the same start (a run that crashed before the prune); never a recorded archive or other data.
Status CheckOutputFile(const fs::path& path, std::uint64_t start) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return OkStatus();
  std::ifstream in(path, std::ios::binary);
  std::string first;
  std::getline(in, first);
  auto h = ParseHeader(first);
  if (!h || h->start != start) {
    return FailedPreconditionError(fmt::format(
        "archive: {} exists and is not an unfinished archive of events from {}; refusing to "
        "overwrite it (choose another --out)",
        path.string(), start));
  }
  return OkStatus();
}

// Verifies the stored events [start, size) (size = a checkpoint just signed from the stored tree
// state, so that events appended meanwhile do not matter): the boundary range against its signed
// checkpoint, each stored leaf hash against its bytes, and the recomputed roots against every
// stored checkpoint up to `size`. FailedPrecondition naming the problems.
Status CheckStoredLog(const AuditLog& log, const CheckpointVerifier& verifier,
                      const LogStart& start, const std::string& later_note, std::uint64_t size) {
  auto refuse = [](const std::string& why) -> Status {
    return FailedPreconditionError(
        fmt::format("archive: the log does not verify ({}); nothing was archived; run `bulwark "
                    "audit verify`",
                    why));
  };
  if (start.last) {
    auto cp = verifier.Open(start.last->checkpoint);
    if (!cp || cp->size != start.size || cp->root != Fold(start.frontier)) {
      return refuse(
          fmt::format("the archive boundary {} does not match its signed checkpoint", start.size));
    }
  }
  BULWARK_ASSIGN_OR_RETURN(std::vector<StoredCheckpoint> stored, log.Checkpoints());
  std::vector<std::string> notes = {later_note};
  for (const auto& c : stored) {
    auto cp = verifier.Open(c.note);
    if (!cp || cp->size <= size) notes.push_back(c.note);  // bad ones are reported
  }
  LogVerifier lv = LogVerifier::Create(verifier, notes);
  BULWARK_RETURN_IF_ERROR(lv.StartAt(start.size, start.frontier));
  std::uint64_t expect = start.size;
  std::optional<std::string> problem;
  BULWARK_RETURN_IF_ERROR(ScanInChunks(log, start.size, size, [&](const StoredEvent& e) -> Status {
    const Hash lh = HashLeaf(e.leaf);
    if (!problem && e.index != expect) {
      problem = fmt::format("event {} is missing", expect);
    }
    if (!problem && (e.leaf_hash.size() != kHashSize ||
                     !std::equal(lh.begin(), lh.end(), e.leaf_hash.begin()))) {
      problem = fmt::format("event {}: the stored leaf hash does not match its bytes", e.index);
    }
    lv.AppendLeafHash(lh);
    expect = e.index + 1;
    return OkStatus();
  }));
  if (!problem && expect != size) problem = fmt::format("event {} is missing", expect);
  if (problem) return refuse(*problem);
  LogReport report = lv.Finish();
  if (!report.clean()) return refuse(report.Summary());
  return OkStatus();
}

}  // namespace

Result<ArchiveResult> ArchiveLog(AuditLog& log, const CheckpointVerifier& verifier,
                                 const ArchiveOptions& options) {
  if (options.before_us.has_value() == options.before_index.has_value()) {
    return InvalidArgumentError("archive: give exactly one of a time or an index boundary");
  }
  if (options.out.empty()) return InvalidArgumentError("archive: no output file");
  if (log.options().signers.empty()) {
    return FailedPreconditionError("archive: the log has no signing key");
  }
  ArchiveResult res;
  res.file = fs::absolute(options.out);
  // Finish a prune a crash interrupted (events already archived and recorded).
  BULWARK_ASSIGN_OR_RETURN(std::uint64_t leftover, log.DeleteArchivedEvents());
  (void)leftover;

  // A checkpoint of everything stored now, signed from the tree state the appenders wrote.
  BULWARK_ASSIGN_OR_RETURN(std::string later_note, log.PublishCheckpoint());
  BULWARK_ASSIGN_OR_RETURN(Checkpoint later, verifier.Open(later_note));
  BULWARK_ASSIGN_OR_RETURN(LogStart start, LogStartOf(log));
  // Only events that verify are archived: the archive's signatures would otherwise bless edits.
  BULWARK_RETURN_IF_ERROR(CheckStoredLog(log, verifier, start, later_note, later.size));
  const std::uint64_t s = start.size;
  res.start = s;
  res.later_size = later.size;

  std::uint64_t n = 0;
  if (options.before_index) {
    n = std::min(*options.before_index, later.size);
  } else {
    EventFilter f;
    f.since_us = options.before_us;
    f.from_index = s;
    f.limit = 1;
    n = later.size;
    BULWARK_RETURN_IF_ERROR(log.Query(f, [&](const StoredEvent& e) -> Status {
      n = std::min(n, e.index);
      return OkStatus();
    }));
  }
  if (options.max_end && *options.max_end < n) {
    n = *options.max_end;
    res.capped = true;
  }
  res.end = std::max(n, s);
  if (n <= s) return res;  // nothing to archive

  // The tree from the start range through [s, n).
  BULWARK_ASSIGN_OR_RETURN(TreeBuilder tb, TreeBuilder::FromFrontier(s, start.frontier));
  BULWARK_RETURN_IF_ERROR(CheckOutputFile(res.file, s));
  std::vector<Hash> hashes;
  for (std::uint64_t b = s; b < n; b += 8 * kScanChunk) {
    hashes.clear();
    BULWARK_RETURN_IF_ERROR(log.ReadLeafHashes(b, std::min(n, b + 8 * kScanChunk), hashes));
    for (const Hash& h : hashes) tb.AppendLeafHash(h);
  }
  const Hash end_root = tb.Root();

  // Checkpoints: those inside (s, n), the one at n (stored or signed now).
  BULWARK_ASSIGN_OR_RETURN(std::vector<StoredCheckpoint> stored, log.Checkpoints());
  nlohmann::json inner = nlohmann::json::array();
  std::optional<std::string> end_note;
  for (const auto& c : stored) {
    if (c.size > s && c.size < n) inner.push_back(c.note);
    if (c.size == n) end_note = c.note;
  }
  if (!end_note) {
    std::vector<const NoteSigner*> signers;
    for (const auto& sg : log.options().signers) signers.push_back(sg.get());
    BULWARK_ASSIGN_OR_RETURN(
        std::string note,
        SignCheckpoint(Checkpoint{log.options().origin, n, end_root, {}}, signers));
    end_note = std::move(note);
  }
  ArchivedTreeReader reader(log, s, start.frontier, start.last ? start.last->file : "");
  BULWARK_ASSIGN_OR_RETURN(std::vector<Hash> proof, ConsistencyProof(reader, n, later.size));

  nlohmann::ordered_json h;
  h["format"] = kArchiveFormat;
  h["origin"] = log.options().origin;
  h["verifier_keys"] = nlohmann::json::array();
  for (const auto& v : verifier.verifiers()) h["verifier_keys"].push_back(v.VerifierKey());
  h["start"] = s;
  h["end"] = n;
  h["created"] = FormatRfc3339(log.options().runtime.clock->Now());
  h["start_range"] = HashesToJson(start.frontier);
  h["start_checkpoint"] = start.last ? nlohmann::json(start.last->checkpoint) : nlohmann::json();
  h["previous_archive_sha256"] =
      start.last ? nlohmann::json(HexOf(start.last->sha256)) : nlohmann::json();
  h["checkpoints"] = inner;
  h["end_range"] = HashesToJson(tb.frontier());
  h["end_checkpoint"] = *end_note;
  h["later_checkpoint"] = later_note;
  h["consistency_proof"] = HashesToJson(proof);

  BULWARK_ASSIGN_OR_RETURN(DurableWriter w, DurableWriter::Create(res.file));
  BULWARK_RETURN_IF_ERROR(w.Write(h.dump() + "\n"));
  std::uint64_t expect = s;
  BULWARK_RETURN_IF_ERROR(ScanInChunks(log, s, n, [&](const StoredEvent& e) -> Status {
    if (e.index != expect) {
      return DataLossError(fmt::format("archive: event {} is missing from the log", expect));
    }
    ++expect;
    // The leaf is the event's canonical JSON: it is embedded as the "event" member byte for byte
    // (the export's member order; a leaf that is not JSON makes the re-read fail, before pruning).
    return w.Write(EventLine(e.index, e.leaf));
  }));
  if (expect != n) {
    return DataLossError(fmt::format("archive: event {} is missing from the log", expect));
  }
  BULWARK_ASSIGN_OR_RETURN(crypto::Sha256Digest digest, w.Commit());
  res.sha256_hex = Sha256Hex(digest);

  // Re-read what is on disk before anything is deleted.
  BULWARK_ASSIGN_OR_RETURN(ArchiveVerification av, VerifyArchiveFile(res.file, verifier));
  if (!av.clean() || av.sha256_hex != res.sha256_hex || av.start != s || av.end != n ||
      av.end_range != tb.frontier()) {
    return DataLossError(
        fmt::format("archive {}: the file does not verify after writing; nothing was pruned:\n{}",
                    res.file.string(), av.Summary()));
  }
  if (options.prune) {
    ArchiveRecord rec;
    rec.start = s;
    rec.end = n;
    rec.time_us = std::chrono::duration_cast<std::chrono::microseconds>(
                      log.options().runtime.clock->Now().time_since_epoch())
                      .count();
    rec.file = res.file.string();
    rec.sha256.assign(digest.begin(), digest.end());
    rec.frontier = FrontierToBytes(tb.frontier());
    rec.checkpoint = *end_note;
    BULWARK_RETURN_IF_ERROR(log.PruneBefore(rec));
  }
  res.archived = true;
  return res;
}

}  // namespace bulwark::audit
