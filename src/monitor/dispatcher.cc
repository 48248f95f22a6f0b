#include "bulwark/monitor/dispatcher.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <thread>

namespace bulwark::monitor {
namespace {

using Key = std::pair<std::string, std::string>;  // rule, group

struct Cooling {
  std::int64_t until_us = 0;
  std::uint64_t suppressed = 0;
};

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

}  // namespace

struct Dispatcher::Impl {
  DispatcherOptions options;
  std::map<Key, Cooling> cooling;

  void Sleep(std::chrono::milliseconds d) {
    if (options.sleep) {
      options.sleep(d);
    } else {
      std::this_thread::sleep_for(d);
    }
  }

  void Prune(std::int64_t now_us) {
    if (cooling.size() <= options.max_cooldown_keys) return;
    std::erase_if(cooling, [now_us](const auto& e) { return e.second.until_us <= now_us; });
    if (cooling.size() <= options.max_cooldown_keys) return;
    // Still full of live keys: drop those that end soonest, down to 90%.
    std::vector<std::pair<std::int64_t, Key>> order;
    for (const auto& [k, v] : cooling) order.emplace_back(v.until_us, k);
    std::sort(order.begin(), order.end());
    const std::size_t target = options.max_cooldown_keys * 9 / 10;
    for (std::size_t i = 0; cooling.size() > target && i < order.size(); ++i) {
      cooling.erase(order[i].second);
    }
  }

  Status Audit(const DeliveryReport& r) {
    if (!options.audit) return OkStatus();
    request::AuditRecord rec;
    rec.time = options.runtime.clock->Now();
    rec.operation = "monitor.alert";
    rec.action = request::Action::kAdmin;
    rec.outcome = r.failed.empty() ? request::Outcome::kSuccess : request::Outcome::kFailure;
    std::string reason = fmt::format(
        "alert {} {} ({}){}{}: {}", r.alert.id, r.alert.rule, SeverityName(r.alert.severity),
        r.alert.group.empty() ? "" : " ", r.alert.group, r.alert.summary);
    if (reason.size() > 800) reason.resize(800);
    std::vector<std::string> failed;
    for (const auto& f : r.failed) failed.push_back(f.first);
    reason += fmt::format("; delivered: {}", r.delivered.empty() ? "none" : Join(r.delivered));
    if (!failed.empty()) reason += fmt::format("; failed: {}", Join(failed));
    if (r.alert.suppressed > 0) reason += fmt::format("; {} suppressed before", r.alert.suppressed);
    rec.reason = std::move(reason);
    rec.context = options.context;
    rec.context.request_id = r.alert.id.substr(0, 16);
    return options.audit->Append(rec);
  }
};

Dispatcher::Dispatcher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Dispatcher::~Dispatcher() = default;

Result<std::unique_ptr<Dispatcher>> Dispatcher::Create(DispatcherOptions options) {
  std::set<std::string, std::less<>> names;
  for (const auto& c : options.channels) {
    if (!names.insert(c->config().name).second) {
      return InvalidArgumentError(
          fmt::format("alert channel '{}' defined twice", c->config().name));
    }
  }
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  return std::unique_ptr<Dispatcher>(new Dispatcher(std::move(impl)));
}

DeliveryReport Dispatcher::Dispatch(Alert alert) {
  Impl& m = *impl_;
  DeliveryReport report;
  const Key key{alert.rule, alert.group};
  auto it = m.cooling.find(key);
  if (it != m.cooling.end() && alert.event_time_us < it->second.until_us) {
    ++it->second.suppressed;
    report.suppressed = true;
    report.alert = std::move(alert);
    return report;
  }
  alert.suppressed = it != m.cooling.end() ? it->second.suppressed : 0;
  const TimePoint raised = m.options.runtime.clock->Now();
  report.json = AlertDocument(alert, raised, m.options.hostname)
                    .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  const AlertMessage message{alert, report.json, raised};
  bool routed = false;
  for (const auto& channel : m.options.channels) {
    const ChannelConfig& c = channel->config();
    if (!alert.channels.empty() &&
        std::find(alert.channels.begin(), alert.channels.end(), c.name) == alert.channels.end()) {
      continue;
    }
    if (alert.severity < c.min_severity) continue;
    routed = true;
    Status s = channel->Deliver(message);
    for (std::uint32_t attempt = 0; !s && attempt < c.retries; ++attempt) {
      m.Sleep(attempt == 0 ? std::chrono::milliseconds(200) : std::chrono::milliseconds(1000));
      s = channel->Deliver(message);
    }
    if (s) {
      report.delivered.push_back(c.name);
    } else {
      report.failed.emplace_back(c.name, s.error());
    }
  }
  if (!routed || !report.delivered.empty()) {
    m.cooling[key] =
        Cooling{alert.event_time_us +
                    std::chrono::duration_cast<std::chrono::microseconds>(alert.cooldown).count(),
                0};
    m.Prune(alert.event_time_us);
  }
  report.alert = std::move(alert);
  if (Status s = m.Audit(report); !s) report.audit_error = s.error();
  return report;
}

std::vector<CooldownEntry> Dispatcher::Cooldowns() const {
  std::vector<CooldownEntry> out;
  for (const auto& [k, v] : impl_->cooling)
    out.push_back({k.first, k.second, v.until_us, v.suppressed});
  return out;
}

void Dispatcher::RestoreCooldowns(const std::vector<CooldownEntry>& entries) {
  for (const auto& e : entries) impl_->cooling[{e.rule, e.group}] = {e.until_us, e.suppressed};
}

std::vector<std::string> Dispatcher::ChannelNames() const {
  std::vector<std::string> out;
  for (const auto& c : impl_->options.channels) out.push_back(c->config().name);
  return out;
}

}  // namespace bulwark::monitor
