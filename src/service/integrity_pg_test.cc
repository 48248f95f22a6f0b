// The store-integrity conformance suite (integrity_conformance.h) on PostgreSQL. Needs the test
// server (ctest starts it as the fixture store_pg_server; by hand: scripts/pg-test-server.sh
// start). A missing server fails these tests, never skips them.
#include "service/integrity_conformance.h"

namespace bulwark::service::testing {
namespace {

INSTANTIATE_TEST_SUITE_P(Postgres, IntegrityConformanceTest,
                         ::testing::Values(store::testing::Backend{
                             "Postgres", &store::testing::NewPostgresTestDatabase}),
                         store::testing::BackendName);

}  // namespace
}  // namespace bulwark::service::testing
