#include "bulwark/monitor/anomaly.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>

#include "bulwark/expr/program.h"
#include "bulwark/monitor/window.h"
#include "monitor/internal/group_table.h"

namespace bulwark::monitor {
namespace {

constexpr std::int64_t kMicrosPerSecond = 1'000'000;

struct SourceState {
  std::vector<std::string> addresses;  // least recently used first
  std::uint64_t events = 0;
};

struct HourState {
  std::array<std::uint32_t, 24> counts{};
  std::uint64_t total = 0;
};

struct RateState {
  std::vector<std::uint32_t> ring;  // closed bucket counts
  std::size_t pos = 0;
  std::uint64_t filled = 0;  // closed buckets in the ring (at most its size)
  std::uint64_t sum = 0, sumsq = 0;
  std::int64_t bucket = 0;
  std::uint32_t count = 0;
  bool started = false;
  bool alerted = false;
};

}  // namespace

struct AnomalyDetectors::Impl {
  explicit Impl(AnomalyOptions o)
      : options(std::move(o)),
        sources(options.max_principals),
        hours(options.max_principals),
        rates(options.max_principals),
        reads(options.mass_read.window.count() * kMicrosPerSecond, options.mass_read.threshold,
              options.max_principals) {}

  AnomalyOptions options;
  internal::GroupTable<SourceState> sources;
  internal::GroupTable<HourState> hours;
  internal::GroupTable<RateState> rates;
  DistinctWindowCounter reads;
  std::unique_ptr<expr::Program> hour_program;  // t.getHours('<timezone>')
  std::int64_t cached_minute = INT64_MIN;
  int cached_hour = 0;

  Result<int> HourOf(std::int64_t time_us) {
    const std::int64_t seconds = time_us >= 0 ? time_us / kMicrosPerSecond
                                              : (time_us - kMicrosPerSecond + 1) / kMicrosPerSecond;
    const std::int64_t minute = seconds >= 0 ? seconds / 60 : (seconds - 59) / 60;
    if (minute == cached_minute) return cached_hour;
    expr::Activation vars;
    vars.Bind("t", expr::Value::Timestamp(minute * 60, 0));
    auto v = hour_program->Evaluate(vars);
    if (!v) return std::unexpected(v.error());
    if (v->kind() != expr::Kind::kInt) return InternalError("getHours did not return an int");
    cached_minute = minute;
    cached_hour = static_cast<int>(v->int_value());
    return cached_hour;
  }

  void NewSource(const EventView& e, std::vector<AnomalyFinding>& out) {
    const NewSourceOptions& o = options.new_source;
    if (e.source_address.empty()) return;
    SourceState& s = sources.Touch(e.actor);
    auto it = std::find(s.addresses.begin(), s.addresses.end(), e.source_address);
    if (it != s.addresses.end()) {
      std::rotate(it, it + 1, s.addresses.end());  // most recently used last
    } else {
      if (s.events >= o.min_events) {
        AnomalyFinding f;
        f.detector = "new_source";
        f.group = fmt::format("{} {}", e.actor, e.source_address);
        f.severity = o.severity;
        f.title = "New source address for a principal";
        f.summary = fmt::format("{} acted from a new address {} (after {} events from {} known)",
                                e.actor, e.source_address, s.events, s.addresses.size());
        f.details = {{"address", e.source_address},
                     {"known_addresses", s.addresses.size()},
                     {"events", s.events}};
        out.push_back(std::move(f));
      }
      s.addresses.emplace_back(e.source_address);
      if (s.addresses.size() > o.max_addresses) s.addresses.erase(s.addresses.begin());
    }
    ++s.events;
  }

