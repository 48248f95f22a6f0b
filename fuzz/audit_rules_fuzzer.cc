// Fuzzes the impact rules parser and classifier: no crash on any rules document, and a parsed
// rule set classifies a fixed record set without crashing, always with a valid level, and the
// direct canonical writer (RecordLeaf) gives the bytes of BuildEvent + RFC 8785 for the fuzzed
// reasons (rule reasons are arbitrary strings).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "bulwark/auditlog/event.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto rules = bulwark::audit::ImpactClassifier::FromJson(text);
  if (!rules) return 0;
  bulwark::request::AuditRecord r;
  r.operation = "config.set";
  r.action = bulwark::request::Action::kWrite;
  r.namespace_name = "production/app";
  r.paths = {"db.ssl_mode", "tls.verify"};
  r.sensitive_paths = {"db.password"};
  const auto impact = rules->Classify(r);
  if (static_cast<int>(impact.level) > 3) std::abort();
  auto leaf = bulwark::audit::EventLeaf(bulwark::audit::BuildEvent(r, impact, "id", "src"));
  if (!leaf) std::abort();
  auto direct = bulwark::audit::RecordLeaf(r, impact, "id", "src");
  if (!direct || *direct != *leaf) std::abort();
  return 0;
}
