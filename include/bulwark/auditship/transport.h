// Delivery primitives shared by the audit sinks (sink.h) and the monitor's alert channels
// (monitor/channel.h): syslog messages over TCP, TLS or RELP, one HTTP(S) request, and a durable
// append to a file.
//
// Every network step of one call (resolve, connect, handshake, write, wait) shares one deadline,
// `timeout`. Errors are kUnavailable and start with `what` (e.g. "audit sink 'siem' (syslog)"),
// then the step and the system's reason; they never contain a message body or a token.
//
// Syslog acknowledgement (docs/audit.md "Shipping"): with kRelp every message is answered
// "200 OK" by the receiver; with kTcp (RFC 6587 octet counting, RFC 5425 with TLS) the sender
// half-closes after the last byte (TLS: close_notify) and waits for the receiver to close its side.
//
// Thread safety: functions are thread-safe; each call uses its own connection.
#ifndef BULWARK_AUDITSHIP_TRANSPORT_H_
#define BULWARK_AUDITSHIP_TRANSPORT_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bulwark/auditship/sink_config.h"
#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"
#include "bulwark/core/secret_bytes.h"

namespace bulwark::auditship {

struct SyslogTarget {
  std::string host;
  std::uint16_t port = 0;
  SyslogTransport transport = SyslogTransport::kTcp;
  std::optional<TlsConfig> tls;
  std::chrono::milliseconds timeout{10000};
};

// Sends complete RFC 5424 messages (format.h SyslogMessage) in one session; OK only once the
// receiver acknowledged all of them as described above.
Status SendSyslogMessages(const SyslogTarget& target, std::span<const std::string> messages,
                          std::string_view what);

struct HttpUrl {
  bool tls = false;
  std::string host, target;  // target: path and query, "/" when the URL has none
  std::uint16_t port = 0;
};

// http:// or https:// URLs with a host, an optional port and path. Credentials in the URL
// (user@host) are refused: they would end up in logs. kInvalidArgument starting with `what`.
Result<HttpUrl> ParseHttpUrl(const std::string& url, std::string_view what);

struct HttpRequest {
  std::string method = "POST";  // POST (sinks, alert webhooks) or GET (health checks)
  HttpUrl url;
  std::string content_type;
  std::string user_agent;
  std::vector<std::pair<std::string, std::string>> headers;  // not secret (signatures, ids)
  std::string body;
  // Sent as "Authorization: Bearer <token>"; the request buffer holding it is cleared after use.
  const SecretBytes* bearer_token = nullptr;
  std::optional<TlsConfig> tls;  // used for https:// (empty: the system's CA store)
  std::chrono::milliseconds timeout{10000};
};

// Sends the request and returns the response's status code (any code: the caller decides what
// acknowledges); kUnavailable when no response arrived before the deadline.
Result<unsigned> SendHttp(const HttpRequest& request, std::string_view what);

// Appends `data` to `path` with one write (O_APPEND, created 0600) and fsyncs it: the data is
// durable when this returns OK. kUnavailable naming the step and the file otherwise.
Status AppendToFile(const std::filesystem::path& path, std::string_view data,
                    std::string_view what);

// kInvalidArgument ("<what>: tls.ca <file>: <reason>") unless every file named is readable.
Status CheckTlsFilesReadable(const TlsConfig& tls, std::string_view what);

// A secret named by an environment variable (`env_name`) or a file (trailing CR/LF dropped),
// read now into a zeroizing buffer; nullopt when both names are empty. kInvalidArgument naming
// the field and the variable or file (never the value) when it is unset, unreadable or empty.
Result<std::optional<SecretBytes>> ReadSecretReference(const std::string& env_name,
                                                       const std::string& file,
                                                       const FileSystem& fs, std::string_view what,
                                                       std::string_view env_field,
                                                       std::string_view file_field);

}  // namespace bulwark::auditship

#endif  // BULWARK_AUDITSHIP_TRANSPORT_H_
