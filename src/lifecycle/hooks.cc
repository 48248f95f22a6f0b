#include "bulwark/lifecycle/hooks.h"

#include <fmt/format.h>

#include <algorithm>

#include "bulwark/auditship/transport.h"
#include "bulwark/core/subprocess.h"

namespace bulwark::lifecycle {
namespace {

std::vector<std::pair<std::string, std::string>> Environment(const HookSpec& hook,
                                                             const HookContext& c) {
  std::vector<std::pair<std::string, std::string>> env = hook.env;
  env.emplace_back("BULWARK_NAMESPACE", c.ns);
  env.emplace_back("BULWARK_PATH", c.path);
  env.emplace_back("BULWARK_ROTATION_ID", c.rotation_id);
  env.emplace_back("BULWARK_PHASE", c.phase);
  env.emplace_back("BULWARK_SECRET_TYPE", std::string(SecretTypeName(c.type)));
  return env;
}

Status HttpCheckOnce(const HttpCheck& check, const HookContext& c) {
  const std::string what = fmt::format("{} check {}", c.phase, check.url);
  BULWARK_ASSIGN_OR_RETURN(auditship::HttpUrl url, auditship::ParseHttpUrl(check.url, what));
  auditship::HttpRequest req;
  req.method = "GET";
  req.url = std::move(url);
  req.user_agent = "bulwark-rotation";
  req.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(check.timeout);
  BULWARK_ASSIGN_OR_RETURN(unsigned code, auditship::SendHttp(req, what));
  const bool ok = check.expect.empty()
                      ? code >= 200 && code <= 299
                      : std::find(check.expect.begin(), check.expect.end(), code) != check.expect.end();
  if (!ok) return UnavailableError(fmt::format("{}: answered HTTP {}", what, code));
  return OkStatus();
}

}  // namespace

Status RunHook(const HookSpec& hook, const SecretBytes& input, const HookContext& c) {
  if (hook.command.empty()) return InvalidArgumentError(fmt::format("{} hook: no command", c.phase));
  SubprocessOptions o;
  o.argv = hook.command;
  o.env = Environment(hook, c);
  o.stdin_data = input.Clone();
  o.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(hook.timeout);
  o.max_stdout = 64 << 10;
  auto r = RunSubprocess(o);
  if (!r) return UnavailableError(fmt::format("{} hook: {}", c.phase, r.error().message()));
  if (!r->ok()) {
    return UnavailableError(
        fmt::format("{} hook '{}': {}", c.phase, hook.command[0], r->Describe(o.timeout)));
  }
  return OkStatus();
}

Status VerifySecret(const VerifySpec& spec, const SecretBytes& value, const HookContext& c,
                    const std::function<void(Seconds)>& sleep) {
  Status last = OkStatus();
  const std::uint32_t attempts = std::max<std::uint32_t>(1, spec.attempts);
  for (std::uint32_t i = 0; i < attempts; ++i) {
    if (i > 0 && sleep) sleep(spec.interval);
    if (spec.command) {
      last = RunHook(*spec.command, value, c);
    } else if (spec.http) {
      last = HttpCheckOnce(*spec.http, c);
    } else {
      return InvalidArgumentError("verification: neither a command nor an http check");
    }
    if (last) return OkStatus();
  }
  return UnavailableError(fmt::format("verification failed after {} attempt(s): {}", attempts,
                                      last.error().message()));
}

}  // namespace bulwark::lifecycle
