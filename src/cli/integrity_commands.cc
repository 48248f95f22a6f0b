// bulwark verify-store [NS] [--fix] (docs/store.md, "Authenticated versions").
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "bulwark/service/config_service.h"
#include "cli/store_commands.h"

namespace bulwark::cli {

void RegisterIntegrityCommands(CLI::App& app, CommandContext& ctx) {
  auto a = std::make_shared<StoreArgs>();
  auto fix = std::make_shared<bool>(false);
  CLI::App* c = app.add_subcommand(
      "verify-store",
      "Verify every stored version (authentication tags, chain, secrets stored encrypted); exit 1 "
      "names the first bad version of each namespace");
  c->add_option("prefix", a->ns, "Only namespaces under this prefix (default: all)");
  c->add_flag("--fix", *fix,
              "Also encrypt, in a new version of NS, sensitive values stored in clear (stored "
              "before they were classified sensitive); needs a namespace");
  c->add_flag("--json", a->json, "Machine-readable output");
  AddStoreOptions(c, *a);
  c->callback([&ctx, a, fix] {
    ctx.action = [&ctx, a, fix] {
      if (*fix && a->ns.empty()) {
        return ctx.Fail(Error(ErrorCode::kInvalidArgument, "--fix needs a namespace"));
      }
      auto session = OpenSession(ctx, *a);
      if (!session) return ctx.Fail(session.error());
      if (*fix) {
        auto fixed = session->service->EncryptStoredPlaintext(session->request, a->ns, {});
        if (!fixed) return ctx.Fail(fixed.error());
        if (auto closed = session->Close(); !closed) return ctx.Fail(closed.error());
        if (fixed->info) {
          ctx.io.out << fmt::format("{} version {}: encrypted {} value(s) stored in clear\n", a->ns,
                                    fixed->info->version, fixed->moved.size());
        }
      }
      auto report = session->service->VerifyStore(session->request, a->ns);
      if (!report) return ctx.Fail(report.error());
      if (a->json) {
        nlohmann::ordered_json j;
        j["namespaces"] = report->namespaces;
        j["versions_verified"] = report->versions;
        j["problems"] = nlohmann::ordered_json::array();
        for (const auto& p : report->problems) {
          j["problems"].push_back({{"namespace", p.ns}, {"version", p.version}, {"reason", p.reason}});
        }
        ctx.io.out << j.dump(2) << "\n";
      } else {
        for (const auto& p : report->problems) {
          ctx.io.out << (p.version > 0 ? fmt::format("BAD {} version {}: {}\n", p.ns, p.version,
                                                     p.reason)
                                       : fmt::format("BAD {}: {}\n", p.ns, p.reason));
        }
        ctx.io.out << fmt::format("{} namespace(s), {} version(s) verified, {} bad namespace(s)\n",
                                  report->namespaces, report->versions, report->problems.size());
      }
      return report->clean() ? exit_code::kOk : exit_code::kProblemsFound;
    };
  });
}

}  // namespace bulwark::cli
