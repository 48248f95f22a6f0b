// Free-text arguments reach every command byte for byte (issue #12): brackets, commas, braces,
// quotes, '=', a leading '-' (after --) and non-ASCII text.
//
// Two layers:
//  - EveryTextArgumentOfEveryCommand walks the real command tree (BuildCli, the same tree RunCli
//    parses) and, for every option and positional that takes text in every command, including
//    commands added later, parses a command line carrying each payload and compares what the
//    option received. The table of commands is the tree itself.
//  - The other tests run commands end to end and check the effect: the value stored and read
//    back, the message in the history, the expression evaluated, the file named in a report.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "cli/command.h"
#include "cli_harness.h"

namespace bulwark::testing {
namespace {

using ::testing::HasSubstr;

// Each payload exercises one thing CLI11 (or a shell-minded parser) could take apart.
const std::vector<std::string>& Payloads() {
  static const std::vector<std::string> kPayloads = {
      "[1, 2] + [3]",         // starts with '[', ends with ']', commas: CLI11 made a list
      "[] == []",             //
      "[a,b]",                //
      "a,b,,c",               // commas alone
      "{\"k\": [1, 2]}",      // braces and quotes
      "'single' \"double\"",  // quotes
      "key=value=more",       // '='
      "-leading-dash",        // after --, or as --name=-leading-dash
      "--long=[x]",           // looks like an option with a bracketed value
      "\xc3\xa9t\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac, [\xc3\xbc]",  // non-ASCII: "été 日本, [ü]"
      " spaced  out ",                                           // spaces kept
  };
  return kPayloads;
}

// A command of the tree: its words ("keys", "rotate") and its app.
struct Command {
  std::vector<std::string> words;
  CLI::App* app;
};

void CollectCommands(CLI::App* app, std::vector<std::string> words, std::vector<Command>& out) {
  auto subs = app->get_subcommands([](CLI::App*) { return true; });
  if (!words.empty()) out.push_back({words, app});
  for (CLI::App* sub : subs) {
    std::vector<std::string> w = words;
    w.push_back(sub->get_name());
    CollectCommands(sub, w, out);
  }
}

// Free text: a TEXT value without a validator that limits it to a set of names (CLI11 appends the
// set to the type name, "TEXT:{text,json}"), which is a choice, not text.
bool TakesText(const CLI::Option* opt) {
  const std::string type = opt->get_type_name();
  return opt->get_type_size() > 0 && type.starts_with("TEXT") &&
         type.find(':') == std::string::npos;
}

bool TakesNumber(const CLI::Option* opt) {
  const std::string t = opt->get_type_name();
  return t.find("INT") != std::string::npos || t.find("UINT") != std::string::npos ||
         t.find("FLOAT") != std::string::npos || t.find("NUMBER") != std::string::npos;
}

// How many values a positional takes at least (NS_PATH takes two).
int ValuesOf(const CLI::Option* opt) { return std::max(1, opt->get_items_expected_min()); }

// A command line for `cmd` that gives `target` the payload (as many times as it takes values)
// and every other required option or positional a plain value.
std::vector<std::string> CommandLine(const Command& cmd, const CLI::Option* target,
                                     const std::string& payload, bool equals_form) {
  std::vector<std::string> args = cmd.words;
  std::vector<std::string> positionals;
  for (const CLI::Option* opt : cmd.app->get_options()) {
    const bool is_target = opt == target;
    if (opt->get_positional()) {
      // Positionals are filled in order: each one up to the target, and required ones after it.
      for (int i = 0; i < ValuesOf(opt); ++i) {
        positionals.push_back(is_target ? payload : (TakesNumber(opt) ? "1" : "x"));
      }
      continue;
    }
    if (!is_target && !opt->get_required()) continue;
    const std::string name = opt->get_lnames().empty() ? "-" + opt->get_snames().front()
                                                       : "--" + opt->get_lnames().front();
    const std::string value = is_target ? payload : (TakesNumber(opt) ? "1" : "x");
    if (is_target && equals_form) {
      args.push_back(name + "=" + value);
    } else {
      args.push_back(name);
      args.push_back(value);
    }
    // A repeatable option takes every following value; a "--" right after it ends that list
    // (CLI11 consumes it), as a user would write it.
    if (opt->get_items_expected_max() > 1) args.push_back("--");
  }
  args.push_back("--");
  args.insert(args.end(), positionals.begin(), positionals.end());
  return args;
}

TEST(FreeTextCliTest, EveryTextArgumentOfEveryCommand) {
  std::istringstream in;
  std::ostringstream out, err;
  int options_checked = 0;
  std::set<std::string> commands_checked;
  // The commands are listed by a first tree; each command line is parsed by a fresh one.
  CLI::App listing;
  cli::CommandContext listing_ctx{{in, out, err, false}, {}};
  cli::BuildCli(listing, listing_ctx);
  std::vector<Command> commands;
  CollectCommands(&listing, {}, commands);
  for (const Command& listed : commands) {
    if (!listed.app->get_subcommands([](CLI::App*) { return true; }).empty() &&
        listed.app->get_require_subcommand_min() > 0) {
      // A command group: its arguments belong to its commands. (A group that also runs on its
      // own, as `bulwark monitor` does, is a command too: its options are checked below.)
      for (const CLI::Option* opt : listed.app->get_options()) {
        EXPECT_FALSE(TakesText(opt)) << listed.words.front() << " " << opt->get_name();
      }
      continue;
    }
    for (const CLI::Option* listed_opt : listed.app->get_options()) {
      if (!TakesText(listed_opt)) continue;
      for (const std::string& payload : Payloads()) {
        // A separate value starting with '-' is an option to any parser; it goes after -- or
        // as --name=VALUE.
        for (bool equals_form : {false, true}) {
          if (!listed_opt->get_positional() && !equals_form && payload.front() == '-') continue;
          if (listed_opt->get_positional() && equals_form) continue;
          CLI::App app;
          cli::CommandContext ctx{{in, out, err, false}, {}};
          cli::BuildCli(app, ctx);
          std::vector<Command> fresh;
          CollectCommands(&app, {}, fresh);
          const Command* cmd = nullptr;
          for (const Command& c : fresh) {
            if (c.words == listed.words) cmd = &c;
          }
          ASSERT_NE(cmd, nullptr);
          const CLI::Option* target = nullptr;
          for (const CLI::Option* o : cmd->app->get_options()) {
            if (o->get_name() == listed_opt->get_name()) target = o;
          }
          ASSERT_NE(target, nullptr);
          const std::vector<std::string> args = CommandLine(*cmd, target, payload, equals_form);
          std::string line;
          for (const auto& a : args) line += " '" + a + "'";
          try {
            cli::ParseCli(app, args);
          } catch (const CLI::Error& e) {
            ADD_FAILURE() << "bulwark" << line << ": " << e.what();
            continue;
          }
          const std::vector<std::string> expected(target->get_positional() ? ValuesOf(target) : 1,
                                                  payload);
          EXPECT_EQ(target->results(), expected) << "bulwark" << line;
          ++options_checked;
          std::string words;
          for (const auto& w : cmd->words) words += w + " ";
          commands_checked.insert(words);
        }
      }
    }
  }
  // The walk really covered the tree: every command group and their text arguments.
  EXPECT_GE(commands_checked.size(), 30u);
  EXPECT_GE(options_checked, 60 * static_cast<int>(Payloads().size()));
  for (const char* c : {"expr ", "check ", "set ", "put ", "rollback ", "config load ",
                        "audit log ", "exec ", "keys compromised "}) {
    EXPECT_TRUE(commands_checked.contains(c)) << c;
  }
}

// ---- end to end ---------------------------------------------------------------------------

TEST(FreeTextCliTest, ExprEvaluatesBracketedExpressionsAsTyped) {
  const std::map<std::vector<std::string>, std::string> cases = {
      {{"expr", "[1, 2] + [3]"}, "[1,2,3]\n"},
      {{"expr", "[] == []"}, "true\n"},
      {{"expr", "[1,2][1]"}, "2\n"},
      {{"expr", "{'k': [1, 2]}['k']"}, "[1,2]\n"},
      {{"expr", "'a,b=c' + \"[d]\""}, "\"a,b=c[d]\"\n"},
      {{"expr", "--", "-1 + 0"}, "-1\n"},
      {{"expr", "'\xc3\xa9t\xc3\xa9, [\xc3\xbc]'.size()"}, "8\n"},  // code points
      {{"expr", "--vars", "{\"v\": \"[a,b]\"}", "v"}, "\"[a,b]\"\n"},
      {{"expr", "--vars={\"v\": [1, 2]}", "v"}, "[1,2]\n"},
      {{"expr", "[1,", "2]"}, "[1,2]\n"},  // several words are joined with spaces
  };
  for (const auto& [args, want] : cases) {
    auto r = RunBulwark(args);
    EXPECT_EQ(r.exit_code, 0) << args[1] << ": " << r.err;
    EXPECT_EQ(r.out, want) << args[1];
  }
}

class FreeTextStoreCliTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    home_ = (dir_ / "home").string();
    pass_ = Write("pass", "it-passphrase-123\n");
    auto init = Run({"init"});
    ASSERT_EQ(init.exit_code, 0) << init.err;
    ASSERT_EQ(Run({"put", "prod/app", Write("app.yaml", "port: 1\n")}).exit_code, 0);
  }
  CliResult Run(std::vector<std::string> args, const std::string& stdin_text = "") {
    std::vector<std::string> full = {args.front(), "--home", home_, "--passphrase-file", pass_};
    full.insert(full.end(), args.begin() + 1, args.end());
    return RunBulwark(full, stdin_text);
  }
  std::string home_, pass_;
};

