// agent::Client and agent::AgentKeyProvider: the command side of the key agent (docs/agent.md).
//
// Client: one connection per call to <home>/agent.sock. Before sending anything it checks that the
// socket file is a socket owned by this process's effective uid and, once connected, that the
// peer (SO_PEERCRED) runs as that uid. Errors: kUnavailable when no agent answers (no socket, a
// stale socket, a refused connection, a timeout: `timeout` per read/write), kPermissionDenied for
// a socket or peer of another uid, kInvalidArgument for a malformed reply, or the error the agent
// replied with (kFailedPrecondition "the agent is locked ...", kDataLoss for an altered blob, ...).
//
// AgentKeyProvider: keys::KeyProvider over a Client, so that keys::Keyring loads and saves the
// keyring through the agent and the key-encryption keys never leave it. KEK rotation (RotateKek,
// RetireOldKeks) is not served by the agent: the provider then opens the keystore locally with
// `open_local` (which asks for the passphrase) and uses that provider for every later call.
//
// Thread safety: Client is immutable; AgentKeyProvider follows KeyProvider's contract.
#ifndef BULWARK_AGENT_CLIENT_H_
#define BULWARK_AGENT_CLIENT_H_

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>

#include "bulwark/agent/protocol.h"
#include "bulwark/keys/key_provider.h"

namespace bulwark::agent {

class Client {
 public:
  explicit Client(std::filesystem::path socket,
                  std::chrono::milliseconds timeout = std::chrono::milliseconds(2000))
      : socket_(std::move(socket)), timeout_(timeout) {}

  // One request, one response (the transport's errors as above; an error reply is returned as
  // the Response's error).
  Result<Response> Call(const Request& request) const;

  Result<AgentStatus> GetStatus() const;
  Result<std::vector<std::uint8_t>> Wrap(const SecretBytes& dek,
                                         std::span<const std::uint8_t> context) const;
  Result<SecretBytes> Unwrap(std::span<const std::uint8_t> blob,
                             std::span<const std::uint8_t> context) const;
  Status Lock() const;
  Status Stop() const;

  const std::filesystem::path& socket() const { return socket_; }

 private:
  Result<SecretBytes> CallData(const Request& request) const;
  std::filesystem::path socket_;
  std::chrono::milliseconds timeout_;
};

class AgentKeyProvider final : public keys::KeyProvider {
 public:
  using LocalOpener = std::function<Result<std::unique_ptr<keys::KeyProvider>>()>;
  AgentKeyProvider(Client client, std::filesystem::path keystore, LocalOpener open_local);

  Result<std::vector<std::uint8_t>> WrapKey(const SecretBytes& dek,
                                            std::span<const std::uint8_t> context) const override;
  Result<SecretBytes> UnwrapKey(std::span<const std::uint8_t> wrapped,
                                std::span<const std::uint8_t> context) const override;
  Status RotateKek() override;
  Result<std::size_t> RetireOldKeks() override;
  std::string Describe() const override;
  // A status round trip: OK when the agent answers unlocked.
  Status HealthCheck() const override;

 private:
  Result<keys::KeyProvider*> Local();
  keys::KeyProvider* local() const;
  Client client_;
  std::filesystem::path keystore_;
  LocalOpener open_local_;
  mutable std::mutex mu_;
  std::unique_ptr<keys::KeyProvider> local_;
};

}  // namespace bulwark::agent

#endif  // BULWARK_AGENT_CLIENT_H_
