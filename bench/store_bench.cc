// Configuration store latency and throughput (issue 4: "put/get/set latency and throughput on
// SQLite and on PostgreSQL, for a 100-key and a 10,000-key document").
//
// Workload: a document of N leaves (N = 100 or 10,000) as N/10 sections of 10 string keys
// ("section_17": {"key_3": "value-17-3-xxxxxxxxxxxx", ...}); 100 keys = 3.4 KB, 10,000 keys =
// 365 KB of canonical JSON. Measured, one thread, one store object:
//   Put/<backend>/<N>   store the whole document as a new version (encode, hash, durable commit)
//   Get/<backend>/<N>   read the latest version (load, verify hash, parse)
//   Set/<backend>/<N>   change one key (load + parse latest, set, encode, hash, durable commit)
// Reference: RawSqlite{Insert,Select}/<N>: the same canonical bytes inserted into / selected from
// a bare one-table SQLite database with the same durability settings (WAL, synchronous=FULL), to
// show what the store adds over the database itself.
// SQLite runs on a fresh file in /tmp; PostgreSQL on the throwaway test server
// (scripts/pg-test-server.sh, started here if not running; its namespaces are unique per run).
// Results: bench/results/store.md.
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>

#include "bulwark/config/format.h"
#include "bulwark/store/open.h"
#include "bulwark/testing/temp_dir.h"

