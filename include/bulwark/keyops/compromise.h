// Compromise recovery: moves everything a compromised data key protects to the keyring's primary
// key, resumably, and reports each value moved (target, path, old key -> new key; never values).
//
// The caller marks the key compromised first (keys::Keyring::MarkCompromised, saved), so that it
// no longer encrypts or decrypts for anyone; its values are then readable only through the
// re-encryption paths used here (secfile::ReencryptFile for files, StoredNamespaces::MoveOffKey
// for namespaces, which the key service implements over ConfigService::Reencrypt).
//
// Journal (docs/formats-keys.md, "compromise journal"): <home>/compromise-<kid>.journal, a JSON
// document rewritten with FileSystem::WriteFileAtomic (fsync'ed) before and after each step:
//   1. plan: every file (key-usage index + the caller's files) and every namespace whose latest
//      version uses the key, each item "pending";
//   2. before an item is touched, it becomes "started" together with the value paths that use the
//      key at that moment;
//   3. after the item was rewritten (file replaced atomically / new namespace version), it becomes
//      "done" with each value moved and its new key.
// Run with an existing journal resumes it: "done" items are skipped; a "started" item is checked
// first: when the target no longer uses the key, the crash came after its write, and it is
// completed from the journal without writing again (nothing is moved twice). Files are rewritten
// only when they still use the key. When every item is done the journal is renamed to
// compromise-<kid>.report.json (the durable record of what was moved).
//
// Errors: a failing item stops the run (the journal keeps its progress; run again to resume);
// kDataLoss when the journal is corrupt or names another key; errors of the file and service
// layers pass through.
#ifndef BULWARK_KEYOPS_COMPROMISE_H_
#define BULWARK_KEYOPS_COMPROMISE_H_

#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bulwark/config/path.h"
#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"
#include "bulwark/keyops/key_usage_index.h"
#include "bulwark/keys/keyring.h"
#include "bulwark/keyops/stored_namespaces.h"

namespace bulwark::keyops {

struct MovedValue {
  std::string target;  // absolute file path, or namespace name
  bool is_namespace = false;
  config::Path path;
  keys::KeyId from = 0;
  keys::KeyId to = 0;
};

struct CompromiseReport {
  keys::KeyId key = 0;
  bool resumed = false;               // a journal from an interrupted run was continued
  std::size_t items = 0;              // files + namespaces in the plan
  std::size_t already_done = 0;       // items completed by an earlier run
  std::vector<MovedValue> moved;      // every value moved, this run and earlier ones, in plan order
  std::vector<std::string> skipped;   // items that vanished (file deleted, namespace gone), why
  std::filesystem::path report_file;  // where the finished journal was kept
};

// Where a step is when the hook runs.
enum class StepPoint {
  kAfterWrite,   // the target was rewritten; the journal does not say "done" yet
  kAfterCommit,  // the journal says "done"
};

struct CompromiseOptions {
  std::filesystem::path journal;              // <home>/compromise-<kid>.journal
  std::vector<std::string> files;             // files to include besides the index's
  KeyUsageIndex* index = nullptr;             // read for the plan, updated (and saved) per file
  StoredNamespaces* store = nullptr;           // null: no namespaces
  std::string namespace_message = "key compromised: re-encrypted";
  // Progress, once per item: (1-based position, total, target, values moved).
  std::function<void(std::size_t, std::size_t, const std::string&, std::size_t)> progress;
  // Called after each file was rewritten (to record it, e.g. in the audit log).
  std::function<void(const std::string& file, const std::vector<MovedValue>& moved)> file_moved;
  // Fault injection for tests (and a cancellation point): called at each StepPoint with the
  // 1-based item position; an error stops the run there as a crash would.
  std::function<Status(StepPoint, std::size_t)> hook;
};

Result<CompromiseReport> RecoverCompromisedKey(keys::KeyId id,
                                               std::shared_ptr<const keys::Keyring> keyring,
                                               const Runtime& runtime,
                                               const CompromiseOptions& options);

// The default journal path in a home.
std::filesystem::path CompromiseJournalPath(const std::filesystem::path& home, keys::KeyId id);

}  // namespace bulwark::keyops

#endif  // BULWARK_KEYOPS_COMPROMISE_H_
