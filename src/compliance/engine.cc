#include "bulwark/compliance/engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <iterator>
#include <map>
#include <utility>

#include "bulwark/config/sensitivity.h"
#include "bulwark/expr/template.h"
#include "compliance/compiled_rule.h"

namespace bulwark::compliance {
namespace {

constexpr std::size_t kMaxErrorsPerRule = 10;

expr::Value MetaValue(const EvalContext& ctx) {
  expr::MapData labels;
  for (const auto& [k, v] : ctx.labels) {
    labels.entries.emplace_back(expr::Value::String(k), expr::Value::String(v));
  }
  expr::MapData meta;
  meta.entries.emplace_back(expr::Value::String("namespace"), expr::Value::String(ctx.ns));
  meta.entries.emplace_back(expr::Value::String("version"), expr::Value::Int(ctx.version));
  meta.entries.emplace_back(expr::Value::String("labels"), expr::Value::Map(std::move(labels)));
  return expr::Value::Map(std::move(meta));
}

// Finds the document path of a borrowed node by identity (foreach over a non-trivial expression
// that still returns a piece of the document).
std::optional<config::Path> PathOfNode(const config::Value& root, const config::Value* node) {
  std::optional<config::Path> found;
  config::Walk(root, [&](const config::Path& p, const config::Value& v) {
    if (found) return false;
    if (&v == node) {
      found = p;
      return false;
    }
    return true;
  });
  return found;
}

// Software prefetching of the items of a foreach collection. On a large document the items are
// scattered over the heap and evaluating the rules of an item mostly waits for memory (each map's
// entries, each nested map's entries, keys longer than the small-string buffer). While item i is
// evaluated, the items ahead of it are brought into the cache in three stages, each touching only
// memory the previous stage already fetched: the entries of item i+3, the nested containers and
// long keys of item i+2, the same one level deeper for item i+1. Prefetches never fault and do not
// change what is evaluated.
constexpr std::size_t kCacheLine = 64;

void PrefetchRange(const void* p, std::size_t bytes) {
  const char* c = static_cast<const char*>(p);
  for (std::size_t off = 0; off < bytes; off += kCacheLine) __builtin_prefetch(c + off);
}

// The storage of a container's elements (reads only the container object itself).
void PrefetchElements(const config::Value& v) {
  if (const config::ValueMap* m = v.IfMap()) {
    if (!m->empty()) PrefetchRange(m->begin(), m->size() * sizeof(config::MapEntry));
  } else if (const config::ValueList* l = v.IfList()) {
    if (!l->empty()) PrefetchRange(l->data(), l->size() * sizeof(config::Value));
  }
}

// The children of a container: their element storage and the heap part of long keys and strings.
void PrefetchChildren(const config::Value& v) {
  auto one = [](const config::Value& child) {
    if (const std::string* s = child.IfString()) {
      if (s->size() >= sizeof(std::string)) __builtin_prefetch(s->data());
    } else {
      PrefetchElements(child);
    }
  };
  if (const config::ValueMap* m = v.IfMap()) {
    for (const config::MapEntry& e : *m) {
      if (e.key.size() >= sizeof(std::string)) __builtin_prefetch(e.key.data());
      one(e.value);
    }
  } else if (const config::ValueList* l = v.IfList()) {
    for (const config::Value& child : *l) one(child);
  }
}

void PrefetchGrandchildren(const config::Value& v) {
  if (const config::ValueMap* m = v.IfMap()) {
    for (const config::MapEntry& e : *m) PrefetchChildren(e.value);
  } else if (const config::ValueList* l = v.IfList()) {
    for (const config::Value& child : *l) PrefetchChildren(child);
  }
}

// The values of a document's sensitive nodes, kept out of every message of its report
// (EvalContext::sensitive).
class SecretTexts {
 public:
  SecretTexts(const config::Value& root, const std::vector<config::Path>& sensitive) {
    for (const config::Path& p : sensitive) {
      const config::Value* node = config::Find(root, p);
      if (node == nullptr) continue;
      config::WalkLeaves(*node, [&](const config::Path&, const config::Value& leaf) {
        std::string text;
        if (const std::string* s = leaf.IfString()) {
          text = *s;
        } else if (leaf.is_int()) {
          text = std::to_string(leaf.AsInt());
        } else if (leaf.is_double()) {
          text = fmt::format("{}", leaf.AsDouble());
        }
        if (!text.empty() && text != config::kRedacted) texts_.push_back(std::move(text));
      });
    }
  }
  bool empty() const { return texts_.empty(); }
  // A rendered template value that shows a secret.
  bool Shows(std::string_view text) const {
    for (const std::string& t : texts_) {
      if (text == t || (t.size() >= kMinInside && text.find(t) != std::string_view::npos)) {
        return true;
      }
    }
    return false;
  }
  // Cuts every secret of kMinInside bytes or more out of `text`.
  void Scrub(std::string& text) const {
    for (const std::string& t : texts_) {
      if (t.size() < kMinInside) continue;
      for (std::size_t pos; (pos = text.find(t)) != std::string::npos;) {
        text.replace(pos, t.size(), config::kRedacted);
      }
    }
  }

