// Test fixture for the service and the modules above it: a temporary directory holding a SQLite
// store, one keyring, a fake clock, a recording audit sink and a ConfigService over them, with a
// local principal in ctx_.
#ifndef BULWARK_SRC_SERVICE_SERVICE_FIXTURE_FOR_TEST_H_
#define BULWARK_SRC_SERVICE_SERVICE_FIXTURE_FOR_TEST_H_

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>

#include "bulwark/service/config_service.h"
#include "bulwark/service/keyring_value_cipher.h"
#include "bulwark/store/open.h"
#include "bulwark/testing/fake_runtime.h"
#include "bulwark/testing/recording_audit_sink.h"
#include "bulwark/testing/temp_dir.h"

namespace bulwark::service::test_support {

class ServiceFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    rt_ = Runtime{fake_.clock, NewSystemRandom(), NewLocalFileSystem()};
    auto store = store::OpenStore("sqlite:" + (dir_ / "store.db").string(), rt_);
    ASSERT_TRUE(store) << store.error();
    store_ = std::move(*store);
    keyring_ = keys::Keyring::Create(rt_, crypto::AlgorithmPolicy::Standard()).value();
    audit_ = std::make_shared<testing::RecordingAuditSink>();
    store_mac_ = StoreMacKey::Generate(*rt_.random).value();
    svc_ = ConfigService::Create(Deps()).value();
    ctx_.principal = {"local:tester", "local", {}, config::Value::EmptyMap()};
  }

  // The cipher of svc_ (called once keyring_ exists); the keyring's own by default.
  virtual std::shared_ptr<const ValueCipher> MakeCipher() {
    return NewKeyringValueCipher(keyring_);
  }
  // What svc_ is built from; a test adds compliance, notifiers, ... to build another service.
  ServiceDeps Deps() {
    ServiceDeps d{rt_, store_, MakeCipher(), NewLocalAuthorizer(), audit_, {}};
    d.store_mac = store_mac_;
    return d;
  }

  testing::TempDir tmp_{"bulwark-svc"};
  const std::filesystem::path dir_ = tmp_.path();
  testing::FakeRuntime fake_;
  Runtime rt_;
  std::shared_ptr<store::ConfigStore> store_;
  std::shared_ptr<keys::Keyring> keyring_;
  std::shared_ptr<testing::RecordingAuditSink> audit_;
  std::shared_ptr<const StoreMacKey> store_mac_;
  std::unique_ptr<ConfigService> svc_;
  RequestContext ctx_;
};

}  // namespace bulwark::service::test_support

#endif  // BULWARK_SRC_SERVICE_SERVICE_FIXTURE_FOR_TEST_H_
