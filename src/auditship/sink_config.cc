#include "bulwark/auditship/sink_config.h"

#include <fmt/format.h>

#include <optional>
#include <set>

#include "bulwark/config/field_reader.h"
#include "bulwark/config/format.h"
#include "bulwark/config/path.h"

namespace bulwark::auditship {
namespace {

namespace fs = std::filesystem;
using config::Path;
using config::Value;

fs::path Resolve(const fs::path& base, const std::string& s) {
  if (s.empty()) return {};
  fs::path p(s);
  return p.is_absolute() ? p : base / p;
}

class Parser {
 public:
  Parser(const config::Document& doc, fs::path base) : r_(doc), base_(std::move(base)) {}

  Error Bad(const Path& p, std::string_view what) const { return r_.Bad(p, what); }
  Result<std::string> String(const Value& m, const Path& at, std::string_view key,
                             bool required) const {
    return r_.String(m, at, key, required);
  }
  Result<std::int64_t> Int(const Value& m, const Path& at, std::string_view key, std::int64_t deflt,
                           std::int64_t lo, std::int64_t hi) const {
    return r_.Int(m, at, key, deflt, lo, hi);
  }
  fs::path Resolve(const std::string& s) const { return auditship::Resolve(base_, s); }

  Status Tls(const Value& v, const Path& at, SinkConfig& s) const {
    BULWARK_ASSIGN_OR_RETURN(s.tls, ParseTlsConfig(r_, v, at, base_));
    return OkStatus();
  }

  Result<SinkConfig> Sink(const Value& v, const Path& at) const {
    if (!v.is_map()) return std::unexpected(Bad(at, "expected a map"));
    static const std::set<std::string, std::less<>> kKnown = {
        "name",        "type",       "path",       "format",     "host",
        "port",        "payload",    "transport",  "tls",        "url",
        "token_env",   "token_file", "batch_size", "timeout_ms", "retry_initial_ms",
        "retry_max_ms"};
    for (const auto& e : v.AsMap()) {
      if (!kKnown.contains(e.key)) {
        return std::unexpected(Bad(at.Key(e.key), "unknown field"));
      }
    }
    SinkConfig s;
    BULWARK_ASSIGN_OR_RETURN(s.name, String(v, at, "name", true));
    for (char c : s.name) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.') ||
          s.name.size() > 64) {
        return std::unexpected(Bad(Child(at, "name"), "expected [A-Za-z0-9_.-]{1,64}"));
      }
    }
    BULWARK_ASSIGN_OR_RETURN(std::string type, String(v, at, "type", true));
    if (type == "file") {
      s.type = SinkType::kFile;
    } else if (type == "syslog") {
      s.type = SinkType::kSyslog;
    } else if (type == "cef") {
      s.type = SinkType::kCef;
      s.payload = SyslogPayload::kCef;
    } else if (type == "webhook") {
      s.type = SinkType::kWebhook;
    } else {
      return std::unexpected(
          Bad(Child(at, "type"), fmt::format("'{}': expected file, syslog, cef or webhook", type)));
    }
    auto only = [&](std::initializer_list<const char*> keys) -> Status {
      for (const char* k : keys) {
        if (v.Get(k) != nullptr) {
          return std::unexpected(Bad(Child(at, k), fmt::format("not a field of a {} sink", type)));
        }
      }
      return OkStatus();
    };
    switch (s.type) {
      case SinkType::kFile: {
        BULWARK_RETURN_IF_ERROR(only(
            {"host", "port", "payload", "transport", "tls", "url", "token_env", "token_file"}));
        BULWARK_ASSIGN_OR_RETURN(std::string path, String(v, at, "path", true));
        s.path = Resolve(path);
        BULWARK_ASSIGN_OR_RETURN(std::string format, String(v, at, "format", false));
        if (!format.empty()) {
          auto f = ParseEventFormat(format);
          if (!f) return std::unexpected(Bad(Child(at, "format"), f.error().message()));
          s.format = *f;
        }
        break;
      }
      case SinkType::kSyslog:
      case SinkType::kCef: {
        BULWARK_RETURN_IF_ERROR(only({"path", "format", "url", "token_env", "token_file"}));
        BULWARK_ASSIGN_OR_RETURN(s.host, String(v, at, "host", true));
        if (v.Get("port") == nullptr) return std::unexpected(Bad(Child(at, "port"), "required"));
        BULWARK_ASSIGN_OR_RETURN(std::int64_t port, Int(v, at, "port", 0, 1, 65535));
        s.port = static_cast<std::uint16_t>(port);
        BULWARK_ASSIGN_OR_RETURN(std::string payload, String(v, at, "payload", false));
        if (!payload.empty()) {
          if (s.type == SinkType::kCef) {
            return std::unexpected(Bad(Child(at, "payload"), "a cef sink always carries CEF"));
          }
          if (payload == "json") {
            s.payload = SyslogPayload::kJson;
          } else if (payload == "cef") {
            s.payload = SyslogPayload::kCef;
          } else {
            return std::unexpected(
                Bad(Child(at, "payload"), fmt::format("'{}': expected json or cef", payload)));
          }
        }
        BULWARK_ASSIGN_OR_RETURN(std::string transport, String(v, at, "transport", false));
        if (transport == "relp") {
          s.transport = SyslogTransport::kRelp;
        } else if (!transport.empty() && transport != "tcp") {
          return std::unexpected(
              Bad(Child(at, "transport"), fmt::format("'{}': expected tcp or relp", transport)));
        }
        BULWARK_RETURN_IF_ERROR(Tls(v, at, s));
        break;
      }
      case SinkType::kWebhook: {
        BULWARK_RETURN_IF_ERROR(only({"path", "format", "host", "port", "payload", "transport"}));
        BULWARK_ASSIGN_OR_RETURN(s.url, String(v, at, "url", true));
        if (!s.url.starts_with("http://") && !s.url.starts_with("https://")) {
          return std::unexpected(Bad(Child(at, "url"), "expected an http:// or https:// URL"));
        }
        BULWARK_ASSIGN_OR_RETURN(s.token_env, String(v, at, "token_env", false));
        BULWARK_ASSIGN_OR_RETURN(std::string tf, String(v, at, "token_file", false));
        s.token_file = Resolve(tf).string();
        BULWARK_RETURN_IF_ERROR(Tls(v, at, s));
        if (!s.token_env.empty() && !s.token_file.empty()) {
          return std::unexpected(Bad(Child(at, "token_file"), "token_env or token_file, not both"));
        }
        break;
      }
    }
    BULWARK_ASSIGN_OR_RETURN(std::int64_t batch, Int(v, at, "batch_size", 500, 1, 10000));
    BULWARK_ASSIGN_OR_RETURN(std::int64_t timeout, Int(v, at, "timeout_ms", 10000, 1, 3600000));
    BULWARK_ASSIGN_OR_RETURN(std::int64_t ri, Int(v, at, "retry_initial_ms", 500, 1, 3600000));
    BULWARK_ASSIGN_OR_RETURN(std::int64_t rm, Int(v, at, "retry_max_ms", 60000, 1, 86400000));
    if (rm < ri) return std::unexpected(Bad(Child(at, "retry_max_ms"), "below retry_initial_ms"));
    s.batch_size = static_cast<std::size_t>(batch);
    s.timeout = std::chrono::milliseconds(timeout);
    s.retry_initial = std::chrono::milliseconds(ri);
    s.retry_max = std::chrono::milliseconds(rm);
    return s;
  }

