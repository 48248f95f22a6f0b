#include "bulwark/monitor/monitor.h"

#include <fmt/format.h>

#include <condition_variable>
#include <nlohmann/json.hpp>

namespace bulwark::monitor {

Result<std::optional<MonitorState>> ReadMonitorState(const FileSystem& fs,
                                                     const std::filesystem::path& file) {
  BULWARK_ASSIGN_OR_RETURN(bool exists, fs.Exists(file));
  if (!exists) return std::optional<MonitorState>();
  BULWARK_ASSIGN_OR_RETURN(std::string text, fs.ReadFile(file, 64 << 20));
  auto bad = [&](std::string_view why) {
    return DataLossError(fmt::format("monitor state {}: {}", file.string(), why));
  };
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad("not JSON");
  if (!j.contains("version") || j["version"] != 1) return bad("unknown version");
  if (!j.contains("cursor") || !j["cursor"].is_number_unsigned()) return bad("no cursor");
  MonitorState s;
  s.cursor = j["cursor"].get<std::uint64_t>();
  if (j.contains("cooldowns")) {
    if (!j["cooldowns"].is_array()) return bad("cooldowns is not a list");
    for (const auto& c : j["cooldowns"]) {
      if (!c.is_object() || !c.contains("rule") || !c["rule"].is_string() || !c.contains("group") ||
          !c["group"].is_string() || !c.contains("until_us") ||
          !c["until_us"].is_number_integer() || !c.contains("suppressed") ||
          !c["suppressed"].is_number_unsigned()) {
        return bad("malformed cool-down entry");
      }
      s.cooldowns.push_back({c["rule"].get<std::string>(), c["group"].get<std::string>(),
                             c["until_us"].get<std::int64_t>(),
                             c["suppressed"].get<std::uint64_t>()});
    }
  }
  return std::optional<MonitorState>(std::move(s));
}

Status WriteMonitorState(FileSystem& fs, const std::filesystem::path& file,
                         const MonitorState& state) {
  nlohmann::json j;
  j["version"] = 1;
  j["cursor"] = state.cursor;
  j["cooldowns"] = nlohmann::json::array();
  for (const auto& c : state.cooldowns) {
    j["cooldowns"].push_back({{"rule", c.rule},
                              {"group", c.group},
                              {"until_us", c.until_us},
                              {"suppressed", c.suppressed}});
  }
  return fs.WriteFileAtomic(
      file, j.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
      std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

struct Monitor::Impl {
  MonitorOptions options;
  std::unique_ptr<Evaluator> evaluator;
  std::unique_ptr<Dispatcher> dispatcher;
  std::uint64_t cursor = 0;
  mutable std::mutex stats_mu;
  MonitorStats stats;
  TimePoint last_save{};
  bool dirty = false;
  std::vector<Alert> alerts;

  Status Save() {
    if (options.dry_run) return OkStatus();
    MonitorState s;
    s.cursor = cursor;
    s.cooldowns = dispatcher->Cooldowns();
    BULWARK_RETURN_IF_ERROR(WriteMonitorState(*options.runtime.fs, options.state_file, s));
    last_save = options.runtime.clock->Now();
    dirty = false;
    return OkStatus();
  }

  // Scans [begin, end) through the evaluator, collecting alerts into `alerts`.
  Status Evaluate(std::uint64_t begin, std::uint64_t end, bool learning) {
    return options.log->Scan(begin, end, [&](const audit::StoredEvent& e) -> Status {
      auto view = ParseEventView(e);
      if (!view) {
        std::lock_guard<std::mutex> lock(stats_mu);
        ++stats.unreadable;
        return OkStatus();
      }
      const std::size_t before = alerts.size();
      evaluator->Process(*view, alerts);
      if (learning) alerts.resize(before);
      return OkStatus();
    });
  }
};

Monitor::Monitor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Monitor::~Monitor() = default;

Result<std::unique_ptr<Monitor>> Monitor::Create(MonitorOptions options,
                                                 std::unique_ptr<Evaluator> evaluator,
                                                 std::unique_ptr<Dispatcher> dispatcher) {
  if (!options.log || !evaluator || !dispatcher) {
    return InvalidArgumentError("monitor: a log, an evaluator and a dispatcher are required");
  }
  if (options.batch == 0) options.batch = 1;
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->evaluator = std::move(evaluator);
  impl->dispatcher = std::move(dispatcher);
  Impl& m = *impl;
  BULWARK_ASSIGN_OR_RETURN(std::optional<MonitorState> state,
                           ReadMonitorState(*m.options.runtime.fs, m.options.state_file));
  BULWARK_ASSIGN_OR_RETURN(std::uint64_t size, m.options.log->LeafCount());
  if (state) {
    m.cursor = std::min(state->cursor, size);
    m.dispatcher->RestoreCooldowns(state->cooldowns);
  } else {
    m.cursor = m.options.from_start ? 0 : size;
  }
  const std::uint64_t begin = m.cursor > m.options.history ? m.cursor - m.options.history : 0;
  BULWARK_RETURN_IF_ERROR(m.Evaluate(begin, m.cursor, /*learning=*/true));
  m.stats.learned = m.evaluator->events();
  m.stats.cursor = m.cursor;
  m.stats.log_size = size;
  m.last_save = m.options.runtime.clock->Now();
  if (!state) BULWARK_RETURN_IF_ERROR(m.Save());
  return std::unique_ptr<Monitor>(new Monitor(std::move(impl)));
}

Result<std::uint64_t> Monitor::RunOnce(const AlertCallback& on_alert) {
  Impl& m = *impl_;
  BULWARK_ASSIGN_OR_RETURN(std::uint64_t size, m.options.log->LeafCount());
  std::uint64_t evaluated = 0;
  // Alerts are audit events appended behind the cursor: after a pass that raised some, one more
  // look at the log takes them (and anything else that arrived meanwhile) too, so that a
  // `monitor --once` leaves no lag of its own making.
  for (int pass = 0; pass < 2 && m.cursor < size; ++pass) {
    const std::uint64_t alerts_before = m.stats.alerts;
    while (m.cursor < size) {
      const std::uint64_t end = std::min(size, m.cursor + m.options.batch);
      m.alerts.clear();
      const std::uint64_t before = m.evaluator->events();
      BULWARK_RETURN_IF_ERROR(m.Evaluate(m.cursor, end, /*learning=*/false));
      const std::uint64_t n = m.evaluator->events() - before;
      evaluated += n;
      MonitorStats delta;
      for (Alert& a : m.alerts) {
        DeliveryReport r = m.dispatcher->Dispatch(std::move(a));
        ++delta.alerts;
        if (r.suppressed) ++delta.suppressed;
        if (!r.delivered.empty()) ++delta.delivered;
        delta.delivery_failures += r.failed.size();
        if (r.audit_error) ++delta.audit_failures;
        if (on_alert) on_alert(r);
      }
      m.cursor = end;
      {
        std::lock_guard<std::mutex> lock(m.stats_mu);
        m.stats.cursor = m.cursor;
        m.stats.log_size = size;
        m.stats.evaluated += n;
        m.stats.alerts += delta.alerts;
        m.stats.suppressed += delta.suppressed;
        m.stats.delivered += delta.delivered;
        m.stats.delivery_failures += delta.delivery_failures;
        m.stats.audit_failures += delta.audit_failures;
      }
      m.dirty = true;
      if (delta.alerts > 0 ||
          m.options.runtime.clock->Now() - m.last_save >= std::chrono::seconds(1)) {
        BULWARK_RETURN_IF_ERROR(m.Save());
      }
    }
    if (m.stats.alerts == alerts_before) break;
    BULWARK_ASSIGN_OR_RETURN(size, m.options.log->LeafCount());
  }
  if (m.dirty) BULWARK_RETURN_IF_ERROR(m.Save());
  return evaluated;
}

void Monitor::Run(std::stop_token stop, const AlertCallback& on_alert,
                  const std::function<void(const Error&)>& on_error) {
  std::mutex mu;
  std::condition_variable_any cv;
  while (!stop.stop_requested()) {
    auto n = RunOnce(on_alert);
    if (!n && on_error) on_error(n.error());
    if (n && *n > 0) continue;
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, stop, impl_->options.poll, [] { return false; });
  }
}

MonitorStats Monitor::Stats() const {
  std::lock_guard<std::mutex> lock(impl_->stats_mu);
  return impl_->stats;
}

const Evaluator& Monitor::evaluator() const { return *impl_->evaluator; }

}  // namespace bulwark::monitor
