#include "bulwark/auditlog/log_audit.h"

#include <fmt/format.h>
#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <map>
#include <mutex>
#include <sstream>

#include "bulwark/auditlog/archive.h"
#include "bulwark/audit/checkpoint.h"
#include "bulwark/audit/jcs.h"
#include "bulwark/audit/tree_builder.h"
#include "bulwark/core/encoding.h"
#include "bulwark/core/file_lock.h"
#include "bulwark/crypto/signer.h"
#include "audit/internal/tamper_locator.h"

namespace bulwark::audit {
namespace {

constexpr auto kPrivate = std::filesystem::perms::owner_read | std::filesystem::perms::owner_write;
constexpr unsigned kNodeStride = 4;

Result<LogKeys> ParseKeyFile(std::string_view text, const std::filesystem::path& path) {
  LogKeys keys;
  std::istringstream in{std::string(text)};
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    if (n == 1) {
      if (!line.starts_with("origin ") || line.size() == 7) {
        return InvalidArgumentError(fmt::format("{}:1: expected 'origin <name>'", path.string()));
      }
      keys.origin = line.substr(7);
      continue;
    }
    if (line.starts_with("verifier ")) {  // a retired key: verifies old checkpoints, signs nothing
      auto v = NoteVerifier::FromVerifierKey(line.substr(9));
      if (!v) {
        return InvalidArgumentError(
            fmt::format("{}:{}: bad verifier key: {}", path.string(), n, v.error().message()));
      }
      keys.retired.push_back(std::move(*v));
      continue;
    }
    SecretBytes skey = SecretBytes::FromString(line);
    SecureZero(line);
    auto signer = NoteSigner::FromSignerKey(skey);
    if (!signer) {
      return InvalidArgumentError(
          fmt::format("{}:{}: bad signer key: {}", path.string(), n, signer.error().message()));
    }
    keys.signers.push_back(std::shared_ptr<const NoteSigner>(std::move(*signer)));
  }
  if (keys.origin.empty() || keys.signers.empty()) {
    return InvalidArgumentError(
        fmt::format("{}: expected an origin line and at least one signer key", path.string()));
  }
  return keys;
}

}  // namespace

std::vector<NoteVerifier> LogKeys::verifiers() const {
  std::vector<NoteVerifier> v;
  for (const auto& s : signers) v.push_back(s->Verifier());
  for (const auto& r : retired) v.push_back(r);
  return v;
}

namespace {

std::string FormatKeyFile(const LogKeys& keys) {
  std::string text = "origin " + keys.origin + "\n";
  for (const auto& s : keys.signers) {
    SecretBytes skey = s->SignerKey();
    text.append(skey.RevealAsString());
    text += "\n";
  }
  for (const auto& r : keys.retired) text += "verifier " + r.VerifierKey() + "\n";
  return text;
}

Status WriteKeyFile(const Runtime& rt, const std::filesystem::path& path, const LogKeys& keys) {
  std::string text = FormatKeyFile(keys);
  Status st = rt.fs->WriteFileAtomic(path, text, kPrivate);
  SecureZero(text);
  return st;
}

// What a log without its keys holds: events and checkpoints (0, empty for a new log).
struct LogContents {
  std::uint64_t events = 0;
  std::vector<StoredCheckpoint> checkpoints;
};

Result<LogContents> InspectLog(AuditLogOptions options) {
  options.signers.clear();  // nothing is signed while the keys are unknown
  BULWARK_ASSIGN_OR_RETURN(auto log, AuditLog::Open(std::move(options)));
  LogContents out;
  BULWARK_ASSIGN_OR_RETURN(out.events, log->LeafCount());
  BULWARK_ASSIGN_OR_RETURN(out.checkpoints, log->Checkpoints());
  return out;
}

std::string WhereLog(const AuditLogOptions& o) {
  return o.url.empty() ? o.path.string() : o.url;
}

}  // namespace

