#include "bulwark/keyops/compromise.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "bulwark/keyops/key_usage.h"
#include "bulwark/secfile/encfile.h"
#include "bulwark/secfile/token.h"

namespace bulwark::keyops {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr int kJournalVersion = 1;
constexpr auto kPrivate = fs::perms::owner_read | fs::perms::owner_write;

// One item of the plan, as kept in the journal.
struct Item {
  bool is_namespace = false;
  std::string target;
  secfile::FileFormat format = secfile::FileFormat::kYaml;
  std::string state = "pending";                             // pending | started | done | skipped
  std::vector<std::pair<config::Path, keys::KeyId>> before;  // at "started"
  std::vector<MovedValue> moved;                             // at "done"
  std::string reason;                                        // at "skipped"
};

struct Journal {
  keys::KeyId key = 0;
  std::string started;
  std::vector<Item> items;
};

std::unexpected<Error> Corrupt(const fs::path& file, std::string_view what) {
  return std::unexpected(
      Error(ErrorCode::kDataLoss, fmt::format("compromise journal {}: {}", file.string(), what)));
}

json ToJson(const Journal& j) {
  json items = json::array();
  for (const Item& it : j.items) {
    json before = json::array();
    for (const auto& [p, kid] : it.before) {
      before.push_back({{"path", p.ToString()}, {"kid", keys::FormatKeyId(kid)}});
    }
    json moved = json::array();
    for (const MovedValue& m : it.moved) {
      moved.push_back({{"path", m.path.ToString()},
                       {"from", keys::FormatKeyId(m.from)},
                       {"to", keys::FormatKeyId(m.to)}});
    }
    json e = {{"kind", it.is_namespace ? "namespace" : "file"},
              {"target", it.target},
              {"state", it.state},
              {"before", before},
              {"moved", moved}};
    if (!it.is_namespace) e["format"] = std::string(secfile::FileFormatName(it.format));
    if (!it.reason.empty()) e["reason"] = it.reason;
    items.push_back(std::move(e));
  }
  return {{"version", kJournalVersion},
          {"key", keys::FormatKeyId(j.key)},
          {"started", j.started},
          {"items", items}};
}

Result<keys::KeyId> KidField(const json& o, const char* name, const fs::path& file) {
  if (!o.contains(name) || !o[name].is_string())
    return Corrupt(file, fmt::format("missing '{}'", name));
  auto id = keys::ParseKeyId(o[name].get<std::string>());
  if (!id) return Corrupt(file, fmt::format("'{}' is not a key id", name));
  return *id;
}

Result<config::Path> PathField(const json& o, const fs::path& file) {
  if (!o.contains("path") || !o["path"].is_string()) return Corrupt(file, "missing 'path'");
  auto p = config::Path::Parse(o["path"].get<std::string>());
  if (!p) return Corrupt(file, "malformed 'path'");
  return *p;
}

Result<Journal> ParseJournal(std::string_view text, const fs::path& file) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return Corrupt(file, "not a JSON object");
  if (!doc.contains("version") || doc["version"] != kJournalVersion) {
    return Corrupt(file, "unsupported or missing version");
  }
  Journal j;
  BULWARK_ASSIGN_OR_RETURN(j.key, KidField(doc, "key", file));
  if (doc.contains("started") && doc["started"].is_string()) j.started = doc["started"];
  if (!doc.contains("items") || !doc["items"].is_array()) return Corrupt(file, "missing 'items'");
  for (const json& e : doc["items"]) {
    if (!e.is_object() || !e.contains("kind") || !e.contains("target") || !e.contains("state") ||
        !e["target"].is_string() || !e["state"].is_string() || !e.contains("before") ||
        !e["before"].is_array() || !e.contains("moved") || !e["moved"].is_array()) {
      return Corrupt(file, "malformed item");
    }
    Item it;
    it.is_namespace = e["kind"] == "namespace";
    if (!it.is_namespace && e["kind"] != "file") return Corrupt(file, "unknown item kind");
    it.target = e["target"];
    it.state = e["state"];
    if (it.state != "pending" && it.state != "started" && it.state != "done" &&
        it.state != "skipped") {
      return Corrupt(file, "unknown item state");
    }
    if (!it.is_namespace) {
      if (!e.contains("format") || !e["format"].is_string()) return Corrupt(file, "missing format");
      auto f = secfile::ParseFileFormatName(e["format"].get<std::string>());
      if (!f) return Corrupt(file, "unknown format");
      it.format = *f;
    }
    if (e.contains("reason") && e["reason"].is_string()) it.reason = e["reason"];
    for (const json& b : e["before"]) {
      BULWARK_ASSIGN_OR_RETURN(config::Path p, PathField(b, file));
      BULWARK_ASSIGN_OR_RETURN(keys::KeyId kid, KidField(b, "kid", file));
      it.before.emplace_back(std::move(p), kid);
    }
    for (const json& m : e["moved"]) {
      MovedValue mv{it.target, it.is_namespace, {}, 0, 0};
      BULWARK_ASSIGN_OR_RETURN(mv.path, PathField(m, file));
      BULWARK_ASSIGN_OR_RETURN(mv.from, KidField(m, "from", file));
      BULWARK_ASSIGN_OR_RETURN(mv.to, KidField(m, "to", file));
      it.moved.push_back(std::move(mv));
    }
    j.items.push_back(std::move(it));
  }
  return j;
}

