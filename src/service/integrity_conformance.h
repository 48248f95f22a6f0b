// The store-integrity conformance suite: a ConfigService over each store backend, and a writer of
// the database who goes around Bulwark (a restored backup, a compromised replica, a DBA) and
// changes what is stored with SQL, recomputing the content hash. The store is key-agnostic (it
// only keeps each version's tag), so the tamper cases run through the service that computes and
// verifies the tags (docs/store.md, "Authenticated versions"). Instantiated on SQLite
// (integrity_sqlite_test.cc) and PostgreSQL (integrity_pg_test.cc).
#ifndef BULWARK_SRC_SERVICE_INTEGRITY_CONFORMANCE_H_
#define BULWARK_SRC_SERVICE_INTEGRITY_CONFORMANCE_H_

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "bulwark/keys/keyring.h"
#include "bulwark/service/config_service.h"
#include "bulwark/service/store_mac.h"
#include "bulwark/store/config_store.h"
#include "bulwark/testing/recording_audit_sink.h"
#include "store/store_conformance.h"

namespace bulwark::service::testing {

class IntegrityConformanceTest : public ::testing::TestWithParam<store::testing::Backend> {
 protected:
  void SetUp() override;
  bool postgres() const { return std::string(GetParam().name) == "Postgres"; }

  // A service over the test store with `key` (default: key_).
  std::unique_ptr<ConfigService> Service(std::shared_ptr<const StoreMacKey> key = nullptr);
  // Runs SQL with the immutability triggers out of the way (SQLite: dropped; PostgreSQL:
  // disabled), as someone who can write the database would.
  void Tamper(const std::string& sql);
  // Replaces the content of `ns` version `v` by edit(content), with the content hash recomputed.
  void TamperContent(const std::string& ns, store::Version v,
                     const std::function<void(config::Value&)>& edit);
  // The SQL that selects `ns` version `v` in bulwark_versions.
  static std::string Row(const std::string& ns, store::Version v);

  Runtime rt_;
  std::unique_ptr<store::testing::TestDatabase> db_;
  std::shared_ptr<store::ConfigStore> store_;
  std::shared_ptr<keys::Keyring> keyring_;
  std::shared_ptr<const StoreMacKey> key_;
  std::shared_ptr<bulwark::testing::RecordingAuditSink> audit_;
  std::unique_ptr<ConfigService> svc_;
  RequestContext ctx_;
};

}  // namespace bulwark::service::testing

#endif  // BULWARK_SRC_SERVICE_INTEGRITY_CONFORMANCE_H_
