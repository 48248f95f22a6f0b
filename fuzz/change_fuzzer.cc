// Fuzzes the change module's parsers: approval policy files (ApprovalPolicies::Parse, then
// Find on a namespace made from the input: every error is kInvalidArgument) and change request
// records (FromValue over any JSON document: a record that parses serializes and parses back to
// the same request, with the same change hash).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "bulwark/change/model.h"
#include "bulwark/config/format.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto policies = bulwark::change::ApprovalPolicies::Parse(text, "approval-policies.yaml");
  if (policies) {
    (void)policies->Find(text.substr(0, 64));
  } else if (policies.error().code() != bulwark::ErrorCode::kInvalidArgument) {
    std::abort();
  }
  auto doc = bulwark::config::ParseDocument(text, bulwark::config::Format::kJson,
                                            {.source_name = "record", .track_locations = false});
  if (!doc) return 0;
  auto record = bulwark::change::FromValue(doc->root);
  if (!record) {
    if (record.error().code() != bulwark::ErrorCode::kDataLoss) std::abort();
    return 0;
  }
  auto back = bulwark::change::FromValue(bulwark::change::ToValue(*record));
  if (!back || back->id != record->id || back->ops.size() != record->ops.size() ||
      back->approvals.size() != record->approvals.size() ||
      bulwark::change::ChangeHash(*back).value_or("") !=
          bulwark::change::ChangeHash(*record).value_or("")) {
    std::abort();
  }
  return 0;
}