namespace bulwark::store {
namespace {

config::Value MakeDoc(int keys) {
  config::ValueMap root;
  for (int s = 0; s < keys / 10; ++s) {
    config::ValueMap section;
    for (int k = 0; k < 10; ++k) {
      section.Set(fmt::format("key_{}", k),
                  config::Value(fmt::format("value-{}-{}-xxxxxxxxxxxx", s, k)));
    }
    root.Set(fmt::format("section_{}", s), config::Value(std::move(section)));
  }
  return config::Value(std::move(root));
}

const config::Value& Doc(int keys) {
  static const config::Value small = MakeDoc(100);
  static const config::Value large = MakeDoc(10'000);
  return keys == 100 ? small : large;
}

std::filesystem::path BenchDir() {
  static const ::bulwark::testing::TempDir dir("bulwark-store-bench");  // removed at exit
  return dir.path();
}

std::string PgUrl() {
  const char* env = std::getenv("BULWARK_TEST_PG_URL");
  return env && *env ? env : "postgresql://postgres@127.0.0.1:54329/bulwark_test";
}

// One store per backend for the whole run (nullptr when the backend cannot be opened).
ConfigStore* Store(const std::string& backend) {
  static std::unique_ptr<ConfigStore> sqlite = [] {
    auto s = OpenStore("sqlite:" + (BenchDir() / "store.db").string(), Runtime::System());
    if (!s) fmt::print(stderr, "sqlite: {}\n", s.error().ToString());
    return s ? std::move(*s) : nullptr;
  }();
  static std::unique_ptr<ConfigStore> pg = [] {
    auto s = OpenStore(PgUrl(), Runtime::System());
    if (!s) {
      std::string cmd =
          std::string(BULWARK_SOURCE_DIR) + "/scripts/pg-test-server.sh start >/dev/null";
      if (std::system(cmd.c_str()) == 0) s = OpenStore(PgUrl(), Runtime::System());
    }
    if (!s) fmt::print(stderr, "postgresql: {}\n", s.error().ToString());
    return s ? std::move(*s) : nullptr;
  }();
  return backend == "Sqlite" ? sqlite.get() : pg.get();
}

std::string Ns(const std::string& op, int keys) {
  return fmt::format("bench/p{}/{}/{}", getpid(), op, keys);
}

void BM_Put(benchmark::State& state, std::string backend, int keys) {
  ConfigStore* store = Store(backend);
  if (!store) return state.SkipWithError("backend unavailable");
  const config::Value& doc = Doc(keys);
  std::string ns = Ns("put", keys);
  for (auto _ : state) {
    auto r = store->Put(ns, doc, WriteOptions{.author = "bench"});
    if (!r) return state.SkipWithError(r.error().ToString().c_str());
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Get(benchmark::State& state, std::string backend, int keys) {
  ConfigStore* store = Store(backend);
  if (!store) return state.SkipWithError("backend unavailable");
  std::string ns = Ns("get", keys);
  if (!store->Put(ns, Doc(keys), WriteOptions{.author = "bench"})) {
    return state.SkipWithError("setup put failed");
  }
  for (auto _ : state) {
    auto r = store->Get(ns, VersionRef::Latest());
    if (!r) return state.SkipWithError(r.error().ToString().c_str());
    benchmark::DoNotOptimize(r->content);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Set(benchmark::State& state, std::string backend, int keys) {
  ConfigStore* store = Store(backend);
  if (!store) return state.SkipWithError("backend unavailable");
  std::string ns = Ns("set", keys);
  if (!store->Put(ns, Doc(keys), WriteOptions{.author = "bench"})) {
    return state.SkipWithError("setup put failed");
  }
  std::int64_t i = 0;
  for (auto _ : state) {
    auto r = store->Set(ns, "section_0.key_0", config::Value(++i), WriteOptions{.author = "bench"});
    if (!r) return state.SkipWithError(r.error().ToString().c_str());
  }
  state.SetItemsProcessed(state.iterations());
}

// The reference: bare SQLite with the store's durability settings.
sqlite3* RawDb() {
  static sqlite3* db = [] {
    sqlite3* d = nullptr;
    sqlite3_open((BenchDir() / "raw.db").c_str(), &d);
    sqlite3_exec(d,
                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                 "CREATE TABLE t (id INTEGER PRIMARY KEY, content BLOB NOT NULL)",
                 nullptr, nullptr, nullptr);
    return d;
  }();
  return db;
}

void BM_RawSqliteInsert(benchmark::State& state, int keys) {
  std::string bytes = *config::EmitDocument(Doc(keys), config::Format::kJson, {.indent = 0});
  sqlite3* db = RawDb();
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO t (content) VALUES (?1)", -1, &s, nullptr);
  for (auto _ : state) {
    sqlite3_bind_blob(s, 1, bytes.data(), static_cast<int>(bytes.size()), SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE) return state.SkipWithError(sqlite3_errmsg(db));
    sqlite3_reset(s);
  }
  sqlite3_finalize(s);
  state.SetItemsProcessed(state.iterations());
}

void BM_RawSqliteSelect(benchmark::State& state, int keys) {
  std::string bytes = *config::EmitDocument(Doc(keys), config::Format::kJson, {.indent = 0});
  sqlite3* db = RawDb();
  sqlite3_stmt* ins = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO t (content) VALUES (?1)", -1, &ins, nullptr);
  sqlite3_bind_blob(ins, 1, bytes.data(), static_cast<int>(bytes.size()), SQLITE_STATIC);
  sqlite3_step(ins);
  sqlite3_finalize(ins);
  std::int64_t id = sqlite3_last_insert_rowid(db);
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db, "SELECT content FROM t WHERE id = ?1", -1, &s, nullptr);
  for (auto _ : state) {
    sqlite3_bind_int64(s, 1, id);
    if (sqlite3_step(s) != SQLITE_ROW) return state.SkipWithError(sqlite3_errmsg(db));
    std::string out(static_cast<const char*>(sqlite3_column_blob(s, 0)),
                    static_cast<std::size_t>(sqlite3_column_bytes(s, 0)));
    benchmark::DoNotOptimize(out);
    sqlite3_reset(s);
  }
  sqlite3_finalize(s);
  state.SetItemsProcessed(state.iterations());
}

int Register() {
  for (int keys : {100, 10'000}) {
    for (const char* backend : {"Sqlite", "Postgres"}) {
      std::string b = backend;
      benchmark::RegisterBenchmark(fmt::format("Put/{}/{}", b, keys).c_str(), BM_Put, b, keys)
          ->Unit(benchmark::kMicrosecond)
          ->MinTime(0.5)
          ->UseRealTime();
      benchmark::RegisterBenchmark(fmt::format("Get/{}/{}", b, keys).c_str(), BM_Get, b, keys)
          ->Unit(benchmark::kMicrosecond)
          ->MinTime(0.5)
          ->UseRealTime();
      benchmark::RegisterBenchmark(fmt::format("Set/{}/{}", b, keys).c_str(), BM_Set, b, keys)
          ->Unit(benchmark::kMicrosecond)
          ->MinTime(0.5)
          ->UseRealTime();
    }
    benchmark::RegisterBenchmark(fmt::format("RawSqliteInsert/{}", keys).c_str(),
                                 BM_RawSqliteInsert, keys)
        ->Unit(benchmark::kMicrosecond)
        ->MinTime(0.5)
        ->UseRealTime();
    benchmark::RegisterBenchmark(fmt::format("RawSqliteSelect/{}", keys).c_str(),
                                 BM_RawSqliteSelect, keys)
        ->Unit(benchmark::kMicrosecond)
        ->MinTime(0.5)
        ->UseRealTime();
  }
  return 0;
}
const int kRegistered = Register();

}  // namespace
}  // namespace bulwark::store

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