// Held while the key file is created or rotated: concurrent first commands create one key, and
// the temporaries of a killed earlier write can be removed (they hold a private key).
Result<FileLock> LockKeyFile(const Runtime& rt, const std::filesystem::path& path) {
  BULWARK_ASSIGN_OR_RETURN(FileLock lock,
                           FileLock::Acquire(path.string() + ".lock", "the audit log key"));
  BULWARK_ASSIGN_OR_RETURN(auto removed, RemoveStaleTemporaries(*rt.fs, path));
  (void)removed;
  return lock;
}

Result<LogKeys> LoadOrCreateLogKeysFor(const Runtime& rt, const std::filesystem::path& path,
                                       const AuditLogOptions& log) {
  BULWARK_ASSIGN_OR_RETURN(bool exists, rt.fs->Exists(path));
  if (exists) return LoadLogKeys(rt, path);
  BULWARK_ASSIGN_OR_RETURN(FileLock lock, LockKeyFile(rt, path));
  BULWARK_ASSIGN_OR_RETURN(exists, rt.fs->Exists(path));  // another command created it meanwhile
  if (exists) return LoadLogKeys(rt, path);
  BULWARK_ASSIGN_OR_RETURN(LogContents contents, InspectLog(log));
  if (contents.events > 0 || !contents.checkpoints.empty()) {
    return UnavailableError(fmt::format(
        "{} is missing, but the audit log at {} holds {} events and {} signed checkpoints: "
        "refusing to write with a new signing key (its checkpoints would no longer verify); "
        "restore the file from a backup, or start a new key on purpose with `bulwark audit "
        "rotate-key` (recorded in the log)",
        path.string(), WhereLog(log), contents.events, contents.checkpoints.size()));
  }
  return LoadOrCreateLogKeys(rt, path);
}

Result<LogKeys> RotateLogKeys(const Runtime& rt, const std::filesystem::path& path,
                              const AuditLogOptions& log,
                              const std::vector<std::string>& previous_verifiers,
                              RotationKind* kind) {
  BULWARK_ASSIGN_OR_RETURN(FileLock lock, LockKeyFile(rt, path));
  LogKeys next;
  auto current = LoadLogKeys(rt, path);
  if (current) {
    next.origin = current->origin;
    next.retired = current->retired;
    for (const auto& s : current->signers) next.retired.push_back(s->Verifier());
    if (kind != nullptr) *kind = RotationKind::kRetired;
  } else if (current.error().code() == ErrorCode::kNotFound) {
    // The key was lost: keep the log's origin (its newest checkpoint's first line), so that the
    // log stays one log; its old checkpoints verify with the previous verifier keys if given.
    BULWARK_ASSIGN_OR_RETURN(LogContents contents, InspectLog(log));
    if (!contents.checkpoints.empty()) {
      const std::string& note = contents.checkpoints.back().note;
      next.origin = note.substr(0, note.find('\n'));
    }
    if (kind != nullptr) *kind = RotationKind::kReplacedLost;
  } else {
    return std::unexpected(current.error());
  }
  if (next.origin.empty()) {
    std::array<std::uint8_t, 4> id{};
    BULWARK_RETURN_IF_ERROR(rt.random->Fill(id));
    next.origin = "bulwark.local/audit/" + HexEncode(id);
  }
  for (const std::string& vkey : previous_verifiers) {
    BULWARK_ASSIGN_OR_RETURN(NoteVerifier v, NoteVerifier::FromVerifierKey(vkey));
    if (v.name() != next.origin) {
      return InvalidArgumentError(fmt::format(
          "previous verifier key names '{}', but the log's origin is '{}'", v.name(), next.origin));
    }
    next.retired.push_back(std::move(v));
  }
  BULWARK_ASSIGN_OR_RETURN(SecretBytes seed, crypto::Ed25519Signer::GenerateSeed(*rt.random));
  BULWARK_ASSIGN_OR_RETURN(auto signer, NoteSigner::Create(next.origin, seed));
  next.signers.push_back(std::shared_ptr<const NoteSigner>(std::move(signer)));
  BULWARK_RETURN_IF_ERROR(WriteKeyFile(rt, path, next));
  return LoadLogKeys(rt, path);
}

Result<LogKeys> LoadLogKeys(const Runtime& rt, const std::filesystem::path& path) {
  BULWARK_ASSIGN_OR_RETURN(std::string text, rt.fs->ReadFile(path));
  auto keys = ParseKeyFile(text, path);
  SecureZero(text);
  return keys;
}

