#include "bulwark/core/subprocess.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

extern char** environ;

namespace bulwark {
namespace {

constexpr std::size_t kStderrTail = 4096;

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Close(); }
  int get() const { return fd_; }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  void Reset(int fd) {
    Close();
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

bool MakePipe(Fd& read_end, Fd& write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return false;
  read_end.Reset(fds[0]);
  write_end.Reset(fds[1]);
  return true;
}

// Blocks SIGPIPE in this thread while writing to the child's stdin, and drops a SIGPIPE that the
// write raised before unblocking (a write to a closed pipe then fails with EPIPE instead).
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    blocked_ = pthread_sigmask(SIG_BLOCK, &pipe_, &old_) == 0;
  }
  ~SigpipeGuard() {
    if (!blocked_) return;
    if (!was_pending_) {
      const struct timespec zero = {0, 0};
      while (sigtimedwait(&pipe_, nullptr, &zero) > 0) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t pipe_, old_;
  bool was_pending_ = false;
  bool blocked_ = false;
};

// Appends to a buffer that holds secrets without leaving copies behind in freed memory: when it
// must grow, the new buffer is allocated here and the old one is zeroed before it is freed.
void AppendSecure(std::string& s, const char* data, std::size_t n) {
  if (s.size() + n > s.capacity()) {
    std::string bigger;
    bigger.reserve(std::max<std::size_t>(2 * s.capacity(), s.size() + n));
    bigger.append(s);
    SecureZero(s);
    s.swap(bigger);
  }
  s.append(data, n);
}

}  // namespace

std::string SubprocessResult::Describe(std::chrono::milliseconds timeout) const {
  if (timed_out) return fmt::format("timed out after {} ms", timeout.count());
  if (output_truncated) return "printed more output than allowed";
  if (signal != 0) return fmt::format("killed by signal {}", signal);
  return fmt::format("exit status {}", exit_code);
}

Result<SubprocessResult> RunSubprocess(const SubprocessOptions& o) {
  if (o.argv.empty()) return InvalidArgumentError("run command: empty command");
  const std::string& program = o.argv[0];
  auto fail = [&](std::string_view step) {
    return UnavailableError(fmt::format("run '{}': {}: {}", program, step, std::strerror(errno)));
  };

  // Everything the child needs is built before fork (no allocation after fork).
  std::vector<char*> args;
  for (const std::string& a : o.argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    bool replaced = false;
    for (const auto& [name, value] : o.env) {
      if (entry.size() > name.size() && entry.starts_with(name) && entry[name.size()] == '=') {
        replaced = true;
      }
    }
    if (!replaced) env_strings.emplace_back(entry);
  }
  for (const auto& [name, value] : o.env) env_strings.push_back(name + "=" + value);
  std::vector<char*> envp;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  const std::string cwd = o.working_directory.string();

  Fd in_r, in_w, out_r, out_w, err_r, err_w, exec_r, exec_w;
  if (!MakePipe(in_r, in_w) || !MakePipe(out_r, out_w) || !MakePipe(err_r, err_w) ||
      !MakePipe(exec_r, exec_w)) {
    return fail("pipe");
  }
  const pid_t pid = ::fork();
  if (pid < 0) return fail("fork");
  if (pid == 0) {
    // Child: async-signal-safe calls only.
    ::setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    if (::dup2(in_r.get(), 0) < 0 || ::dup2(out_w.get(), 1) < 0 || ::dup2(err_w.get(), 2) < 0) {
      const int e = errno;
      (void)!::write(exec_w.get(), &e, sizeof(e));
      ::_exit(127);
    }
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) {
      const int e = errno;
      (void)!::write(exec_w.get(), &e, sizeof(e));
      ::_exit(127);
    }
    ::execvpe(args[0], args.data(), envp.data());
    const int e = errno;
    (void)!::write(exec_w.get(), &e, sizeof(e));
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also from the parent, so a kill before the child ran still finds it
  in_r.Close();
  out_w.Close();
  err_w.Close();
  exec_w.Close();

  auto reap = [pid]() {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return status;
  };
  // exec succeeded iff the close-on-exec pipe closes without data.
  int exec_errno = 0;
  ssize_t n;
  do {
    n = ::read(exec_r.get(), &exec_errno, sizeof(exec_errno));
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof(exec_errno))) {
    reap();
    return UnavailableError(
        fmt::format("run '{}': cannot start it: {}", program, std::strerror(exec_errno)));
  }