 private:
  static constexpr std::size_t kMinInside = 4;  // shorter values are redacted only when whole
  std::vector<std::string> texts_;
};

// One rule being evaluated: its definition, compiled programs and result slot.
struct RuleState {
  const Rule* rule = nullptr;
  const RulePack::CompiledRule* compiled = nullptr;
  std::size_t index = 0;   // in Report::rules
  std::string rel_suffix;  // the rule-relative target path, dotted ("" when unknown)
};

// Evaluates the rules that share one foreach collection item by item, so each item is read once
// (while it is in cache) for all of its rules.
class GroupRunner {
 public:
  GroupRunner(const config::Document& doc, const EvalContext& ctx, Report& report,
              expr::Activation& vars, const SecretTexts& secrets)
      : doc_(doc),
        ctx_(ctx),
        report_(report),
        vars_(vars),
        secrets_(secrets),
        findings_(report.rules.size()),
        location_ids_(report.rules.size()),
        tallies_(report.rules.size()) {}

  // Moves the findings into the report in its final order (severity, most severe first, then rule
  // id, then document order), so FinalizeReport finds them sorted: no sort moves 4,680 findings.
  // Their locations are filled in here rather than during evaluation: a rule's findings are in
  // document order, so their entries are read in ascending order through the location table (a
  // stream the hardware prefetches) instead of one cache miss per finding between evaluations.
  void CollectFindings() {
    std::vector<std::size_t> order(findings_.size());
    std::size_t total = 0;
    for (std::size_t i = 0; i < order.size(); ++i) {
      order[i] = i;
      total += findings_[i].size();
    }
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      const RuleResult& ra = report_.rules[a];
      const RuleResult& rb = report_.rules[b];
      if (ra.severity != rb.severity) return ra.severity > rb.severity;
      return ra.id < rb.id;
    });
    report_.findings.reserve(report_.findings.size() + total);
    const config::LocationTable& table = doc_.locations;
    std::vector<config::LocationTable::Ref> refs;
    for (std::size_t i : order) {
      // Two passes: the table reads first (independent loads the CPU overlaps; each is a cache
      // miss, a rule's findings being spread over the document), then the copies.
      refs.assign(findings_[i].size(), {});
      for (std::size_t k = 0; k < refs.size(); ++k) {
        if (const std::uint32_t id = location_ids_[i][k]; id != 0) refs[k] = table.At(id);
      }
      for (std::size_t k = 0; k < findings_[i].size(); ++k) {
        Finding& f = findings_[i][k];
        if (refs[k].line != 0) f.location = refs[k].ToLocation();
        report_.findings.push_back(std::move(f));
      }
      findings_[i].clear();
      location_ids_[i].clear();
    }
  }

