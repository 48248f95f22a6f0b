// bulwark change propose|list|show|diff|approve|reject|apply|rebase|emergency|review|comment
// (docs/change.md). The CLI parses and prints; the node's ChangeService authorizes, audits and
// acts. Exit codes: 0 ok, 2 bad input / a transition the state does not allow / a lost race,
// 3 denied, 4 unknown request or namespace, 5 unavailable.
#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "bulwark/change/change_service.h"
#include "bulwark/change/report.h"
#include "bulwark/config/format.h"
#include "cli/change_print.h"
#include "cli/command.h"
#include "cli/store_commands.h"

namespace bulwark::cli {
namespace {

struct ChangeArgs {
  StoreArgs store;
  std::string id;
  std::string ns;
  std::string file;
  std::vector<std::string> sets;
  std::string set_secret;
  std::vector<std::string> unsets;
  std::int64_t rollback_to = 0;
  std::string justification;
  std::string rollback_plan;
  std::vector<std::string> tags;
  std::string comment;
  std::vector<std::string> overrides;
  std::string state;
  bool json = false;
};

// The change-set options into ops; values as `bulwark set` takes them.
Result<std::vector<change::ChangeOp>> OpsFrom(CommandContext& ctx, const ChangeArgs& a) {
  std::vector<change::ChangeOp> ops;
  if (a.rollback_to > 0) {
    if (!a.file.empty()) return InvalidArgumentError("--rollback-to: not with --file");
    change::ChangeOp op;
    op.kind = change::ChangeOp::Kind::kRollback;
    op.to = a.rollback_to;
    ops.push_back(std::move(op));
  }
  if (!a.file.empty()) {
    auto files = NewLocalFileSystem();
    auto doc = config::LoadFile(*files, a.file);
    if (!doc) return std::unexpected(doc.error().WithContext("--file"));
    change::ChangeOp op;
    op.kind = change::ChangeOp::Kind::kPut;
    op.value = std::move(doc->root);
    ops.push_back(std::move(op));
  }
  for (const std::string& s : a.sets) {
    const auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0) {
      return InvalidArgumentError(fmt::format("--set '{}': expected PATH=VALUE", s.substr(0, s.find('='))));
    }
    change::ChangeOp op;
    op.kind = change::ChangeOp::Kind::kSet;
    op.path = s.substr(0, eq);
    const std::string text = s.substr(eq + 1);
    auto doc = config::ParseDocument(text, config::Format::kJson,
                                     {.source_name = "--set", .track_locations = false});
    op.value = doc ? std::move(doc->root) : config::Value(text);
    ops.push_back(std::move(op));
  }
  if (!a.set_secret.empty()) {
    std::string text = ReadStandardInput(ctx);
    if (text.empty()) return InvalidArgumentError("--set-secret: no value on standard input");
    change::ChangeOp op;
    op.kind = change::ChangeOp::Kind::kSet;
    op.path = a.set_secret;
    op.value = config::Value(std::move(text));
    op.secret = true;
    ops.push_back(std::move(op));
  }
  for (const std::string& u : a.unsets) {
    change::ChangeOp op;
    op.kind = change::ChangeOp::Kind::kUnset;
    op.path = u;
    ops.push_back(std::move(op));
  }
  return ops;
}

// Runs `body` with the node's change service; prints the view it returns.
int RunView(CommandContext& ctx, const ChangeArgs& a,
            const std::function<Result<change::ChangeView>(change::ChangeService&, Session&)>& body) {
  auto session = OpenSession(ctx, a.store);
  if (!session) return ctx.Fail(session.error());
  auto result = [&]() -> Result<change::ChangeView> {
    BULWARK_ASSIGN_OR_RETURN(change::ChangeService * changes, session->node->Changes());
    return body(*changes, *session);
  }();
  Status closed = session->Close();
  if (!result) return ctx.Fail(result.error());
  if (!closed) return ctx.Fail(closed.error());
  if (a.json) {
    ctx.io.out << change::ViewJson(*result).dump(2) << "\n";
  } else {
    PrintChangeView(ctx.io.out, change::ViewJson(*result));
  }
  return exit_code::kOk;
}

int RunPropose(CommandContext& ctx, const ChangeArgs& a, bool emergency) {
  auto ops = OpsFrom(ctx, a);
  if (!ops) return ctx.Fail(ops.error());
  change::ProposeRequest req;
  req.ns = a.ns;
  req.ops = std::move(*ops);
  req.justification = a.justification;
  req.rollback_plan = a.rollback_plan;
  req.tags = a.tags;
  return RunView(ctx, a, [&](change::ChangeService& c, Session& s) {
    return emergency ? c.Emergency(s.request, req) : c.Propose(s.request, req);
  });
}

int RunList(CommandContext& ctx, const ChangeArgs& a) {
  std::optional<change::State> state;
  if (!a.state.empty()) {
    state = change::ParseState(a.state);
    if (!state) {
      return ctx.Fail(Error(ErrorCode::kInvalidArgument,
                            fmt::format("--state '{}': expected open, approved, applied, "
                                        "rejected, stale or expired",
                                        a.state)));
    }
  }
  auto session = OpenSession(ctx, a.store);
  if (!session) return ctx.Fail(session.error());
  auto result = [&]() -> Result<std::vector<change::ChangeView>> {
    BULWARK_ASSIGN_OR_RETURN(change::ChangeService * changes, session->node->Changes());
    return changes->List(session->request, a.ns, state);
  }();
  Status closed = session->Close();
  if (!result) return ctx.Fail(result.error());
  if (!closed) return ctx.Fail(closed.error());
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  for (const auto& v : *result) arr.push_back(change::ViewJson(v));
  if (a.json) {
    ctx.io.out << arr.dump(2) << "\n";
  } else {
    PrintChangeList(ctx.io.out, arr);
  }
  return exit_code::kOk;
}

int RunDiff(CommandContext& ctx, const ChangeArgs& a) {
  auto session = OpenSession(ctx, a.store);
  if (!session) return ctx.Fail(session.error());
  auto result = [&]() -> Result<std::vector<change::DiffLine>> {
    BULWARK_ASSIGN_OR_RETURN(change::ChangeService * changes, session->node->Changes());
    return changes->Diff(session->request, a.id);
  }();
  Status closed = session->Close();
  if (!result) return ctx.Fail(result.error());
  if (!closed) return ctx.Fail(closed.error());
  if (a.json) {
    ctx.io.out << change::DiffJson(*result).dump(2) << "\n";
  } else {
    PrintChangeDiff(ctx.io.out, change::DiffJson(*result));
  }
  return exit_code::kOk;
}

void AddChangeSetOptions(CLI::App* c, ChangeArgs& a) {
  c->add_option("namespace", a.ns, "The namespace to change")->required();
  c->add_option("--file", a.file, "A whole new document (any format the loaders read)");
  c->add_option("--set", a.sets, "PATH=VALUE (VALUE as for `bulwark set`; repeatable)");
  c->add_option("--set-secret", a.set_secret, "PATH: the value from standard input, encrypted");
  c->add_option("--unset", a.unsets, "PATH to remove (repeatable)");
  c->add_option("--rollback-to", a.rollback_to, "Restore version N")->check(VersionNumber());
  c->add_option("--justification", a.justification, "Why (required)");
  c->add_option("--rollback-plan", a.rollback_plan, "How to undo it");
  c->add_option("--tag", a.tags, "A label (repeatable)");
  c->add_flag("--json", a.json, "Print the request as JSON");
  AddStoreOptions(c, a.store);
}

CLI::App* IdCommand(CLI::App* parent, const char* name, const char* help, ChangeArgs& a) {
  CLI::App* c = parent->add_subcommand(name, help);
  c->add_option("id", a.id, "The change request (cr-...)")->required();
  c->add_flag("--json", a.json, "Print as JSON");
  AddStoreOptions(c, a.store);
  return c;
}

}  // namespace

