// Test fixture for the lifecycle: the service fixture (SQLite store, keyring, fake clock,
// recording audit sink) plus a SecretLifecycle over it and a namespace `prod/db` holding the
// secret `password`.
#ifndef BULWARK_SRC_LIFECYCLE_TEST_FIXTURE_H_
#define BULWARK_SRC_LIFECYCLE_TEST_FIXTURE_H_

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "bulwark/config/format.h"
#include "bulwark/lifecycle/lifecycle.h"
#include "service/service_fixture_for_test.h"

namespace bulwark::lifecycle::testing {

class LifecycleFixture : public service::test_support::ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    config_ = std::shared_ptr<service::ConfigService>(service::ConfigService::Create(Deps()).value());
    lc_ = MakeLifecycle(config_, store_, {});
    service::SetRequest secret;
    secret.secret = true;
    ASSERT_TRUE(config_->Set(ctx_, "prod/db", P("password"), config::Value("initial-Password-1"), secret));
    ASSERT_TRUE(config_->Set(ctx_, "prod/db", P("host"), config::Value("db1"), {}));
  }

  std::unique_ptr<SecretLifecycle> MakeLifecycle(
      std::shared_ptr<service::ConfigService> config, std::shared_ptr<store::ConfigStore> st,
      std::function<Status(std::string_view, std::string_view)> step_hook) {
    LifecycleDeps d;
    d.runtime = rt_;
    d.store = std::move(st);
    d.authorizer = service::NewLocalAuthorizer();
    d.audit = audit_;
    d.config = std::move(config);
    d.store_mac = store_mac_;
    d.sleep = [this](Seconds s) { slept_.push_back(s); };
    d.step_hook = std::move(step_hook);
    auto lc = SecretLifecycle::Create(std::move(d));
    EXPECT_TRUE(lc.has_value());
    return lc ? std::move(*lc) : nullptr;
  }

  static config::Path P(const char* p) { return config::Path::Parse(p).value(); }

  Result<SecretRecord> Meta(std::string_view yaml, const char* path = "password",
                            std::string_view ns = "prod/db") {
    config::ParseOptions o;
    o.source_name = "meta.yaml";
    auto doc = config::ParseDocument(yaml, config::Format::kYaml, o);
    if (!doc) return std::unexpected(doc.error());
    return lc_->SetMetadata(ctx_, ns, P(path), *doc, {});
  }

  // The revealed value (current, or previous) of prod/db password; "" when there is none.
  std::string Value(bool previous = false) {
    auto r = lc_->Get(ctx_, "prod/db", P("password"), previous, true);
    if (!r || !r->value.is_string()) return "";
    return r->value.AsString();
  }

  std::string Slurp(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  // Operations of the recorded audit events that start with `prefix`, in order.
  std::vector<std::string> Ops(std::string_view prefix = "secret.") {
    std::vector<std::string> out;
    for (const auto& r : audit_->records()) {
      if (r.operation.starts_with(prefix)) {
        out.push_back(r.operation + ":" + std::string(service::OutcomeName(r.outcome)));
      }
    }
    return out;
  }

  std::shared_ptr<service::ConfigService> config_;
  std::unique_ptr<SecretLifecycle> lc_;
  std::vector<Seconds> slept_;
};

}  // namespace bulwark::lifecycle::testing

#endif  // BULWARK_SRC_LIFECYCLE_TEST_FIXTURE_H_
