#include "bulwark/keyops/key_usage_index.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace bulwark::keyops {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr int kIndexVersion = 1;

std::unexpected<Error> Corrupt(const fs::path& file, std::string_view what) {
  return std::unexpected(
      Error(ErrorCode::kDataLoss, fmt::format("key-usage index {}: {}", file.string(), what)));
}

}  // namespace

std::string KeyUsageIndex::Key(const fs::path& path) {
  std::error_code ec;
  fs::path abs = fs::absolute(path, ec);
  if (ec) abs = path;
  return abs.lexically_normal().string();
}

Result<KeyUsageIndex> KeyUsageIndex::Load(const FileSystem& files, fs::path file) {
  KeyUsageIndex index;
  index.file_ = std::move(file);
  BULWARK_ASSIGN_OR_RETURN(bool exists, files.Exists(index.file_));
  if (!exists) return index;
  BULWARK_ASSIGN_OR_RETURN(std::string text, files.ReadFile(index.file_));
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return Corrupt(index.file_, "not a JSON object");
  if (!doc.contains("version") || doc["version"] != kIndexVersion) {
    return Corrupt(index.file_, "unsupported or missing version");
  }
  if (!doc.contains("files") || !doc["files"].is_object()) {
    return Corrupt(index.file_, "'files' must be an object");
  }
  for (const auto& [path, entry] : doc["files"].items()) {
    if (!entry.is_object() || !entry.contains("format") || !entry["format"].is_string() ||
        !entry.contains("kids") || !entry["kids"].is_object()) {
      return Corrupt(index.file_, fmt::format("entry {} is malformed", path));
    }
    IndexedFile f;
    auto format = secfile::ParseFileFormatName(entry["format"].get<std::string>());
    if (!format) return Corrupt(index.file_, fmt::format("entry {}: unknown format", path));
    f.format = *format;
    for (const auto& [kid, count] : entry["kids"].items()) {
      auto id = keys::ParseKeyId(kid);
      if (!id || !count.is_number_unsigned()) {
        return Corrupt(index.file_, fmt::format("entry {}: malformed key count", path));
      }
      f.values_per_key[*id] = count.get<std::size_t>();
    }
    if (entry.contains("mac_kid")) {
      auto id = entry["mac_kid"].is_string() ? keys::ParseKeyId(entry["mac_kid"].get<std::string>())
                                             : Result<keys::KeyId>(InvalidArgumentError("kid"));
      if (!id) return Corrupt(index.file_, fmt::format("entry {}: malformed mac_kid", path));
      f.mac_key = *id;
    }
    if (entry.contains("updated") && entry["updated"].is_string()) {
      f.updated = entry["updated"].get<std::string>();
    }
    index.files_.emplace(path, std::move(f));
  }
  return index;
}

void KeyUsageIndex::Record(const fs::path& path, IndexedFile entry) {
  files_[Key(path)] = std::move(entry);
  dirty_ = true;
}

void KeyUsageIndex::Forget(const fs::path& path) {
  if (files_.erase(Key(path)) > 0) dirty_ = true;
}

std::vector<std::string> KeyUsageIndex::FilesUsing(keys::KeyId id) const {
  std::vector<std::string> out;
  for (const auto& [path, f] : files_) {
    if (f.mac_key == id || f.values_per_key.contains(id)) out.push_back(path);
  }
  return out;  // std::map order: sorted
}

Status KeyUsageIndex::Save(FileSystem& files) {
  if (!dirty_) return OkStatus();
  json entries = json::object();
  for (const auto& [path, f] : files_) {
    json kids = json::object();
    for (const auto& [id, n] : f.values_per_key) kids[keys::FormatKeyId(id)] = n;
    json e = {{"format", std::string(secfile::FileFormatName(f.format))}, {"kids", kids}};
    if (f.mac_key != 0) e["mac_kid"] = keys::FormatKeyId(f.mac_key);
    if (!f.updated.empty()) e["updated"] = f.updated;
    entries[path] = std::move(e);
  }
  const json doc = {{"version", kIndexVersion}, {"files", entries}};
  BULWARK_RETURN_IF_ERROR(files.WriteFileAtomic(file_, doc.dump(2) + "\n",
                                                fs::perms::owner_read | fs::perms::owner_write));
  dirty_ = false;
  return OkStatus();
}

}  // namespace bulwark::keyops
