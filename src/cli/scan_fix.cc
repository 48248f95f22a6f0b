#include "cli/scan_fix.h"

#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <set>

#include "bulwark/secfile/encfile.h"
#include "bulwark/secfile/spans.h"
#include "bulwark/service/file_service.h"

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
  BULWARK_ASSIGN_OR_RETURN(auto node, OpenNode(ctx, key_args));
  BULWARK_ASSIGN_OR_RETURN(service::FileService * files, node->Files());
  auto local = NewLocalFileSystem();
  for (const auto& [file, fs] : by_file) {
    auto skip = [&](const std::string& why) {
      ctx.io.err << fmt::format("not fixed: {}: {}\n", file, why);
    };
    auto format = secfile::FileFormatFromPath(file);
    if (!format) {
      skip("no in-place encryption for this file type (YAML, JSON, TOML, dotenv, INI)");
      continue;
    }
    BULWARK_ASSIGN_OR_RETURN(std::string text, local->ReadFile(file));
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
    if (dry_run) {
      ++result.files;
      result.values += paths.size();
      continue;
    }
    service::EncryptFileRequest req;
    req.file = file;
    req.format = *format;
    req.output = file;
    req.paths = paths;
    auto enc = files->Encrypt(node->LocalContext(), req);
    if (!enc) {
      // This file cannot be encrypted (it does not parse, a value looks like a token, the
      // scanners misjudged its layout): say so and go on. Keys, passphrase, audit or
      // authorization failing stops the fix.
      const ErrorCode code = enc.error().code();
      if (code != ErrorCode::kInvalidArgument && code != ErrorCode::kInternal) {
        return std::unexpected(enc.error());
      }
      skip(enc.error().message());
      continue;
    }
    ++result.files;
    result.values += enc->encrypted.size();
  }
  BULWARK_RETURN_IF_ERROR(node->Close());
  return result;
}

}  // namespace bulwark::cli
