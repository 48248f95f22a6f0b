#include "bulwark/auditlog/event_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <shared_mutex>
#include <unordered_map>

#include "auditlog/internal/log_storage.h"
#include "bulwark/audit/checkpoint.h"
#include "bulwark/audit/tree_builder.h"

namespace bulwark::audit {

using internal::EventRow;
using internal::LogStorage;
using internal::NodeRow;
using internal::PostingRow;
using internal::TermField;

namespace {
// The term value of an impact level (clamped to 0..3): "0".."3".
const std::string& ImpactTerm(int level) {
  static const auto* const kTerms = new std::string[4]{"0", "1", "2", "3"};
  return kTerms[std::clamp(level, 0, 3)];
}
}  // namespace

struct AuditLog::Slot {
  std::condition_variable cv;  // signalled when done, or when this appender should lead
  bool done = false;
  Status status;
  std::uint64_t index = 0;
};

struct AuditLog::Impl {
  std::unique_ptr<LogStorage> storage;
  // Term ids per field: the committed ones (read by appenders under a shared lock of terms_mu,
  // written by the committing thread under an exclusive one), and the ones inserted by the write
  // in progress (committing thread only; published after its commit, so an appender never sees
  // the id of a term whose insert is rolled back).
  std::array<std::unordered_map<std::string, std::int64_t>, 8> terms;
  std::shared_mutex terms_mu;
  std::array<std::unordered_map<std::string, std::int64_t>, 8> new_terms;
  // Scratch buffers of the committing leader, kept to avoid reallocation per batch.
  std::vector<EventRow> rows;
  std::vector<NodeRow> nodes;
  std::vector<PostingRow> postings;
  // For the batch being committed: term id -> (its row in `postings`, the last index added).
  std::unordered_map<std::int64_t, std::pair<std::size_t, std::uint64_t>> posting_of;
  // Posting segments below this index are compacted (as last seen; re-read before compacting).
  std::uint64_t compacted_below = 0;
  std::uint64_t compacted_pending = 0;  // the value the write in progress sets
  std::uint64_t segment = internal::kSegmentSize;

  // Inside a write whose tree now has `size` leaves: compacts the oldest complete uncompacted
  // segment of posting rows into one row per term (one segment per commit bounds the pause).
  Status MaybeCompact(std::uint64_t size) {
    compacted_pending = compacted_below;
    if (size < compacted_below + segment) return OkStatus();
    BULWARK_ASSIGN_OR_RETURN(const std::uint64_t below, storage->ReadCompactedBelow());
    compacted_pending = below;
    if (size < below + segment) return OkStatus();
    const std::uint64_t end = below + segment;
    std::unordered_map<std::int64_t, std::vector<std::uint64_t>> by_term;
    bool malformed = false;
    BULWARK_RETURN_IF_ERROR(storage->ScanPostingRange(
        below, end,
        [&](std::int64_t term, std::uint64_t first, std::span<const std::uint8_t> deltas) {
          if (!internal::DecodePosting(first, deltas, by_term[term])) malformed = true;
          return OkStatus();
        }));
    if (malformed) return DataLossError("audit log: a posting row of the query index is malformed");
    std::vector<PostingRow> rows;
    rows.reserve(by_term.size());
    for (auto& [term, idx] : by_term) {
      std::sort(idx.begin(), idx.end());
      idx.erase(std::unique(idx.begin(), idx.end()), idx.end());
      PostingRow row{term, idx.front(), {}};
      for (std::size_t i = 1; i < idx.size(); ++i)
        internal::PutVarint(row.deltas, idx[i] - idx[i - 1]);
      rows.push_back(std::move(row));
    }
    BULWARK_RETURN_IF_ERROR(storage->InsertSegmentPostings(below, rows));
    BULWARK_RETURN_IF_ERROR(storage->DeletePostingRange(below, end));
    BULWARK_RETURN_IF_ERROR(storage->WriteCompactedBelow(end));
    compacted_pending = end;
    return OkStatus();
  }

