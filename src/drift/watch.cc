#include "bulwark/drift/watch.h"

#include <fmt/format.h>

#include <array>
#include <nlohmann/json.hpp>
#include <set>

#include "bulwark/config/field_reader.h"
#include "bulwark/config/format.h"
#include "bulwark/core/encoding.h"

namespace bulwark::drift {
namespace {

constexpr auto kPrivate = std::filesystem::perms::owner_read | std::filesystem::perms::owner_write;

Result<std::map<std::string, std::string>> ReadState(FileSystem& fs, const std::filesystem::path& f) {
  std::map<std::string, std::string> out;
  BULWARK_ASSIGN_OR_RETURN(bool exists, fs.Exists(f));
  if (!exists) return out;
  BULWARK_ASSIGN_OR_RETURN(std::string text, fs.ReadFile(f));
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("targets") || !j["targets"].is_object()) {
    return DataLossError(fmt::format("{}: not a drift watch state file", f.string()));
  }
  for (const auto& [k, v] : j["targets"].items()) {
    if (!v.is_string()) return DataLossError(fmt::format("{}: state of '{}' is not a string", f.string(), k));
    out[k] = v.get<std::string>();
  }
  return out;
}

Status WriteState(FileSystem& fs, const std::filesystem::path& f,
                  const std::map<std::string, std::string>& state) {
  nlohmann::ordered_json j;
  j["format"] = "bulwark-drift-watch/v1";
  j["targets"] = nlohmann::ordered_json::object();
  for (const auto& [k, v] : state) j["targets"][k] = v;
  return fs.WriteFileAtomic(f, j.dump(2) + "\n", kPrivate);
}

}  // namespace

Result<std::vector<WatchTarget>> ParseWatchTargets(FileSystem& fs, const std::filesystem::path& file) {
  BULWARK_ASSIGN_OR_RETURN(config::Document doc, config::LoadFile(fs, file));
  config::FieldReader r(doc);
  const config::Path root;
  BULWARK_RETURN_IF_ERROR(r.OnlyKnown(doc.root, root, {"targets"}));
  const config::Value* list = doc.root.Get("targets");
  if (list == nullptr || !list->is_list() || list->AsList().empty()) {
    return std::unexpected(r.Bad(root.Key("targets"), "expected a non-empty list of targets"));
  }
  std::vector<WatchTarget> out;
  std::set<std::string> names;
  for (std::size_t i = 0; i < list->AsList().size(); ++i) {
    const config::Value& t = list->AsList()[i];
    const config::Path at = root.Key("targets").Index(i);
    BULWARK_RETURN_IF_ERROR(r.OnlyKnown(t, at, {"name", "namespace", "against", "ignore", "ignore_file",
                                                "token_file", "ca_file", "timeout"}));
    WatchTarget w;
    auto relative = [&](const std::string& p) {
      const std::filesystem::path path(p);
      return path.is_absolute() ? path : file.parent_path() / path;
    };
    BULWARK_ASSIGN_OR_RETURN(w.namespace_name, r.String(t, at, "namespace", true));
    BULWARK_ASSIGN_OR_RETURN(std::string against, r.String(t, at, "against", true));
    auto spec = ParseSource(against);
    if (!spec) return std::unexpected(r.Bad(at.Key("against"), spec.error().message()));
    w.request.source = *spec;
    if (spec->kind == SourceKind::kFile || spec->kind == SourceKind::kEncFile) {
      w.request.source.target = relative(spec->target).string();
    }
    BULWARK_ASSIGN_OR_RETURN(w.name, r.String(t, at, "name"));
    if (w.name.empty()) w.name = w.namespace_name + " " + against;
    if (!names.insert(w.name).second) {
      return std::unexpected(r.Bad(at.Key("name"), fmt::format("duplicate target name '{}'", w.name)));
    }
    BULWARK_ASSIGN_OR_RETURN(std::vector<std::string> globs, r.StringList(t, at, "ignore"));
    auto rules = IgnoreRules::Create(globs, fmt::format("{}: {}", file.string(), at.Key("ignore").ToString()));
    if (!rules) return std::unexpected(rules.error());
    w.request.ignore = std::move(*rules);
    BULWARK_ASSIGN_OR_RETURN(std::string ignore_file, r.String(t, at, "ignore_file"));
    if (!ignore_file.empty()) {
      const auto path = relative(ignore_file);
      BULWARK_ASSIGN_OR_RETURN(std::string text, fs.ReadFile(path));
      BULWARK_ASSIGN_OR_RETURN(IgnoreRules more, IgnoreRules::Parse(text, path.string()));
      w.request.ignore.Merge(more);
    }
    BULWARK_ASSIGN_OR_RETURN(std::string token_file, r.String(t, at, "token_file"));
    BULWARK_ASSIGN_OR_RETURN(std::string ca_file, r.String(t, at, "ca_file"));
    if ((!token_file.empty() || !ca_file.empty() || t.Get("timeout") != nullptr) &&
        w.request.source.kind != SourceKind::kUrl) {
      return std::unexpected(r.Bad(at, "token_file, ca_file and timeout are for url: sources only"));
    }
    if (!token_file.empty()) {
      BULWARK_ASSIGN_OR_RETURN(w.request.url.token, ReadTokenFile(fs, relative(token_file)));
    }
    if (!ca_file.empty()) w.request.url.ca_file = relative(ca_file);
    BULWARK_ASSIGN_OR_RETURN(auto timeout, r.Duration(t, at, "timeout", std::chrono::seconds(10),
                                                       std::chrono::seconds(1),
                                                       std::chrono::seconds(600)));
    w.request.url.timeout = timeout;
    out.push_back(std::move(w));
  }
  return out;
}