class Recovery {
 public:
  Recovery(keys::KeyId id, std::shared_ptr<const keys::Keyring> keyring, const Runtime& runtime,
           const CompromiseOptions& options)
      : id_(id), keyring_(std::move(keyring)), rt_(runtime), opt_(options) {}

  Result<CompromiseReport> Run() {
    CompromiseReport report;
    report.key = id_;
    BULWARK_ASSIGN_OR_RETURN(bool resumed, rt_.fs->Exists(opt_.journal));
    if (resumed) {
      BULWARK_ASSIGN_OR_RETURN(std::string text, rt_.fs->ReadFile(opt_.journal));
      BULWARK_ASSIGN_OR_RETURN(journal_, ParseJournal(text, opt_.journal));
      if (journal_.key != id_) {
        return Corrupt(opt_.journal,
                       fmt::format("it is for key {}, not {}", keys::FormatKeyId(journal_.key),
                                   keys::FormatKeyId(id_)));
      }
      // Files named on this run that the interrupted one did not plan are added at the end.
      for (const std::string& f : opt_.files) {
        const std::string key = KeyUsageIndex::Key(f);
        bool planned = false;
        for (const Item& it : journal_.items) planned |= !it.is_namespace && it.target == key;
        if (!planned) BULWARK_RETURN_IF_ERROR(PlanExtraFile(key));
      }
    } else {
      BULWARK_RETURN_IF_ERROR(Plan());
    }
    report.resumed = resumed;
    BULWARK_RETURN_IF_ERROR(SaveJournal());
    const std::size_t total = journal_.items.size();
    for (std::size_t i = 0; i < total; ++i) {
      Item& it = journal_.items[i];
      if (it.state == "done" || it.state == "skipped") {
        ++report.already_done;
        continue;
      }
      BULWARK_RETURN_IF_ERROR(it.is_namespace ? MoveNamespace(it, i + 1) : MoveFile(it, i + 1));
      BULWARK_RETURN_IF_ERROR(SaveJournal());
      if (opt_.progress) opt_.progress(i + 1, total, it.target, it.moved.size());
      if (opt_.hook) BULWARK_RETURN_IF_ERROR(opt_.hook(StepPoint::kAfterCommit, i + 1));
    }
    report.items = total;
    for (const Item& it : journal_.items) {
      report.moved.insert(report.moved.end(), it.moved.begin(), it.moved.end());
      if (it.state == "skipped")
        report.skipped.push_back(fmt::format("{}: {}", it.target, it.reason));
    }
    fs::path done = opt_.journal;
    done.replace_extension(".report.json");
    BULWARK_RETURN_IF_ERROR(rt_.fs->Rename(opt_.journal, done));
    report.report_file = done;
    return report;
  }