  // The id of (field, value), inserting it inside the current write when it is new.
  // Committing thread only (the only writer of `terms`, so it reads it without the lock).
  Result<std::int64_t> TermId(TermField field, const std::string& value) {
    const int f = static_cast<int>(field);
    if (auto it = terms[f].find(value); it != terms[f].end()) return it->second;
    if (auto it = new_terms[f].find(value); it != new_terms[f].end()) return it->second;
    BULWARK_ASSIGN_OR_RETURN(std::optional<std::int64_t> found, storage->FindTerm(field, value));
    if (found) {  // committed (by another process or before a rolled-back write)
      std::unique_lock lock(terms_mu);
      terms[f].emplace(value, *found);
      return *found;
    }
    BULWARK_ASSIGN_OR_RETURN(std::int64_t id, storage->InsertTerm(field, value));
    new_terms[f].emplace(value, id);
    return id;
  }
  // After the write committed: its new terms become visible to appenders.
  void PublishNewTerms() {
    bool any = false;
    for (const auto& m : new_terms) any = any || !m.empty();
    if (!any) return;
    std::unique_lock lock(terms_mu);
    for (std::size_t f = 0; f < new_terms.size(); ++f) {
      terms[f].merge(new_terms[f]);
      new_terms[f].clear();
    }
  }
  // After a rolled-back write: forget the ids it inserted.
  void ForgetNewTerms() {
    for (auto& m : new_terms) m.clear();
  }
  // Appender side: the committed ids of an event's terms (-1 where unknown), one shared lock.
  void ResolveCached(std::span<AuditLog::Pending> events) {
    std::shared_lock lock(terms_mu);
    auto id = [&](TermField field, const std::string& value) -> std::int64_t {
      const auto& m = terms[static_cast<int>(field)];
      auto it = m.find(value);
      return it == m.end() ? -1 : it->second;
    };
    for (AuditLog::Pending& p : events) {
      const EventColumns& c = p.columns;
      p.term_ids.resize(6 + c.paths.size());
      p.term_ids[0] = id(TermField::kType, c.type);
      p.term_ids[1] = id(TermField::kActor, c.actor);
      p.term_ids[2] = id(TermField::kNamespace, c.namespace_name);
      p.term_ids[3] = id(TermField::kAction, c.action);
      p.term_ids[4] = id(TermField::kOutcome, c.outcome);
      p.term_ids[5] = id(TermField::kImpact, ImpactTerm(static_cast<int>(c.impact)));
      for (std::size_t i = 0; i < c.paths.size(); ++i) {
        p.term_ids[6 + i] = id(TermField::kPath, c.paths[i]);
      }
    }
  }
};

namespace {

constexpr unsigned kNodeStride = 4;  // cache subtree hashes at levels 4, 8, 12, ...

std::int64_t NowUs(const Runtime& rt) {
  return std::chrono::duration_cast<std::chrono::microseconds>(rt.clock->Now().time_since_epoch())
      .count();
}

std::string JsonString(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

EventColumns ColumnsOfEvent(const nlohmann::json& ev) {
  EventColumns c;
  if (auto t = ParseRfc3339(JsonString(ev, "time"))) {
    c.time_us =
        std::chrono::duration_cast<std::chrono::microseconds>(t->time_since_epoch()).count();
  }
  c.type = JsonString(ev, "type");
  auto d = ev.find("data");
  if (d == ev.end() || !d->is_object()) return c;
  if (auto a = d->find("actor"); a != d->end() && a->is_object()) c.actor = JsonString(*a, "id");
  c.namespace_name = JsonString(*d, "namespace");
  c.action = JsonString(*d, "action");
  c.outcome = JsonString(*d, "outcome");
  if (auto i = d->find("impact"); i != d->end() && i->is_object()) {
    if (auto l = ParseImpactLevel(JsonString(*i, "level"))) c.impact = *l;
  }
  if (auto p = d->find("paths"); p != d->end() && p->is_array()) {
    for (const auto& s : *p) {
      if (s.is_string()) c.paths.push_back(s.get<std::string>());
    }
  }
  return c;
}

AuditLog::AuditLog(AuditLogOptions options, std::unique_ptr<Impl> impl)
    : options_(std::move(options)), impl_(std::move(impl)) {}

AuditLog::~AuditLog() = default;

Result<std::unique_ptr<AuditLog>> AuditLog::Open(AuditLogOptions options) {
  if (options.index_segment == 0) return InvalidArgumentError("audit log: index_segment is 0");
  auto impl = std::make_unique<Impl>();
  impl->segment = options.index_segment;
  const std::int64_t now = NowUs(options.runtime);
  const std::string& url = options.url;
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    BULWARK_ASSIGN_OR_RETURN(impl->storage, internal::OpenPostgresLogStorage(options, url, now));
  } else if (url.starts_with("sqlite:")) {
    options.path = url.substr(7);
    BULWARK_ASSIGN_OR_RETURN(impl->storage,
                             internal::OpenSqliteLogStorage(options, options.path.string(), now));
  } else if (url.empty()) {
    BULWARK_ASSIGN_OR_RETURN(impl->storage,
                             internal::OpenSqliteLogStorage(options, options.path.string(), now));
  } else {
    return InvalidArgumentError(
        fmt::format("audit log: unsupported store URL (expected sqlite:PATH or postgresql://...)"));
  }
  return std::unique_ptr<AuditLog>(new AuditLog(std::move(options), std::move(impl)));
}

Result<TreeState> AuditLog::State() const {
  std::lock_guard lock(db_mu_);
  return impl_->storage->ReadState(false);
}

Status AuditLog::MaybeCheckpointLocked(TreeState& st, const Hash& root, bool force,
                                       std::string* note_out) {
  if (options_.signers.empty()) {
    if (force) return FailedPreconditionError("audit log: no checkpoint signing key configured");
    return OkStatus();
  }
  const std::int64_t now = NowUs(options_.runtime);
  const bool due =
      force || st.size >= st.last_checkpoint_size + options_.checkpoint_every ||
      (st.size > st.last_checkpoint_size &&
       now - st.last_checkpoint_us >=
           std::chrono::duration_cast<std::chrono::microseconds>(options_.checkpoint_interval)
               .count());
  if (!due) return OkStatus();
  if (st.size == st.last_checkpoint_size && note_out != nullptr) {
    // Already covered: return the stored note.
    BULWARK_ASSIGN_OR_RETURN(auto stored, impl_->storage->ReadCheckpointNote(st.size));
    if (stored) {
      *note_out = std::move(*stored);
      return OkStatus();
    }
  }
  std::vector<const NoteSigner*> signers;
  for (const auto& s : options_.signers) signers.push_back(s.get());
  BULWARK_ASSIGN_OR_RETURN(std::string note,
                           SignCheckpoint(Checkpoint{options_.origin, st.size, root, {}}, signers));
  BULWARK_RETURN_IF_ERROR(impl_->storage->InsertCheckpoint(StoredCheckpoint{st.size, note, now}));
  st.last_checkpoint_size = st.size;
  st.last_checkpoint_us = now;
  if (note_out != nullptr) *note_out = std::move(note);
  return OkStatus();
}

Status AuditLog::Commit(std::vector<Pending>& batch, std::uint64_t& first_index) {
  std::lock_guard lock(db_mu_);
  Impl& m = *impl_;
  LogStorage& db = *m.storage;
  BULWARK_RETURN_IF_ERROR(db.BeginWrite());
  auto body = [&]() -> Status {
    BULWARK_ASSIGN_OR_RETURN(TreeState st, db.ReadState(true));
    BULWARK_ASSIGN_OR_RETURN(TreeBuilder tb, TreeBuilder::FromFrontier(st.size, st.frontier));
    first_index = tb.size();
    m.rows.clear();
    m.nodes.clear();
    m.postings.clear();
    m.posting_of.clear();
    const NodeSink sink = [&](unsigned level, std::uint64_t index, const Hash& hash) {
      if (level != 0 && level % kNodeStride == 0) m.nodes.push_back(NodeRow{level, index, hash});
    };
    // One posting row per term of the batch: its indices, ascending (events are visited in
    // index order), delta-encoded.
    auto hit = [&](TermField field, const std::string& value, std::int64_t known,
                   std::uint64_t idx) -> Status {
      if (value.empty()) return OkStatus();
      std::int64_t id = known;
      if (id < 0) {
        BULWARK_ASSIGN_OR_RETURN(id, m.TermId(field, value));
      }
      auto [it, added] = m.posting_of.try_emplace(id, m.postings.size(), idx);
      if (added) {
        m.postings.push_back(PostingRow{id, idx, {}});
      } else if (it->second.second != idx) {  // not a path listed twice
        internal::PutVarint(m.postings[it->second.first].deltas, idx - it->second.second);
        it->second.second = idx;
      }
      return OkStatus();
    };
    m.rows.reserve(batch.size());
    for (const Pending& p : batch) {
      const std::uint64_t idx = tb.size();
      m.rows.push_back(EventRow{idx, p.columns.time_us, &p.leaf_hash, p.leaf});
      tb.AppendLeafHash(p.leaf_hash, sink);
      const EventColumns& c = p.columns;
      const std::vector<std::int64_t>& ids = p.term_ids;
      BULWARK_RETURN_IF_ERROR(hit(TermField::kType, c.type, ids[0], idx));
      BULWARK_RETURN_IF_ERROR(hit(TermField::kActor, c.actor, ids[1], idx));
      BULWARK_RETURN_IF_ERROR(hit(TermField::kNamespace, c.namespace_name, ids[2], idx));
      BULWARK_RETURN_IF_ERROR(hit(TermField::kAction, c.action, ids[3], idx));
      BULWARK_RETURN_IF_ERROR(hit(TermField::kOutcome, c.outcome, ids[4], idx));
      const int level = std::clamp(static_cast<int>(c.impact), 0, 3);
      BULWARK_RETURN_IF_ERROR(hit(TermField::kImpact, ImpactTerm(level), ids[5], idx));
      for (std::size_t i = 0; i < c.paths.size(); ++i) {
        BULWARK_RETURN_IF_ERROR(hit(TermField::kPath, c.paths[i], ids[6 + i], idx));
      }
    }
    BULWARK_RETURN_IF_ERROR(db.InsertEvents(m.rows));
    BULWARK_RETURN_IF_ERROR(db.InsertNodes(m.nodes));
    BULWARK_RETURN_IF_ERROR(db.InsertPostings(m.postings));
    BULWARK_RETURN_IF_ERROR(m.MaybeCompact(tb.size()));
    st.size = tb.size();
    st.frontier = tb.frontier();
    BULWARK_RETURN_IF_ERROR(MaybeCheckpointLocked(st, tb.Root(), false, nullptr));
    return db.WriteState(st);
  };
  Status s = body();
  if (s) s = db.Commit();
  if (!s) {
    db.Rollback();
    m.ForgetNewTerms();
    return s;
  }
  m.PublishNewTerms();
  m.compacted_below = m.compacted_pending;
  return OkStatus();
}

Result<std::uint64_t> AuditLog::Append(std::string leaf, EventColumns columns) {
  std::vector<std::pair<std::string, EventColumns>> one;
  one.emplace_back(std::move(leaf), std::move(columns));
  return AppendBatch(std::move(one));
}

Result<std::uint64_t> AuditLog::AppendBatch(
    std::vector<std::pair<std::string, EventColumns>> events) {
  if (options_.read_only) return FailedPreconditionError("audit log: opened read-only");
  if (events.empty()) return InvalidArgumentError("audit log: empty batch");
  auto slot = std::make_shared<Slot>();
  // Leaf hashes are computed by the appenders, in parallel, before queueing.
  std::vector<Pending> mine;
  mine.reserve(events.size());
  for (auto& [leaf, columns] : events) {
    const Hash h = HashLeaf(leaf);
    mine.push_back(Pending{std::move(leaf), std::move(columns), h, {}, slot});
  }
  impl_->ResolveCached(mine);
  std::unique_lock lock(q_mu_);
  // Queued under one lock hold, so one leader takes them all: consecutive indices.
  if (queue_.empty()) {
    queue_.swap(mine);
  } else {
    for (auto& p : mine) queue_.push_back(std::move(p));
  }
  while (!slot->done) {
    if (!leader_active_) {
      // Lead: commit everything queued so far (including our own events) in one transaction.
      leader_active_ = true;
      std::vector<Pending> batch;
      batch.swap(queue_);
      lock.unlock();
      std::uint64_t first = 0;
      Status s = Commit(batch, first);
      std::vector<Slot*> wake;
      lock.lock();
      for (std::size_t i = 0; i < batch.size(); ++i) {
        Slot& sl = *batch[i].slot;
        if (sl.done) continue;  // a later event of the same AppendBatch
        sl.done = true;
        sl.status = s;
        sl.index = first + i;
        if (&sl != slot.get()) wake.push_back(&sl);
      }
      leader_active_ = false;
      // Wake exactly one waiting appender to lead the next batch (no thundering herd).
      if (!queue_.empty()) queue_.front().slot->cv.notify_one();
      // The batch keeps the slots alive; waking outside the lock spares the woken threads a
      // second sleep on q_mu_.
      lock.unlock();
      for (Slot* sl : wake) sl->cv.notify_one();
      lock.lock();
    } else {
      slot->cv.wait(lock);
    }
  }
  if (!slot->status) return std::unexpected(slot->status.error());
  return slot->index;
}

Result<std::string> AuditLog::PublishCheckpoint() {
  std::lock_guard lock(db_mu_);
  LogStorage& db = *impl_->storage;
  BULWARK_RETURN_IF_ERROR(db.BeginWrite());
  auto body = [&]() -> Result<std::string> {
    BULWARK_ASSIGN_OR_RETURN(TreeState st, db.ReadState(true));
    BULWARK_ASSIGN_OR_RETURN(TreeBuilder tb, TreeBuilder::FromFrontier(st.size, st.frontier));
    std::string note;
    const std::uint64_t before = st.last_checkpoint_size;
    const std::int64_t before_us = st.last_checkpoint_us;
    BULWARK_RETURN_IF_ERROR(MaybeCheckpointLocked(st, tb.Root(), true, &note));
    if (st.last_checkpoint_size != before || st.last_checkpoint_us != before_us) {
      BULWARK_RETURN_IF_ERROR(db.WriteState(st));
    }
    return note;
  };
  auto r = body();
  if (!r) {
    db.Rollback();
    return r;
  }
  BULWARK_RETURN_IF_ERROR(db.Commit());
  return r;
}

Result<std::optional<StoredCheckpoint>> AuditLog::LatestCheckpoint() const {
  std::lock_guard lock(db_mu_);
  BULWARK_ASSIGN_OR_RETURN(auto cps, impl_->storage->ReadCheckpoints(true));
  if (cps.empty()) return std::optional<StoredCheckpoint>();
  return std::optional<StoredCheckpoint>(std::move(cps.front()));
}

Result<std::vector<StoredCheckpoint>> AuditLog::Checkpoints() const {
  std::lock_guard lock(db_mu_);
  return impl_->storage->ReadCheckpoints(false);
}

Status AuditLog::Scan(std::uint64_t begin, std::uint64_t end,
                      const std::function<Status(const StoredEvent&)>& fn) const {
  std::lock_guard lock(db_mu_);
  return impl_->storage->ScanEvents(begin, end, std::nullopt, std::nullopt, 0, true, fn);
}

Status AuditLog::ScanNodes(
    const std::function<Status(unsigned, std::uint64_t, std::span<const std::uint8_t>)>& fn) const {
  std::lock_guard lock(db_mu_);
  return impl_->storage->ScanNodes(fn);
}

namespace {

// Sorted intersection of two ascending lists.
std::vector<std::uint64_t> Intersect(const std::vector<std::uint64_t>& a,
                                     const std::vector<std::uint64_t>& b) {
  std::vector<std::uint64_t> out;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

}  // namespace

Status AuditLog::Query(const EventFilter& f,
                       const std::function<Status(const StoredEvent&)>& fn) const {
  std::lock_guard lock(db_mu_);
  LogStorage& db = *impl_->storage;
  // Each term filter is a set of term ids (a union); the result is the intersection of their
  // postings, then the time and index bounds.
  std::vector<std::vector<std::int64_t>> filters;
  auto exact = [&](TermField field, const std::optional<std::string>& v) -> Status {
    if (!v) return OkStatus();
    BULWARK_ASSIGN_OR_RETURN(auto id, db.FindTerm(field, *v));
    filters.push_back(id ? std::vector<std::int64_t>{*id} : std::vector<std::int64_t>{});
    return OkStatus();
  };
  BULWARK_RETURN_IF_ERROR(exact(TermField::kActor, f.actor));
  BULWARK_RETURN_IF_ERROR(exact(TermField::kNamespace, f.namespace_name));
  BULWARK_RETURN_IF_ERROR(exact(TermField::kAction, f.action));
  BULWARK_RETURN_IF_ERROR(exact(TermField::kOutcome, f.outcome));
  BULWARK_RETURN_IF_ERROR(exact(TermField::kType, f.type));
  if (f.path) {
    // The path itself or anything below it ("db" matches "db" and "db.host").
    std::vector<std::int64_t> ids;
    BULWARK_ASSIGN_OR_RETURN(auto id, db.FindTerm(TermField::kPath, *f.path));
    if (id) ids.push_back(*id);
    BULWARK_ASSIGN_OR_RETURN(auto below,
                             db.TermsBetween(TermField::kPath, *f.path + ".", *f.path + "/"));
    ids.insert(ids.end(), below.begin(), below.end());
    filters.push_back(std::move(ids));
  }
  if (f.min_impact) {
    std::vector<std::int64_t> ids;
    for (int l = std::clamp(static_cast<int>(*f.min_impact), 0, 3); l <= 3; ++l) {
      BULWARK_ASSIGN_OR_RETURN(auto id, db.FindTerm(TermField::kImpact, ImpactTerm(l)));
      if (id) ids.push_back(*id);
    }
    filters.push_back(std::move(ids));
  }
  const std::uint64_t from = f.from_index.value_or(0);
  if (filters.empty()) {
    return db.ScanEvents(from, UINT64_MAX, f.since_us, f.until_us, f.limit, true, fn);
  }
  // Most selective filter first: fewer postings to decode for the rest.
  std::optional<std::vector<std::uint64_t>> matches;
  for (const auto& ids : filters) {
    std::vector<std::uint64_t> idx;
    if (!ids.empty()) {
      bool malformed = false;
      BULWARK_RETURN_IF_ERROR(db.ScanPostings(
          ids, [&](std::uint64_t first, std::span<const std::uint8_t> deltas) -> Status {
            if (first < from && deltas.empty()) return OkStatus();
            if (!internal::DecodePosting(first, deltas, idx)) malformed = true;
            return OkStatus();
          }));
      if (malformed)
        return DataLossError("audit log: a posting row of the query index is malformed");
      std::sort(idx.begin(), idx.end());
      idx.erase(std::unique(idx.begin(), idx.end()), idx.end());
    }
    matches = matches ? Intersect(*matches, idx) : std::move(idx);
    if (matches->empty()) return OkStatus();
  }
  auto it = std::lower_bound(matches->begin(), matches->end(), from);
  std::uint64_t sent = 0;
  constexpr std::size_t kChunk = 256;
  while (it != matches->end()) {
    const auto stop =
        matches->end() - it > static_cast<std::ptrdiff_t>(kChunk) ? it + kChunk : matches->end();
    bool done = false;
    BULWARK_RETURN_IF_ERROR(
        db.ReadEvents(std::span<const std::uint64_t>(&*it, static_cast<std::size_t>(stop - it)),
                      [&](const StoredEvent& e) -> Status {
                        if (done) return OkStatus();
                        if (f.since_us && e.time_us < *f.since_us) return OkStatus();
                        if (f.until_us && e.time_us >= *f.until_us) return OkStatus();
                        BULWARK_RETURN_IF_ERROR(fn(e));
                        if (f.limit > 0 && ++sent >= f.limit) done = true;
                        return OkStatus();
                      }));
    if (done) break;
    it = stop;
  }
  return OkStatus();
}

Status AuditLog::HealthCheck() const {
  if (options_.read_only) return UnavailableError("audit log: opened read-only");
  std::lock_guard lock(db_mu_);
  return impl_->storage->HealthCheck();
}

Result<std::uint64_t> AuditLog::LeafCount() const {
  BULWARK_ASSIGN_OR_RETURN(TreeState st, State());
  return st.size;
}

Status AuditLog::ReadLeafHashes(std::uint64_t begin, std::uint64_t end,
                                std::vector<Hash>& out) const {
  std::lock_guard lock(db_mu_);
  std::uint64_t expect = begin;
  BULWARK_RETURN_IF_ERROR(impl_->storage->ReadNodes(
      0, begin, end, [&](std::uint64_t idx, std::span<const std::uint8_t> b) -> Status {
        if (idx != expect) {
          return DataLossError(fmt::format("audit log: event {} is missing", expect));
        }
        BULWARK_ASSIGN_OR_RETURN(Hash h, HashFromBytes(b, fmt::format("leaf hash {}", expect)));
        out.push_back(h);
        ++expect;
        return OkStatus();
      }));
  if (expect != end) return DataLossError(fmt::format("audit log: event {} is missing", expect));
  return OkStatus();
}

Status AuditLog::ReadNodeHashes(std::span<const NodeId> ids,
                                std::span<std::optional<Hash>> out) const {
  // Levels 4, 8, 12, ... are stored; a node at level 4k + r (r < 4) is folded from its at most 8
  // descendants at level 4k (leaf hashes for k = 0), so every proof node costs one small query.
  std::lock_guard lock(db_mu_);
  std::vector<Hash> level;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    out[i] = std::nullopt;
    const unsigned base = ids[i].level - ids[i].level % kNodeStride;
    const unsigned r = ids[i].level - base;
    const std::uint64_t begin = ids[i].index << r, end = (ids[i].index + 1) << r;
    level.clear();
    std::uint64_t expect = begin;
    bool broken = false;
    BULWARK_RETURN_IF_ERROR(impl_->storage->ReadNodes(
        base, begin, end, [&](std::uint64_t idx, std::span<const std::uint8_t> b) -> Status {
          if (broken) return OkStatus();
          auto h = HashFromBytes(b, "tree node");
          if (!h || idx != expect) {
            broken = true;
            return OkStatus();
          }
          level.push_back(*h);
          ++expect;
          return OkStatus();
        }));
    if (level.size() != end - begin) continue;  // not stored: the caller recomputes it
    while (level.size() > 1) {
      std::vector<Hash> up;
      for (std::size_t k = 0; k + 1 < level.size(); k += 2) {
        up.push_back(HashChildren(level[k], level[k + 1]));
      }
      level.swap(up);
    }
    out[i] = level[0];
  }
  return OkStatus();
}

// ---- retention (archive.h) -------------------------------------------------------------------

Result<std::vector<ArchiveRecord>> AuditLog::Archives() const {
  std::lock_guard lock(db_mu_);
  return impl_->storage->ReadArchives();
}

namespace {

// The index the stored log starts at: the end of the newest archive (0 if none).
Result<std::uint64_t> ArchiveBoundary(LogStorage& db) {
  BULWARK_ASSIGN_OR_RETURN(std::vector<ArchiveRecord> archives, db.ReadArchives());
  return archives.empty() ? std::uint64_t{0} : archives.back().end;
}

// Runs `body` in one write transaction of `db` (rolled back on error).
Status InWrite(LogStorage& db, const std::function<Status()>& body) {
  BULWARK_RETURN_IF_ERROR(db.BeginWrite());
  Status s = body();
  if (s) s = db.Commit();
  if (!s) db.Rollback();
  return s;
}

}  // namespace

Status AuditLog::PruneBefore(const ArchiveRecord& record, std::uint64_t chunk_events) {
  if (options_.read_only) return FailedPreconditionError("audit log: opened read-only");
  if (record.end <= record.start) {
    return InvalidArgumentError(
        fmt::format("audit log prune: empty range [{}, {})", record.start, record.end));
  }
  if (record.end > static_cast<std::uint64_t>(INT64_MAX)) {
    return InvalidArgumentError("audit log prune: boundary out of range");
  }
  {
    std::lock_guard lock(db_mu_);
    LogStorage& db = *impl_->storage;
    BULWARK_RETURN_IF_ERROR(InWrite(db, [&]() -> Status {
      // The locked state row serializes this with appenders and other prunes (PostgreSQL: on
      // other servers too; SQLite: the write transaction already does).
      BULWARK_ASSIGN_OR_RETURN(TreeState st, db.ReadState(true));
      BULWARK_ASSIGN_OR_RETURN(std::uint64_t boundary, ArchiveBoundary(db));
      if (boundary != record.start) {
        return FailedPreconditionError(fmt::format(
            "audit log prune: the log now starts at event {}, the archive starts at {} (another "
            "archive ran concurrently?)",
            boundary, record.start));
      }
      if (record.end > st.size) {
        return FailedPreconditionError(
            fmt::format("audit log prune: boundary {} is beyond the {} events of the log",
                        record.end, st.size));
      }
      return db.InsertArchive(record);
    }));
  }
  BULWARK_ASSIGN_OR_RETURN(std::uint64_t deleted, DeleteArchivedEvents(chunk_events));
  (void)deleted;
  return OkStatus();
}

Result<std::uint64_t> AuditLog::DeleteArchivedEvents(std::uint64_t chunk_events) {
  if (options_.read_only) return FailedPreconditionError("audit log: opened read-only");
  chunk_events = std::max<std::uint64_t>(1, chunk_events);
  std::uint64_t deleted = 0;
  while (true) {
    bool done = false;
    std::lock_guard lock(db_mu_);
    LogStorage& db = *impl_->storage;
    BULWARK_RETURN_IF_ERROR(InWrite(db, [&]() -> Status {
      BULWARK_ASSIGN_OR_RETURN(std::uint64_t boundary, ArchiveBoundary(db));
      BULWARK_ASSIGN_OR_RETURN(std::optional<std::uint64_t> first, db.FirstEventIndex());
      const std::uint64_t lo = first.value_or(boundary);
      if (lo >= boundary) {
        // Last step: the cached nodes entirely inside [0, boundary).
        done = true;
        return db.DeleteArchivedNodes(boundary);
      }
      const std::uint64_t hi = std::min(boundary, lo + chunk_events);
      BULWARK_ASSIGN_OR_RETURN(std::uint64_t n, db.DeleteArchivedEvents(lo, hi));
      deleted += n;
      return OkStatus();
    }));
    if (done) return deleted;
  }
}

}  // namespace bulwark::audit