  void UnusualHour(const EventView& e, std::vector<AnomalyFinding>& out) {
    const UnusualHourOptions& o = options.unusual_hour;
    auto hour = HourOf(e.time_us);
    if (!hour) return;
    const int h = *hour;
    HourState& s = hours.Touch(e.actor);
    if (s.total >= o.min_events) {
      const std::uint64_t near =
          std::uint64_t{s.counts[(h + 23) % 24]} + s.counts[h] + s.counts[(h + 1) % 24];
      const double share = static_cast<double>(near) / static_cast<double>(s.total);
      if (share < o.max_share) {
        AnomalyFinding f;
        f.detector = "unusual_hour";
        f.group = fmt::format("{} {:02}", e.actor, h);
        f.severity = o.severity;
        f.title = "Activity at an unusual hour for the principal";
        f.summary = fmt::format(
            "{} acted at {:02}:00 ({}), an hour that holds {:.2f}% of its {} "
            "events (with the neighbouring hours)",
            e.actor, h, options.timezone, share * 100, s.total);
        f.details = {
            {"hour", h}, {"share", share}, {"events", s.total}, {"timezone", options.timezone}};
        out.push_back(std::move(f));
      }
    }
    ++s.counts[static_cast<std::size_t>(h)];
    ++s.total;
    if (s.total >= (std::uint64_t{1} << 31)) {  // keep the proportions, bound the counts
      s.total = 0;
      for (auto& c : s.counts) {
        c /= 2;
        s.total += c;
      }
    }
  }

  void RateSpike(const EventView& e, std::vector<AnomalyFinding>& out) {
    const RateSpikeOptions& o = options.rate_spike;
    const std::int64_t width = o.bucket.count() * kMicrosPerSecond;
    const std::int64_t b = e.time_us >= 0 ? e.time_us / width : (e.time_us - width + 1) / width;
    RateState& s = rates.Touch(e.actor);
    if (s.ring.empty()) s.ring.assign(o.baseline, 0);
    auto push = [&](std::uint32_t v) {
      const std::uint32_t old = s.ring[s.pos];
      // Until the ring is full its unused slots are 0, so removing them changes nothing.
      s.sum -= old;
      s.sumsq -= std::uint64_t{old} * old;
      s.ring[s.pos] = v;
      s.sum += v;
      s.sumsq += std::uint64_t{v} * v;
      s.pos = (s.pos + 1) % s.ring.size();
    };
    if (!s.started) {
      s.started = true;
      s.bucket = b;
      s.filled = 0;
    } else if (b > s.bucket) {
      push(s.count);
      s.filled = std::min<std::uint64_t>(s.filled + 1, s.ring.size());
      const std::int64_t empty = std::min<std::int64_t>(b - s.bucket - 1, o.baseline);
      for (std::int64_t i = 0; i < empty; ++i) {
        push(0);
        s.filled = std::min<std::uint64_t>(s.filled + 1, s.ring.size());
      }
      s.bucket = b;
      s.count = 0;
      s.alerted = false;
    }
    // An event older than the current bucket counts in it (rare: writers' clocks differ).
    ++s.count;
    if (s.alerted || s.filled < o.min_baseline || s.count < o.min_count) return;
    const double n = static_cast<double>(s.filled);
    const double mean = static_cast<double>(s.sum) / n;
    const double var = std::max(0.0, static_cast<double>(s.sumsq) / n - mean * mean);
    const double sd = std::max(1.0, std::sqrt(var));
    const double z = (static_cast<double>(s.count) - mean) / sd;
    if (z < o.z) return;
    s.alerted = true;
    AnomalyFinding f;
    f.detector = "rate_spike";
    f.group = std::string(e.actor);
    f.severity = o.severity;
    f.title = "Rate spike for a principal";
    f.summary =
        fmt::format("{}: {} events in {} against a baseline of {:.1f} (sd {:.1f}, z {:.1f})",
                    e.actor, s.count, FormatBucket(o.bucket), mean, sd, z);
    f.details = {{"count", s.count},
                 {"mean", mean},
                 {"stddev", sd},
                 {"z", z},
                 {"bucket_seconds", o.bucket.count()},
                 {"baseline_buckets", s.filled}};
    f.count = s.count;
    f.window_seconds = o.bucket.count();
    out.push_back(std::move(f));
  }

  static std::string FormatBucket(std::chrono::seconds s) {
    return s.count() % 60 == 0 ? fmt::format("{} min", s.count() / 60)
                               : fmt::format("{} s", s.count());
  }