  void Run(const std::vector<RuleState>& rules) {
    if (rules.empty()) return;
    // Rules of a group often share their `when` (item.environment == 'production'): evaluate
    // each distinct condition once per item.
    when_programs_.clear();
    when_slot_.assign(rules.size(), -1);
    std::vector<std::string_view> when_sources;
    for (std::size_t i = 0; i < rules.size(); ++i) {
      if (rules[i].compiled->when_program == nullptr) continue;
      const std::string& src = rules[i].rule->when_expr;
      auto it = std::find(when_sources.begin(), when_sources.end(), src);
      if (it == when_sources.end()) {
        when_sources.push_back(src);
        when_programs_.push_back(rules[i].compiled->when_program.get());
        it = std::prev(when_sources.end());
      }
      when_slot_[i] = static_cast<int>(it - when_sources.begin());
    }
    when_results_.resize(when_programs_.size());
    group_ = &rules;
    env_cache_.clear();
    env_cache_.reserve(8);
    current_env_ = nullptr;
    item_path_.reset();
    const RulePack::CompiledRule& first = *rules.front().compiled;
    has_foreach_ = first.foreach_program != nullptr;
    if (!has_foreach_) {
      vars_.Bind("item", expr::Value::Null());
      item_node_ = &doc_.root;
      base_.reset();
      BeginItem();
      for (std::size_t k = 0; k < rules.size(); ++k) CheckOne(rules[k], k, /*path_known=*/true);
      return;
    }
    auto coll = first.foreach_program->Evaluate(vars_);
    if (!coll || coll->kind() == expr::Kind::kNull) {
      // A plain `config.a.b` target that is absent (or null): nothing to check, not an error.
      if (first.foreach_path && Absent(*first.foreach_path)) {
        for (const RuleState& r : rules) {
          tallies_[r.index].note = "foreach target " + r.rule->foreach_expr + " is absent";
        }
        return;
      }
      const std::string why =
          coll ? std::string("expected a list or a map, got null") : coll.error().message();
      for (const RuleState& r : rules) RuleError(r, "foreach: " + why);
      return;
    }
    base_ = first.foreach_path;
    if (!base_ && coll->borrowed_node() != nullptr) {
      base_ = PathOfNode(doc_.root, coll->borrowed_node());
    }
    base_text_ = base_ ? base_->ToString() : std::string();
    const bool empty = (coll->kind() == expr::Kind::kList && coll->ListSize() == 0) ||
                       (coll->kind() == expr::Kind::kMap && coll->MapSize() == 0);
    if (empty) {
      for (const RuleState& r : rules) {
        tallies_[r.index].note = "foreach target " + r.rule->foreach_expr + " is empty";
      }
      return;
    }
    if (coll->kind() == expr::Kind::kList) {
      const std::size_t n = coll->ListSize();
      item_key_.reset();
      const config::Value* node = coll->borrowed_node();
      const config::ValueList* items = node != nullptr ? node->IfList() : nullptr;
      // A list built by the expression (`has(config.services) ? config.services : [config]`):
      // items that are document nodes keep their own paths.
      std::optional<NodePaths> paths;
      if (items == nullptr) paths.emplace(doc_.root, n);
      for (std::size_t i = 0; i < n; ++i) {
        if (items != nullptr) Prefetch(*items, i);
        expr::Value item = coll->ListAt(i);
        item_index_ = i;
        if (items != nullptr) {
          item_node_ = &(*items)[i];
        } else {
          item_node_ = item.borrowed_node();
          item_path_ = item_node_ != nullptr ? paths->Of(item_node_) : std::nullopt;
          item_path_text_ = item_path_ ? item_path_->ToString() : std::string();
        }
        vars_.Bind("item", std::move(item));
        BeginItem();
        const bool known = items != nullptr ? base_.has_value() : item_path_.has_value();
        for (std::size_t k = 0; k < rules.size(); ++k) CheckOne(rules[k], k, known);
      }
      item_path_.reset();
    } else if (coll->kind() == expr::Kind::kMap) {
      const std::size_t n = coll->MapSize();
      const config::Value* node = coll->borrowed_node();
      const config::ValueMap* map = node != nullptr ? node->IfMap() : nullptr;
      for (std::size_t i = 0; i < n; ++i) {
        vars_.Bind("item", coll->MapValueAt(i));
        item_node_ = map != nullptr ? &map->at_index(i).value : nullptr;
        expr::Value key = coll->MapKeyAt(i);
        item_key_ = key.kind() == expr::Kind::kString ? std::string(key.str()) : key.DebugString();
        BeginItem();
        for (std::size_t k = 0; k < rules.size(); ++k) CheckOne(rules[k], k, base_.has_value());
      }
    } else {
      for (const RuleState& r : rules) {
        RuleError(r, "foreach: expected a list or a map, got " + std::string(coll->TypeName()));
      }
    }
  }

