#include "bulwark/monitor/event_view.h"

#include <fmt/format.h>

#include "bulwark/config/format.h"

namespace bulwark::monitor {
namespace {

std::string_view StringAt(const config::Value& map, std::string_view key) {
  const config::Value* v = map.Get(key);
  const std::string* s = v != nullptr ? v->IfString() : nullptr;
  return s != nullptr ? std::string_view(*s) : std::string_view();
}

}  // namespace

Result<EventView> ParseEventView(const audit::StoredEvent& stored) {
  config::ParseOptions options;
  options.source_name = "audit event";
  options.track_locations = false;
  options.max_depth = 32;
  auto doc = config::ParseDocument(stored.leaf, config::Format::kJson, options);
  auto bad = [&](std::string_view why) {
    return DataLossError(fmt::format("audit event {}: {}", stored.index, why));
  };
  if (!doc) return bad("not JSON");
  config::ValueMap* root = doc->root.IfMap();
  if (root == nullptr) return bad("not a JSON object");
  config::Value* data = root->Find("data");
  if (data == nullptr || !data->is_map()) return bad("no data object");

  EventView view;
  view.index = stored.index;
  view.time_us = stored.time_us;
  view.event = std::move(*data);
  config::ValueMap& m = view.event.AsMap();
  for (std::string_view key : {"type", "id", "time"}) {
    if (config::Value* v = root->Find(key)) m.Set(std::string(key), std::move(*v));
  }
  for (std::string_view key : {"namespace", "reason"}) {
    if (!m.Contains(key)) m.Set(std::string(key), config::Value(std::string()));
  }
  for (std::string_view key : {"paths", "sensitive_paths"}) {
    if (!m.Contains(key)) m.Set(std::string(key), config::Value::EmptyList());
  }
  if (!m.Contains("revealed")) m.Set("revealed", config::Value(false));

  const config::Value& e = view.event;
  view.type = StringAt(e, "type");
  view.id = StringAt(e, "id");
  view.time = StringAt(e, "time");
  view.operation = StringAt(e, "operation");
  view.action = StringAt(e, "action");
  view.outcome = StringAt(e, "outcome");
  view.namespace_name = StringAt(e, "namespace");
  if (const config::Value* actor = e.Get("actor")) view.actor = StringAt(*actor, "id");
  if (const config::Value* request = e.Get("request")) {
    view.source_address = StringAt(*request, "source_address");
  }
  const config::Value* revealed = e.Get("revealed");
  view.revealed = revealed != nullptr && revealed->is_bool() && revealed->AsBool();
  static const config::ValueList kEmpty;
  const config::Value* sp = e.Get("sensitive_paths");
  view.sensitive_paths = sp != nullptr && sp->is_list() ? &sp->AsList() : &kEmpty;
  return view;
}

bool IsMonitorEvent(const EventView& view) { return view.type.starts_with("dev.bulwark.monitor."); }

}  // namespace bulwark::monitor