Result<std::unique_ptr<DriftWatcher>> DriftWatcher::Create(WatchDeps deps,
                                                           std::vector<WatchTarget> targets) {
  if (deps.drift == nullptr || !deps.audit || deps.state_file.empty() || !deps.runtime.fs) {
    return InvalidArgumentError("drift watch: missing dependency");
  }
  return std::unique_ptr<DriftWatcher>(new DriftWatcher(std::move(deps), std::move(targets)));
}

Result<std::shared_ptr<const PreparedBaseline>> DriftWatcher::BaselineFor(const std::string& ns) {
  // The record is re-read every tick (a file, no audit); the stored version only when it changed.
  BULWARK_ASSIGN_OR_RETURN(BaselineRecords records, deps_.drift->Baselines());
  auto rec = records.find(ns);
  auto it = baselines_.find(ns);
  if (it != baselines_.end() && rec != records.end() &&
      it->second->record.version == rec->second.version &&
      it->second->record.content_hash == rec->second.content_hash &&
      it->second->record.fingerprints == rec->second.fingerprints) {
    return it->second;
  }
  BULWARK_ASSIGN_OR_RETURN(auto prepared, deps_.drift->Prepare(deps_.context, ns));
  baselines_[ns] = prepared;
  return prepared;
}

Result<std::vector<WatchOutcome>> DriftWatcher::Tick() {
  FileSystem& fs = *deps_.runtime.fs;
  BULWARK_ASSIGN_OR_RETURN(auto state, ReadState(fs, deps_.state_file));
  std::vector<WatchOutcome> out;
  Status first_error = OkStatus();
  for (const WatchTarget& t : targets_) {
    WatchOutcome o;
    o.target = t.name;
    auto result = [&]() -> Result<CheckResult> {
      BULWARK_ASSIGN_OR_RETURN(auto prepared, BaselineFor(t.namespace_name));
      return deps_.drift->Compare(deps_.context, *prepared, t.request);
    }();
    if (result) {
      if (result->report.drifted()) {
        BULWARK_ASSIGN_OR_RETURN(std::string digest, deps_.drift->Digest(result->report));
        o.state = "drift:" + digest;
      } else {
        o.state = "ok";
      }
    } else {
      o.state = fmt::format("{}:{}",
                            result.error().code() == ErrorCode::kUnavailable ? "unreachable" : "failed",
                            ErrorCodeName(result.error().code()));
      o.error = result.error().message();
    }
    auto prev = state.find(t.name);
    // A target seen for the first time that matches its baseline is not news.
    o.changed = prev == state.end() ? o.state != "ok" : prev->second != o.state;
    if (o.changed) {
      request::AuditRecord r;
      r.time = deps_.runtime.clock->Now();
      r.action = request::Action::kRead;
      r.namespace_name = t.namespace_name;
      r.context = deps_.context;
      std::array<std::uint8_t, 16> id{};
      if (deps_.runtime.random && deps_.runtime.random->Fill(id)) {
        r.context.request_id = HexEncode(id);
      }
      if (result) {
        r.operation = result->report.drifted() ? "drift.detected" : "drift.resolved";
        // Drift is recorded as a failure so that the monitor's built-in drift-detected rule
        // delivers it to the alert channels (docs/monitor.md).
        if (result->report.drifted()) r.outcome = request::Outcome::kFailure;
        r.version_before = result->baseline_version;
        std::vector<std::string> sensitive;
        for (const DriftEntry& e : result->report.entries) {
          r.paths.push_back(e.path.ToString());
          if (e.sensitive) sensitive.push_back(e.path.ToString());
        }
        r.sensitive_paths = std::move(sensitive);
        r.reason = fmt::format("{}: {} differences against {}", t.name,
                               result->report.entries.size(), result->source);
      } else {
        r.operation = result.error().code() == ErrorCode::kUnavailable ? "drift.unreachable"
                                                                        : "drift.failed";
        r.outcome = request::Outcome::kFailure;
        r.reason = fmt::format("{}: {}", t.name, o.error);
      }
      if (Status s = deps_.audit->Append(r); !s) {
        o.changed = false;  // not recorded: try again next tick
        if (first_error) first_error = s;
      } else {
        state[t.name] = o.state;
      }
    } else {
      state[t.name] = o.state;
    }
    if (result) o.result = std::move(*result);
    out.push_back(std::move(o));
  }
  BULWARK_RETURN_IF_ERROR(WriteState(fs, deps_.state_file, state));
  BULWARK_RETURN_IF_ERROR(first_error);
  return out;
}

}  // namespace bulwark::drift
