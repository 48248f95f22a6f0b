// The audit sinks of a home: `audit.sinks` in <home>/config.yaml (docs/audit.md "Shipping").
//
//   audit:
//     sinks:
//       - name: siem                # [A-Za-z0-9_.-]{1,64}, unique; names the cursor
//         type: syslog              # file | syslog | cef | webhook
//         host: siem.example        # syslog/cef
//         port: 6514
//         payload: json             # syslog only: json (the leaf) | cef
//         transport: relp           # syslog/cef: tcp (default, octet counting) | relp
//         tls: {ca: ca.pem, cert: client.pem, key: client.key, server_name: siem.example}
//       - name: hook
//         type: webhook
//         url: https://hooks.example/audit
//         token_env: HOOK_TOKEN     # or token_file: /run/secrets/hook (Authorization: Bearer)
//       - name: archive
//         type: file
//         path: /var/log/bulwark/audit.jsonl
//         format: jsonl             # jsonl | cloudevents | cef | syslog
//   Every sink also takes batch_size (1..10000, default 500), timeout_ms (default 10000),
//   retry_initial_ms (default 500) and retry_max_ms (default 60000).
//
// Secrets (webhook tokens) are named by environment variable or file, never written in the
// configuration, and are read when a sink is created, never logged. Errors name the file, the
// field (audit.sinks[1].port) and its line.
#ifndef BULWARK_AUDITSHIP_SINK_CONFIG_H_
#define BULWARK_AUDITSHIP_SINK_CONFIG_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "bulwark/auditship/format.h"
#include "bulwark/config/document.h"
#include "bulwark/config/field_reader.h"
#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"

namespace bulwark::auditship {

enum class SinkType { kFile, kSyslog, kCef, kWebhook };
// tcp: RFC 6587 octet-counted frames over TCP (with tls: RFC 5425); relp: RELP, acknowledged
// per message (rsyslog's imrelp; with tls: RELP over TLS).
enum class SyslogTransport { kTcp, kRelp };
std::string_view SinkTypeName(SinkType t);

struct TlsConfig {
  std::string ca;           // PEM file of trusted CAs; empty: the system's default store
  std::string cert, key;    // client certificate and key (mutual TLS), both or neither
  std::string server_name;  // SNI and the name verified in the certificate; default: host
};

struct SinkConfig {
  std::string name;
  SinkType type = SinkType::kFile;
  // file
  std::filesystem::path path;
  EventFormat format = EventFormat::kJsonl;
  // syslog / cef
  std::string host;
  std::uint16_t port = 0;
  SyslogPayload payload = SyslogPayload::kJson;
  SyslogTransport transport = SyslogTransport::kTcp;
  std::optional<TlsConfig> tls;
  // webhook
  std::string url;
  std::string token_env, token_file;

  std::size_t batch_size = 500;
  std::chrono::milliseconds timeout{10000};
  std::chrono::milliseconds retry_initial{500};
  std::chrono::milliseconds retry_max{60000};
};

// Parses `audit.sinks` of a loaded document (none: empty). Relative file paths (path, tls.*,
// token_file) are resolved against `base_dir`.
Result<std::vector<SinkConfig>> ParseSinkConfigs(const config::Document& doc,
                                                 const std::filesystem::path& base_dir);

// The optional `tls` map of `holder` (at `at`), as above; relative file names resolved against
// `base_dir`. Shared with the monitor's alert channels (docs/monitor.md).
Result<std::optional<TlsConfig>> ParseTlsConfig(const config::FieldReader& reader,
                                                const config::Value& holder, const config::Path& at,
                                                const std::filesystem::path& base_dir);

// Loads `file` (YAML); a missing file means no sinks.
Result<std::vector<SinkConfig>> LoadSinkConfigs(FileSystem& fs, const std::filesystem::path& file);

}  // namespace bulwark::auditship

#endif  // BULWARK_AUDITSHIP_SINK_CONFIG_H_
