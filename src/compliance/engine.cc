#include "bulwark/compliance/engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <iterator>
#include <map>
#include <utility>

#include "compliance/compiled_rule.h"

namespace bulwark::compliance {
namespace {

constexpr std::size_t kMaxErrorsPerRule = 10;

// Text of a CEL value inside a message: strings without quotes, scalars as CEL prints them.
void AppendValueText(const expr::Value& v, std::string& out) {
  switch (v.kind()) {
    case expr::Kind::kString:
      out.append(v.str());
      return;
    case expr::Kind::kBool:
      out.append(v.bool_value() ? "true" : "false");
      return;
    case expr::Kind::kInt:
      out.append(fmt::format("{}", v.int_value()));
      return;
    case expr::Kind::kUint:
      out.append(fmt::format("{}", v.uint_value()));
      return;
    case expr::Kind::kDouble:
      out.append(fmt::format("{}", v.double_value()));
      return;
    case expr::Kind::kNull:
      out.append("null");
      return;
    default:
      out.append(v.DebugString());
  }
}

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
  GroupRunner(const config::Document& doc, Report& report, expr::Activation& vars)
      : doc_(doc),
        report_(report),
        vars_(vars),
        findings_(report.rules.size()),
        location_ids_(report.rules.size()) {}

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
    const RulePack::CompiledRule& first = *rules.front().compiled;
    has_foreach_ = first.foreach_program != nullptr;
    if (!has_foreach_) {
      vars_.Bind("item", expr::Value::Null());
      item_node_ = &doc_.root;
      base_.reset();
      ResetWhen();
      for (std::size_t k = 0; k < rules.size(); ++k) CheckOne(rules[k], k, /*path_known=*/true);
      return;
    }
    auto coll = first.foreach_program->Evaluate(vars_);
    if (!coll) {
      for (const RuleState& r : rules) RuleError(r, "foreach: " + coll.error().message());
      return;
    }
    base_ = first.foreach_path;
    if (!base_ && coll->borrowed_node() != nullptr) {
      base_ = PathOfNode(doc_.root, coll->borrowed_node());
    }
    base_text_ = base_ ? base_->ToString() : std::string();
    if (coll->kind() == expr::Kind::kList) {
      const std::size_t n = coll->ListSize();
      item_key_.reset();
      const config::Value* node = coll->borrowed_node();
      const config::ValueList* items = node != nullptr ? node->IfList() : nullptr;
      for (std::size_t i = 0; i < n; ++i) {
        if (items != nullptr) Prefetch(*items, i);
        vars_.Bind("item", coll->ListAt(i));
        item_index_ = i;
        item_node_ = items != nullptr ? &(*items)[i] : nullptr;
        ResetWhen();
        for (std::size_t k = 0; k < rules.size(); ++k) CheckOne(rules[k], k, base_.has_value());
      }
    } else if (coll->kind() == expr::Kind::kMap) {
      const std::size_t n = coll->MapSize();
      const config::Value* node = coll->borrowed_node();
      const config::ValueMap* map = node != nullptr ? node->IfMap() : nullptr;
      for (std::size_t i = 0; i < n; ++i) {
        vars_.Bind("item", coll->MapValueAt(i));
        item_node_ = map != nullptr ? &map->at_index(i).value : nullptr;
        expr::Value key = coll->MapKeyAt(i);
        item_key_ = key.kind() == expr::Kind::kString ? std::string(key.str()) : key.DebugString();
        ResetWhen();
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
    AddError(rr, std::move(message));
  }

 private:
  // The item's own path (without the rule-relative part).
  config::Path ItemPath() const {
    if (!has_foreach_) return config::Path();
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
    AddError(rr, where.empty() ? fmt::format("{}: {}", what, e.message())
                               : fmt::format("{}: {}: {}", where, what, e.message()));
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
    if (c.when_program) {
      const Result<bool>& applies = When(k);
      if (!applies) {
        ++rr.applicable;  // applicability unknown: counted, not passed
        ItemError(rr, "when", applies.error());
        return;
      }
      if (!*applies) return;
    }
    ++rr.applicable;
    auto ok = c.check_program->EvaluateBool(vars_);
    if (!ok) {
      ItemError(rr, "check", ok.error());
      return;
    }
    if (*ok) {
      ++rr.passed;
      return;
    }
    ++rr.failed;
    Finding f;
    f.rule = r.index;
    f.severity = rr.severity;
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
    for (const auto& seg : c.message) {
      if (!seg.program) {
        f.message += seg.literal;
        continue;
      }
      auto v = seg.program->Evaluate(vars_);
      if (v) {
        AppendValueText(*v, f.message);
      } else {
        f.message += "<" + v.error().message() + ">";
      }
    }
    if (r.rule->fix && path_known) {
      f.fix =
          ResolvedFix{r.rule->fix->op, ItemPath().Concat(r.rule->fix->path), r.rule->fix->value};
    }
    findings_[r.index].push_back(std::move(f));
    location_ids_[r.index].push_back(location);
  }

  const config::Document& doc_;
  Report& report_;
  expr::Activation& vars_;
  std::vector<std::vector<Finding>> findings_;  // per rule (index into report_.rules)
  // The location id of each finding in findings_ (0: none), resolved in CollectFindings.
  std::vector<std::vector<std::uint32_t>> location_ids_;
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
  GroupRunner runner(document, report, vars);
  std::size_t index = 0;
  for (const auto& pack : packs_) {
    for (std::size_t i = 0; i < pack->rules().size(); ++i, ++index) {
      if (report.rules[index].status == RuleStatus::kDisabled) continue;
      const Rule& rule = pack->rules()[i];
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
  for (RuleResult& rr : report.rules) {
    if (rr.status == RuleStatus::kDisabled) continue;
    if (rr.errored > 0) {
      rr.status = RuleStatus::kError;
    } else if (rr.failed > 0) {
      rr.status = RuleStatus::kFail;
    } else if (rr.applicable > 0) {
      rr.status = RuleStatus::kPass;
    } else {
      rr.status = RuleStatus::kNotApplicable;
    }
  }
  runner.CollectFindings();
  FinalizeReport(report);
  return report;
}

}  // namespace bulwark::compliance