  // Prefetches the items ahead of item i (see the comment above PrefetchRange).
  static void Prefetch(const config::ValueList& items, std::size_t i) {
    const std::size_t n = items.size();
    if (i + 1 < n) PrefetchGrandchildren(items[i + 1]);
    if (i + 2 < n) PrefetchChildren(items[i + 2]);
    if (i + 3 < n) PrefetchElements(items[i + 3]);
  }

  // An error of the whole rule (it counts as one applicable check that did not pass).
  void RuleError(const RuleState& r, std::string message) {
    RuleResult& rr = report_.rules[r.index];
    ++rr.applicable;
    secrets_.Scrub(message);
    AddError(rr, std::move(message));
    EnvTally(ctx_.environment).applicable++;
  }

  // Sets the status of rule `index` from its counts, and the note that explains a rule that ran
  // no check (after every group ran).
  void FinishRule(std::size_t index) {
    RuleResult& rr = report_.rules[index];
    if (rr.status == RuleStatus::kDisabled) {
      rr.note = "disabled in " + EnvName(ctx_.environment);
      return;
    }
    if (rr.errored > 0) {
      rr.status = RuleStatus::kError;
    } else if (rr.failed > 0) {
      rr.status = RuleStatus::kFail;
    } else if (rr.applicable > 0) {
      rr.status = RuleStatus::kPass;
    } else {
      rr.status = RuleStatus::kNotApplicable;
    }
    if (rr.status != RuleStatus::kNotApplicable) return;
    Tally& t = tallies_[index];
    if (!t.note.empty()) {
      rr.note = std::move(t.note);
      return;
    }
    std::vector<std::string> parts;
    if (t.disabled > 0 && t.outside == 0 && t.when_false == 0) {
      rr.status = RuleStatus::kDisabled;
      rr.note = "disabled in " + JoinEnvs(t.disabled_envs);
      return;
    }
    if (t.outside > 0) {
      parts.push_back(fmt::format("applies to {}; {} in {}", JoinEnvs(rule_envs_[index]),
                                  Items(t.outside), JoinEnvs(t.outside_envs)));
    }
    if (t.disabled > 0) {
      parts.push_back(
          fmt::format("disabled in {} ({})", JoinEnvs(t.disabled_envs), Items(t.disabled)));
    }
    if (t.when_false > 0) {
      parts.push_back(
          fmt::format("`when` was false for {}: {}", Items(t.when_false), when_sources_[index]));
    }
    rr.note = parts.empty() ? std::string("no item to check") : Join(parts, "; ");
  }

  // The per-environment counts, sorted by environment name.
  std::vector<EnvironmentScore> TakeEnvironments() {
    std::sort(envs_.begin(), envs_.end(), [](const EnvironmentScore& a, const EnvironmentScore& b) {
      return a.environment < b.environment;
    });
    return std::move(envs_);
  }

  // Remembers what FinishRule needs to explain rule `index`.
  void Describe(std::size_t index, const Rule& rule) {
    if (rule_envs_.size() < report_.rules.size()) {
      rule_envs_.resize(report_.rules.size());
      when_sources_.resize(report_.rules.size());
    }
    rule_envs_[index] = rule.environments;
    when_sources_[index] = rule.when_expr;
  }

