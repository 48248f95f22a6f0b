#include "cli/scan_fix.h"

#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <set>

#include "bulwark/secfile/encfile.h"
#include "bulwark/secfile/spans.h"

namespace bulwark::cli {

Result<ScanFixResult> FixSecretsInFiles(CommandContext& ctx, const KeyArgs& key_args,
                                        const std::vector<scan::Finding>& findings, bool dry_run) {
  // Secret findings per file target (environment variables and namespaces are not files).
  std::map<std::string, std::vector<const scan::Finding*>> by_file;
  for (const scan::Finding& f : findings) {
    if (f.kind != scan::FindingKind::kSecret || f.status == scan::FindingStatus::kBaselined ||
        f.target.starts_with("env:") || f.target.starts_with("ns:") || f.line == 0) {
      continue;
    }
    by_file[f.target].push_back(&f);
  }
  ScanFixResult result;
  if (by_file.empty()) return result;
  BULWARK_ASSIGN_OR_RETURN(Keys k, OpenKeys(ctx, key_args, dry_run ? KeyringAccess::kRead
                                                                   : KeyringAccess::kUpdate));
  for (const auto& [file, fs] : by_file) {
    auto skip = [&](const std::string& why) {
      ctx.io.err << fmt::format("not fixed: {}: {}\n", file, why);
    };
    auto format = secfile::FileFormatFromPath(file);
    if (!format) {
      skip("no in-place encryption for this file type (YAML, JSON, TOML, dotenv, INI)");
      continue;
    }
    BULWARK_ASSIGN_OR_RETURN(std::string text, k.runtime.fs->ReadFile(file));
    if (secfile::IsEncryptedFile(text, *format)) {
      skip("already an encrypted file; add values with 'bulwark edit'");
      continue;
    }
    auto spans = secfile::ScanValues(text, *format, {.source_name = file});
    if (!spans) {
      skip(spans.error().message());
      continue;
    }
    std::vector<config::Path> paths;
    std::set<std::string> seen;
    for (const scan::Finding* f : fs) {
      const secfile::ValueSpan* hit = nullptr;
      for (const secfile::ValueSpan& s : *spans) {
        if (s.begin <= f->offset && f->offset + f->length <= s.end) hit = &s;
      }
      if (hit == nullptr) {
        skip(fmt::format("line {}: {} is not a whole configuration value (a comment or part of "
                         "a larger text); edit it by hand",
                         f->line, f->rule));
        continue;
      }
      if (seen.insert(hit->path.ToString()).second) {
        paths.push_back(hit->path);
        ctx.io.err << fmt::format("{} {} (line {}) in {}\n", dry_run ? "would encrypt" : "encrypt",
                                  hit->path.ToString(), hit->line, file);
      }
    }
    if (paths.empty()) continue;
    secfile::EncryptOptions options;
    options.source_name = file;
    options.paths = paths;
    auto enc = secfile::EncryptFile(text, *format, *k.keyring, k.runtime, options);
    if (!enc) {
      skip(enc.error().message());
      continue;
    }
    ++result.files;
    result.values += enc->encrypted.size();
    if (dry_run) continue;
    std::error_code ec;
    auto perms = std::filesystem::status(file, ec).permissions();
    if (ec) perms = std::filesystem::perms::owner_read | std::filesystem::perms::owner_write;
    BULWARK_RETURN_IF_ERROR(k.runtime.fs->WriteFileAtomic(file, enc->text, perms));
    if (auto s = UpdateKeyUsageIndex(ctx, k, file, *format, /*encrypted=*/true); !s) {
      ctx.io.err << fmt::format("bulwark: warning: key-usage index not updated for {}: {}\n", file,
                                s.error().message());
    }
  }
  if (!dry_run && result.files > 0) BULWARK_RETURN_IF_ERROR(k.Save());  // usage counts
  return result;
}

}  // namespace bulwark::cli
