#include "bulwark/node/key_agent.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <thread>

#include "bulwark/agent/client.h"
#include "bulwark/agent/server.h"
#include "bulwark/core/encoding.h"
#include "bulwark/keys/keyring.h"
#include "bulwark/keys/local_keystore.h"

namespace bulwark::node {
namespace {

using request::Action;
using request::ResourceKind;

// One key-management event of the agent: authorize (admin on the keyring), refuse when the audit
// log cannot record, then exactly one record with the outcome.
class AgentEvent {
 public:
  AgentEvent(Node& node, const request::RequestContext& ctx, std::string operation)
      : node_(node), sink_(node.audit_sink()) {
    rec_.time = node.runtime().clock->Now();
    rec_.operation = std::move(operation);
    rec_.action = Action::kAdmin;
    rec_.context = ctx;
    rec_.resource_kind = ResourceKind::kKeyring;
    rec_.resource_name = node.home().dir.string();
    if (rec_.context.request_id.empty()) {
      std::array<std::uint8_t, 16> id{};
      if (node.runtime().random->Fill(id)) rec_.context.request_id = HexEncode(id);
    }
  }
  ~AgentEvent() {
    if (!done_) (void)Finish(std::unexpected(Error(ErrorCode::kInternal, "operation ended without a result")));
  }
  Status Begin() {
    request::Resource r;
    r.kind = rec_.resource_kind;
    r.name = rec_.resource_name;
    const request::Decision d = node_.authorizer()->Authorize(rec_.context, rec_.action, r);
    if (!d.allowed) {
      rec_.outcome = request::Outcome::kDenied;
      rec_.reason = d.reason;
      done_ = true;
      (void)sink_->Append(rec_);
      return PermissionDeniedError(fmt::format("{}: admin denied: {}", rec_.operation, d.reason));
    }
    if (auto h = sink_->HealthCheck(); !h) {
      done_ = true;
      return std::unexpected(h.error().WithContext(
          fmt::format("{}: refused because the audit log is unavailable", rec_.operation)));
    }
    return OkStatus();
  }
  Status Finish(const Status& s) {
    done_ = true;
    rec_.outcome = s ? request::Outcome::kSuccess : request::Outcome::kFailure;
    if (!s) rec_.reason = s.error().message();
    Status appended = sink_->Append(rec_);
    if (!s) return std::unexpected(s.error().WithContext(rec_.operation));
    return appended;
  }