  static Path Child(const Path& at, std::string_view key) {
    const Path p = at.Key(std::string(key));
    return p;
  }

 private:
  config::FieldReader r_;
  fs::path base_;
};

}  // namespace

Result<std::optional<TlsConfig>> ParseTlsConfig(const config::FieldReader& r, const Value& holder,
                                                const Path& at, const fs::path& base_dir) {
  const Value* t = holder.Get("tls");
  if (t == nullptr) return std::optional<TlsConfig>();
  const Path tp = at.Key("tls");
  BULWARK_RETURN_IF_ERROR(r.OnlyKnown(*t, tp, {"ca", "cert", "key", "server_name"}));
  TlsConfig tls;
  BULWARK_ASSIGN_OR_RETURN(std::string ca, r.String(*t, tp, "ca"));
  BULWARK_ASSIGN_OR_RETURN(std::string cert, r.String(*t, tp, "cert"));
  BULWARK_ASSIGN_OR_RETURN(std::string key, r.String(*t, tp, "key"));
  BULWARK_ASSIGN_OR_RETURN(tls.server_name, r.String(*t, tp, "server_name"));
  if (cert.empty() != key.empty()) {
    return std::unexpected(
        r.Bad(tp.Key(cert.empty() ? "cert" : "key"), "cert and key go together"));
  }
  tls.ca = Resolve(base_dir, ca).string();
  tls.cert = Resolve(base_dir, cert).string();
  tls.key = Resolve(base_dir, key).string();
  return std::optional<TlsConfig>(std::move(tls));
}

std::string_view SinkTypeName(SinkType t) {
  switch (t) {
    case SinkType::kFile:
      return "file";
    case SinkType::kSyslog:
      return "syslog";
    case SinkType::kCef:
      return "cef";
    case SinkType::kWebhook:
      return "webhook";
  }
  return "file";
}

Result<std::vector<SinkConfig>> ParseSinkConfigs(const config::Document& doc,
                                                 const fs::path& base_dir) {
  std::vector<SinkConfig> out;
  const Value* audit = doc.root.Get("audit");
  if (audit == nullptr) return out;
  Parser p(doc, base_dir);
  Path at = Path().Key("audit");
  if (!audit->is_map()) return std::unexpected(p.Bad(at, "expected a map"));
  const Value* sinks = audit->Get("sinks");
  at = at.Key("sinks");
  if (sinks == nullptr) return out;
  if (!sinks->is_list()) return std::unexpected(p.Bad(at, "expected a list"));
  std::set<std::string, std::less<>> names;
  for (std::size_t i = 0; i < sinks->AsList().size(); ++i) {
    const Path ip = at.Index(i);
    BULWARK_ASSIGN_OR_RETURN(SinkConfig s, p.Sink(sinks->AsList()[i], ip));
    if (!names.insert(s.name).second) {
      return std::unexpected(
          p.Bad(Parser::Child(ip, "name"), fmt::format("duplicate sink name '{}'", s.name)));
    }
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<SinkConfig>> LoadSinkConfigs(FileSystem& fs, const fs::path& file) {
  BULWARK_ASSIGN_OR_RETURN(bool exists, fs.Exists(file));
  if (!exists) return std::vector<SinkConfig>();
  BULWARK_ASSIGN_OR_RETURN(config::Document doc, config::LoadFile(fs, file, config::Format::kYaml));
  return ParseSinkConfigs(doc, file.parent_path());
}

}  // namespace bulwark::auditship
