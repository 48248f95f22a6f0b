#include "bulwark/keyops/key_usage.h"

#include <fmt/format.h>

#include <set>

#include "bulwark/secfile/encfile.h"
#include "bulwark/secfile/token.h"

namespace bulwark::keyops {
namespace fs = std::filesystem;

namespace {

std::string JoinPaths(const std::vector<config::Path>& paths) {
  std::string out;
  for (const config::Path& p : paths) {
    if (!out.empty()) out += ", ";
    out += p.ToString();
  }
  return out;
}

// The paths of `tokens` whose key is `id` (tokens that do not parse are skipped: they cannot be
// decrypted by any key).
std::vector<config::Path> PathsUnder(const std::vector<StoredValueToken>& tokens, keys::KeyId id) {
  std::vector<config::Path> out;
  for (const StoredValueToken& t : tokens) {
    auto token = secfile::ParseToken(t.token);
    if (token && token->key_id == id) out.push_back(t.path);
  }
  return out;
}

}  // namespace

std::size_t KeyUsage::value_count() const {
  std::size_t n = 0;
  for (const FileUsage& f : files) n += f.values.size();
  for (const NamespaceUsage& u : namespaces) n += u.values.size();
  return n;
}

std::string KeyUsage::Describe() const {
  std::string out;
  for (const FileUsage& f : files) {
    out +=
        fmt::format("  file {}: {} value(s){}{}\n", f.path, f.values.size(),
                    f.values.empty() ? "" : ": " + JoinPaths(f.values),
                    f.mac ? " (and the document MAC: the whole file could not be verified)" : "");
  }
  for (const NamespaceUsage& u : namespaces) {
    out += fmt::format("  namespace {} (version {}): {} value(s): {}\n", u.ns, u.version,
                       u.values.size(), JoinPaths(u.values));
  }
  for (const HistoryUsage& h : history) {
    std::string versions;
    for (std::int64_t v : h.versions)
      versions += fmt::format("{}{}", versions.empty() ? "" : ", ", v);
    out += fmt::format(
        "  older versions of namespace {} also use it (version {}): rolling back to "
        "them would fail\n",
        h.ns, versions);
  }
  for (const std::string& p : problems) out += fmt::format("  could not check {}\n", p);
  return out;
}

Result<IndexedFile> InspectFile(const FileSystem& files, const fs::path& path,
                                secfile::FileFormat format, const Clock& clock) {
  BULWARK_ASSIGN_OR_RETURN(std::string text, files.ReadFile(path));
  return InspectText(text, path, format, clock);
}

Result<IndexedFile> InspectText(std::string_view text, const fs::path& path,
                                secfile::FileFormat format, const Clock& clock) {
  BULWARK_ASSIGN_OR_RETURN(secfile::FileTokens tokens,
                           secfile::ListTokens(text, format, path.string()));
  IndexedFile entry;
  entry.format = format;
  entry.values_per_key = tokens.ValuesPerKey();
  entry.mac_key = tokens.mac_key_id;
  entry.updated = FormatRfc3339(clock.Now());
  return entry;
}

Result<KeyUsage> FindKeyUsage(keys::KeyId id, const UsageSources& sources, const FileSystem& files,
                              const Clock& clock) {
  KeyUsage usage;
  usage.key = id;
  // Files: the index's entries (with their recorded format) and the extra ones (format from the
  // name), each re-read.
  std::map<std::string, std::optional<secfile::FileFormat>> candidates;
  if (sources.index != nullptr) {
    for (const auto& [path, entry] : sources.index->files()) candidates[path] = entry.format;
  }
  for (const std::string& f : sources.extra_files) {
    const std::string key = KeyUsageIndex::Key(f);
    if (!candidates.contains(key)) candidates[key] = std::nullopt;
  }
  for (const auto& [path, known_format] : candidates) {
    auto exists = files.Exists(path);
    if (!exists) {
      usage.problems.push_back(fmt::format("{}: {}", path, exists.error().message()));
      continue;
    }
    if (!*exists) {
      if (sources.index != nullptr) sources.index->Forget(path);
      if (!known_format) usage.problems.push_back(fmt::format("{}: no such file", path));
      continue;
    }
    secfile::FileFormat format;
    if (known_format) {
      format = *known_format;
    } else {
      auto f = secfile::FileFormatFromPath(path);
      if (!f) {
        usage.problems.push_back(fmt::format("{}: {}", path, f.error().message()));
        continue;
      }
      format = *f;
    }
    auto text = files.ReadFile(path);
    if (!text) {
      usage.problems.push_back(fmt::format("{}: {}", path, text.error().message()));
      continue;
    }
    if (!secfile::IsEncryptedFile(*text, format)) {
      // Decrypted or replaced since it was indexed: it holds no token of any key.
      if (sources.index != nullptr) sources.index->Forget(path);
      continue;
    }
    auto tokens = secfile::ListTokens(*text, format, path);
    if (!tokens) {
      usage.problems.push_back(tokens.error().message());
      continue;
    }
    if (sources.index != nullptr) {
      sources.index->Record(path, IndexedFile{format, tokens->ValuesPerKey(), tokens->mac_key_id,
                                              FormatRfc3339(clock.Now())});
    }
    FileUsage fu{path, format, {}, tokens->mac_key_id == id};
    for (const secfile::TokenRef& t : tokens->values) {
      if (t.key_id == id) fu.values.push_back(t.path);
    }
    if (fu.mac || !fu.values.empty()) usage.files.push_back(std::move(fu));
  }

  if (sources.store == nullptr) return usage;
  BULWARK_ASSIGN_OR_RETURN(std::vector<StoredNamespace> namespaces, sources.store->List());
  for (const StoredNamespace& ns : namespaces) {
    BULWARK_ASSIGN_OR_RETURN(auto latest, sources.store->Tokens(ns.name, std::nullopt));
    std::vector<config::Path> paths = PathsUnder(latest, id);
    if (!paths.empty()) usage.namespaces.push_back({ns.name, ns.latest_version, std::move(paths)});
    if (!sources.scan_history) continue;
    HistoryUsage h{ns.name, {}};
    for (std::int64_t v = 1; v < ns.latest_version; ++v) {
      auto tokens = sources.store->Tokens(ns.name, v);
      if (!tokens) {
        if (tokens.error().code() == ErrorCode::kNotFound) continue;  // pruned versions
        return std::unexpected(tokens.error());
      }
      if (!PathsUnder(*tokens, id).empty()) h.versions.push_back(v);
    }
    if (!h.versions.empty()) usage.history.push_back(std::move(h));
  }
  return usage;
}

}  // namespace bulwark::keyops
