// The audit log conformance suite (auditlog_conformance.cc) on PostgreSQL, plus what only
// PostgreSQL has: schema version refusal in the bulwark_audit_schema table. Needs the throwaway
// server of scripts/pg-test-server.sh (ctest starts it as a fixture; the tests fail without it).
#include <gtest/gtest.h>

#include "auditlog/auditlog_fixture.h"

namespace bulwark::audit::logtest {
namespace {

INSTANTIATE_TEST_SUITE_P(Postgres, AuditLogConformance, ::testing::Values(std::string(kPostgres)));

class AuditLogPostgresTest : public AuditLogFixture {
 protected:
  std::string Backend() const override { return kPostgres; }
};

TEST_F(AuditLogPostgresTest, RefusesANewerSchemaVersion) {
  ASSERT_NO_FATAL_FAILURE(FillNewLog(3));
  ASSERT_TRUE(RawExec("UPDATE bulwark_audit_schema SET version = 99",
                      "UPDATE bulwark_audit_schema SET version = 99"));
  auto log = AuditLog::Open(Options());
  ASSERT_FALSE(log.has_value());
  EXPECT_EQ(log.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(log.error().message().find("99"), std::string::npos) << log.error().message();
}

TEST_F(AuditLogPostgresTest, ReportsAnUnreachableServer) {
  AuditLogOptions o = Options();
  o.url = "postgresql://postgres@127.0.0.1:1/none?connect_timeout=2";
  auto log = AuditLog::Open(o);
  ASSERT_FALSE(log.has_value());
  EXPECT_EQ(log.error().code(), ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace bulwark::audit::logtest
