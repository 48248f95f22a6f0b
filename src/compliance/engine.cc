#include "bulwark/compliance/engine.h"

#include <fmt/format.h>

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

class RuleRunner {
 public:
  RuleRunner(const config::Document& doc, Report& report, expr::Activation& vars)
      : doc_(doc), report_(report), vars_(vars) {}

  void Run(const Rule& rule, const RulePack::CompiledRule& c, std::size_t rule_index) {
    rule_ = &rule;
    c_ = &c;
    index_ = rule_index;
    result_ = &report_.rules[rule_index];
    rel_suffix_.clear();
    if (rule.target_path && !rule.target_path->empty()) {
      rel_suffix_ = rule.target_path->ToString();
    }
    if (c.compile_error) {
      ++result_->applicable;  // an unevaluable rule counts as a check that did not pass
      AddError(*c.compile_error);
      return;
    }
    if (!c.foreach_program) {
      vars_.Bind("item", expr::Value::Null());
      base_.reset();
      CheckOne(config::Path(), /*item_path_known=*/true);
      return;
    }
    auto coll = c.foreach_program->Evaluate(vars_);
    if (!coll) {
      ++result_->applicable;
      AddError("foreach: " + coll.error().message());
      return;
    }
    base_ = c.foreach_path;
    if (!base_ && coll->borrowed_node() != nullptr) {
      base_ = PathOfNode(doc_.root, coll->borrowed_node());
    }
    base_text_ = base_ ? base_->ToString() : std::string();
    if (coll->kind() == expr::Kind::kList) {
      const std::size_t n = coll->ListSize();
      for (std::size_t i = 0; i < n; ++i) {
        vars_.Bind("item", coll->ListAt(i));
        item_index_ = i;
        item_key_.reset();
        CheckOne(config::Path(), base_.has_value());
      }
    } else if (coll->kind() == expr::Kind::kMap) {
      const std::size_t n = coll->MapSize();
      for (std::size_t i = 0; i < n; ++i) {
        vars_.Bind("item", coll->MapValueAt(i));
        expr::Value key = coll->MapKeyAt(i);
        item_key_ = key.kind() == expr::Kind::kString ? std::string(key.str()) : key.DebugString();
        CheckOne(config::Path(), base_.has_value());
      }
    } else {
      ++result_->applicable;
      AddError("foreach: expected a list or a map, got " + std::string(coll->TypeName()));
    }
  }

 private:
  // The item's own path (without the rule-relative part).
  config::Path ItemPath() const {
    if (!c_->foreach_program) return config::Path();
    config::Path p = base_ ? *base_ : config::Path();
    return item_key_ ? p.Key(*item_key_) : p.Index(item_index_);
  }
  std::string ItemPathText() const {
    if (!c_->foreach_program) return std::string();
    std::string s = base_text_;
    if (item_key_) {
      if (!s.empty()) s += '.';
      s += config::QuoteKeyIfNeeded(*item_key_);
    } else {
      fmt::format_to(std::back_inserter(s), "[{}]", item_index_);
    }
    return s;
  }

  void AddError(std::string message) {
    ++result_->errored;
    if (result_->errors.size() < kMaxErrorsPerRule) result_->errors.push_back(std::move(message));
  }

  void ItemError(std::string_view what, const Error& e) {
    std::string where = ItemPathText();
    AddError(where.empty() ? fmt::format("{}: {}", what, e.message())
                           : fmt::format("{}: {}: {}", where, what, e.message()));
  }

  void CheckOne(const config::Path&, bool path_known) {
    if (c_->when_program) {
      auto applies = c_->when_program->EvaluateBool(vars_);
      if (!applies) {
        ++result_->applicable;  // applicability unknown: counted, not passed
        ItemError("when", applies.error());
        return;
      }
      if (!*applies) return;
    }
    ++result_->applicable;
    auto ok = c_->check_program->EvaluateBool(vars_);
    if (!ok) {
      ItemError("check", ok.error());
      return;
    }
    if (*ok) {
      ++result_->passed;
      return;
    }
    ++result_->failed;
    Finding f;
    f.rule = index_;
    f.severity = result_->severity;
    std::string item_text = ItemPathText();
    f.path = item_text;
    if (!rel_suffix_.empty()) {
      if (!f.path.empty()) f.path += '.';
      f.path += rel_suffix_;
    }
    config::Path item_path;
    if (path_known) {
      item_path = ItemPath();
      config::Path full = rule_->target_path ? item_path.Concat(*rule_->target_path) : item_path;
      if (const config::SourceLocation* loc = doc_.LocationOf(full);
          loc != nullptr && loc->line != 0) {
        f.location = loc->ToString();
      }
    }
    f.message.reserve(64);
    for (const auto& seg : c_->message) {
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
    if (rule_->fix && path_known) {
      f.fix = ResolvedFix{rule_->fix->op, item_path.Concat(rule_->fix->path), rule_->fix->value};
    }
    report_.findings.push_back(std::move(f));
  }

  const config::Document& doc_;
  Report& report_;
  expr::Activation& vars_;
  const Rule* rule_ = nullptr;
  const RulePack::CompiledRule* c_ = nullptr;
  std::size_t index_ = 0;
  RuleResult* result_ = nullptr;
  std::optional<config::Path> base_;
  std::string base_text_;
  std::string rel_suffix_;
  std::size_t item_index_ = 0;
  std::optional<std::string> item_key_;
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

  RuleRunner runner(document, report, vars);
  std::size_t index = 0;
  for (const auto& pack : packs_) {
    for (std::size_t i = 0; i < pack->rules().size(); ++i, ++index) {
      if (report.rules[index].status == RuleStatus::kDisabled) continue;
      runner.Run(pack->rules()[i], pack->compiled(i), index);
      RuleResult& rr = report.rules[index];
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
  }
  FinalizeReport(report);
  return report;
}

}  // namespace bulwark::compliance
