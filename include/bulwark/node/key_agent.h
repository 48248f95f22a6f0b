// The key agent of a node's home (docs/agent.md): start, lock, stop and status, each start/lock/
// stop authorized (action admin on the keyring) and audited as a key-management event
// (`key.agent.start`, `key.agent.lock`, `key.agent.stop`), as every other key operation.
//
// Commands use a running agent without asking: Node opens the keys through it when
// <home>/agent.sock answers unlocked for the same home (node.h, UnlockKeys), else asks for the
// passphrase as before.
//
// Thread safety: plain functions; StartAgent forks (call it from a single-threaded process unless
// `foreground`).
#ifndef BULWARK_NODE_KEY_AGENT_H_
#define BULWARK_NODE_KEY_AGENT_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>

#include "bulwark/agent/protocol.h"
#include "bulwark/core/error.h"
#include "bulwark/node/node.h"
#include "bulwark/request/context.h"

namespace bulwark::node {

struct AgentStartOptions {
  std::chrono::seconds idle_timeout{900};
  bool foreground = false;   // serve in this process until stopped
  bool allow_swap = false;   // start even when the memory cannot be locked
};

struct AgentStarted {
  std::uint32_t pid = 0;
  std::filesystem::path socket;
  bool memory_locked = false;
  std::string memory_error;        // why not, when !memory_locked
  std::string memory_scope;        // "" when all its memory is locked, else what is
  bool replaced_locked = false;    // a locked agent was stopped first
  bool removed_stale_socket = false;
};

// Starts the home's agent: refuses (kAlreadyExists, naming the pid) when one serves the home
// unlocked, stops a locked one; asks the passphrase (node.Passphrase()), opens the keystore and
// checks that it opens the keyring, binds <home>/agent.sock, records key.agent.start, then
// detaches (returns in the calling process once the socket answers) or, with `foreground`, calls
// `ready` and serves until stopped. kFailedPrecondition for a PKCS#11 home; kUnavailable when
// the memory cannot be locked and !allow_swap.
Result<AgentStarted> StartAgent(Node& node, const request::RequestContext& ctx,
                                const AgentStartOptions& options,
                                const std::function<void(const AgentStarted&)>& ready = nullptr);

// The home's agent: kNotFound when none answers (the message says when a stale socket is left).
// Reads nothing secret and records nothing.
Result<agent::AgentStatus> QueryAgent(const Node& node);

// Wipe the agent's keys (it keeps answering status) / stop it. kNotFound when none answers.
Status LockAgent(Node& node, const request::RequestContext& ctx);
Status StopAgent(Node& node, const request::RequestContext& ctx);

}  // namespace bulwark::node

#endif  // BULWARK_NODE_KEY_AGENT_H_
