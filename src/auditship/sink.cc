#include "bulwark/auditship/sink.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "bulwark/auditship/transport.h"
#include "bulwark/core/secret_bytes.h"

namespace bulwark::auditship {
namespace {

std::string SinkWhat(const SinkConfig& c) {
  return fmt::format("audit sink '{}' ({})", c.name, SinkTypeName(c.type));
}

class FileSink final : public Sink {
 public:
  FileSink(SinkConfig config, FormatContext format)
      : config_(std::move(config)), format_(std::move(format)) {}

  Status Send(std::span<const audit::StoredEvent> batch) override {
    std::string data;
    for (const auto& e : batch) {
      BULWARK_ASSIGN_OR_RETURN(std::string line, FormatEvent(config_.format, e, format_));
      data += line;
      data += '\n';
    }
    return AppendToFile(config_.path, data, SinkWhat(config_));
  }

 private:
  SinkConfig config_;
  FormatContext format_;
};

class SyslogSink final : public Sink {
 public:
  SyslogSink(SinkConfig config, FormatContext format)
      : config_(std::move(config)), format_(std::move(format)) {
    format_.syslog_payload = config_.payload;
  }

  Status Send(std::span<const audit::StoredEvent> batch) override {
    std::vector<std::string> msgs;
    msgs.reserve(batch.size());
    for (const auto& e : batch) {
      BULWARK_ASSIGN_OR_RETURN(std::string msg, FormatEvent(EventFormat::kSyslog, e, format_));
      msgs.push_back(std::move(msg));
    }
    const SyslogTarget target{config_.host, config_.port, config_.transport, config_.tls,
                              config_.timeout};
    return SendSyslogMessages(target, msgs, SinkWhat(config_));
  }

 private:
  SinkConfig config_;
  FormatContext format_;
};

class WebhookSink final : public Sink {
 public:
  WebhookSink(SinkConfig config, HttpUrl url, std::optional<SecretBytes> token)
      : config_(std::move(config)), url_(std::move(url)), token_(std::move(token)) {}

  Status Send(std::span<const audit::StoredEvent> batch) override {
    HttpRequest post;
    post.url = url_;
    post.content_type = "application/cloudevents-batch+json";
    post.user_agent = "bulwark-audit-shipper";
    post.body = "[";
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (i > 0) post.body += ',';
      post.body += batch[i].leaf;
    }
    post.body += ']';
    if (!batch.empty()) {
      post.headers.emplace_back("Bulwark-Audit-Index",
                                fmt::format("{}-{}", batch.front().index, batch.back().index));
    }
    if (token_) post.bearer_token = &*token_;
    post.tls = config_.tls;
    post.timeout = config_.timeout;
    BULWARK_ASSIGN_OR_RETURN(unsigned code, SendHttp(post, SinkWhat(config_)));
    if (code < 200 || code > 299) {
      return UnavailableError(
          fmt::format("{}: {} answered HTTP {}", SinkWhat(config_), config_.url, code));
    }
    return OkStatus();
  }

 private:
  SinkConfig config_;
  HttpUrl url_;
  std::optional<SecretBytes> token_;
};

}  // namespace

Result<std::unique_ptr<Sink>> CreateSink(const SinkConfig& config, const SinkEnvironment& env) {
  if (config.tls) BULWARK_RETURN_IF_ERROR(CheckTlsFilesReadable(*config.tls, SinkWhat(config)));
  switch (config.type) {
    case SinkType::kFile:
      return std::unique_ptr<Sink>(std::make_unique<FileSink>(config, env.format));
    case SinkType::kSyslog:
    case SinkType::kCef:
      return std::unique_ptr<Sink>(std::make_unique<SyslogSink>(config, env.format));
    case SinkType::kWebhook: {
      BULWARK_ASSIGN_OR_RETURN(HttpUrl url, ParseHttpUrl(config.url, SinkWhat(config)));
      BULWARK_ASSIGN_OR_RETURN(
          std::optional<SecretBytes> token,
          ReadSecretReference(config.token_env, config.token_file, *env.runtime.fs,
                              SinkWhat(config), "token_env", "token_file"));
      return std::unique_ptr<Sink>(
          std::make_unique<WebhookSink>(config, std::move(url), std::move(token)));
    }
  }
  return InvalidArgumentError("audit sink: unknown type");
}

}  // namespace bulwark::auditship
