// ShredKeks: crypto-shredding of a keyring file's history, run by `bulwark keys destroy` after a
// key was destroyed in memory (docs/formats-keys.md, section 9).
//
// Dropping a destroyed DEK from the keyring file does not make it unrecoverable: every earlier
// copy of the file (backup, snapshot, old disk blocks) holds it wrapped under a KEK the provider
// still has. ShredKeks therefore
//   1. rotates the provider's KEK (KeyProvider::RotateKek; the old KEKs stay),
//   2. serializes `keyring` (every remaining DEK and a fresh MAC key wrapped under the new KEK)
//      and replaces `keyring_path` atomically (FileSystem::WriteFileAtomic, mode 0600) -- the
//      commit point: the keyring on disk now says what `keyring` says (e.g. "destroyed"),
//   3. removes every old KEK (KeyProvider::RetireOldKeks).
// Afterwards no keyring file written before step 2 can be opened or unwrapped with the provider
// (its MAC key and DEKs name retired KEKs: kNotFound), while the new file loads and every
// remaining key decrypts as before.
//
// Crash safety: the keyring on disk never names a KEK that is gone. A failure in step 1 or 2
// leaves the old keyring (still under the old KEK) and at most an unused new KEK; a failure in
// step 3 leaves the new keyring with the old KEK still present (not shredded yet). In both cases
// the provider and the keyring open and agree, and calling ShredKeks again (with the keyring as
// loaded from disk) completes the shredding. The error says at which step it failed.
//
// The caller holds the keyring lock (<home>/keyring.lock) for the whole call, so no other process
// rotates, saves or reads-then-saves the keyring in between.
#ifndef BULWARK_KEYS_KEK_SHRED_H_
#define BULWARK_KEYS_KEK_SHRED_H_

#include <cstddef>
#include <filesystem>
#include <vector>
#include <functional>

#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"
#include "bulwark/keys/key_provider.h"
#include "bulwark/keys/keyring.h"

namespace bulwark::keys {

// Where ShredKeks is when its hook runs.
enum class ShredStep {
  kKekRotated,      // after step 1: the new KEK exists, the keyring file is unchanged
  kKeyringWritten,  // after step 2: the keyring file is under the new KEK, old KEKs still held
};

struct ShredOptions {
  // Called after each step (progress: the caller learns that the keyring was written even when
  // step 3 then fails; fault injection in tests): an error stops ShredKeks there, as a crash
  // would, and is returned.
  std::function<Status(ShredStep)> hook;
};

struct ShredReport {
  std::size_t retired_keks = 0;  // removed by step 3
  // Stale temporary copies of the keyring (left by a killed write) removed beside it. Copies
  // outside the home (backups, snapshots, old disk blocks) are out of reach: they can no longer be
  // unwrapped once the old KEKs are gone, unless a copy of the old keystore survives too.
  std::vector<std::filesystem::path> removed_copies;
};

Result<ShredReport> ShredKeks(const Keyring& keyring, KeyProvider& provider, FileSystem& fs,
                              const std::filesystem::path& keyring_path,
                              const ShredOptions& options = {});

}  // namespace bulwark::keys

#endif  // BULWARK_KEYS_KEK_SHRED_H_
