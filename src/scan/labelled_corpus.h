// A labelled corpus generator for measuring the secret scanner (tests and bench/scan): realistic
// configuration files in several formats holding real-looking secrets of many formats, decoys
// (placeholders, references, documented examples, ENC tokens) and benign high-entropy values
// (commit hashes, UUIDs, digests), with the byte span and format of every secret.
//
// The generators describe each format from its issuer's documentation (prefix, alphabet,
// length), independently of the scanner's rules, so that the corpus measures the rules rather
// than restating them. Deterministic for a seed.
#ifndef BULWARK_SRC_SCAN_LABELLED_CORPUS_H_
#define BULWARK_SRC_SCAN_LABELLED_CORPUS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bulwark/scan/finding.h"

namespace bulwark::scan::corpus {

struct Label {
  std::string format;  // e.g. "github-pat", "generic-password"
  std::size_t offset = 0, length = 0;
};

struct File {
  std::string name;  // e.g. "svc-12/config.yaml"
  std::string text;
  std::vector<Label> secrets;
};

struct Options {
  std::uint64_t seed = 1;
  std::size_t files = 200;
  double secret_rate = 0.15;  // fraction of lines that hold a secret
  std::size_t lines_per_file = 60;
};

std::vector<File> Generate(const Options& options);

// Names of the secret formats the generator produces.
std::vector<std::string> Formats();

struct Score {
  std::size_t tp = 0, fn = 0, fp = 0;
  double Recall() const { return tp + fn == 0 ? 1.0 : double(tp) / double(tp + fn); }
  double Precision() const { return tp + fp == 0 ? 1.0 : double(tp) / double(tp + fp); }
};

// Scores findings against labels: a label is found when a finding on the same file overlaps its
// span; a finding overlapping no label is a false positive (attributed to the finding's rule).
// Per format (labels' formats for tp/fn, findings' rules for fp) and overall ("*").
std::map<std::string, Score> Evaluate(const std::vector<File>& files,
                                      const std::vector<Finding>& findings);

}  // namespace bulwark::scan::corpus

#endif  // BULWARK_SRC_SCAN_LABELLED_CORPUS_H_
