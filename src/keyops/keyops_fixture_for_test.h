// Test fixture for keyops: the service fixture (a temporary directory with real files, a SQLite
// store behind a ConfigService, one keyring shared by files and namespaces) plus helpers that
// write encrypted files and namespaces.
#ifndef BULWARK_SRC_KEYOPS_KEYOPS_FIXTURE_FOR_TEST_H_
#define BULWARK_SRC_KEYOPS_KEYOPS_FIXTURE_FOR_TEST_H_

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bulwark/secfile/encfile.h"
#include "bulwark/service/key_service.h"
#include "bulwark/testing/assert_ok.h"
#include "config/internal/json_bridge.h"
#include "service/service_fixture_for_test.h"

namespace bulwark::keyops::test_support {

class KeyopsTest : public service::test_support::ServiceFixture {
 protected:
  // Encrypts `text` into dir_/name and returns the path.
  Result<std::string> EncryptedFile(const std::string& name, const std::string& text) {
    BULWARK_ASSIGN_OR_RETURN(const auto format, secfile::FileFormatFromPath(name));
    BULWARK_ASSIGN_OR_RETURN(auto enc, secfile::EncryptFile(text, format, *keyring_, rt_));
    const std::string path = (dir_ / name).string();
    BULWARK_RETURN_IF_ERROR(
        rt_.fs->WriteFileAtomic(path, enc.text, std::filesystem::perms::owner_all));
    return path;
  }
  // The store as key lifecycle operations see it (through the current svc_, as ctx_; a test that
  // runs SetUp again gets a new one, the earlier ones stay valid until the test ends).
  StoredNamespaces* Stored() {
    stored_.push_back(service::NewStoredNamespaces(*svc_, ctx_, keyring_));
    return stored_.back().get();
  }
  void Put(const std::string& ns, const char* json) {
    auto v = svc_->Put(ctx_, ns, config::internal::FromJson(nlohmann::json::parse(json)), {});
    ASSERT_TRUE(v) << v.error();
  }
  std::vector<std::unique_ptr<StoredNamespaces>> stored_;
};

}  // namespace bulwark::keyops::test_support

#endif  // BULWARK_SRC_KEYOPS_KEYOPS_FIXTURE_FOR_TEST_H_