  void MassRead(const EventView& e, std::vector<AnomalyFinding>& out) {
    const MassReadOptions& o = options.mass_read;
    if (!e.revealed || e.outcome != "success" || e.sensitive_paths->empty()) return;
    for (const config::Value& p : *e.sensitive_paths) {
      const std::string* path = p.IfString();
      if (path == nullptr) continue;
      std::string key;
      key.reserve(e.namespace_name.size() + 1 + path->size());
      key.append(e.namespace_name);
      key.push_back('\0');
      key.append(*path);
      const std::uint64_t item = std::hash<std::string>{}(key);
      if (auto count = reads.Observe(e.actor, item, e.time_us)) {
        AnomalyFinding f;
        f.detector = "mass_read";
        f.group = std::string(e.actor);
        f.severity = o.severity;
        f.title = "A principal revealed many secrets in a short time";
        f.summary = fmt::format("{} revealed {} distinct sensitive values within {}", e.actor,
                                *count, FormatDurationText(o.window));
        f.details = {{"distinct_paths", *count}, {"window_seconds", o.window.count()}};
        f.count = *count;
        f.window_seconds = o.window.count();
        out.push_back(std::move(f));
        return;  // the group starts over; one alert per event at most
      }
    }
  }

  static std::string FormatDurationText(std::chrono::seconds s) {
    return s.count() % 60 == 0 ? fmt::format("{} minutes", s.count() / 60)
                               : fmt::format("{} seconds", s.count());
  }
};

AnomalyDetectors::AnomalyDetectors(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AnomalyDetectors::~AnomalyDetectors() = default;

Result<std::unique_ptr<AnomalyDetectors>> AnomalyDetectors::Create(AnomalyOptions o) {
  auto bad = [](std::string_view what) {
    return InvalidArgumentError(fmt::format("monitor.anomalies: {}", what));
  };
  if (o.max_principals == 0) return bad("max_principals must be at least 1");
  if (o.new_source.max_addresses == 0) return bad("new_source.max_addresses must be at least 1");
  if (!(o.unusual_hour.max_share >= 0 && o.unusual_hour.max_share <= 1)) {
    return bad("unusual_hour.max_share must be in [0, 1]");
  }
  if (o.rate_spike.bucket.count() <= 0) return bad("rate_spike.bucket must be positive");
  if (o.rate_spike.baseline == 0 || o.rate_spike.min_baseline > o.rate_spike.baseline) {
    return bad("rate_spike: need 1 <= min_baseline <= baseline");
  }
  if (o.mass_read.window.count() <= 0) return bad("mass_read.window must be positive");
  for (char c : o.timezone) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '_' || c == '-' ||
          c == '+' || c == ':')) {
      return bad(fmt::format("timezone '{}': unexpected character", o.timezone));
    }
  }
  expr::Declarations decls;
  decls.Add("t", "timestamp");
  expr::CompileOptions copts;
  copts.declarations = &decls;
  auto program = expr::Program::Compile(fmt::format("t.getHours('{}')", o.timezone), copts);
  if (!program) return bad(program.error().message());
  auto impl = std::make_unique<Impl>(std::move(o));
  impl->hour_program = std::move(*program);
  if (auto h = impl->HourOf(0); !h) {
    return bad(fmt::format("timezone '{}': {}", impl->options.timezone, h.error().message()));
  }
  return std::unique_ptr<AnomalyDetectors>(new AnomalyDetectors(std::move(impl)));
}

void AnomalyDetectors::Observe(const EventView& e, std::vector<AnomalyFinding>& out) {
  if (e.actor.empty()) return;
  Impl& m = *impl_;
  if (m.options.new_source.enabled) m.NewSource(e, out);
  if (m.options.unusual_hour.enabled) m.UnusualHour(e, out);
  if (m.options.rate_spike.enabled) m.RateSpike(e, out);
  if (m.options.mass_read.enabled) m.MassRead(e, out);
}

}  // namespace bulwark::monitor
