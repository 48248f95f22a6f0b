#include "cli/verbatim_args.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

namespace bulwark::cli {
namespace {

// A small app with the three shapes CLI11 treats differently: a single value, a repeatable
// option and a positional list.
struct Parsed {
  std::string single;
  std::vector<std::string> repeated;
  std::vector<std::string> positional;
};

Parsed Parse(const std::vector<std::string>& args) {
  Parsed p;
  CLI::App app{"test", "t"};
  app.add_option("--single", p.single);
  app.add_option("--repeated", p.repeated);
  app.add_option("rest", p.positional);
  RestoreArgsInEveryOption(app);
  const std::vector<std::string> marked = ProtectArgs(args);
  std::vector<std::string> reversed(marked.rbegin(), marked.rend());
  app.parse(reversed);
  return p;
}

// CLI11 lets a repeatable option take every following value up to the next option, and a "--"
// right after it only ends that list: the tests give positionals first, or end with --single.
TEST(VerbatimArgsTest, BracketedValuesAreNotSplitIntoLists) {
  const Parsed p = Parse(
      {"[1, 2] + [3]", "[] == []", "--repeated", "[a,b]", "--repeated=[c]", "--single", "[1, 2]"});
  EXPECT_EQ(p.single, "[1, 2]");
  EXPECT_EQ(p.repeated, (std::vector<std::string>{"[a,b]", "[c]"}));
  EXPECT_EQ(p.positional, (std::vector<std::string>{"[1, 2] + [3]", "[] == []"}));
}

TEST(VerbatimArgsTest, WithoutTheProtectionCli11SplitsThem) {
  // The behaviour this works around (if CLI11 stops doing it, the protection is harmless).
  std::vector<std::string> positional;
  CLI::App app{"test", "t"};
  app.add_option("rest", positional);
  std::vector<std::string> reversed = {"[1, 2] + [3]"};
  app.parse(reversed);
  EXPECT_NE(positional, std::vector<std::string>{"[1, 2] + [3]"});
}

TEST(VerbatimArgsTest, ValuesStartingWithTheMarkOrDashesComeBackExactly) {
  const std::string mark(1, kVerbatimMark);
  const Parsed p = Parse({"--repeated=" + mark + "[y]", "--single=" + mark + "x", "--",
                          "-x=" + mark + "[z]", mark, "-k=[v]", "--n=" + mark + mark});
  EXPECT_EQ(p.single, mark + "x");
  EXPECT_EQ(p.repeated, std::vector<std::string>{mark + "[y]"});
  EXPECT_EQ(p.positional,
            (std::vector<std::string>{"-x=" + mark + "[z]", mark, "-k=[v]", "--n=" + mark + mark}));
}

TEST(VerbatimArgsTest, OtherArgumentsAreUntouched) {
  const std::vector<std::string> args = {"--single", "a,b", "{\"k\": [1]}", "x=y", "é,ü", "[", "]",
                                         "-",        "--"};
  EXPECT_EQ(ProtectArgs(args), args);
}

TEST(VerbatimArgsTest, ErrorMessagesShowTheArgumentsAsTyped) {
  const std::string mark(1, kVerbatimMark);
  EXPECT_EQ(UnprotectMessage("The following argument was not expected: " + mark + "[x]"),
            "The following argument was not expected: [x]");
}

// Any text, given as a positional after --, as a separate option value or as --name=VALUE,
// reaches the option byte for byte.
RC_GTEST_PROP(VerbatimArgsProperty, EveryValueArrivesExactly, ()) {
  const auto alphabet = rc::gen::elementOf(std::string("[],{}\"'=- a\x1f\xc3\xa9"));
  const auto text = rc::gen::container<std::string>(alphabet);
  const auto values = *rc::gen::container<std::vector<std::string>>(rc::gen::nonEmpty(text));
  const auto single = *rc::gen::nonEmpty(text);
  const auto repeated = *rc::gen::nonEmpty(text);
  RC_PRE(!values.empty());
  std::vector<std::string> args = {"--repeated=" + repeated};
  // A separate value that starts with '-' would be read as an option by CLI11 itself.
  if (!repeated.empty() && repeated.front() != '-') {
    args.push_back("--repeated");
    args.push_back(repeated);
  }
  args.push_back("--single=" + single);  // last: "--" after a repeatable option only ends it
  args.push_back("--");
  args.insert(args.end(), values.begin(), values.end());
  const Parsed p = Parse(args);
  RC_ASSERT(p.single == single);
  RC_ASSERT(p.repeated.front() == repeated);
  for (const std::string& r : p.repeated) RC_ASSERT(r == repeated);
  RC_ASSERT(p.positional == values);
}

}  // namespace
}  // namespace bulwark::cli
