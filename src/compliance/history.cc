#include "bulwark/compliance/history.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <mutex>

namespace bulwark::compliance {
namespace {

class InMemoryHistory final : public ComplianceHistory {
 public:
  Status Record(const VersionStatus& status) override {
    std::lock_guard lock(mu_);
    auto& versions = by_ns_[status.ns];
    versions[status.version] = status;
    return {};
  }
  Result<std::vector<VersionStatus>> List(std::string_view ns) const override {
    std::lock_guard lock(mu_);
    std::vector<VersionStatus> out;
    auto it = by_ns_.find(ns);
    if (it == by_ns_.end()) return out;
    for (const auto& [v, s] : it->second) out.push_back(s);
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::map<std::int64_t, VersionStatus>, std::less<>> by_ns_;
};

}  // namespace

VersionStatus SummarizeForHistory(std::string ns, std::int64_t version, const Report& report,
                                  std::int64_t recorded_at) {
  VersionStatus s;
  s.ns = std::move(ns);
  s.version = version;
  s.recorded_at = recorded_at;
  s.partial = report.partial;
  s.by_severity = report.by_severity;
  s.findings.reserve(report.findings.size());
  for (const Finding& f : report.findings) {
    s.findings.push_back({report.RuleOf(f).id, f.path, f.severity, f.message});
  }
  return s;
}

std::unique_ptr<ComplianceHistory> NewInMemoryComplianceHistory() {
  return std::make_unique<InMemoryHistory>();
}

std::vector<FindingLifetime> FindingTimeline(const std::vector<VersionStatus>& versions) {
  std::vector<FindingLifetime> out;
  std::map<FindingKey, std::size_t> open;  // -> index in out
  for (const VersionStatus& v : versions) {
    std::map<FindingKey, const StoredFinding*> now;
    for (const StoredFinding& f : v.findings) now.emplace(FindingKey{f.rule_id, f.path}, &f);
    for (auto it = open.begin(); it != open.end();) {
      if (!now.contains(it->first)) {
        out[it->second].disappeared_in = v.version;
        it = open.erase(it);
      } else {
        ++it;
      }
    }
    for (const auto& [key, f] : now) {
      auto it = open.find(key);
      if (it != open.end()) {
        out[it->second].message = f->message;
        out[it->second].severity = f->severity;
        continue;
      }
      open.emplace(key, out.size());
      out.push_back({f->rule_id, f->path, f->severity, f->message, v.version, std::nullopt});
    }
  }
  return out;
}

std::string RenderHistoryText(std::string_view ns, const std::vector<VersionStatus>& versions) {
  std::string out = fmt::format("Compliance history of {} ({} versions)\n", ns, versions.size());
  const std::vector<FindingLifetime> timeline = FindingTimeline(versions);
  for (const VersionStatus& v : versions) {
    out += fmt::format("v{}: {} findings ({} critical, {} high, {} medium, {} low, {} info){}\n",
                       v.version, v.findings.size(), v.by_severity[4], v.by_severity[3],
                       v.by_severity[2], v.by_severity[1], v.by_severity[0],
                       v.partial ? ", partial" : "");
    for (const FindingLifetime& l : timeline) {
      if (l.appeared_in == v.version) {
        out += fmt::format("  + {} {} {}: {}\n", SeverityName(l.severity), l.rule_id,
                           l.path.empty() ? "(document)" : l.path, l.message);
      }
      if (l.disappeared_in && *l.disappeared_in == v.version) {
        out += fmt::format("  - {} {} {} (since v{})\n", SeverityName(l.severity), l.rule_id,
                           l.path.empty() ? "(document)" : l.path, l.appeared_in);
      }
    }
  }
  return out;
}

}  // namespace bulwark::compliance