TEST_F(FreeTextStoreCliTest, ValuesAndMessagesAreStoredAsTyped) {
  for (const std::string& payload : Payloads()) {
    auto set = Run({"set", "--string", "-m", "msg " + payload, "--", "prod/app", "note", payload});
    ASSERT_EQ(set.exit_code, 0) << payload << ": " << set.err;
    auto get = Run({"get", "prod/app", "note"});
    EXPECT_EQ(get.out, payload + "\n") << payload;
    auto history = Run({"history", "--json", "prod/app"});
    EXPECT_THAT(history.out, HasSubstr("msg ")) << payload;
  }
  // A JSON value with brackets is a list, not the first element.
  ASSERT_EQ(Run({"set", "prod/app", "tags", "[1, 2]"}).exit_code, 0);
  EXPECT_EQ(Run({"get", "--format", "json", "prod/app", "tags"}).out, "[\n  1,\n  2\n]\n");
  auto rb = Run({"rollback", "prod/app", "--to", "1", "--reason", "[undo], \"all\" = yes"});
  ASSERT_EQ(rb.exit_code, 0) << rb.err;
  auto history = Run({"history", "prod/app"});
  EXPECT_THAT(history.out, HasSubstr("[undo], \"all\" = yes"));
}

TEST_F(FreeTextStoreCliTest, NamespacesAndPathsAreNamedAsTyped) {
  // Not a valid namespace, but the error names it exactly as typed.
  auto bad = Run({"get", "[prod,app]"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_THAT(bad.err, HasSubstr("[prod,app]"));
  auto missing = Run({"get", "prod/app", "[a,b]"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_THAT(missing.err, HasSubstr("[a,b]"));
}

TEST_F(CliTest, FilePathsWithBracketsCommasAndNonAsciiAreOpened) {
  const std::string name = "[a,b] \xc3\xa9t\xc3\xa9.yaml";
  const std::string f = Write(name, "database:\n  ssl_mode: disable\n");
  auto load = RunBulwark({"config", "load", "--format", "json", f});
  EXPECT_EQ(load.exit_code, 0) << load.err;
  EXPECT_THAT(load.out, HasSubstr("\"ssl_mode\": \"disable\""));
  auto check = RunBulwark({"check", "--format", "json", f});
  EXPECT_THAT(check.out, HasSubstr(name));
  auto missing = RunBulwark({"config", "load", (dir_ / "[x,y].yaml").string()});
  EXPECT_EQ(missing.exit_code, 4) << missing.err;
  EXPECT_THAT(missing.err, HasSubstr("[x,y].yaml"));
}

}  // namespace
}  // namespace bulwark::testing