 private:
  Status Plan() {
    journal_.key = id_;
    journal_.started = FormatRfc3339(rt_.clock->Now());
    UsageSources sources{opt_.index, opt_.files, opt_.store, false};
    BULWARK_ASSIGN_OR_RETURN(KeyUsage usage, FindKeyUsage(id_, sources, *rt_.fs, *rt_.clock));
    if (opt_.index != nullptr) BULWARK_RETURN_IF_ERROR(opt_.index->Save(*rt_.fs));
    for (const FileUsage& f : usage.files) {
      journal_.items.push_back(Item{false, f.path, f.format, "pending", {}, {}, {}});
    }
    for (const NamespaceUsage& n : usage.namespaces) {
      journal_.items.push_back(Item{true, n.ns, {}, "pending", {}, {}, {}});
    }
    plan_problems_ = std::move(usage.problems);
    return OkStatus();
  }

  Status PlanExtraFile(const std::string& path) {
    BULWARK_ASSIGN_OR_RETURN(secfile::FileFormat format, secfile::FileFormatFromPath(path));
    journal_.items.push_back(Item{false, path, format, "pending", {}, {}, {}});
    return OkStatus();
  }

  Status SaveJournal() {
    return rt_.fs->WriteFileAtomic(opt_.journal, ToJson(journal_).dump(1) + "\n", kPrivate);
  }

  // Values whose key changed between `before` and `after`.
  void Diff(Item& it, const std::vector<std::pair<config::Path, keys::KeyId>>& after) {
    std::map<std::string, keys::KeyId> now;
    for (const auto& [p, kid] : after) now[p.ToString()] = kid;
    it.moved.clear();
    for (const auto& [p, kid] : it.before) {
      auto f = now.find(p.ToString());
      if (f != now.end() && f->second != kid) {
        it.moved.push_back(MovedValue{it.target, it.is_namespace, p, kid, f->second});
      }
    }
  }

  // ---- files ----

  struct FileState {
    std::string text;
    std::vector<std::pair<config::Path, keys::KeyId>> values;
    bool uses_key = false;
  };

  Result<std::optional<FileState>> ReadFileState(const Item& it) {
    BULWARK_ASSIGN_OR_RETURN(bool exists, rt_.fs->Exists(it.target));
    if (!exists) return std::optional<FileState>();
    FileState s;
    BULWARK_ASSIGN_OR_RETURN(s.text, rt_.fs->ReadFile(it.target));
    BULWARK_ASSIGN_OR_RETURN(secfile::FileTokens tokens,
                             secfile::ListTokens(s.text, it.format, it.target));
    s.uses_key = tokens.mac_key_id == id_;
    for (const secfile::TokenRef& t : tokens.values) {
      s.values.emplace_back(t.path, t.key_id);
      s.uses_key |= t.key_id == id_;
    }
    if (opt_.index != nullptr) {
      opt_.index->Record(it.target, IndexedFile{it.format, tokens.ValuesPerKey(), tokens.mac_key_id,
                                                FormatRfc3339(rt_.clock->Now())});
    }
    return std::optional<FileState>(std::move(s));
  }

  Status MoveFile(Item& it, std::size_t position) {
    BULWARK_ASSIGN_OR_RETURN(auto state, ReadFileState(it));
    if (!state) {
      it.state = "skipped";
      it.reason = "the file no longer exists";
      if (opt_.index != nullptr) opt_.index->Forget(it.target);
      return SaveIndex();
    }
    if (it.state == "started" && !state->uses_key) {
      // The crash came after the file was rewritten: complete the item from the journal.
      Diff(it, state->values);
      it.state = "done";
      return SaveIndex();
    }
    if (!state->uses_key) {  // moved by someone else (keys reencrypt) since the plan
      it.state = "done";
      return SaveIndex();
    }
    it.before = state->values;
    it.state = "started";
    BULWARK_RETURN_IF_ERROR(SaveJournal());
    BULWARK_ASSIGN_OR_RETURN(
        secfile::ReencryptedFile re,
        secfile::ReencryptFile(state->text, it.format, *keyring_, rt_, it.target));
    BULWARK_RETURN_IF_ERROR(rt_.fs->WriteFileAtomic(it.target, re.file.text, kPrivate));
    if (opt_.hook) BULWARK_RETURN_IF_ERROR(opt_.hook(StepPoint::kAfterWrite, position));
    BULWARK_ASSIGN_OR_RETURN(auto after, ReadFileState(it));
    if (!after)
      return NotFoundError(fmt::format("{} vanished while it was re-encrypted", it.target));
    Diff(it, after->values);
    it.state = "done";
    if (opt_.file_moved) opt_.file_moved(it.target, it.moved);
    return SaveIndex();
  }