  SubprocessResult result;
  std::string out;  // moved into SecretBytes at the end; cleared on every path
  std::string err;
  const auto deadline = std::chrono::steady_clock::now() + o.timeout;
  std::size_t written = 0;
  const std::string_view input = o.stdin_data.RevealAsString();
  if (input.empty()) in_w.Close();
  if (in_w.get() >= 0) ::fcntl(in_w.get(), F_SETFL, O_NONBLOCK);
  bool killed = false;
  {
    SigpipeGuard guard;
    while (out_r.get() >= 0 || err_r.get() >= 0 || in_w.get() >= 0) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) {
        result.timed_out = true;
        break;
      }
      const int wait_ms = static_cast<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1);
      pollfd fds[3];
      int nfds = 0;
      int in_at = -1, out_at = -1, err_at = -1;
      if (in_w.get() >= 0) {
        in_at = nfds;
        fds[nfds++] = {in_w.get(), POLLOUT, 0};
      }
      if (out_r.get() >= 0) {
        out_at = nfds;
        fds[nfds++] = {out_r.get(), POLLIN, 0};
      }
      if (err_r.get() >= 0) {
        err_at = nfds;
        fds[nfds++] = {err_r.get(), POLLIN, 0};
      }
      const int ready = ::poll(fds, static_cast<nfds_t>(nfds), wait_ms);
      if (ready < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if (in_at >= 0 && fds[in_at].revents != 0) {
        const ssize_t w = ::write(in_w.get(), input.data() + written, input.size() - written);
        if (w > 0) written += static_cast<std::size_t>(w);
        if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == input.size()) in_w.Close();
      }
      char buf[4096];
      if (out_at >= 0 && fds[out_at].revents != 0) {
        const ssize_t r = ::read(out_r.get(), buf, sizeof(buf));
        if (r > 0) {
          if (out.size() + static_cast<std::size_t>(r) > o.max_stdout) {
            result.output_truncated = true;
            SecureZero(buf, sizeof(buf));
            break;
          }
          AppendSecure(out, buf, static_cast<std::size_t>(r));
          SecureZero(buf, static_cast<std::size_t>(r));
        } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
          out_r.Close();
        }
      }
      if (err_at >= 0 && fds[err_at].revents != 0) {
        const ssize_t r = ::read(err_r.get(), buf, sizeof(buf));
        if (r > 0) {
          err.append(buf, static_cast<std::size_t>(r));
          if (err.size() > 2 * kStderrTail) err.erase(0, err.size() - kStderrTail);
        } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
          err_r.Close();
        }
      }
    }
    in_w.Close();
  }
  if (result.timed_out || result.output_truncated) {
    ::kill(-pid, SIGKILL);
    killed = true;
  }
  out_r.Close();
  err_r.Close();
  // The pipes are closed; a child still running (it closed its stdout early) is waited for
  // until the deadline, then killed.
  int status = 0;
  for (;;) {
    const pid_t w = ::waitpid(pid, &status, killed ? 0 : WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) break;
    if (w == 0) {
      if (std::chrono::steady_clock::now() >= deadline) {
        result.timed_out = true;
        ::kill(-pid, SIGKILL);
        killed = true;
        continue;
      }
      ::usleep(1000);
    }
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  result.stdout_data = SecretBytes::FromString(out);
  SecureZero(out);
  if (err.size() > kStderrTail) err.erase(0, err.size() - kStderrTail);
  result.stderr_tail = std::move(err);
  return result;
}

}  // namespace bulwark
