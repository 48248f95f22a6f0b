// Test fixture for keyops: a temporary directory with real files, a SQLite store behind a
// ConfigService, and one keyring shared by files and namespaces.
#ifndef BULWARK_SRC_KEYOPS_KEYOPS_FIXTURE_FOR_TEST_H_
#define BULWARK_SRC_KEYOPS_KEYOPS_FIXTURE_FOR_TEST_H_

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "bulwark/secfile/encfile.h"
#include "bulwark/service/config_service.h"
#include "bulwark/service/keyring_value_cipher.h"
#include "bulwark/store/open.h"
#include "bulwark/testing/fake_runtime.h"
#include "bulwark/testing/recording_audit_sink.h"
#include "config/internal/json_bridge.h"

namespace bulwark::keyops::test_support {

class KeyopsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/bulwark-keyops-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    rt_ = Runtime{fake_.clock, NewSystemRandom(), NewLocalFileSystem()};
    store_ = store::OpenStore("sqlite:" + (dir_ / "store.db").string(), rt_).value();
    keyring_ = keys::Keyring::Create(rt_, crypto::AlgorithmPolicy::Standard()).value();
    audit_ = std::make_shared<testing::RecordingAuditSink>();
    service::ServiceDeps deps{
        rt_,    store_, service::NewKeyringValueCipher(keyring_), service::NewLocalAuthorizer(),
        audit_, {}};
    svc_ = service::ConfigService::Create(std::move(deps)).value();
    ctx_.principal = {"local:tester", "local", {}, config::Value::EmptyMap()};
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Encrypts `text` into dir_/name and returns the path.
  std::string EncryptedFile(const std::string& name, const std::string& text) {
    const auto format = secfile::FileFormatFromPath(name).value();
    auto enc = secfile::EncryptFile(text, format, *keyring_, rt_);
    EXPECT_TRUE(enc.has_value()) << enc.error();
    const std::string path = (dir_ / name).string();
    EXPECT_TRUE(rt_.fs->WriteFileAtomic(path, enc->text, std::filesystem::perms::owner_all));
    return path;
  }
  void Put(const std::string& ns, const char* json) {
    auto v = svc_->Put(ctx_, ns, config::internal::FromJson(nlohmann::json::parse(json)), {});
    ASSERT_TRUE(v) << v.error();
  }

  std::filesystem::path dir_;
  testing::FakeRuntime fake_;
  Runtime rt_;
  std::shared_ptr<store::ConfigStore> store_;
  std::shared_ptr<keys::Keyring> keyring_;
  std::shared_ptr<testing::RecordingAuditSink> audit_;
  std::unique_ptr<service::ConfigService> svc_;
  service::RequestContext ctx_;
};

}  // namespace bulwark::keyops::test_support

#endif  // BULWARK_SRC_KEYOPS_KEYOPS_FIXTURE_FOR_TEST_H_