Result<LogKeys> LoadOrCreateLogKeys(const Runtime& rt, const std::filesystem::path& path) {
  BULWARK_ASSIGN_OR_RETURN(bool exists, rt.fs->Exists(path));
  if (exists) return LoadLogKeys(rt, path);
  std::array<std::uint8_t, 4> id{};
  BULWARK_RETURN_IF_ERROR(rt.random->Fill(id));
  const std::string origin = "bulwark.local/audit/" + HexEncode(id);
  BULWARK_ASSIGN_OR_RETURN(SecretBytes seed, crypto::Ed25519Signer::GenerateSeed(*rt.random));
  BULWARK_ASSIGN_OR_RETURN(auto signer, NoteSigner::Create(origin, seed));
  SecretBytes skey = signer->SignerKey();
  std::string text = "origin " + origin + "\n";
  text.append(skey.RevealAsString());
  text += "\n";
  Status st = rt.fs->WriteFileAtomic(path, text, kPrivate);
  SecureZero(text);
  BULWARK_RETURN_IF_ERROR(st);
  return LoadLogKeys(rt, path);
}

Result<SecretBytes> LoadOrCreateAuditHmacKey(const Runtime& rt, const std::filesystem::path& path) {
  BULWARK_ASSIGN_OR_RETURN(bool exists, rt.fs->Exists(path));
  if (!exists) {
    SecretBytes key(32);
    BULWARK_RETURN_IF_ERROR(rt.random->Fill(key.MutableReveal()));
    std::string text = Base64Encode(key.Reveal()) + "\n";
    Status st = rt.fs->WriteFileAtomic(path, text, kPrivate);
    SecureZero(text);
    BULWARK_RETURN_IF_ERROR(st);
  }
  BULWARK_ASSIGN_OR_RETURN(std::string text, rt.fs->ReadFile(path));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  auto raw = Base64Decode(text);
  SecureZero(text);
  if (!raw || raw->size() != 32) {
    return InvalidArgumentError(
        fmt::format("{}: expected the base64 of a 32-byte key", path.string()));
  }
  SecretBytes key(*raw);
  std::fill(raw->begin(), raw->end(), 0);
  return key;
}

namespace {

constexpr std::size_t kEventIdSize = 16;

// `id`: the event's kEventIdSize random bytes.
Result<PreparedEvent> MakeEvent(const request::AuditRecord& record,
                                const ImpactClassifier& classifier, const std::string& source,
                                std::span<const std::uint8_t, kEventIdSize> id) {
  static constexpr char kHex[] = "0123456789abcdef";
  char hex[2 * kEventIdSize];
  for (std::size_t i = 0; i < kEventIdSize; ++i) {
    hex[2 * i] = kHex[id[i] >> 4];
    hex[2 * i + 1] = kHex[id[i] & 0xF];
  }
  const Impact impact = classifier.Classify(record);
  Result<PreparedEvent> ev(std::in_place);  // built in place: no moves of the columns
  BULWARK_ASSIGN_OR_RETURN(ev->first,
                           RecordLeaf(record, impact, std::string_view(hex, sizeof(hex)), source));
  EventColumns& cols = ev->second;
  cols.time_us =
      std::chrono::duration_cast<std::chrono::microseconds>(record.time.time_since_epoch()).count();
  cols.type.reserve(12 + record.operation.size());
  cols.type.append("dev.bulwark.").append(record.operation);
  cols.actor = record.context.principal.id;
  cols.namespace_name = record.namespace_name;
  cols.action = request::ActionName(record.action);
  cols.outcome = request::OutcomeName(record.outcome);
  cols.impact = impact.level;
  cols.paths = record.paths;
  return ev;
}

}  // namespace