void RegisterChangeCommands(CLI::App& app, CommandContext& ctx) {
  CLI::App* change = app.add_subcommand(
      "change", "Change requests: propose, approve and apply changes to covered namespaces");
  change->require_subcommand(1);
  {
    auto a = std::make_shared<ChangeArgs>();
    CLI::App* c = change->add_subcommand("propose", "Propose a change-set against one namespace");
    AddChangeSetOptions(c, *a);
    c->callback([&ctx, a] { ctx.action = [&ctx, a] { return RunPropose(ctx, *a, false); }; });
  }
  {
    auto a = std::make_shared<ChangeArgs>();
    CLI::App* c = change->add_subcommand(
        "emergency", "Break glass: apply at once (emergency role, justification), review follows");
    AddChangeSetOptions(c, *a);
    c->callback([&ctx, a] { ctx.action = [&ctx, a] { return RunPropose(ctx, *a, true); }; });
  }
  {
    auto a = std::make_shared<ChangeArgs>();
    CLI::App* c = change->add_subcommand("list", "Change requests, newest first");
    c->add_option("--ns", a->ns, "Only namespaces under this prefix");
    c->add_option("--state", a->state, "open|approved|applied|rejected|stale|expired");
    c->add_flag("--json", a->json, "Print as JSON");
    AddStoreOptions(c, a->store);
    c->callback([&ctx, a] { ctx.action = [&ctx, a] { return RunList(ctx, *a); }; });
  }
  {
    auto a = std::make_shared<ChangeArgs>();
    CLI::App* c = IdCommand(change, "show", "One change request, its impact and approvals", *a);
    c->callback([&ctx, a] {
      ctx.action = [&ctx, a] {
        return RunView(ctx, *a, [a](change::ChangeService& c, Session& s) { return c.Show(s.request, a->id); });
      };
    });
  }
  {
    auto a = std::make_shared<ChangeArgs>();
    CLI::App* c = IdCommand(change, "diff", "What the change does to its base version", *a);
    c->callback([&ctx, a] { ctx.action = [&ctx, a] { return RunDiff(ctx, *a); }; });
  }
  {
    auto a = std::make_shared<ChangeArgs>();
    CLI::App* c = IdCommand(change, "approve", "Approve a change request", *a);
    c->add_option("--comment", a->comment, "A comment kept with the approval");
    c->add_option("--override", a->overrides, "A blocking critical compliance rule id to override");
    c->callback([&ctx, a] {
      ctx.action = [&ctx, a] {
        return RunView(ctx, *a, [a](change::ChangeService& c, Session& s) {
          return c.Approve(s.request, a->id, {a->comment, a->overrides});
        });
      };
    });
  }
  {
    auto a = std::make_shared<ChangeArgs>();
    CLI::App* c = IdCommand(change, "reject", "Reject (or, as its requester, withdraw) a change", *a);
    c->add_option("--comment", a->comment, "Why (required)");
    c->callback([&ctx, a] {
      ctx.action = [&ctx, a] {
        return RunView(ctx, *a, [a](change::ChangeService& c, Session& s) {
          return c.Reject(s.request, a->id, a->comment);
        });
      };
    });
  }
  {
    auto a = std::make_shared<ChangeArgs>();
    CLI::App* c = IdCommand(change, "apply", "Apply an approved change (compare-and-set on its base)", *a);
    c->callback([&ctx, a] {
      ctx.action = [&ctx, a] {
        return RunView(ctx, *a, [a](change::ChangeService& c, Session& s) { return c.Apply(s.request, a->id); });
      };
    });
  }
  {
    auto a = std::make_shared<ChangeArgs>();
    CLI::App* c = IdCommand(change, "rebase", "Move a stale change onto the latest version", *a);
    c->callback([&ctx, a] {
      ctx.action = [&ctx, a] {
        return RunView(ctx, *a, [a](change::ChangeService& c, Session& s) { return c.Rebase(s.request, a->id); });
      };
    });
  }
  {
    auto a = std::make_shared<ChangeArgs>();
    CLI::App* c = IdCommand(change, "comment", "Add a comment to a change request", *a);
    c->add_option("text", a->comment, "The comment")->required();
    c->callback([&ctx, a] {
      ctx.action = [&ctx, a] {
        return RunView(ctx, *a, [a](change::ChangeService& c, Session& s) {
          return c.Comment(s.request, a->id, a->comment);
        });
      };
    });
  }
  {
    auto a = std::make_shared<ChangeArgs>();
    CLI::App* c = IdCommand(change, "review", "Review an applied emergency change", *a);
    c->add_option("--comment", a->comment, "A comment kept with the review");
    c->callback([&ctx, a] {
      ctx.action = [&ctx, a] {
        return RunView(ctx, *a, [a](change::ChangeService& c, Session& s) {
          return c.Review(s.request, a->id, a->comment);
        });
      };
    });
  }
}

}  // namespace bulwark::cli
