#include "bulwark/node/health.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "bulwark/core/duration.h"

namespace bulwark::node {
namespace {

std::string Age(TimePoint now, TimePoint then) {
  const auto s = std::chrono::duration_cast<Seconds>(now - then);
  if (s.count() <= 0) return "0s";
  // Whole days past a day, whole hours past an hour, else seconds.
  if (s >= std::chrono::days(1)) return lifecycle::FormatScheduleDuration(std::chrono::duration_cast<std::chrono::days>(s));
  if (s >= std::chrono::hours(1)) return lifecycle::FormatScheduleDuration(std::chrono::duration_cast<std::chrono::hours>(s));
  return lifecycle::FormatScheduleDuration(s);
}

}  // namespace

bool HealthSummary::healthy() const {
  return !keys_error && !secrets_error && !audit_error && audit_writable && overdue == 0 &&
         failed == 0 && !primary_over_limit;
}

HealthSummary CollectHealth(Node& node, const request::RequestContext& ctx, Seconds within) {
  HealthSummary h;
  h.now = node.runtime().clock->Now();
  h.within = within;
  // Keys.
  if (auto ks = node.Keys(); !ks) {
    h.keys_error = ks.error().message();
  } else if (auto list = (*ks)->List(ctx); !list) {
    h.keys_error = list.error().message();
  } else {
    h.keys = list->size();
    for (const keys::KeyInfo& k : *list) {
      if (k.state != keys::KeyState::kPrimary) continue;
      h.primary_version = k.version;
      h.primary_created = k.created;
      h.primary_over_limit = k.usage_limit > 0 && k.usage >= k.usage_limit;
    }
  }
  // Secrets.
  if (auto lc = node.Lifecycle(); !lc) {
    h.secrets_error = lc.error().message();
  } else if (auto all = (*lc)->Secrets(ctx, std::nullopt); !all) {
    h.secrets_error = all.error().message();
  } else {
    h.tracked = all->size();
    for (const lifecycle::SecretStatus& s : *all) {
      const bool soon = s.when && *s.when <= h.now + within;
      if (s.status == "overdue" || s.status == "expired") {
        ++h.overdue;
      } else if (s.status == "failed") {
        ++h.failed;
      } else if (s.status == "rotating") {
        ++h.rotating;
      } else if (s.status == "due" || s.status == "upcoming" || s.status == "expiring" || soon) {
        ++h.due_soon;
      }
      if (s.status != "ok" || soon) h.attention.push_back(s);
    }
  }
  // Audit log.
  if (auto trail = node.Audit(); !trail) {
    h.audit_error = trail.error().message();
  } else if (auto st = (*trail)->StatusReport(ctx); !st) {
    h.audit_error = st.error().message();
  } else {
    h.audit_events = st->state.size;
    h.unsigned_events = st->unsigned_events;
    h.audit_writable = st->writable;
    if (st->latest_checkpoint) {
      h.last_checkpoint = TimePoint(std::chrono::duration_cast<TimePoint::duration>(
          std::chrono::microseconds(st->latest_checkpoint->time_us)));
    }
    for (const auto& s : st->sinks) h.max_sink_lag = std::max(h.max_sink_lag, s.lag);
  }
  return h;
}

std::string HealthSummary::Json() const {
  nlohmann::ordered_json j;
  j["healthy"] = healthy();
  j["time"] = FormatRfc3339(now);
  nlohmann::ordered_json k;
  if (keys_error) {
    k["error"] = *keys_error;
  } else {
    k["count"] = keys;
    if (primary_version) k["primary_version"] = *primary_version;
    if (primary_created) {
      k["primary_created"] = FormatRfc3339(*primary_created);
      k["primary_age_seconds"] = std::chrono::duration_cast<Seconds>(now - *primary_created).count();
    }
    k["primary_over_usage_limit"] = primary_over_limit;
  }
  j["keys"] = std::move(k);
  nlohmann::ordered_json s;
  if (secrets_error) {
    s["error"] = *secrets_error;
  } else {
    s["tracked"] = tracked;
    s["within"] = lifecycle::FormatScheduleDuration(within);
    s["due_soon"] = due_soon;
    s["overdue"] = overdue;
    s["failed"] = failed;
    s["rotating"] = rotating;
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const auto& a : attention) {
      nlohmann::ordered_json o = {{"namespace", a.ns}, {"path", a.path}, {"status", a.status},
                                  {"type", lifecycle::SecretTypeName(a.record.type)}};
      if (a.when) o["when"] = FormatRfc3339(*a.when);
      list.push_back(std::move(o));
    }
    s["attention"] = std::move(list);
  }
  j["secrets"] = std::move(s);
  nlohmann::ordered_json a;
  if (audit_error) {
    a["error"] = *audit_error;
  } else {
    a["events"] = audit_events;
    a["unsigned_events"] = unsigned_events;
    a["writable"] = audit_writable;
    if (last_checkpoint) {
      a["last_checkpoint"] = FormatRfc3339(*last_checkpoint);
      a["last_checkpoint_age_seconds"] =
          std::chrono::duration_cast<Seconds>(now - *last_checkpoint).count();
    } else {
      a["last_checkpoint"] = nullptr;
    }
    a["max_sink_lag"] = max_sink_lag;
  }
  j["audit"] = std::move(a);
  return j.dump(2) + "\n";
}