// Event ids are drawn kPoolSize bytes at a time: the generator's per-call cost (RAND_bytes' locks
// and reseed checks, ~6k instructions) was a quarter of building an event. The pool lives in an
// anonymous mapping marked MADV_WIPEONFORK, so a forked child finds it empty and refills from its
// own (reseeded) generator instead of repeating the parent's ids. Without that (a kernel before
// 4.14, another OS) every id is drawn by itself as before. Handed-out bytes are not wiped: an event
// id is published in the event, and the bytes still in the pool are future ids, which are no secret
// either (ids must be unique and unguessable before they are issued, not confidential after).
class EventBuilder::IdPool {
 public:
  IdPool() {
#ifdef MADV_WIPEONFORK
    void* m =
        ::mmap(nullptr, sizeof(State), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return;
    if (::madvise(m, sizeof(State), MADV_WIPEONFORK) != 0) {
      ::munmap(m, sizeof(State));
      return;
    }
    state_ = static_cast<State*>(m);  // zero-filled: an empty pool
#endif
  }
  ~IdPool() {
    if (state_ != nullptr) ::munmap(state_, sizeof(State));
  }
  IdPool(const IdPool&) = delete;
  IdPool& operator=(const IdPool&) = delete;

  Status Take(SecureRandom& random, std::span<std::uint8_t, kEventIdSize> id) {
    if (state_ == nullptr) return random.Fill(id);
    std::lock_guard lock(mu_);
    if (state_->left < kEventIdSize) {
      BULWARK_RETURN_IF_ERROR(random.Fill(state_->bytes));
      state_->left = kPoolSize;
    }
    std::memcpy(id.data(), state_->bytes.data() + (kPoolSize - state_->left), kEventIdSize);
    state_->left -= kEventIdSize;
    return OkStatus();
  }

 private:
  static constexpr std::size_t kPoolSize = 512;
  struct State {
    std::size_t left;  // unused bytes at the end of `bytes`; 0 (empty) in a fresh or forked page
    std::array<std::uint8_t, kPoolSize> bytes;
  };
  std::mutex mu_;
  State* state_ = nullptr;
};

EventBuilder::EventBuilder(ImpactClassifier classifier, std::string source, Runtime runtime)
    : classifier_(std::move(classifier)),
      source_(std::move(source)),
      runtime_(std::move(runtime)),
      ids_(std::make_unique<IdPool>()) {}

EventBuilder::~EventBuilder() = default;

Result<PreparedEvent> EventBuilder::Build(const request::AuditRecord& record) {
  std::array<std::uint8_t, kEventIdSize> id;
  BULWARK_RETURN_IF_ERROR(ids_->Take(*runtime_.random, id));
  return MakeEvent(record, classifier_, source_, id);
}

Result<std::vector<PreparedEvent>> EventBuilder::BuildAll(
    std::span<const request::AuditRecord> records) {
  // One generator call for all the ids of a batch.
  std::vector<std::uint8_t> ids(records.size() * kEventIdSize);
  BULWARK_RETURN_IF_ERROR(runtime_.random->Fill(ids));
  std::vector<PreparedEvent> events;
  events.reserve(records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    BULWARK_ASSIGN_OR_RETURN(
        auto ev,
        MakeEvent(
            records[i], classifier_, source_,
            std::span<const std::uint8_t>(ids).subspan(i * kEventIdSize).first<kEventIdSize>()));
    events.push_back(std::move(ev));
  }
  return events;
}

Result<std::uint64_t> LogAuditSink::AppendRecord(const request::AuditRecord& record) {
  BULWARK_ASSIGN_OR_RETURN(PreparedEvent ev, events_.Build(record));
  return log_->Append(std::move(ev.first), std::move(ev.second));
}

Result<std::uint64_t> LogAuditSink::AppendRecords(std::span<const request::AuditRecord> records) {
  BULWARK_ASSIGN_OR_RETURN(std::vector<PreparedEvent> events, events_.BuildAll(records));
  return log_->AppendBatch(std::move(events));
}

Status LogAuditSink::Append(const request::AuditRecord& record) {
  BULWARK_ASSIGN_OR_RETURN(std::uint64_t index, AppendRecord(record));
  (void)index;
  return OkStatus();
}

Status LogAuditSink::HealthCheck() const { return log_->HealthCheck(); }

std::string AuditVerification::Summary() const {
  std::string out;
  auto archived = [&] {
    for (const auto& a : archives) {
      out += fmt::format("events [{}, {}) archived in {} (sha256 {})\n", a.start, a.end, a.file,
                         HexEncode(a.sha256));
    }
    if (pending_prune > 0) {
      out += fmt::format(
          "{} archived events are still stored below the boundary (an interrupted prune; the "
          "next `bulwark audit archive` deletes them)\n",
          pending_prune);
    }
  };
  if (clean()) {
    out = report.Summary();
    if (!out.empty() && out.back() != '\n') out += '\n';
    archived();
    return out;
  }
  if (first_bad_index)
    out += fmt::format("TAMPERING: first bad index {}\n", *first_bad_index);
  else
    out += "TAMPERING\n";
  for (const auto& p : problems) out += "  " + p + "\n";
  for (const auto& f : report.findings) {
    out += fmt::format("  {}: {}\n", LogProblemName(f.problem), f.message);
  }
  archived();
  return out;
}

namespace {

// Entries beyond which a root mismatch is not narrowed (the leaf hashes are held in memory).
constexpr std::uint64_t kMaxLocatedEntries = std::uint64_t{1} << 24;

// Narrows a root mismatch to the first altered event where the signed tree allows it
// (internal/tamper_locator.h): reads the leaf hashes up to the checkpoint (plus one) and the
// cached level-4 nodes.
std::optional<internal::TamperLocation> LocateRootMismatch(
    const AuditLog& log, const CheckpointVerifier& verifier, const std::vector<std::string>& notes,
    const LogFinding& f, std::uint64_t start, const std::vector<Hash>& start_frontier) {
  if (!f.checkpoint_size || f.checkpoint_position >= notes.size()) return std::nullopt;
  auto cp = verifier.Open(notes[f.checkpoint_position]);
  if (!cp || cp->size != *f.checkpoint_size || cp->size < start ||
      cp->size - start > kMaxLocatedEntries) {
    return std::nullopt;
  }
  std::vector<Hash> leaves;
  std::uint64_t expected = start;
  bool in_order = true;
  auto read = log.Scan(start, cp->size + 1, [&](const StoredEvent& e) -> Status {
    in_order = in_order && e.index == expected++;
    leaves.push_back(HashLeaf(e.leaf));
    return OkStatus();
  });
  if (!read || !in_order) return std::nullopt;
  std::map<std::uint64_t, Hash> groups;
  auto nodes = log.ScanNodes([&](unsigned level, std::uint64_t index,
                                 std::span<const std::uint8_t> h) -> Status {
    if (level == 4 && h.size() == kHashSize) {
      Hash x;
      std::copy(h.begin(), h.end(), x.begin());
      groups[index] = x;
    }
    return OkStatus();
  });
  if (!nodes) return std::nullopt;
  // The archived prefix is known only as its compact range: perfect subtrees, largest first.
  std::map<std::pair<std::uint64_t, std::uint64_t>, Hash> archived;
  std::uint64_t lo = 0;
  std::size_t i = 0;
  for (int bit = 63; bit >= 0 && i < start_frontier.size(); --bit) {
    const std::uint64_t block = std::uint64_t{1} << bit;
    if ((start & block) == 0) continue;
    archived[{lo, lo + block}] = start_frontier[i++];
    lo += block;
  }
  internal::TamperQuery q;
  q.size = cp->size;
  q.root = cp->root;
  q.verified = f.first_bad_index;
  q.first_leaf = start;
  q.leaves = leaves;
  q.archived = [&](std::uint64_t a, std::uint64_t b) -> std::optional<Hash> {
    auto it = archived.find({a, b});
    if (it == archived.end()) return std::nullopt;
    return it->second;
  };
  q.cached_group = [&](std::uint64_t g) -> std::optional<Hash> {
    auto it = groups.find(g);
    if (it == groups.end()) return std::nullopt;
    return it->second;
  };
  return internal::LocateTampering(q);
}

}  // namespace

Result<AuditVerification> VerifyAuditLog(const AuditLog& log, const CheckpointVerifier& verifier,
                                         const std::optional<std::string>& trusted,
                                         const std::vector<std::string>& extra) {
  AuditVerification v;
  // Findings that name one event are the most precise, then the Merkle findings (a range
  // between two checkpoints), then inconsistencies of the stored tree state and node cache.
  std::optional<std::uint64_t> precise, coarse;
  auto note_min = [](std::optional<std::uint64_t>& m, std::uint64_t i) {
    if (!m || i < *m) m = i;
  };
  auto bad = [&](std::uint64_t index, std::string message) {
    note_min(precise, index);
    v.problems.push_back(std::move(message));
  };
  auto inconsistent = [&](std::uint64_t index, std::string message) {
    note_min(coarse, index);
    v.problems.push_back(std::move(message));
  };

  BULWARK_ASSIGN_OR_RETURN(std::vector<StoredCheckpoint> stored, log.Checkpoints());
  std::vector<std::string> notes;
  for (const auto& c : stored) notes.push_back(c.note);
  for (const auto& e : extra) notes.push_back(e);
  if (trusted) notes.push_back(*trusted);

  // Archived prefix (archive.h): the log resumes at the newest archive's end from its stored
  // compact range, which must fold to the root of that archive's signed checkpoint.
  BULWARK_ASSIGN_OR_RETURN(v.archives, log.Archives());
  std::uint64_t start = 0;
  std::vector<Hash> start_frontier;
  for (const auto& a : v.archives) {
    if (a.start != start) {
      bad(std::min(a.start, start),
          fmt::format("archive boundary: the archive of [{}, {}) does not follow the previous "
                      "boundary {} (an archive record was removed or altered)",
                      a.start, a.end, start));
    }
    start = a.end;
  }
  if (!v.archives.empty()) {
    const ArchiveRecord& last = v.archives.back();
    notes.push_back(last.checkpoint);
    auto f = FrontierFromBytes(start, last.frontier);
    auto cp = verifier.Open(last.checkpoint);
    if (!f) {
      bad(start, fmt::format("archive boundary {}: the stored compact range is malformed: {}",
                             start, f.error().message()));
    } else if (!cp || cp->size != start) {
      bad(start, fmt::format("archive boundary {}: the stored boundary checkpoint does not "
                             "verify{}",
                             start,
                             cp ? fmt::format(" (it has size {})", cp->size)
                                : ": " + cp.error().message()));
    } else if (cp->root != TreeBuilder::FromFrontier(start, *f)->Root()) {
      bad(start, fmt::format("archive boundary {}: the stored compact range does not hash to the "
                             "root of the signed checkpoint of size {} (the range was altered)",
                             start, start));
    }
    start_frontier = f ? std::move(*f) : std::vector<Hash>(std::popcount(start), Hash{});
  }
  LogVerifier lv = LogVerifier::Create(verifier, notes);
  BULWARK_RETURN_IF_ERROR(lv.StartAt(start, start_frontier));

  // Stored checkpoints: the size column must be the note's size.
  std::optional<std::uint64_t> newest_stored_size;
  for (const auto& c : stored) {
    auto cp = verifier.Open(c.note);
    if (!cp) continue;  // reported by LogVerifier as a bad checkpoint
    if (cp->size != c.size) {
      bad(std::min(cp->size, c.size),
          fmt::format("checkpoint row {} holds a checkpoint of size {}", c.size, cp->size));
    }
    if (!newest_stored_size || cp->size > *newest_stored_size) {
      newest_stored_size = cp->size;
      v.newest_checkpoint = c.note;
    }
  }

  std::map<std::pair<unsigned, std::uint64_t>, Hash> computed_nodes;
  const NodeSink sink = [&](unsigned level, std::uint64_t index, const Hash& hash) {
    if (level != 0 && level % kNodeStride == 0) computed_nodes[{level, index}] = hash;
  };
  BULWARK_ASSIGN_OR_RETURN(TreeBuilder tb, TreeBuilder::FromFrontier(start, start_frontier));
  std::uint64_t position = start;
  bool index_problem = false;
  BULWARK_RETURN_IF_ERROR(log.Scan(0, UINT64_MAX, [&](const StoredEvent& e) -> Status {
    if (e.index < start) {
      ++v.pending_prune;  // archived, not yet deleted (an interrupted prune): not part of the tree
      return OkStatus();
    }
    const Hash lh = HashLeaf(e.leaf);
    if (!index_problem && e.index != position) {
      index_problem = true;
      bad(position, e.index > position
                        ? fmt::format("event {} is missing (the next stored event has index {}): "
                                      "events were deleted",
                                      position, e.index)
                        : fmt::format("event at position {} has index {}", position, e.index));
    }
    if (e.leaf_hash.size() != kHashSize || !std::equal(lh.begin(), lh.end(), e.leaf_hash.begin())) {
      bad(e.index, fmt::format("event {}: stored leaf hash does not match the event bytes "
                               "(the event was modified)",
                               e.index));
    }
    // Events a valid checkpoint covers are checked by the signed roots; after the newest one
    // only the stored leaf hash and the canonical form can catch an edit.
    auto canon = e.index >= newest_stored_size.value_or(0) ? CanonicalizeJsonText(e.leaf)
                                                           : Result<std::string>(e.leaf);
    if (!canon || *canon != e.leaf) {
      bad(e.index,
          fmt::format("event {}: not canonical RFC 8785 JSON (the event was modified)", e.index));
    }
    lv.AppendLeafHash(lh);
    tb.AppendLeafHash(lh, sink);
    ++position;
    return OkStatus();
  }));
  v.report = lv.Finish();
  // A root mismatch says "somewhere in [P, C)"; the signed tree and the node cache often say
  // exactly where (an inserted, reordered or renumbered event).
  if (!index_problem) {
    for (LogFinding& f : v.report.findings) {
      if (f.problem != LogProblem::kRootMismatch) continue;
      if (auto loc = LocateRootMismatch(log, verifier, notes, f, start, start_frontier)) {
        f.first_bad_index = loc->first;
        f.bad_range_end = loc->end;
        f.message += "; " + loc->explanation;
      }
      break;
    }
  }
  std::optional<std::uint64_t> merkle;
  for (const auto& f : v.report.findings) {
    if (f.problem == LogProblem::kRootMismatch || f.problem == LogProblem::kIndexMismatch ||
        f.problem == LogProblem::kTruncated) {
      note_min(merkle, f.first_bad_index);
    }
  }

  BULWARK_ASSIGN_OR_RETURN(TreeState state, log.State());
  if (state.size != position) {
    inconsistent(
        std::min(state.size, position),
        fmt::format("the tree state records {} events but {} are stored{}", state.size, position,
                    state.size > position ? " (events were removed from the end)" : ""));
  } else if (state.frontier != tb.frontier()) {
    inconsistent(0, "the stored tree state (frontier) does not match the events");
  }
  BULWARK_RETURN_IF_ERROR(log.ScanNodes(
      [&](unsigned level, std::uint64_t index, std::span<const std::uint8_t> h) -> Status {
        auto it = computed_nodes.find({level, index});
        const std::uint64_t first_leaf = index << level;
        // Inside the archived prefix: left by an interrupted prune, not used by anything.
        if (((index + 1) << level) <= start) return OkStatus();
        if (it == computed_nodes.end()) {
          inconsistent(
              std::min(first_leaf, position),
              fmt::format("cached tree node (level {}, index {}) covers events [{}, {}) that are "
                          "not stored",
                          level, index, first_leaf, first_leaf + (std::uint64_t{1} << level)));
        } else if (h.size() != kHashSize || !std::equal(h.begin(), h.end(), it->second.begin())) {
          inconsistent(
              first_leaf,
              fmt::format("cached tree node (level {}, index {}) over events [{}, {}) does not "
                          "match them",
                          level, index, first_leaf, first_leaf + (std::uint64_t{1} << level)));
        }
        return OkStatus();
      }));

  if (trusted) {
    if (auto t = verifier.Open(*trusted)) {
      if (!newest_stored_size || *newest_stored_size < t->size) {
        note_min(merkle, std::min(position, t->size));
        v.problems.push_back(
            fmt::format("rollback: the newest stored checkpoint covers {} events but a checkpoint "
                        "of {} events was verified before",
                        newest_stored_size.value_or(0), t->size));
      }
    }
  }
  v.first_bad_index = precise ? precise : merkle ? merkle : coarse;
  return v;
}

}  // namespace bulwark::audit
