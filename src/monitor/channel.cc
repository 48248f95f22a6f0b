#include "bulwark/monitor/channel.h"

#include <fmt/format.h>

#include "bulwark/auditship/format.h"
#include "bulwark/auditship/transport.h"
#include "bulwark/core/encoding.h"
#include "bulwark/core/subprocess.h"
#include "bulwark/crypto/hash.h"

namespace bulwark::monitor {
namespace {

std::string What(const ChannelConfig& c) {
  return fmt::format("alert channel '{}' ({})", c.name, ChannelTypeName(c.type));
}

int SyslogSeverity(Severity s) {
  switch (s) {
    case Severity::kCritical:
      return 2;
    case Severity::kHigh:
      return 3;
    case Severity::kMedium:
      return 4;
    case Severity::kLow:
      return 5;
    case Severity::kInfo:
      return 6;
  }
  return 6;
}

class WebhookChannel final : public Channel {
 public:
  WebhookChannel(ChannelConfig c, auditship::HttpUrl url, std::optional<SecretBytes> key,
                 Runtime rt)
      : config_(std::move(c)), url_(std::move(url)), key_(std::move(key)), rt_(std::move(rt)) {}

  Status Deliver(const AlertMessage& m) override {
    auditship::HttpRequest post;
    post.url = url_;
    post.content_type = "application/json";
    post.user_agent = "bulwark-monitor";
    post.body = std::string(m.json);
    post.headers.emplace_back("Bulwark-Alert-Id", m.alert.id);
    if (key_) {
      const std::int64_t now =
          std::chrono::duration_cast<std::chrono::seconds>(rt_.clock->Now().time_since_epoch())
              .count();
      BULWARK_ASSIGN_OR_RETURN(std::string sig, WebhookSignature(*key_, now, post.body));
      post.headers.emplace_back("Bulwark-Signature", std::move(sig));
    }
    post.tls = config_.tls;
    post.timeout = config_.timeout;
    BULWARK_ASSIGN_OR_RETURN(unsigned code, auditship::SendHttp(post, What(config_)));
    if (code < 200 || code > 299) {
      return UnavailableError(
          fmt::format("{}: {} answered HTTP {}", What(config_), config_.url, code));
    }
    return OkStatus();
  }
  const ChannelConfig& config() const override { return config_; }

 private:
  ChannelConfig config_;
  auditship::HttpUrl url_;
  std::optional<SecretBytes> key_;
  Runtime rt_;
};

class SyslogChannel final : public Channel {
 public:
  SyslogChannel(ChannelConfig c, std::string hostname)
      : config_(std::move(c)), hostname_(std::move(hostname)) {}

  Status Deliver(const AlertMessage& m) override {
    const std::string time = FormatRfc3339(m.raised);
    const std::string msg = auditship::SyslogMessage(
        {14, SyslogSeverity(m.alert.severity), time, hostname_, "bulwark", "alert"},
        fmt::format("[bulwark-alert@32473 rule=\"{}\" severity=\"{}\" id=\"{}\"]",
                    auditship::SyslogSdEscape(m.alert.rule), SeverityName(m.alert.severity),
                    m.alert.id),
        m.json);
    const auditship::SyslogTarget target{config_.host, config_.port, config_.transport, config_.tls,
                                         config_.timeout};
    return auditship::SendSyslogMessages(target, std::span<const std::string>(&msg, 1),
                                         What(config_));
  }
  const ChannelConfig& config() const override { return config_; }

 private:
  ChannelConfig config_;
  std::string hostname_;
};

class CommandChannel final : public Channel {
 public:
  explicit CommandChannel(ChannelConfig c) : config_(std::move(c)) {}

  Status Deliver(const AlertMessage& m) override {
    SubprocessOptions o;
    o.argv = config_.command;
    o.env = {{"BULWARK_ALERT_ID", m.alert.id},
             {"BULWARK_ALERT_RULE", m.alert.rule},
             {"BULWARK_ALERT_SEVERITY", std::string(SeverityName(m.alert.severity))}};
    std::string input(m.json);
    input += '\n';
    o.stdin_data = SecretBytes::FromString(input);
    o.timeout = config_.timeout;
    o.max_stdout = 64 << 10;
    auto r = RunSubprocess(o);
    if (!r) return UnavailableError(fmt::format("{}: {}", What(config_), r.error().message()));
    if (!r->ok()) {
      // The alert carries no secret, so the hook's own complaint may be shown (its last line).
      std::string tail = r->stderr_tail;
      while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r')) tail.pop_back();
      if (const auto nl = tail.rfind('\n'); nl != std::string::npos) tail.erase(0, nl + 1);
      if (tail.size() > 200) tail.resize(200);
      return UnavailableError(fmt::format("{}: {}{}{}", What(config_), r->Describe(config_.timeout),
                                          tail.empty() ? "" : ": ", tail));
    }
    return OkStatus();
  }
  const ChannelConfig& config() const override { return config_; }

 private:
  ChannelConfig config_;
};

class FileChannel final : public Channel {
 public:
  explicit FileChannel(ChannelConfig c) : config_(std::move(c)) {}
  Status Deliver(const AlertMessage& m) override {
    std::string line(m.json);
    line += '\n';
    return auditship::AppendToFile(config_.path, line, What(config_));
  }
  const ChannelConfig& config() const override { return config_; }

 private:
  ChannelConfig config_;
};

}  // namespace

std::string_view ChannelTypeName(ChannelType t) {
  switch (t) {
    case ChannelType::kWebhook:
      return "webhook";
    case ChannelType::kSyslog:
      return "syslog";
    case ChannelType::kCommand:
      return "command";
    case ChannelType::kFile:
      return "file";
  }
  return "file";
}

Result<std::string> WebhookSignature(const SecretBytes& key, std::int64_t unix_seconds,
                                     std::string_view body) {
  std::string signed_text = fmt::format("{}.", unix_seconds);
  signed_text.append(body);
  BULWARK_ASSIGN_OR_RETURN(std::vector<std::uint8_t> mac,
                           crypto::HmacSha256(key, crypto::AsBytes(signed_text)));
  return fmt::format("t={},v1={}", unix_seconds, HexEncode(mac));
}

Result<std::unique_ptr<Channel>> CreateChannel(const ChannelConfig& c,
                                               const ChannelEnvironment& env) {
  if (c.tls) BULWARK_RETURN_IF_ERROR(auditship::CheckTlsFilesReadable(*c.tls, What(c)));
  switch (c.type) {
    case ChannelType::kWebhook: {
      BULWARK_ASSIGN_OR_RETURN(auditship::HttpUrl url, auditship::ParseHttpUrl(c.url, What(c)));
      BULWARK_ASSIGN_OR_RETURN(
          std::optional<SecretBytes> key,
          auditship::ReadSecretReference(c.secret_env, c.secret_file, *env.runtime.fs, What(c),
                                         "secret_env", "secret_file"));
      return std::unique_ptr<Channel>(
          std::make_unique<WebhookChannel>(c, std::move(url), std::move(key), env.runtime));
    }
    case ChannelType::kSyslog:
      return std::unique_ptr<Channel>(std::make_unique<SyslogChannel>(c, env.hostname));
    case ChannelType::kCommand:
      if (c.command.empty())
        return InvalidArgumentError(fmt::format("{}: command: empty", What(c)));
      return std::unique_ptr<Channel>(std::make_unique<CommandChannel>(c));
    case ChannelType::kFile:
      return std::unique_ptr<Channel>(std::make_unique<FileChannel>(c));
  }
  return InvalidArgumentError("alert channel: unknown type");
}

}  // namespace bulwark::monitor
