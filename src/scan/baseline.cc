#include "bulwark/scan/baseline.h"

#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>

namespace bulwark::scan {

Result<Baseline> ParseBaseline(std::string_view text, const std::string& source_name) {
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return InvalidArgumentError("baseline " + source_name + ": not a JSON object");
  }
  if (!doc.contains("version") || doc["version"] != 1) {
    return InvalidArgumentError("baseline " + source_name + ": version must be 1");
  }
  if (!doc.contains("fingerprints") || !doc["fingerprints"].is_array()) {
    return InvalidArgumentError("baseline " + source_name + ": fingerprints must be an array");
  }
  Baseline b;
  const auto& list = doc["fingerprints"];
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto& e = list[i];
    const nlohmann::json* fp = e.is_object() && e.contains("fingerprint") ? &e["fingerprint"]
                               : e.is_string()                            ? &e
                                                                          : nullptr;
    if (fp == nullptr || !fp->is_string()) {
      return InvalidArgumentError(
          fmt::format("baseline {}: fingerprints[{}]: expected {{\"fingerprint\": ...}}", source_name, i));
    }
    const std::string& s = fp->get_ref<const std::string&>();
    const bool hex = s.size() == 32 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
    if (!hex) {
      return InvalidArgumentError(
          fmt::format("baseline {}: fingerprints[{}]: not 32 lowercase hex digits", source_name, i));
    }
    b.fingerprints.insert(s);
  }
  return b;
}

std::string RenderBaseline(const std::vector<Finding>& findings) {
  std::map<std::string, const Finding*> by_fp;
  for (const Finding& f : findings) by_fp.emplace(f.fingerprint, &f);
  nlohmann::ordered_json doc;
  doc["version"] = 1;
  doc["tool"] = "bulwark scan";
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& [fp, f] : by_fp) {
    list.push_back({{"fingerprint", fp}, {"rule", f->rule}, {"target", f->target}});
  }
  doc["fingerprints"] = std::move(list);
  return doc.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

std::size_t ApplyBaseline(const Baseline& baseline, std::vector<Finding>& findings) {
  std::size_t n = 0;
  for (Finding& f : findings) {
    if (baseline.fingerprints.contains(f.fingerprint)) {
      f.status = FindingStatus::kBaselined;
      ++n;
    }
  }
  return n;
}

}  // namespace bulwark::scan
