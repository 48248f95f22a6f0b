// Event formats shared by `bulwark audit export` and the sinks that ship the audit log
// (docs/formats-audit.md sections 7 and 8, docs/audit.md "Shipping").
//
//   jsonl        {"index": N, "leaf": "<base64 of the canonical leaf>", "event": {...}}: verifiable
//   cloudevents  the canonical leaf bytes (one CloudEvents 1.0 JSON object)
//   cef          CEF:0|Bulwark|bulwark|<version>|<type>|<operation>|<severity>|<extensions>
//   syslog       an RFC 5424 message, facility 13 (log audit), severity from the impact level,
//                MSGID = event type, SD [bulwark@32473 index="N" impact="L"], MSG = the leaf JSON
//                (or the CEF line, SyslogPayload::kCef)
// Every function returns one record without a line terminator; none reads anything but the
// event, so formatting is deterministic (the tests compare bytes).
#ifndef BULWARK_AUDITSHIP_FORMAT_H_
#define BULWARK_AUDITSHIP_FORMAT_H_

#include <string>
#include <string_view>

#include "bulwark/auditlog/event_store.h"
#include "bulwark/core/error.h"

namespace bulwark::auditship {

enum class EventFormat { kJsonl, kCloudEvents, kCef, kSyslog };
enum class SyslogPayload { kJson, kCef };

// "jsonl", "cloudevents", "cef", "syslog"; InvalidArgument naming the accepted ones otherwise.
Result<EventFormat> ParseEventFormat(std::string_view name);
std::string_view EventFormatName(EventFormat f);

struct FormatContext {
  std::string hostname = "localhost";  // syslog HOSTNAME (printable US-ASCII, at most 255)
  std::string product_version = "0";   // CEF Device Version
  SyslogPayload syslog_payload = SyslogPayload::kJson;
};

// DataLoss when the stored leaf is not a JSON object.
Result<std::string> FormatEvent(EventFormat format, const audit::StoredEvent& event,
                                const FormatContext& context);

// One RFC 5424 message: "<PRI>1 TIMESTAMP HOSTNAME APP-NAME - MSGID SD MSG" with
// PRI = facility * 8 + severity. Header fields keep only printable US-ASCII (33..126), are cut to
// their RFC length (64, 255, 48, 32) and become "-" when empty; `structured_data` is used as
// given ("-" when empty: build SD-PARAM values with SyslogSdEscape); MSG as given.
struct SyslogHeader {
  int facility = 13;  // 13: log audit; 14: log alert
  int severity = 6;
  std::string_view timestamp, hostname, app_name, msgid;
};
std::string SyslogMessage(const SyslogHeader& header, std::string_view structured_data,
                          std::string_view msg);
// Escapes '"', '\' and ']' for an SD-PARAM value.
std::string SyslogSdEscape(std::string_view value);

}  // namespace bulwark::auditship

#endif  // BULWARK_AUDITSHIP_FORMAT_H_