  Status SaveIndex() {
    if (opt_.index == nullptr) return OkStatus();
    return opt_.index->Save(*rt_.fs);
  }

  // ---- namespaces ----

  Result<std::optional<std::vector<std::pair<config::Path, keys::KeyId>>>> NamespaceTokens(
      const Item& it) {
    auto tokens = opt_.store->Tokens(it.target, std::nullopt);
    if (!tokens) {
      if (tokens.error().code() == ErrorCode::kNotFound) {
        return std::optional<std::vector<std::pair<config::Path, keys::KeyId>>>();
      }
      return std::unexpected(tokens.error());
    }
    std::vector<std::pair<config::Path, keys::KeyId>> out;
    for (const StoredValueToken& t : *tokens) {
      auto token = secfile::ParseToken(t.token);
      if (token) out.emplace_back(t.path, token->key_id);
    }
    return std::optional(std::move(out));
  }

  bool UsesKey(const std::vector<std::pair<config::Path, keys::KeyId>>& values) const {
    for (const auto& v : values) {
      if (v.second == id_) return true;
    }
    return false;
  }

  Status MoveNamespace(Item& it, std::size_t position) {
    if (opt_.store == nullptr) {
      return FailedPreconditionError(fmt::format(
          "the journal names namespace {} but no store is open to re-encrypt it", it.target));
    }
    BULWARK_ASSIGN_OR_RETURN(auto values, NamespaceTokens(it));
    if (!values) {
      it.state = "skipped";
      it.reason = "the namespace no longer exists";
      return OkStatus();
    }
    if (it.state == "started" && !UsesKey(*values)) {
      Diff(it, *values);
      it.state = "done";
      return OkStatus();
    }
    if (!UsesKey(*values)) {
      it.state = "done";
      return OkStatus();
    }
    it.before.clear();
    for (const auto& v : *values) {
      if (v.second == id_) it.before.push_back(v);
    }
    it.state = "started";
    BULWARK_RETURN_IF_ERROR(SaveJournal());
    BULWARK_RETURN_IF_ERROR(opt_.store->MoveOffKey(it.target, id_, opt_.namespace_message));
    if (opt_.hook) BULWARK_RETURN_IF_ERROR(opt_.hook(StepPoint::kAfterWrite, position));
    BULWARK_ASSIGN_OR_RETURN(auto after, NamespaceTokens(it));
    if (!after)
      return NotFoundError(
          fmt::format("namespace {} vanished while it was re-encrypted", it.target));
    Diff(it, *after);
    it.state = "done";
    return OkStatus();
  }

  keys::KeyId id_;
  std::shared_ptr<const keys::Keyring> keyring_;
  const Runtime& rt_;
  const CompromiseOptions& opt_;
  Journal journal_;
  std::vector<std::string> plan_problems_;  // files that could not be checked while planning
};

}  // namespace

fs::path CompromiseJournalPath(const fs::path& home, keys::KeyId id) {
  return home / fmt::format("compromise-{}.journal", keys::FormatKeyId(id));
}

Result<CompromiseReport> RecoverCompromisedKey(keys::KeyId id,
                                               std::shared_ptr<const keys::Keyring> keyring,
                                               const Runtime& runtime,
                                               const CompromiseOptions& options) {
  BULWARK_ASSIGN_OR_RETURN(keys::KeyInfo info, keyring->Get(id));
  if (info.state != keys::KeyState::kCompromised) {
    return FailedPreconditionError(fmt::format(
        "key {} is {}, not compromised: mark it compromised (and save the keyring) first",
        keys::FormatKeyId(id), keys::KeyStateName(info.state)));
  }
  Recovery r(id, std::move(keyring), runtime, options);
  return r.Run();
}

}  // namespace bulwark::keyops
