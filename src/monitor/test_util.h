// Test helpers for the monitor: audit events built the way the log builds them (the service's
// AuditRecord through the impact classifier and RecordLeaf), as stored events and views.
#ifndef BULWARK_SRC_MONITOR_TEST_UTIL_H_
#define BULWARK_SRC_MONITOR_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "bulwark/audit/event.h"
#include "bulwark/audit/event_store.h"
#include "bulwark/monitor/event_view.h"
#include "bulwark/request/audit_record.h"

namespace bulwark::monitor::testing {

// 2026-01-05 (a Monday) 10:00:00 UTC.
inline TimePoint Monday10() { return TimePoint(std::chrono::seconds(1767607200)); }

struct EventSpec {
  std::string operation = "config.get";
  request::Action action = request::Action::kRead;
  request::Outcome outcome = request::Outcome::kSuccess;
  std::string actor = "local:alice";
  std::string ns = "dev/app";
  std::vector<std::string> paths = {"db.host"};
  std::vector<std::string> sensitive_paths;
  bool revealed = false;
  std::string reason;
  std::string source_address = "local";
  TimePoint time = Monday10();
};

inline request::AuditRecord Record(const EventSpec& s) {
  request::AuditRecord r;
  r.time = s.time;
  r.operation = s.operation;
  r.action = s.action;
  r.outcome = s.outcome;
  r.namespace_name = s.ns;
  r.paths = s.paths;
  r.sensitive_paths = s.sensitive_paths;
  r.revealed = s.revealed;
  r.reason = s.reason;
  r.context.principal.id = s.actor;
  r.context.principal.kind = "local";
  r.context.source_address = s.source_address;
  r.context.client = "bulwark-test";
  r.context.request_id = "r1";
  return r;
}

inline audit::StoredEvent Stored(const EventSpec& s, std::uint64_t index) {
  const request::AuditRecord r = Record(s);
  const audit::Impact impact = audit::ImpactClassifier::Default().Classify(r);
  auto leaf = audit::RecordLeaf(r, impact, "ev" + std::to_string(index), "bulwark://test/config");
  EXPECT_TRUE(leaf.has_value());
  audit::StoredEvent e;
  e.index = index;
  e.leaf = leaf ? *leaf : std::string();
  e.time_us =
      std::chrono::duration_cast<std::chrono::microseconds>(s.time.time_since_epoch()).count();
  return e;
}

inline EventView View(const EventSpec& s, std::uint64_t index = 0) {
  auto v = ParseEventView(Stored(s, index));
  EXPECT_TRUE(v.has_value()) << v.error().message();
  return v ? std::move(*v) : EventView();
}

}  // namespace bulwark::monitor::testing

#endif  // BULWARK_SRC_MONITOR_TEST_UTIL_H_
