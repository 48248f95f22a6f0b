#include "bulwark/scan/finding.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <tuple>

#include "bulwark/core/encoding.h"
#include "bulwark/crypto/hash.h"

namespace bulwark::scan {

std::string_view FindingKindName(FindingKind kind) {
  switch (kind) {
    case FindingKind::kSecret: return "secret";
    case FindingKind::kSetting: return "setting";
    case FindingKind::kVulnerability: return "vulnerability";
  }
  return "secret";
}

std::string_view FindingStatusName(FindingStatus status) {
  switch (status) {
    case FindingStatus::kNew: return "new";
    case FindingStatus::kOpen: return "open";
    case FindingStatus::kFixed: return "fixed";
    case FindingStatus::kBaselined: return "baselined";
  }
  return "new";
}

std::string Redact(std::string_view secret, bool show_prefix) {
  std::string out;
  if (show_prefix && secret.size() >= 16) {
    for (std::size_t i = 0; i < 4; ++i) {
      const unsigned char c = static_cast<unsigned char>(secret[i]);
      out.push_back(c >= 0x21 && c < 0x7f ? static_cast<char>(c) : '?');
    }
  }
  out += "\xE2\x80\xA6[" + std::to_string(secret.size()) + "]";
  return out;
}

double ShannonEntropy(std::string_view s) {
  if (s.empty()) return 0;
  std::array<std::uint32_t, 256> counts{};
  for (char c : s) ++counts[static_cast<unsigned char>(c)];
  double h = 0;
  const double n = static_cast<double>(s.size());
  for (std::uint32_t c : counts) {
    if (c == 0) continue;
    const double p = c / n;
    h -= p * std::log2(p);
  }
  return h;
}

std::string Fingerprint(std::string_view rule, std::string_view target, std::string_view key,
                        std::string_view secret) {
  auto inner = crypto::Sha256(secret);
  std::string msg = "bulwark-scan-fingerprint/v1";
  msg.push_back('\0');
  msg.append(rule).push_back('\0');
  msg.append(target).push_back('\0');
  msg.append(key).push_back('\0');
  if (inner) msg.append(reinterpret_cast<const char*>(inner->data()), inner->size());
  auto outer = crypto::Sha256(msg);
  if (!outer) return "";
  return HexEncode(std::span<const std::uint8_t>(outer->data(), 16));
}

void SortFindings(std::vector<Finding>& findings) {
  std::stable_sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
    return std::tie(a.target, a.offset, a.line, a.rule, a.kind, a.path) <
           std::tie(b.target, b.offset, b.line, b.rule, b.kind, b.path);
  });
}

}  // namespace bulwark::scan
