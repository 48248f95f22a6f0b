// The store-integrity conformance suite (integrity_conformance.h) on SQLite.
#include "service/integrity_conformance.h"

namespace bulwark::service::testing {
namespace {

Result<std::unique_ptr<store::testing::TestDatabase>> MakeSqlite() {
  return store::testing::NewSqliteTestDatabase();
}

INSTANTIATE_TEST_SUITE_P(Sqlite, IntegrityConformanceTest,
                         ::testing::Values(store::testing::Backend{"Sqlite", &MakeSqlite}),
                         store::testing::BackendName);

}  // namespace
}  // namespace bulwark::service::testing