 private:
  // Why the checks of a rule did not run, per reason.
  struct Tally {
    std::size_t when_false = 0;
    std::size_t outside = 0;   // items of an environment the rule does not list
    std::size_t disabled = 0;  // items of an environment whose override disables the rule
    std::vector<std::string> outside_envs, disabled_envs;  // distinct, in first-seen order
    std::string note;  // set when the foreach target was absent or empty
  };

  // A rule's settings for one environment.
  struct Resolved {
    bool applies = true;
    bool enabled = true;
    Severity severity = Severity::kMedium;
  };
  struct EnvEntry {
    std::string env;
    std::vector<Resolved> rules;  // by position in the group
    std::size_t tally = 0;        // index into envs_
  };

  // Paths of the document nodes a computed foreach list returns (found by identity).
  class NodePaths {
   public:
    NodePaths(const config::Value& root, std::size_t items) : root_(root), items_(items) {}
    std::optional<config::Path> Of(const config::Value* node) {
      if (node == &root_) return config::Path();
      if (items_ <= 4) return PathOfNode(root_, node);  // a few walks, stopping early
      if (!all_) {
        all_.emplace();
        config::Walk(root_, [&](const config::Path& p, const config::Value& v) {
          all_->emplace(&v, p);
          return true;
        });
      }
      auto it = all_->find(node);
      return it == all_->end() ? std::nullopt : std::optional<config::Path>(it->second);
    }

   private:
    const config::Value& root_;
    std::size_t items_;
    std::optional<std::map<const config::Value*, config::Path>> all_;
  };

