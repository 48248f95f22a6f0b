// Audit sinks: where the shipper (shipper.h) delivers batches of stored audit events.
//
// Send returns OK only once the destination has acknowledged the whole batch; any error means
// "not acknowledged" and the shipper retries the same batch later (at-least-once delivery: a
// batch whose acknowledgement was lost can arrive twice; every record carries the event's log
// index and CloudEvents id for deduplication). Acknowledgement per type:
//   file     written and fsync'ed (O_APPEND, one write per batch, created 0600)
//   syslog   RFC 5424 messages over TCP or TLS, one connection per batch.
//   cef      transport relp: every message answered "200 OK" by the receiver (RELP);
//            transport tcp: octet counting (RFC 6587 3.4.1); after the last byte the sink
//            half-closes (TLS: close_notify) and waits for the receiver to close its side; a
//            timeout, reset or alert is a failure. Weaker: a receiver that drops the session on
//            its own also closes in order (docs/audit.md "Shipping").
//   webhook  HTTP(S) POST of the batch as a CloudEvents JSON batch
//            (application/cloudevents-batch+json: an array of the events' canonical leaves),
//            `Authorization: Bearer <token>` when configured; a 2xx response acknowledges.
// Every network operation of a batch shares one deadline (SinkConfig::timeout).
//
// Thread safety: one thread at a time per Sink object.
#ifndef BULWARK_AUDITSHIP_SINK_H_
#define BULWARK_AUDITSHIP_SINK_H_

#include <memory>
#include <span>
#include <string>

#include "bulwark/auditlog/event_store.h"
#include "bulwark/auditship/format.h"
#include "bulwark/auditship/sink_config.h"
#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"

namespace bulwark::auditship {

class Sink {
 public:
  virtual ~Sink() = default;
  // Unavailable (naming the sink and what failed) unless the batch was acknowledged.
  virtual Status Send(std::span<const audit::StoredEvent> batch) = 0;
};

struct SinkEnvironment {
  FormatContext format;  // hostname and product version; the payload comes from the config
  Runtime runtime = Runtime::System();
};

// Creates the sink of `config`. Reads the webhook token (token_env from the environment,
// token_file through the runtime's file system) and the TLS files now: a missing one is an
// error naming the field, never the token.
Result<std::unique_ptr<Sink>> CreateSink(const SinkConfig& config, const SinkEnvironment& env);

}  // namespace bulwark::auditship

#endif  // BULWARK_AUDITSHIP_SINK_H_
