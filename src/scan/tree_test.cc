#include "bulwark/scan/tree.h"

#include <gtest/gtest.h>

#include <fstream>

#include "bulwark/testing/temp_dir.h"

namespace bulwark::scan {
namespace {

void Write(const std::filesystem::path& p, std::string_view text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

std::vector<std::string> Names(const std::vector<TreeFile>& files, const std::string& root) {
  std::vector<std::string> out;
  for (const TreeFile& f : files) out.push_back(f.name.substr(root.size() + 1));
  return out;
}

TEST(TreeTest, IgnoreFilesAndGitDirectoriesAreHonoured) {
  testing::TempDir dir("scan-tree");
  const std::string root = dir.path().string();
  Write(dir / "app.yaml", "a: 1\n");
  Write(dir / ".git/config", "x\n");
  Write(dir / ".gitignore", "*.log\nbuild/\n/top-only.txt\n!keep.log\n");
  Write(dir / "debug.log", "x\n");
  Write(dir / "keep.log", "x\n");
  Write(dir / "build/out.yaml", "x\n");
  Write(dir / "top-only.txt", "x\n");
  Write(dir / "sub/top-only.txt", "x\n");
  Write(dir / "sub/.bulwarkignore", "fixtures/**\n");
  Write(dir / "sub/fixtures/a/b.yaml", "x\n");
  Write(dir / "sub/conf.toml", "x\n");
  auto files = CollectFiles(dir.path());
  ASSERT_TRUE(files.has_value()) << files.error();
  EXPECT_EQ(Names(*files, root),
            (std::vector<std::string>{".gitignore", "app.yaml", "keep.log", "sub/.bulwarkignore",
                                      "sub/conf.toml", "sub/top-only.txt"}));
  auto all = CollectFiles(dir.path(), {.gitignore = false});
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->size(), 9u);  // everything but .git/ and sub/fixtures (.bulwarkignore)
}

TEST(TreeTest, AMissingRootIsNotFound) {
  auto files = CollectFiles("/nonexistent/bulwark-scan");
  ASSERT_FALSE(files.has_value());
  EXPECT_EQ(files.error().code(), ErrorCode::kNotFound);
}

TEST(TreeTest, BinaryFilesHaveANulByteInTheirHead) {
  EXPECT_TRUE(LooksBinary(std::string("ab\0cd", 5)));
  EXPECT_FALSE(LooksBinary("plain: text\n"));
  std::string late(9000, 'a');
  late[8500] = '\0';
  EXPECT_FALSE(LooksBinary(late));
}

}  // namespace
}  // namespace bulwark::scan