  static std::string EnvName(std::string_view env) {
    return env.empty() ? std::string("no environment") : std::string(env);
  }
  static std::string JoinEnvs(const std::vector<std::string>& envs) {
    std::vector<std::string> named;
    for (const std::string& e : envs) named.push_back(EnvName(e));
    return Join(named, ", ");
  }
  static std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
    std::string out;
    for (const std::string& p : parts) {
      if (!out.empty()) out += sep;
      out += p;
    }
    return out;
  }
  static std::string Items(std::size_t n) {
    return n == 1 ? std::string("1 item") : fmt::format("{} items", n);
  }
  static void NoteEnv(std::vector<std::string>& envs, std::string_view env) {
    if (envs.size() < 8 && std::find(envs.begin(), envs.end(), env) == envs.end()) {
      envs.emplace_back(env);
    }
  }

  // Whether `path` (a plain foreach target) is missing from the document or null there.
  bool Absent(const config::Path& path) const {
    const config::Value* n = &doc_.root;
    for (const config::PathSegment& seg : path.segments()) {
      n = config::FindChild(*n, seg);
      if (n == nullptr) return true;
    }
    return n->is_null();
  }

  EnvironmentScore& EnvTally(std::string_view env) {
    for (EnvironmentScore& e : envs_) {
      if (e.environment == env) return e;
    }
    envs_.push_back(EnvironmentScore{.environment = std::string(env)});
    return envs_.back();
  }

  // The environment an item is checked for: the target's, else the item's `environment`.
  std::string_view ItemEnvironment() const {
    if (!ctx_.environment.empty()) return ctx_.environment;
    if (item_node_ != nullptr) {
      if (const config::ValueMap* m = item_node_->IfMap()) {
        if (const config::Value* e = m->Find("environment")) {
          if (const std::string* s = e->IfString()) return *s;
        }
      }
    }
    return {};
  }

  // Per item: the cached `when` results are dropped, and the environment's rule settings found.
  void BeginItem() {
    ResetWhen();
    const std::string_view env = ItemEnvironment();
    if (current_env_ != nullptr && current_env_->env == env) return;
    current_env_ = nullptr;
    for (EnvEntry& e : env_cache_) {
      if (e.env == env) current_env_ = &e;
    }
    if (current_env_ == nullptr) {
      EnvEntry e{std::string(env), {}, 0};
      for (const RuleState& r : *group_) {
        e.rules.push_back(
            {r.rule->AppliesIn(env), r.rule->EnabledIn(env), r.rule->SeverityIn(env)});
      }
      EnvTally(env);
      for (std::size_t i = 0; i < envs_.size(); ++i) {
        if (envs_[i].environment == env) e.tally = i;
      }
      env_cache_.push_back(std::move(e));
      current_env_ = &env_cache_.back();
    }
    if (ctx_.environment.empty()) vars_.Bind("env", expr::Value::StringView(current_env_->env));
  }

  // The display name of the current item in messages (docs/compliance.md, "Names"); it lives as
  // long as the item, the key or the context.
  std::string_view ItemName() const {
    if (item_node_ != nullptr) {
      if (const config::ValueMap* m = item_node_->IfMap()) {
        for (std::string_view key : {"name", "service_name"}) {
          if (const config::Value* n = m->Find(key)) {
            if (const std::string* s = n->IfString()) return *s;
          }
        }
      }
    }
    if (has_foreach_ && item_key_) return *item_key_;
    if (!ctx_.ns.empty()) return ctx_.ns;
    return ctx_.target;
  }

  // The item's own path (without the rule-relative part).
  config::Path ItemPath() const {
    if (!has_foreach_) return config::Path();
    if (item_path_) return *item_path_;
    config::Path p = base_ ? *base_ : config::Path();
    return item_key_ ? p.Key(*item_key_) : p.Index(item_index_);
  }
  std::string ItemPathText() const {
    std::string s;
    AppendItemPathText(s);
    return s;
  }
  void AppendItemPathText(std::string& s) const {
    if (!has_foreach_) return;
    if (item_path_) {
      s += item_path_text_;
      return;
    }
    s += base_text_;
    if (item_key_) {
      if (!s.empty()) s += '.';
      s += config::QuoteKeyIfNeeded(*item_key_);
    } else {
      char buf[24];
      buf[0] = '[';
      auto [end, ec] = std::to_chars(buf + 1, buf + sizeof buf - 1, item_index_);
      (void)ec;  // a size_t always fits in 20 digits
      *end++ = ']';
      s.append(buf, end);
    }
  }

  static void AddError(RuleResult& rr, std::string message) {
    ++rr.errored;
    if (rr.errors.size() < kMaxErrorsPerRule) rr.errors.push_back(std::move(message));
  }

  void ItemError(RuleResult& rr, std::string_view what, const Error& e) {
    std::string where = ItemPathText();
    std::string message = where.empty() ? fmt::format("{}: {}", what, e.message())
                                        : fmt::format("{}: {}: {}", where, what, e.message());
    secrets_.Scrub(message);
    AddError(rr, std::move(message));
  }

  void ResetWhen() {
    for (auto& w : when_results_) w.reset();
  }

  // The `when` of rule k of the group for the current item (computed once per distinct source).
  const Result<bool>& When(std::size_t k) {
    const int slot = when_slot_[k];
    auto& cached = when_results_[slot];
    if (!cached) cached.emplace(when_programs_[slot]->EvaluateBool(vars_));
    return *cached;
  }

  // The location id (0: none) of the rule's target in the current item: the node's own location,
  // or that of its nearest ancestor with one. Location ids make this a walk over a few nodes that
  // evaluation just brought into the cache instead of a lookup by path.
  std::uint32_t LocationId(const RuleState& r) const {
    const config::LocationTable& table = doc_.locations;
    auto walk = [&](const config::Value* n, const config::Path& path, std::uint32_t nearest) {
      for (const config::PathSegment& seg : path.segments()) {
        n = config::FindChild(*n, seg);
        if (n == nullptr) break;
        if (table.Has(n->location_id())) nearest = n->location_id();
      }
      return nearest;
    };
    std::uint32_t id = 0;
    if (item_node_ != nullptr) {
      id = table.Has(item_node_->location_id()) ? item_node_->location_id() : 0;
      if (r.rule->target_path) id = walk(item_node_, *r.rule->target_path, id);
    }
    if (id == 0) {
      // No item node, or nothing located from the item down: walk from the root.
      config::Path full = ItemPath();
      if (r.rule->target_path) full = full.Concat(*r.rule->target_path);
      id = walk(&doc_.root, full, table.Has(doc_.root.location_id()) ? doc_.root.location_id() : 0);
    }
    return id;
  }

  void CheckOne(const RuleState& r, std::size_t k, bool path_known) {
    RuleResult& rr = report_.rules[r.index];
    const RulePack::CompiledRule& c = *r.compiled;
    const Resolved& settings = current_env_->rules[k];
    if (!settings.applies || !settings.enabled) {
      Tally& t = tallies_[r.index];
      if (!settings.applies) {
        ++t.outside;
        NoteEnv(t.outside_envs, current_env_->env);
      } else {
        ++t.disabled;
        NoteEnv(t.disabled_envs, current_env_->env);
      }
      return;
    }
    EnvironmentScore& score = envs_[current_env_->tally];
    if (c.when_program) {
      const Result<bool>& applies = When(k);
      if (!applies) {
        ++rr.applicable;  // applicability unknown: counted, not passed
        ++score.applicable;
        ItemError(rr, "when", applies.error());
        return;
      }
      if (!*applies) {
        ++tallies_[r.index].when_false;
        return;
      }
    }
    ++rr.applicable;
    ++score.applicable;
    auto ok = c.check_program->EvaluateBool(vars_);
    if (!ok) {
      ItemError(rr, "check", ok.error());
      return;
    }
    if (*ok) {
      ++rr.passed;
      ++score.passed;
      return;
    }
    ++rr.failed;
    Finding f;
    f.rule = r.index;
    f.severity = settings.severity;
    f.environment = current_env_->env;
    // One allocation for the path: the item part, the index and the rule-relative part.
    f.path.reserve(base_text_.size() + r.rel_suffix.size() + 24 +
                   (item_key_ ? item_key_->size() + 2 : 0));
    AppendItemPathText(f.path);
    if (!r.rel_suffix.empty()) {
      if (!f.path.empty()) f.path += '.';
      f.path += r.rel_suffix;
    }
    std::uint32_t location = 0;
    if (path_known) {
      location = LocationId(r);
    }
    f.message.reserve(64);
    vars_.Bind("name", expr::Value::StringView(ItemName()));
    for (const auto& seg : c.message) {
      if (!seg.program) {
        f.message += seg.literal;
        continue;
      }
      auto v = seg.program->Evaluate(vars_);
      if (!secrets_.empty()) {  // render apart, and show it only if it shows no secret
        std::string text;
        if (v) {
          expr::AppendValueText(*v, text);
        } else {
          text = "<" + v.error().message() + ">";
        }
        f.message += secrets_.Shows(text) ? std::string_view(config::kRedacted) : text;
      } else if (v) {
        expr::AppendValueText(*v, f.message);
      } else {
        f.message += "<" + v.error().message() + ">";
      }
    }
    vars_.Bind("name", expr::Value::Null());  // messages only: the view must not outlive them
    if (r.rule->fix && path_known) {
      f.fix =
          ResolvedFix{r.rule->fix->op, ItemPath().Concat(r.rule->fix->path), r.rule->fix->value};
    }
    findings_[r.index].push_back(std::move(f));
    location_ids_[r.index].push_back(location);
  }

  const config::Document& doc_;
  const EvalContext& ctx_;
  Report& report_;
  expr::Activation& vars_;
  const SecretTexts& secrets_;
  std::vector<std::vector<Finding>> findings_;  // per rule (index into report_.rules)
  // The location id of each finding in findings_ (0: none), resolved in CollectFindings.
  std::vector<std::vector<std::uint32_t>> location_ids_;
  std::vector<Tally> tallies_;                       // per rule (index into report_.rules)
  std::vector<std::vector<std::string>> rule_envs_;  // per rule: its `environments`
  std::vector<std::string> when_sources_;            // per rule: its `when`
  std::vector<EnvironmentScore> envs_;               // counts per environment, first-seen order
  const std::vector<RuleState>* group_ = nullptr;    // the group being run
  std::vector<EnvEntry> env_cache_;                  // the group's settings per environment seen
  const EnvEntry* current_env_ = nullptr;            // the current item's
  std::optional<config::Path> item_path_;            // set for items of a computed list
  std::string item_path_text_;
  bool has_foreach_ = false;
  std::optional<config::Path> base_;
  std::string base_text_;
  std::size_t item_index_ = 0;
  std::optional<std::string> item_key_;
  const config::Value* item_node_ = nullptr;  // the current item in the document, when known
  std::vector<const expr::Program*> when_programs_;
  std::vector<int> when_slot_;
  std::vector<std::optional<Result<bool>>> when_results_;
};

}  // namespace

