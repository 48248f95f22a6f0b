#include "bulwark/server/metrics.h"

#include <fmt/format.h>

#include <cmath>
#include <mutex>

namespace bulwark::server {
namespace {

std::string EscapeLabel(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string LabelText(const std::vector<std::string>& names, const Metrics::Labels& values,
                      std::string_view extra = {}) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < values.size(); ++i) {
    if (!out.empty()) out += ',';
    out += fmt::format("{}=\"{}\"", names[i], EscapeLabel(values[i]));
  }
  if (!extra.empty()) {
    if (!out.empty()) out += ',';
    out += extra;
  }
  return out.empty() ? std::string() : "{" + out + "}";
}

std::string Number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return fmt::format("{}", static_cast<long long>(v));
  return fmt::format("{}", v);
}

}  // namespace

std::vector<double> Metrics::LatencyBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

void Metrics::DefineCounter(std::string name, std::string help, std::vector<std::string> label_names) {
  std::unique_lock l(mu_);
  if (families_.contains(name)) return;
  auto f = std::make_unique<Family>();
  f->help = std::move(help);
  f->type = "counter";
  f->label_names = std::move(label_names);
  families_.emplace(std::move(name), std::move(f));
}

void Metrics::DefineHistogram(std::string name, std::string help, std::vector<std::string> label_names,
                              std::vector<double> buckets) {
  std::unique_lock l(mu_);
  if (families_.contains(name)) return;
  auto f = std::make_unique<Family>();
  f->help = std::move(help);
  f->type = "histogram";
  f->label_names = std::move(label_names);
  f->buckets = std::move(buckets);
  families_.emplace(std::move(name), std::move(f));
}

void Metrics::DefineGauge(std::string name, std::string help, std::vector<std::string> label_names,
                          GaugeFn fn) {
  std::unique_lock l(mu_);
  if (families_.contains(name)) return;
  auto f = std::make_unique<Family>();
  f->help = std::move(help);
  f->type = "gauge";
  f->label_names = std::move(label_names);
  f->gauge = std::move(fn);
  families_.emplace(std::move(name), std::move(f));
}

const Metrics::Family* Metrics::Find(std::string_view name) const {
  std::shared_lock l(mu_);
  auto it = families_.find(name);
  return it == families_.end() ? nullptr : it->second.get();
}

Metrics::Family* Metrics::Find(std::string_view name) {
  std::shared_lock l(mu_);
  auto it = families_.find(name);
  return it == families_.end() ? nullptr : it->second.get();
}

Metrics::Series* Metrics::SeriesFor(Family& f, const Labels& labels) {
  {
    std::shared_lock l(f.mu);
    auto it = f.series.find(labels);
    if (it != f.series.end()) return it->second.get();
  }
  std::unique_lock l(f.mu);
  auto& s = f.series[labels];
  if (!s) {
    s = std::make_unique<Series>();
    s->buckets = std::vector<std::atomic<std::uint64_t>>(f.buckets.size());
  }
  return s.get();
}

void Metrics::Add(std::string_view name, const Labels& labels, double value) {
  Family* f = Find(name);
  if (f == nullptr || f->type != "counter") return;
  SeriesFor(*f, labels)->count.fetch_add(static_cast<std::uint64_t>(std::llround(value)),
                                         std::memory_order_relaxed);
}

void Metrics::Observe(std::string_view name, const Labels& labels, double value) {
  Family* f = Find(name);
  if (f == nullptr || f->type != "histogram") return;
  Series* s = SeriesFor(*f, labels);
  for (std::size_t i = 0; i < f->buckets.size(); ++i) {
    if (value <= f->buckets[i]) {
      s->buckets[i].fetch_add(1, std::memory_order_relaxed);
      break;  // cumulated at render time
    }
  }
  s->count.fetch_add(1, std::memory_order_relaxed);
  s->sum_ns.fetch_add(static_cast<std::uint64_t>(std::max(0.0, value) * 1e9), std::memory_order_relaxed);
}

double Metrics::CounterValue(std::string_view name, const Labels& labels) const {
  const Family* f = Find(name);
  if (f == nullptr) return 0;
  std::shared_lock l(f->mu);
  auto it = f->series.find(labels);
  return it == f->series.end() ? 0 : static_cast<double>(it->second->count.load());
}

std::string Metrics::Render() const {
  std::string out;
  std::shared_lock l(mu_);
  for (const auto& [name, f] : families_) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, f->help, name, f->type);
    if (f->type == "gauge") {
      for (const auto& [labels, v] : f->gauge()) {
        out += fmt::format("{}{} {}\n", name, LabelText(f->label_names, labels), Number(v));
      }
      continue;
    }
    std::shared_lock sl(f->mu);
    for (const auto& [labels, s] : f->series) {
      if (f->type == "counter") {
        out += fmt::format("{}{} {}\n", name, LabelText(f->label_names, labels), s->count.load());
        continue;
      }
      std::uint64_t cumulative = 0;
      for (std::size_t i = 0; i < f->buckets.size(); ++i) {
        cumulative += s->buckets[i].load(std::memory_order_relaxed);
        out += fmt::format("{}_bucket{} {}\n", name,
                           LabelText(f->label_names, labels, fmt::format("le=\"{}\"", Number(f->buckets[i]))),
                           cumulative);
      }
      const std::uint64_t count = s->count.load(std::memory_order_relaxed);
      out += fmt::format("{}_bucket{} {}\n", name, LabelText(f->label_names, labels, "le=\"+Inf\""), count);
      out += fmt::format("{}_sum{} {}\n", name, LabelText(f->label_names, labels),
                         static_cast<double>(s->sum_ns.load(std::memory_order_relaxed)) / 1e9);
      out += fmt::format("{}_count{} {}\n", name, LabelText(f->label_names, labels), count);
    }
  }
  return out;
}

}  // namespace bulwark::server
