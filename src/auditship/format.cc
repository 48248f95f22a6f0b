#include "bulwark/auditship/format.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "bulwark/core/encoding.h"

namespace bulwark::auditship {
namespace {

std::string CefEscapeHeader(std::string_view s) {
  std::string o;
  for (char c : s) {
    if (c == '\\' || c == '|') o += '\\';
    o += c;
  }
  return o;
}

std::string CefEscapeValue(std::string_view s) {
  std::string o;
  for (char c : s) {
    if (c == '\\' || c == '=') o += '\\';
    if (c == '\n') {
      o += "\\n";
      continue;
    }
    if (c == '\r') {
      o += "\\r";
      continue;
    }
    o += c;
  }
  return o;
}

int ImpactSeverity(const std::string& level, bool syslog) {
  // CEF 0..10 / syslog severity (2 critical, 3 error, 4 warning, 6 informational).
  if (level == "critical") return syslog ? 2 : 10;
  if (level == "high") return syslog ? 3 : 8;
  if (level == "medium") return syslog ? 4 : 5;
  return syslog ? 6 : 3;
}

std::string Str(const nlohmann::json& j, const char* k) {
  return j.is_object() && j.contains(k) && j[k].is_string() ? j[k].get<std::string>()
                                                            : std::string();
}

std::string Cef(const nlohmann::json& ev, const audit::StoredEvent& e, const FormatContext& ctx) {
  const nlohmann::json d = ev.contains("data") ? ev["data"] : nlohmann::json::object();
  std::string level = d.contains("impact") ? Str(d["impact"], "level") : "";
  if (level.empty()) level = "low";
  const std::string actor = d.contains("actor") ? Str(d["actor"], "id") : "";
  std::string paths;
  if (d.contains("paths") && d["paths"].is_array()) {
    for (const auto& p : d["paths"]) {
      if (p.is_string()) paths += (paths.empty() ? "" : ",") + p.get<std::string>();
    }
  }
  return fmt::format(
      "CEF:0|Bulwark|bulwark|{}|{}|{}|{}|rt={} suser={} act={} outcome={} "
      "cs1Label=namespace cs1={} cs2Label=paths cs2={} cs3Label=impact cs3={} "
      "cn1Label=index cn1={} externalId={}",
      CefEscapeHeader(ctx.product_version), CefEscapeHeader(Str(ev, "type")),
      CefEscapeHeader(Str(d, "operation")), ImpactSeverity(level, false), e.time_us / 1000,
      CefEscapeValue(actor), CefEscapeValue(Str(d, "action")), CefEscapeValue(Str(d, "outcome")),
      CefEscapeValue(Str(d, "namespace")), CefEscapeValue(paths), CefEscapeValue(level), e.index,
      CefEscapeValue(Str(ev, "id")));
}

}  // namespace

Result<EventFormat> ParseEventFormat(std::string_view name) {
  if (name == "jsonl") return EventFormat::kJsonl;
  if (name == "cloudevents") return EventFormat::kCloudEvents;
  if (name == "cef") return EventFormat::kCef;
  if (name == "syslog") return EventFormat::kSyslog;
  return InvalidArgumentError(
      fmt::format("format '{}': expected jsonl, cloudevents, cef or syslog", name));
}

std::string_view EventFormatName(EventFormat f) {
  switch (f) {
    case EventFormat::kJsonl:
      return "jsonl";
    case EventFormat::kCloudEvents:
      return "cloudevents";
    case EventFormat::kCef:
      return "cef";
    case EventFormat::kSyslog:
      return "syslog";
  }
  return "jsonl";
}

Result<std::string> FormatEvent(EventFormat format, const audit::StoredEvent& e,
                                const FormatContext& ctx) {
  if (format == EventFormat::kCloudEvents) return e.leaf;
  nlohmann::json ev = nlohmann::json::parse(e.leaf, nullptr, false);
  if (ev.is_discarded() || !ev.is_object()) {
    return DataLossError(fmt::format("audit event {}: not a JSON object", e.index));
  }
  switch (format) {
    case EventFormat::kJsonl: {
      nlohmann::ordered_json j;
      j["index"] = e.index;
      j["leaf"] = Base64Encode(e.leaf);
      j["event"] = ev;
      return j.dump();
    }
    case EventFormat::kCef:
      return Cef(ev, e, ctx);
    case EventFormat::kSyslog: {
      const nlohmann::json d = ev.contains("data") ? ev["data"] : nlohmann::json::object();
      std::string level = d.contains("impact") ? Str(d["impact"], "level") : "";
      if (level.empty()) level = "low";
      const std::string msg = ctx.syslog_payload == SyslogPayload::kCef ? Cef(ev, e, ctx) : e.leaf;
      const std::string time = Str(ev, "time");
      const std::string type = Str(ev, "type");
      return SyslogMessage(
          {13, ImpactSeverity(level, true), time, ctx.hostname, "bulwark", type},
          fmt::format("[bulwark@32473 index=\"{}\" impact=\"{}\"]", e.index, SyslogSdEscape(level)),
          msg);
    }
    case EventFormat::kCloudEvents:
      break;
  }
  return e.leaf;
}

namespace {

// RFC 5424 header fields are PRINTUSASCII (33..126) with a maximum length; NILVALUE when empty.
std::string SyslogField(std::string_view s, std::size_t max) {
  std::string o;
  for (char c : s) {
    if (o.size() == max) break;
    if (c >= 33 && c <= 126) o += c;
  }
  return o.empty() ? std::string("-") : o;
}

}  // namespace

std::string SyslogSdEscape(std::string_view s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\' || c == ']') o += '\\';
    o += c;
  }
  return o;
}

std::string SyslogMessage(const SyslogHeader& h, std::string_view structured_data,
                          std::string_view msg) {
  return fmt::format("<{}>1 {} {} {} - {} {} {}", h.facility * 8 + h.severity,
                     SyslogField(h.timestamp, 64), SyslogField(h.hostname, 255),
                     SyslogField(h.app_name, 48), SyslogField(h.msgid, 32),
                     structured_data.empty() ? std::string_view("-") : structured_data, msg);
}

}  // namespace bulwark::auditship