Engine::Engine(std::vector<std::shared_ptr<const RulePack>> packs) : packs_(std::move(packs)) {}
Engine::~Engine() = default;

Result<std::unique_ptr<Engine>> Engine::Create(std::vector<std::shared_ptr<const RulePack>> packs) {
  std::map<std::string, std::string, std::less<>> seen;  // id -> pack
  for (const auto& pack : packs) {
    if (pack == nullptr) return InvalidArgumentError("compliance engine: null rule pack");
    for (const Rule& r : pack->rules()) {
      auto [it, inserted] = seen.emplace(r.id, pack->name());
      if (!inserted) {
        return InvalidArgumentError(
            fmt::format("compliance engine: rule id {} is defined by pack '{}' and pack '{}'", r.id,
                        it->second, pack->name()));
      }
    }
  }
  return std::unique_ptr<Engine>(new Engine(std::move(packs)));
}

Report Engine::Evaluate(const config::Document& document, const EvalContext& context) const {
  Report report;
  report.target = context.target;
  report.environment = context.environment;
  expr::Activation vars;
  vars.BindNode("config", document.root);
  vars.Bind("env", expr::Value::String(context.environment));
  vars.Bind("meta", MetaValue(context));
  vars.Bind("item", expr::Value::Null());
  vars.Bind("name", expr::Value::Null());  // bound to the item's name while a message renders

  std::size_t total = 0;
  for (const auto& pack : packs_) total += pack->rules().size();
  report.rules.reserve(total);
  for (const auto& pack : packs_) {
    for (const Rule& r : pack->rules()) {
      RuleResult rr;
      rr.id = r.id;
      rr.title = r.title;
      rr.pack = pack->name();
      rr.severity = r.SeverityIn(context.environment);
      rr.frameworks = r.frameworks;
      rr.remediation = r.remediation;
      rr.status =
          r.EnabledIn(context.environment) ? RuleStatus::kNotApplicable : RuleStatus::kDisabled;
      report.rules.push_back(std::move(rr));
    }
  }

  // Group the runnable rules by their foreach expression (text), in first-seen order.
  std::vector<std::pair<std::string_view, std::vector<RuleState>>> groups;
  const SecretTexts secrets(document.root, context.sensitive);
  GroupRunner runner(document, context, report, vars, secrets);
  std::size_t index = 0;
  for (const auto& pack : packs_) {
    for (std::size_t i = 0; i < pack->rules().size(); ++i, ++index) {
      const Rule& rule = pack->rules()[i];
      runner.Describe(index, rule);
      if (report.rules[index].status == RuleStatus::kDisabled) continue;
      RuleState st{&rule, &pack->compiled(i), index, {}};
      if (st.compiled->compile_error) {
        runner.RuleError(st, *st.compiled->compile_error);
        continue;
      }
      if (rule.target_path && !rule.target_path->empty()) {
        st.rel_suffix = rule.target_path->ToString();
      }
      auto it = std::find_if(groups.begin(), groups.end(),
                             [&](const auto& g) { return g.first == rule.foreach_expr; });
      if (it == groups.end()) {
        groups.emplace_back(rule.foreach_expr, std::vector<RuleState>{});
        it = std::prev(groups.end());
      }
      it->second.push_back(std::move(st));
    }
  }
  for (const auto& [source, rules] : groups) runner.Run(rules);
  for (std::size_t i = 0; i < report.rules.size(); ++i) runner.FinishRule(i);
  report.environments = runner.TakeEnvironments();
  runner.CollectFindings();
  FinalizeReport(report);
  return report;
}

}  // namespace bulwark::compliance
