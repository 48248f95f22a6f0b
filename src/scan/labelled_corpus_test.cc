// Recall and precision of the built-in rules on the labelled corpus (src/scan/labelled_corpus.h),
// per format. The thresholds are the targets; bench/RESULTS.md has the full table.
#include "scan/labelled_corpus.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "bulwark/scan/secret_scanner.h"

namespace bulwark::scan {
namespace {

std::map<std::string, corpus::Score> Measure(std::uint64_t seed) {
  auto rules = RuleSet::Builtin();
  auto scanner = SecretScanner::Create(*rules);
  std::vector<Finding> findings;
  const auto files = corpus::Generate({.seed = seed, .files = 150});
  for (const corpus::File& f : files) {
    auto fs = (*scanner)->ScanBytes(f.text, f.name);
    findings.insert(findings.end(), fs.begin(), fs.end());
  }
  return corpus::Evaluate(files, findings);
}

TEST(LabelledCorpusTest, RecallAndPrecisionMeetTheTargetsOnEveryFormat) {
  const auto scores = Measure(20261207);
  for (const auto& [format, s] : scores) {
    std::cout << fmt::format("{:32} tp {:4} fn {:3} fp {:3} recall {:.3f} precision {:.3f}\n",
                             format, s.tp, s.fn, s.fp, s.Recall(), s.Precision());
  }
  const corpus::Score& all = scores.at("*");
  EXPECT_GT(all.tp, 500u);  // the corpus really holds secrets
  EXPECT_GE(all.Recall(), 0.97);
  EXPECT_GE(all.Precision(), 0.98);
  for (const std::string& format : corpus::Formats()) {
    auto it = scores.find(format);
    if (it == scores.end()) continue;
    EXPECT_GE(it->second.Recall(), 0.9) << format;
  }
}

TEST(LabelledCorpusTest, TheScoreCountsMissesAndFalseAlarms) {
  const auto files = corpus::Generate({.seed = 3, .files = 5});
  std::size_t labels = 0;
  for (const auto& f : files) labels += f.secrets.size();
  ASSERT_GT(labels, 0u);
  auto none = corpus::Evaluate(files, {});
  EXPECT_EQ(none.at("*").fn, labels);
  EXPECT_EQ(none.at("*").Recall(), 0.0);
  Finding stray;
  stray.target = files[0].name;
  stray.rule = "x";
  stray.offset = files[0].text.size() + 10;
  stray.length = 1;
  auto fp = corpus::Evaluate(files, {stray});
  EXPECT_EQ(fp.at("x").fp, 1u);
}

}  // namespace
}  // namespace bulwark::scan
