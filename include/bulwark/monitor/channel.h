// Alert channels: where the dispatcher delivers alerts (docs/monitor.md "Delivery").
//
//   webhook  POST of the alert JSON, `Bulwark-Alert-Id`, and with a key
//            `Bulwark-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(key, "<t>.<body>")>`;
//            a 2xx response acknowledges.
//   syslog   one RFC 5424 message (facility 14 "log alert") over TCP, TLS or RELP, acknowledged
//            as the audit shipper's syslog sinks are (auditship/transport.h).
//   command  argv run with the alert JSON on stdin and BULWARK_ALERT_ID/_RULE/_SEVERITY in its
//            environment; exit status 0 acknowledges.
//   file     the alert JSON appended as one line and fsync'ed.
//
// Deliver returns OK only when the destination acknowledged; errors are kUnavailable naming the
// channel and never contain the HMAC key. Keys are read when the channel is created.
//
// Thread safety: one thread at a time per Channel.
#ifndef BULWARK_MONITOR_CHANNEL_H_
#define BULWARK_MONITOR_CHANNEL_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/auditship/sink_config.h"
#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"
#include "bulwark/monitor/alert.h"

namespace bulwark::monitor {

enum class ChannelType { kWebhook, kSyslog, kCommand, kFile };
std::string_view ChannelTypeName(ChannelType t);

struct ChannelConfig {
  std::string name;  // [A-Za-z0-9_.-]{1,64}, unique
  ChannelType type = ChannelType::kFile;
  Severity min_severity = Severity::kInfo;
  // webhook
  std::string url;
  std::string secret_env, secret_file;  // the HMAC key, by name only
  // webhook (https) and syslog
  std::optional<auditship::TlsConfig> tls;
  // syslog
  std::string host;
  std::uint16_t port = 0;
  auditship::SyslogTransport transport = auditship::SyslogTransport::kTcp;
  // command
  std::vector<std::string> command;
  // file
  std::filesystem::path path;

  std::chrono::milliseconds timeout{10000};
  std::uint32_t retries = 2;  // further attempts after a failed one
};

// What a channel delivers: the alert, its JSON document (AlertDocument, serialized once) and
// the time it was raised.
struct AlertMessage {
  const Alert& alert;
  std::string_view json;
  TimePoint raised;
};

class Channel {
 public:
  virtual ~Channel() = default;
  virtual Status Deliver(const AlertMessage& message) = 0;
  virtual const ChannelConfig& config() const = 0;
};

struct ChannelEnvironment {
  std::string hostname = "localhost";  // syslog HOSTNAME
  Runtime runtime = Runtime::System();
};

// Creates the channel; reads the HMAC key (secret_env/secret_file) and checks TLS files now:
// kInvalidArgument naming the channel and field otherwise (never the key).
Result<std::unique_ptr<Channel>> CreateChannel(const ChannelConfig& config,
                                               const ChannelEnvironment& env);

// "t=<seconds>,v1=<hex>": the value of the Bulwark-Signature header for `body` sent at
// `unix_seconds` (for receivers and tests to recompute).
Result<std::string> WebhookSignature(const SecretBytes& key, std::int64_t unix_seconds,
                                     std::string_view body);

}  // namespace bulwark::monitor

#endif  // BULWARK_MONITOR_CHANNEL_H_
