// The secret scanner's bench tool (bench/results/scan.md, bench/scan/run.sh):
//   scan_bench corpus DIR SEED FILES LINES RATE   write a labelled corpus (DIR/labels.json and
//                                            files); RATE: fraction of lines holding a secret
//   scan_bench quality SEED FILES            per-format recall/precision of the built-in rules
//   scan_bench bigfile PATH MIB LINE_MIB     one file of MIB MiB (one line of LINE_MIB MiB in it)
#include <fmt/format.h>
#include <sys/resource.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "bulwark/scan/secret_scanner.h"
#include "scan/labelled_corpus.h"

namespace {

using bulwark::scan::corpus::Generate;

int Corpus(const std::string& dir, std::uint64_t seed, std::size_t files, std::size_t lines,
           double rate) {
  auto corpus = Generate({.seed = seed, .files = files, .secret_rate = rate, .lines_per_file = lines});
  nlohmann::json labels = nlohmann::json::array();
  std::uint64_t bytes = 0;
  for (const auto& f : corpus) {
    const auto path = std::filesystem::path(dir) / f.name;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << f.text;
    bytes += f.text.size();
    for (const auto& l : f.secrets) {
      labels.push_back({{"file", f.name}, {"format", l.format}, {"offset", l.offset}, {"length", l.length}});
    }
  }
  std::ofstream(std::filesystem::path(dir) / "labels.json") << labels.dump(1);
  std::cout << fmt::format("{} files, {} bytes, {} secrets\n", corpus.size(), bytes, labels.size());
  return 0;
}

int Quality(std::uint64_t seed, std::size_t files) {
  auto rules = bulwark::scan::RuleSet::Builtin();
  auto scanner = bulwark::scan::SecretScanner::Create(*rules);
  if (!scanner) return 2;
  auto corpus = Generate({.seed = seed, .files = files});
  std::vector<bulwark::scan::Finding> findings;
  for (const auto& f : corpus) {
    auto fs = (*scanner)->ScanBytes(f.text, f.name);
    findings.insert(findings.end(), fs.begin(), fs.end());
  }
  auto scores = bulwark::scan::corpus::Evaluate(corpus, findings);
  std::cout << "| format | secrets | found | missed | false positives | recall | precision |\n"
               "|---|---|---|---|---|---|---|\n";
  for (const auto& [name, s] : scores) {
    std::cout << fmt::format("| {} | {} | {} | {} | {} | {:.3f} | {:.3f} |\n", name, s.tp + s.fn, s.tp,
                             s.fn, s.fp, s.Recall(), s.Precision());
  }
  return 0;
}

int BigFile(const std::string& path, std::size_t mib, std::size_t line_mib) {
  auto corpus = Generate({.seed = 99, .files = 50, .lines_per_file = 400});
  std::ofstream out(path, std::ios::binary);
  std::uint64_t written = 0;
  const std::uint64_t target = std::uint64_t{mib} << 20;
  bool long_line_done = line_mib == 0;
  while (written < target) {
    for (const auto& f : corpus) {
      out << f.text;
      written += f.text.size();
      if (!long_line_done && written > target / 2) {
        std::string line(std::size_t{line_mib} << 20, 'a');
        for (std::size_t i = 100; i + 60 < line.size(); i += 4096) line.replace(i, 6, " k=v, ");
        out << "long: " << line << "\n";
        written += line.size() + 7;
        long_line_done = true;
      }
      if (written >= target) break;
    }
  }
  std::cout << fmt::format("wrote {} bytes to {}\n", written, path);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> a(argv + 1, argv + argc);
  if (a.size() == 6 && a[0] == "corpus") {
    return Corpus(a[1], std::stoull(a[2]), std::stoul(a[3]), std::stoul(a[4]), std::stod(a[5]));
  }
  if (a.size() == 3 && a[0] == "quality") return Quality(std::stoull(a[1]), std::stoul(a[2]));
  if (a.size() == 4 && a[0] == "bigfile") return BigFile(a[1], std::stoul(a[2]), std::stoul(a[3]));
  std::cerr << "usage: scan_bench corpus DIR SEED FILES LINES RATE | quality SEED FILES | bigfile PATH MIB LINE_MIB\n";
  return 2;
}