std::string HealthSummary::Text() const {
  std::string out = fmt::format("{}\n", healthy() ? "healthy" : "NOT healthy");
  if (keys_error) {
    out += fmt::format("keys:    unavailable: {}\n", *keys_error);
  } else {
    out += fmt::format("keys:    {} key(s)", keys);
    if (primary_version && primary_created) {
      out += fmt::format(", primary version {} created {} ago", *primary_version,
                         Age(now, *primary_created));
    }
    if (primary_over_limit) out += " (usage limit reached: run bulwark keys rotate)";
    out += "\n";
  }
  if (secrets_error) {
    out += fmt::format("secrets: unavailable: {}\n", *secrets_error);
  } else {
    out += fmt::format(
        "secrets: {} tracked, {} due or expiring within {}, {} overdue, {} failed, {} rotating\n",
        tracked, due_soon, lifecycle::FormatScheduleDuration(within), overdue, failed, rotating);
    for (const auto& a : attention) {
      out += fmt::format("  {:<9} {} {}{}\n", a.status, a.ns, a.path,
                         a.when ? " (" + FormatRfc3339(*a.when) + ")" : "");
    }
  }
  if (audit_error) {
    out += fmt::format("audit:   unavailable: {}\n", *audit_error);
  } else {
    out += fmt::format("audit:   {} events, {} after the newest checkpoint", audit_events,
                       unsigned_events);
    out += last_checkpoint ? fmt::format(" (checkpoint {} ago)", Age(now, *last_checkpoint))
                           : std::string(" (no checkpoint yet)");
    if (max_sink_lag > 0) out += fmt::format(", sink lag {}", max_sink_lag);
    if (!audit_writable) out += ", NOT writable";
    out += "\n";
  }
  return out;
}

Result<HealthSummary> HealthSummary::FromJson(std::string_view text) {
  using json = nlohmann::json;
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgumentError("health summary: not a JSON object");
  HealthSummary h;
  auto section = [&](const char* name) -> Result<const json*> {
    auto it = j.find(name);
    if (it == j.end() || !it->is_object()) {
      return InvalidArgumentError(fmt::format("health summary: {}: expected an object", name));
    }
    return &*it;
  };
  auto time = [](const json& o, const char* section_name, const char* key) -> Result<std::optional<TimePoint>> {
    auto it = o.find(key);
    if (it == o.end() || it->is_null()) return std::optional<TimePoint>();
    if (!it->is_string()) return InvalidArgumentError(fmt::format("health summary: {}.{}: expected a time", section_name, key));
    auto t = ParseRfc3339(it->get<std::string>());
    if (!t) return InvalidArgumentError(fmt::format("health summary: {}.{}: {}", section_name, key, t.error().message()));
    return std::optional<TimePoint>(*t);
  };
  auto error = [](const json& o) -> std::optional<std::string> {
    auto it = o.find("error");
    if (it == o.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  BULWARK_ASSIGN_OR_RETURN(auto now, time(j, "", "time"));
  if (!now) return InvalidArgumentError("health summary: time: required");
  h.now = *now;
  try {
    BULWARK_ASSIGN_OR_RETURN(const json* k, section("keys"));
    h.keys_error = error(*k);
    if (!h.keys_error) {
      h.keys = k->value("count", std::size_t{0});
      if (auto v = k->find("primary_version"); v != k->end()) h.primary_version = v->get<std::uint32_t>();
      BULWARK_ASSIGN_OR_RETURN(h.primary_created, time(*k, "keys", "primary_created"));
      h.primary_over_limit = k->value("primary_over_usage_limit", false);
    }
    BULWARK_ASSIGN_OR_RETURN(const json* s, section("secrets"));
    h.secrets_error = error(*s);
    if (!h.secrets_error) {
      auto within = ParseDuration(s->value("within", std::string("30d")));
      if (!within) return InvalidArgumentError("health summary: secrets.within: " + within.error().message());
      h.within = *within;
      h.tracked = s->value("tracked", std::size_t{0});
      h.due_soon = s->value("due_soon", std::size_t{0});
      h.overdue = s->value("overdue", std::size_t{0});
      h.failed = s->value("failed", std::size_t{0});
      h.rotating = s->value("rotating", std::size_t{0});
      for (const json& a : s->value("attention", json::array())) {
        lifecycle::SecretStatus st;
        st.ns = a.value("namespace", "");
        st.path = a.value("path", "");
        st.status = a.value("status", "");
        BULWARK_ASSIGN_OR_RETURN(st.when, time(a, "secrets.attention", "when"));
        h.attention.push_back(std::move(st));
      }
    }
    BULWARK_ASSIGN_OR_RETURN(const json* a, section("audit"));
    h.audit_error = error(*a);
    if (!h.audit_error) {
      h.audit_events = a->value("events", std::uint64_t{0});
      h.unsigned_events = a->value("unsigned_events", std::uint64_t{0});
      h.audit_writable = a->value("writable", false);
      BULWARK_ASSIGN_OR_RETURN(h.last_checkpoint, time(*a, "audit", "last_checkpoint"));
      h.max_sink_lag = a->value("max_sink_lag", std::uint64_t{0});
    }
  } catch (const json::exception& e) {
    return InvalidArgumentError(fmt::format("health summary: {}", e.what()));
  }
  return h;
}

}  // namespace bulwark::node
