// Server metrics in the Prometheus text exposition format (version 0.0.4), served at /metrics.
//
// Counters and histograms are registered once by name with fixed label names; series are created
// on first use of a label set. Label values come from bounded sets (route templates, methods,
// status codes, decision, key states), never from request data such as raw paths or principals.
// Gauges are read at scrape time through callbacks (connections, key states, readiness).
//
// Thread safety: every method may be called concurrently; the hot path (Counter::Add,
// Histogram::Observe on an existing series) takes a shared lock and updates atomics.
#ifndef BULWARK_SERVER_METRICS_H_
#define BULWARK_SERVER_METRICS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::server {

class Metrics {
 public:
  using Labels = std::vector<std::string>;  // values, in the order of the family's label names

  // Registers a counter or histogram family (idempotent for the same name).
  void DefineCounter(std::string name, std::string help, std::vector<std::string> label_names);
  void DefineHistogram(std::string name, std::string help, std::vector<std::string> label_names,
                       std::vector<double> buckets);
  // A gauge whose samples are computed at scrape time: (label values, value) pairs.
  using GaugeFn = std::function<std::vector<std::pair<Labels, double>>()>;
  void DefineGauge(std::string name, std::string help, std::vector<std::string> label_names,
                   GaugeFn fn);

  // Unknown names are ignored (a metric that was never defined is a bug caught by the tests).
  void Add(std::string_view name, const Labels& labels, double value = 1);
  void Observe(std::string_view name, const Labels& labels, double value);

  // The whole exposition text.
  std::string Render() const;

  // The current value of a counter series (0 when absent): for tests and `bulwark serve` logs.
  double CounterValue(std::string_view name, const Labels& labels) const;

  // Default latency buckets in seconds (100 us .. 10 s).
  static std::vector<double> LatencyBuckets();

 private:
  struct Series {
    std::vector<std::atomic<std::uint64_t>> buckets;  // histogram: cumulative at render
    std::atomic<std::uint64_t> count{0};
    std::atomic<std::uint64_t> sum_ns{0};  // histogram sum in nanoseconds, counter value * 1e6
  };
  struct Family {
    std::string help;
    std::string type;  // "counter" | "histogram" | "gauge"
    std::vector<std::string> label_names;
    std::vector<double> buckets;
    GaugeFn gauge;
    mutable std::shared_mutex mu;
    std::map<Labels, std::unique_ptr<Series>> series;
  };
  Series* SeriesFor(Family& f, const Labels& labels);
  const Family* Find(std::string_view name) const;
  Family* Find(std::string_view name);
  mutable std::shared_mutex mu_;
  std::map<std::string, std::unique_ptr<Family>, std::less<>> families_;
};

}  // namespace bulwark::server

#endif  // BULWARK_SERVER_METRICS_H_
