// An audit event as alert rules and detectors see it (docs/monitor.md "What a rule sees").
//
// ParseEventView parses a stored leaf (the event's canonical CloudEvents JSON,
// docs/formats-audit.md section 8) into one map: the members of `data` plus `type`, `id` and
// `time`, with `namespace`/`reason` ("") and `paths`/`sensitive_paths` ([]) and `revealed`
// (false) filled in when absent. The frequently used fields are also exposed as views for the
// detectors; they point into `event` and stay valid while the EventView lives (moving it is
// fine: the map's storage moves with it).
//
// Errors: kDataLoss naming the event index when the leaf is not a JSON object with a `data` map.
//
// Thread safety: an EventView is immutable after parsing.
#ifndef BULWARK_MONITOR_EVENT_VIEW_H_
#define BULWARK_MONITOR_EVENT_VIEW_H_

#include <cstdint>
#include <string_view>

#include "bulwark/audit/event_store.h"
#include "bulwark/config/value.h"
#include "bulwark/core/error.h"

namespace bulwark::monitor {

struct EventView {
  std::uint64_t index = 0;
  std::int64_t time_us = 0;  // the stored event time (microseconds since the Unix epoch)
  config::Value event;       // the map rules see as `event`

  std::string_view type, id, time;  // CloudEvents attributes
  std::string_view actor, operation, action, outcome, namespace_name, source_address;
  bool revealed = false;
  const config::ValueList* sensitive_paths = nullptr;  // never null after parsing

  EventView() = default;
  EventView(EventView&&) = default;
  EventView& operator=(EventView&&) = default;
  EventView(const EventView&) = delete;
  EventView& operator=(const EventView&) = delete;
};

Result<EventView> ParseEventView(const audit::StoredEvent& stored);

// True for the monitor's own events (type "dev.bulwark.monitor.*"), which are never evaluated.
bool IsMonitorEvent(const EventView& view);

}  // namespace bulwark::monitor

#endif  // BULWARK_MONITOR_EVENT_VIEW_H_
