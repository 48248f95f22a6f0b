#include "bulwark/agent/client.h"

#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "socket_io.h"

namespace bulwark::agent {
using internal::Fd;

Result<Response> Client::Call(const Request& request) const {
  BULWARK_RETURN_IF_ERROR(internal::CheckSocketPathFits(socket_));
  struct stat st {};
  if (::lstat(socket_.c_str(), &st) != 0) {
    return UnavailableError(fmt::format("no key agent: {} does not exist", socket_.string()));
  }
  if (!S_ISSOCK(st.st_mode)) {
    return UnavailableError(fmt::format("no key agent: {} is not a socket", socket_.string()));
  }
  if (st.st_uid != ::geteuid()) {
    return PermissionDeniedError(fmt::format("{} belongs to uid {}, not to this user (uid {})",
                                             socket_.string(), st.st_uid, ::geteuid()));
  }
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return UnavailableError(fmt::format("socket: {}", std::strerror(errno)));
  BULWARK_RETURN_IF_ERROR(internal::SetTimeouts(fd.get(), timeout_));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, socket_.c_str(), socket_.native().size() + 1);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const int e = errno;
    return UnavailableError(fmt::format("no key agent answers at {}: {}{}", socket_.string(),
                                        std::strerror(e),
                                        e == ECONNREFUSED ? " (a stale socket)" : ""));
  }
  BULWARK_ASSIGN_OR_RETURN(uid_t peer, internal::PeerUid(fd.get()));
  if (peer != ::geteuid()) {
    return PermissionDeniedError(fmt::format("the process at {} runs as uid {}, not as uid {}",
                                             socket_.string(), peer, ::geteuid()));
  }
  std::vector<std::uint8_t> out = EncodeRequest(request);
  Status sent = internal::WriteFrame(fd.get(), out);
  SecureZero(out.data(), out.size());
  BULWARK_RETURN_IF_ERROR(sent);
  BULWARK_ASSIGN_OR_RETURN(std::vector<std::uint8_t> in, internal::ReadFrame(fd.get()));
  auto response = DecodeResponse(in);
  SecureZero(in.data(), in.size());
  return response;
}

Result<SecretBytes> Client::CallData(const Request& request) const {
  BULWARK_ASSIGN_OR_RETURN(Response r, Call(request));
  if (r.error) {
    return std::unexpected(
        Error(r.error->code(), fmt::format("key agent: {}", r.error->message())));
  }
  return std::move(r.data);
}

Result<AgentStatus> Client::GetStatus() const {
  Request req;
  req.op = Op::kStatus;
  BULWARK_ASSIGN_OR_RETURN(SecretBytes data, CallData(req));
  return DecodeStatus(data.Reveal());
}

Result<std::vector<std::uint8_t>> Client::Wrap(const SecretBytes& dek,
                                               std::span<const std::uint8_t> context) const {
  Request req;
  req.op = Op::kWrap;
  req.context.assign(context.begin(), context.end());
  req.blob = dek.Clone();
  BULWARK_ASSIGN_OR_RETURN(SecretBytes blob, CallData(req));
  auto b = blob.Reveal();
  return std::vector<std::uint8_t>(b.begin(), b.end());
}

Result<SecretBytes> Client::Unwrap(std::span<const std::uint8_t> blob,
                                   std::span<const std::uint8_t> context) const {
  Request req;
  req.op = Op::kUnwrap;
  req.context.assign(context.begin(), context.end());
  req.blob = SecretBytes(blob);
  return CallData(req);
}

Status Client::Lock() const {
  Request req;
  req.op = Op::kLock;
  BULWARK_RETURN_IF_ERROR(CallData(req));
  return OkStatus();
}

Status Client::Stop() const {
  Request req;
  req.op = Op::kStop;
  BULWARK_RETURN_IF_ERROR(CallData(req));
  return OkStatus();
}

AgentKeyProvider::AgentKeyProvider(Client client, std::filesystem::path keystore,
                                   LocalOpener open_local)
    : client_(std::move(client)), keystore_(std::move(keystore)), open_local_(std::move(open_local)) {}

keys::KeyProvider* AgentKeyProvider::local() const {
  std::lock_guard lock(mu_);
  return local_.get();
}

Result<keys::KeyProvider*> AgentKeyProvider::Local() {
  std::lock_guard lock(mu_);
  if (!local_) {
    if (!open_local_) {
      return FailedPreconditionError(
          "the key agent does not rotate key-encryption keys; stop it ('bulwark agent stop') and "
          "run the command again");
    }
    BULWARK_ASSIGN_OR_RETURN(local_, open_local_());
  }
  return local_.get();
}

Result<std::vector<std::uint8_t>> AgentKeyProvider::WrapKey(
    const SecretBytes& dek, std::span<const std::uint8_t> context) const {
  if (keys::KeyProvider* l = local()) return l->WrapKey(dek, context);
  return client_.Wrap(dek, context);
}

Result<SecretBytes> AgentKeyProvider::UnwrapKey(std::span<const std::uint8_t> wrapped,
                                                std::span<const std::uint8_t> context) const {
  if (keys::KeyProvider* l = local()) return l->UnwrapKey(wrapped, context);
  return client_.Unwrap(wrapped, context);
}

Status AgentKeyProvider::RotateKek() {
  BULWARK_ASSIGN_OR_RETURN(keys::KeyProvider * l, Local());
  return l->RotateKek();
}

Result<std::size_t> AgentKeyProvider::RetireOldKeks() {
  BULWARK_ASSIGN_OR_RETURN(keys::KeyProvider * l, Local());
  return l->RetireOldKeks();
}

std::string AgentKeyProvider::Describe() const {
  if (keys::KeyProvider* l = local()) return l->Describe();
  return fmt::format("local keystore {} (through the key agent at {})", keystore_.string(),
                     client_.socket().string());
}

Status AgentKeyProvider::HealthCheck() const {
  if (keys::KeyProvider* l = local()) return l->HealthCheck();
  BULWARK_ASSIGN_OR_RETURN(AgentStatus s, client_.GetStatus());
  if (!s.unlocked) {
    return FailedPreconditionError(fmt::format("the key agent is locked ({})", s.lock_reason));
  }
  return OkStatus();
}

}  // namespace bulwark::agent
