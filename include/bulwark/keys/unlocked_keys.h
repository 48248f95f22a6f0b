// UnlockedKeys: the data keys of a home, unlocked: the key provider holding the key-encryption
// keys, the keyring of data keys wrapped under them, and, when they were opened to be changed,
// the keyring lock.
//
// Who opens them: node::Node (bulwark/node/node.h) reads the home's provider file, asks for the
// passphrase or PIN, takes <home>/keyring.lock for updates, and loads the keyring. Services
// (file and key services) receive them ready to use.
//
// Saving: Save writes the keyring back (usage counts, rotations, states), atomically, mode 0600.
// It refuses (kFailedPrecondition) keys opened without the lock: saving without it could overwrite
// a concurrent update by another process (docs/formats-keys.md section 5).
//
// Thread safety: the keyring is safe for concurrent use (keyring.h); Save and provider rotation
// must not run concurrently with other uses.
#ifndef BULWARK_KEYS_UNLOCKED_KEYS_H_
#define BULWARK_KEYS_UNLOCKED_KEYS_H_

#include <filesystem>
#include <memory>
#include <optional>

#include "bulwark/core/error.h"
#include "bulwark/core/file_lock.h"
#include "bulwark/core/runtime.h"
#include "bulwark/crypto/policy.h"
#include "bulwark/keys/key_provider.h"
#include "bulwark/keys/keyring.h"

namespace bulwark::keys {

// How keys are opened. kUpdate holds the keyring lock until the UnlockedKeys is destroyed.
enum class KeyringAccess { kRead, kUpdate };

struct UnlockedKeys {
  Runtime runtime;
  crypto::AlgorithmPolicy policy = crypto::AlgorithmPolicy::Standard();
  std::filesystem::path keyring_path;  // <home>/keyring
  std::unique_ptr<KeyProvider> provider;
  std::shared_ptr<Keyring> keyring;
  std::optional<FileLock> lock;  // <home>/keyring.lock, held when opened for update

  bool writable() const { return lock.has_value(); }
  // Writes the keyring back through the provider; kFailedPrecondition when opened read-only.
  Status Save();
};

}  // namespace bulwark::keys

#endif  // BULWARK_KEYS_UNLOCKED_KEYS_H_