 private:
  Node& node_;
  std::shared_ptr<request::AuditSink> sink_;
  request::AuditRecord rec_;
  bool done_ = false;
};

agent::Client ClientFor(const Node& node) {
  return agent::Client(agent::SocketPath(node.home().dir));
}

bool SocketFileExists(const std::filesystem::path& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0;
}

// Waits until no process holds <home>/agent.lock (a stopped agent exiting).
Status WaitForAgentExit(const Node& node) {
  const auto file = agent::LockPath(node.home().dir);
  for (int i = 0; i < 200; ++i) {
    BULWARK_ASSIGN_OR_RETURN(auto lock, FileLock::TryAcquire(file, "agent"));
    if (lock) return OkStatus();
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return UnavailableError(fmt::format("the previous agent did not exit ({} is still held)",
                                      file.string()));
}

// Writes a status byte and a message to the parent of a detached agent.
void TellParent(int fd, char status, std::string_view message) {
  std::string out(1, status);
  out += message;
  (void)!::write(fd, out.data(), out.size());
}

}  // namespace

Result<agent::AgentStatus> QueryAgent(const Node& node) {
  auto status = ClientFor(node).GetStatus();
  if (status) return status;
  if (status.error().code() == ErrorCode::kUnavailable) {
    const auto sock = agent::SocketPath(node.home().dir);
    return NotFoundError(
        SocketFileExists(sock)
            ? fmt::format("no key agent runs for {} (stale socket {}: the agent ended without "
                          "cleaning up; 'bulwark agent start' replaces it)",
                          node.home().dir.string(), sock.string())
            : fmt::format("no key agent runs for {}", node.home().dir.string()));
  }
  return status;
}

Status LockAgent(Node& node, const request::RequestContext& ctx) {
  BULWARK_RETURN_IF_ERROR(QueryAgent(node));
  AgentEvent ev(node, ctx, "key.agent.lock");
  BULWARK_RETURN_IF_ERROR(ev.Begin());
  return ev.Finish(ClientFor(node).Lock());
}

Status StopAgent(Node& node, const request::RequestContext& ctx) {
  BULWARK_RETURN_IF_ERROR(QueryAgent(node));
  AgentEvent ev(node, ctx, "key.agent.stop");
  BULWARK_RETURN_IF_ERROR(ev.Begin());
  Status s = ClientFor(node).Stop();
  if (s) s = WaitForAgentExit(node);
  return ev.Finish(s);
}

Result<AgentStarted> StartAgent(Node& node, const request::RequestContext& ctx,
                                const AgentStartOptions& options,
                                const std::function<void(const AgentStarted&)>& ready) {
  const Home& home = node.home();
  FileSystem& files = *node.runtime().fs;
  BULWARK_ASSIGN_OR_RETURN(ProviderConfig provider, ReadProviderConfig(files, home));
  if (provider.kind != "local") {
    return FailedPreconditionError(fmt::format(
        "the key agent serves local-keystore homes only; {} keeps its keys on a PKCS#11 token",
        home.dir.string()));
  }
  if (options.idle_timeout.count() <= 0 || options.idle_timeout > std::chrono::hours(24 * 7)) {
    return InvalidArgumentError("--idle-timeout must be between 1 s and 7 days");
  }
  AgentStarted started;
  started.socket = agent::SocketPath(home.dir);
  if (auto running = ClientFor(node).GetStatus()) {
    if (running->unlocked) {
      return AlreadyExistsError(fmt::format("a key agent already serves {} (pid {}): 'bulwark "
                                            "agent stop' first",
                                            home.dir.string(), running->pid));
    }
    // A locked agent is replaced (its stop is part of this start, not an event of its own).
    BULWARK_RETURN_IF_ERROR(ClientFor(node).Stop());
    BULWARK_RETURN_IF_ERROR(WaitForAgentExit(node));
    started.replaced_locked = true;
  }
  started.removed_stale_socket = SocketFileExists(started.socket);

  AgentEvent ev(node, ctx, "key.agent.start");
  BULWARK_RETURN_IF_ERROR(ev.Begin());
  auto fail = [&](const Error& e) -> std::unexpected<Error> {
    return std::unexpected(ev.Finish(std::unexpected(e)).error());
  };
  // Nothing of this process is dumped from here on (the passphrase and keys are about to be in it).
  if (Status s = agent::DisableCoreDumps(); !s) return fail(s.error());
  std::unique_ptr<agent::Server> server;
  auto open = [&]() -> Status {
    BULWARK_ASSIGN_OR_RETURN(SecretBytes pass, node.Passphrase());
    BULWARK_ASSIGN_OR_RETURN(auto opened, keys::LocalKeystoreProvider::Open(
                                              home.keystore(), pass, node.runtime(), node.policy()));
    pass.Clear();
    for (const std::string& w : opened.warnings) node.Notice(fmt::format("warning: {}", w));
    // The keystore must open the home's keyring: an agent that cannot serve it is useless.
    BULWARK_ASSIGN_OR_RETURN(std::string ring, files.ReadFile(home.keyring()));
    BULWARK_RETURN_IF_ERROR(
        keys::Keyring::Load(ring, *opened.provider, node.runtime(), node.policy()));
    // Absolute: the detached agent runs in "/" (a relative BULWARK_HOME would name nothing).
    std::error_code ec;
    const std::filesystem::path dir = std::filesystem::absolute(home.dir, ec);
    if (ec) return UnavailableError(fmt::format("{}: {}", home.dir.string(), ec.message()));
    BULWARK_ASSIGN_OR_RETURN(
        server, agent::Server::Create(std::move(opened.provider),
                                      {.home = dir,
                                       .keystore = dir / "keystore",
                                       .idle_timeout = options.idle_timeout,
                                       .handle_signals = true}));
    return OkStatus();
  };
  if (Status s = open(); !s) return fail(s.error());

  if (options.foreground) {
    agent::Hardening h = agent::HardenMemory();
    if (!h.memory_locked && !options.allow_swap) {
      server.reset();
      return fail(Error(ErrorCode::kUnavailable,
                        fmt::format("cannot lock the agent's memory ({}); raise the limit or pass "
                                    "--allow-swap",
                                    h.memory_error)));
    }
    if (Status recorded = ev.Finish(OkStatus()); !recorded) return std::unexpected(recorded.error());
    server->set_memory_locked(h.memory_locked);
    started.pid = static_cast<std::uint32_t>(::getpid());
    started.memory_locked = h.memory_locked;
    started.memory_error = h.memory_error;
    started.memory_scope = h.memory_scope;
    if (ready) ready(started);
    BULWARK_RETURN_IF_ERROR(server->Run());
    return started;
  }

  // Detach: the grandchild serves; the parent learns through a pipe whether it got that far.
  std::array<int, 2> pipe_fds{};
  if (::pipe2(pipe_fds.data(), O_CLOEXEC) != 0) {
    return fail(Error(ErrorCode::kUnavailable, fmt::format("pipe: {}", std::strerror(errno))));
  }
  const pid_t child = ::fork();
  if (child < 0) {
    return fail(Error(ErrorCode::kUnavailable, fmt::format("fork: {}", std::strerror(errno))));
  }
  if (child == 0) {
    ::close(pipe_fds[0]);
    ::setsid();
    const pid_t grandchild = ::fork();
    if (grandchild != 0) ::_exit(grandchild < 0 ? 1 : 0);
    (void)!::chdir("/");
    ::umask(077);
    const int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
      ::dup2(null, 0);
      ::dup2(null, 1);
      ::dup2(null, 2);
      if (null > 2) ::close(null);
    }
    agent::Hardening h = agent::HardenMemory();
    if (!h.memory_locked && !options.allow_swap) {
      TellParent(pipe_fds[1], 'M', h.memory_error);
      server.reset();
      ::_exit(5);
    }
    server->set_memory_locked(h.memory_locked);
    TellParent(pipe_fds[1], h.memory_locked ? 'L' : 'S',
               h.memory_locked ? h.memory_scope : h.memory_error);
    ::close(pipe_fds[1]);
    (void)server->Run();
    server.reset();
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  int wstatus = 0;
  (void)::waitpid(child, &wstatus, 0);
  std::string reply;
  std::array<char, 512> buf{};
  for (;;) {
    ssize_t n = ::read(pipe_fds[0], buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    reply.append(buf.data(), static_cast<std::size_t>(n));
  }
  ::close(pipe_fds[0]);
  server->Abandon();  // the grandchild serves; this process's copy of the keys is wiped
  server.reset();
  if (reply.empty() || reply[0] == 'M') {
    const std::string why =
        reply.empty() ? std::string("the agent process ended before it was ready")
                      : fmt::format("cannot lock the agent's memory ({}); raise the limit or pass "
                                    "--allow-swap",
                                    reply.substr(1));
    return fail(Error(ErrorCode::kUnavailable, why));
  }
  started.memory_locked = reply[0] == 'L';
  (started.memory_locked ? started.memory_scope : started.memory_error) = reply.substr(1);
  auto now = ClientFor(node).GetStatus();
  if (!now) {
    (void)ClientFor(node).Stop();
    return fail(now.error());
  }
  started.pid = now->pid;
  if (Status recorded = ev.Finish(OkStatus()); !recorded) {
    // An agent whose start is not in the audit trail must not run.
    (void)ClientFor(node).Stop();
    return std::unexpected(recorded.error().WithContext("key.agent.start (the agent was stopped)"));
  }
  if (ready) ready(started);
  return started;
}

}  // namespace bulwark::node
