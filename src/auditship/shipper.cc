#include "bulwark/auditship/shipper.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace bulwark::auditship {

namespace {
std::int64_t NowUs(const Runtime& rt) {
  return std::chrono::duration_cast<std::chrono::microseconds>(rt.clock->Now().time_since_epoch())
      .count();
}
}  // namespace

struct Shipper::Entry {
  const SinkConfig* config = nullptr;
  std::unique_ptr<Sink> sink;  // created on first use
};

Shipper::Shipper(std::shared_ptr<const audit::AuditLog> log, std::shared_ptr<SinkStateStore> states,
                 std::vector<SinkConfig> sinks, SinkFactory factory, ShipperOptions options)
    : log_(std::move(log)),
      states_(std::move(states)),
      sinks_(std::move(sinks)),
      factory_(std::move(factory)),
      options_(std::move(options)) {
  for (const auto& s : sinks_) {
    auto e = std::make_unique<Entry>();
    e->config = &s;
    entries_.push_back(std::move(e));
  }
}

Shipper::~Shipper() = default;

Result<std::unique_ptr<Shipper>> Shipper::Create(std::shared_ptr<const audit::AuditLog> log,
                                                 std::shared_ptr<SinkStateStore> states,
                                                 std::vector<SinkConfig> sinks, SinkFactory factory,
                                                 ShipperOptions options) {
  if (!log || !states || !factory) {
    return InvalidArgumentError("audit shipper: log, state store and sink factory are required");
  }
  return std::unique_ptr<Shipper>(new Shipper(std::move(log), std::move(states), std::move(sinks),
                                              std::move(factory), std::move(options)));
}

Result<Shipper::Entry*> Shipper::Find(const std::string& name) {
  for (auto& e : entries_) {
    if (e->config->name == name) return e.get();
  }
  return NotFoundError(fmt::format("audit sink '{}': not configured", name));
}

std::chrono::milliseconds Shipper::Backoff(const SinkConfig& c, std::uint64_t failures) const {
  const auto max = static_cast<std::uint64_t>(c.retry_max.count());
  std::uint64_t d = static_cast<std::uint64_t>(c.retry_initial.count());
  for (std::uint64_t i = 1; i < failures && d < max; ++i) d *= 2;
  d = std::min(d, max);
  std::array<std::uint8_t, 8> r{};
  std::uint64_t x = 0;
  if (options_.runtime.random->Fill(r)) {
    for (auto b : r) x = (x << 8) | b;
  }
  const std::uint64_t half = d / 2;
  return std::chrono::milliseconds(half + (d - half == 0 ? 0 : x % (d - half + 1)));
}

Result<std::size_t> Shipper::ShipBatch(const std::string& name) {
  BULWARK_ASSIGN_OR_RETURN(Entry * e, Find(name));
  BULWARK_ASSIGN_OR_RETURN(SinkState st, states_->Get(name));
  BULWARK_ASSIGN_OR_RETURN(std::uint64_t size, log_->LeafCount());
  if (st.cursor > size) {
    return FailedPreconditionError(fmt::format(
        "audit sink '{}': its cursor {} is past the end of the log ({} events): was the log "
        "replaced?",
        name, st.cursor, size));
  }
  if (st.cursor == size) return std::size_t{0};
  const std::uint64_t end = std::min<std::uint64_t>(size, st.cursor + e->config->batch_size);
  std::vector<audit::StoredEvent> batch;
  batch.reserve(end - st.cursor);
  BULWARK_RETURN_IF_ERROR(log_->Scan(st.cursor, end, [&](const audit::StoredEvent& ev) -> Status {
    batch.push_back(ev);
    return OkStatus();
  }));
  if (batch.size() != end - st.cursor || batch.front().index != st.cursor) {
    return DataLossError(
        fmt::format("audit sink '{}': the log has a gap in [{}, {})", name, st.cursor, end));
  }
  Status sent = OkStatus();
  if (!e->sink) {
    auto s = factory_(*e->config);
    if (s) {
      e->sink = std::move(*s);
    } else {
      sent = std::unexpected(s.error());
    }
  }
  if (sent) sent = e->sink->Send(batch);
  const std::int64_t now = NowUs(options_.runtime);
  if (!sent) {
    st.failures++;
    st.consecutive_failures++;
    st.last_error = sent.error().message();
    st.last_error_us = now;
    const std::chrono::milliseconds backoff = Backoff(*e->config, st.consecutive_failures);
    st.next_attempt_us =
        now + std::chrono::duration_cast<std::chrono::microseconds>(backoff).count();
    BULWARK_RETURN_IF_ERROR(states_->Put(st));
    if (options_.on_failure) options_.on_failure(name, sent.error(), backoff);
    return std::unexpected(sent.error());
  }
  st.cursor = end;
  st.shipped += batch.size();
  st.batches++;
  st.consecutive_failures = 0;
  st.last_error.clear();
  st.last_success_us = now;
  st.next_attempt_us = 0;
  BULWARK_RETURN_IF_ERROR(states_->Put(st));
  return batch.size();
}

Result<std::uint64_t> Shipper::Drain(const std::string& name) {
  BULWARK_RETURN_IF_ERROR(Find(name));
  BULWARK_ASSIGN_OR_RETURN(std::uint64_t target, log_->LeafCount());
  std::uint64_t total = 0;
  for (;;) {
    BULWARK_ASSIGN_OR_RETURN(SinkState st, states_->Get(name));
    if (st.cursor >= target) return total;
    BULWARK_ASSIGN_OR_RETURN(std::size_t n, ShipBatch(name));
    if (n == 0) return total;
    total += n;
  }
}

void Shipper::RunOne(std::stop_token stop, Entry& e) {
  std::mutex mu;
  std::condition_variable_any cv;
  auto sleep = [&](std::chrono::milliseconds d) {
    std::unique_lock lock(mu);
    cv.wait_for(lock, stop, d, [] { return false; });
  };
  while (!stop.stop_requested()) {
    auto st = states_->Get(e.config->name);
    if (!st) {
      sleep(options_.poll);
      continue;
    }
    const std::int64_t now = NowUs(options_.runtime);
    if (st->next_attempt_us > now) {
      sleep(std::min(options_.poll * 4, std::chrono::duration_cast<std::chrono::milliseconds>(
                                            std::chrono::microseconds(st->next_attempt_us - now)) +
                                            std::chrono::milliseconds(1)));
      continue;
    }
    auto n = ShipBatch(e.config->name);
    if (!n || *n == 0) sleep(options_.poll);
  }
}

void Shipper::Run(std::stop_token stop) {
  std::vector<std::jthread> threads;
  for (auto& e : entries_) {
    threads.emplace_back([this, stop, &e] { RunOne(stop, *e); });
  }
  // The jthreads' own stop tokens are not used: `stop` ends them all; joining waits.
}

Result<std::vector<SinkStatus>> Shipper::Statuses() const {
  BULWARK_ASSIGN_OR_RETURN(std::uint64_t size, log_->LeafCount());
  std::vector<SinkStatus> out;
  for (const auto& c : sinks_) {
    SinkStatus s;
    s.name = c.name;
    s.type = c.type;
    BULWARK_ASSIGN_OR_RETURN(s.state, states_->Get(c.name));
    s.log_size = size;
    s.lag = size > s.state.cursor ? size - s.state.cursor : 0;
    if (s.lag > 0) {
      BULWARK_RETURN_IF_ERROR(
          log_->Scan(s.state.cursor, s.state.cursor + 1, [&](const audit::StoredEvent& ev) {
            s.oldest_unshipped_us = ev.time_us;
            return OkStatus();
          }));
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace bulwark::auditship
