// Test helpers for auditship: a temporary directory, realistic events, a log without signers.
#ifndef BULWARK_SRC_AUDITSHIP_TEST_UTIL_H_
#define BULWARK_SRC_AUDITSHIP_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "bulwark/auditlog/event_store.h"
#include "bulwark/testing/assert_ok.h"
#include "bulwark/testing/temp_dir.h"

namespace bulwark::auditship::testing {

using ::bulwark::testing::TempDir;

// A canonical (RFC 8785: sorted keys, no spaces) event in BuildEvent's shape.
inline std::string EventLeaf(std::uint64_t i, const std::string& level = "low") {
  nlohmann::json j;  // nlohmann::json sorts keys, and dump() adds no spaces
  j["specversion"] = "1.0";
  j["id"] = "ev-" + std::to_string(i);
  j["source"] = "bulwark://test/config";
  j["type"] = "dev.bulwark.config.set";
  j["subject"] = "prod/app";
  j["time"] = "2026-01-02T03:04:05.000006Z";
  j["data"] = {{"action", "write"},
               {"actor", {{"id", "alice"}, {"kind", "local"}}},
               {"impact", {{"level", level}, {"reasons", nlohmann::json::array()}}},
               {"namespace", "prod/app"},
               {"operation", "config.set"},
               {"outcome", "success"},
               {"paths", {"db.port", "k" + std::to_string(i)}}};
  return j.dump();
}

inline Result<std::shared_ptr<audit::AuditLog>> OpenLog(const std::filesystem::path& dir) {
  audit::AuditLogOptions o;
  o.path = dir / "audit.db";
  o.origin = "bulwark.test/audit";
  BULWARK_ASSIGN_OR_RETURN(auto log, audit::AuditLog::Open(std::move(o)));
  return std::shared_ptr<audit::AuditLog>(std::move(log));
}

inline void AppendEvents(audit::AuditLog& log, std::uint64_t n) {
  for (std::uint64_t k = 0; k < n; ++k) {
    auto size = log.LeafCount();
    ASSERT_TRUE(size.has_value());
    const std::string leaf = EventLeaf(*size);
    auto r = log.Append(leaf, audit::ColumnsOfEvent(nlohmann::json::parse(leaf)));
    ASSERT_TRUE(r.has_value()) << r.error().message();
  }
}

inline std::string ReadText(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Writes ca.pem/ca.key, other-ca.pem (signs nothing here), server.pem/server.key (localhost,
// 127.0.0.1) and client.pem/client.key (clientAuth) into `dir`, with the openssl tool.
inline void MakeTestCertificates(const std::filesystem::path& dir) {
  const std::string d = dir.string();
  auto sh = [](const std::string& cmd) {
    ASSERT_EQ(std::system((cmd + " >/dev/null 2>&1").c_str()), 0) << cmd;
  };
  for (const char* name : {"ca", "other-ca", "server", "client"}) {
    sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " + d + "/" + name +
       ".key");
  }
  sh("openssl req -x509 -new -key " + d + "/ca.key -out " + d +
     "/ca.pem -days 2 -subj /CN=test-ca");
  sh("openssl req -x509 -new -key " + d + "/other-ca.key -out " + d +
     "/other-ca.pem -days 2 -subj /CN=other");
  std::ofstream(dir / "server.ext") << "subjectAltName=DNS:localhost,IP:127.0.0.1\n";
  std::ofstream(dir / "client.ext") << "extendedKeyUsage=clientAuth\n";
  for (const std::string who : {"server", "client"}) {
    sh("openssl req -new -key " + d + "/" + who + ".key -out " + d + "/" + who +
       ".csr -subj /CN=" + who);
    sh("openssl x509 -req -in " + d + "/" + who + ".csr -CA " + d + "/ca.pem -CAkey " + d +
       "/ca.key -CAcreateserial -out " + d + "/" + who + ".pem -days 2 -extfile " + d + "/" + who +
       ".ext");
  }
}

inline std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string line; std::getline(ss, line);) out.push_back(line);
  return out;
}

}  // namespace bulwark::auditship::testing

#endif  // BULWARK_SRC_AUDITSHIP_TEST_UTIL_H_
