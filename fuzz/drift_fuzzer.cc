// Fuzzes the drift module's parsers: ignore files (IgnoreRules::Parse, then matching a path made
// from the input), baseline record files (a parsed record
// serializes and parses back to the same records), and source specs (ParseSource).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "bulwark/drift/baseline_record.h"
#include "bulwark/drift/ignore.h"
#include "bulwark/drift/source.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto rules = bulwark::drift::IgnoreRules::Parse(text, "drift.ignore")) {
    if (auto p = bulwark::config::Path::Parse(text.substr(0, 128))) (void)rules->Matches(*p);
  }
  if (auto records = bulwark::drift::ParseBaselineRecords(text, "drift-baselines.json")) {
    const std::string again = bulwark::drift::SerializeBaselineRecords(*records);
    auto back = bulwark::drift::ParseBaselineRecords(again, "again");
    if (!back || back->size() != records->size()) std::abort();
    for (const auto& [ns, r] : *records) {
      auto it = back->find(ns);
      if (it == back->end() || it->second.version != r.version ||
          it->second.fingerprints != r.fingerprints) {
        std::abort();
      }
    }
  }
  (void)bulwark::drift::ParseSource(text);
  return 0;
}
