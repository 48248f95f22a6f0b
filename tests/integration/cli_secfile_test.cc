// bulwark init | encrypt | decrypt | edit | exec | keys, end to end through the built binary.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "cli_harness.h"

namespace bulwark::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class SecfileCliTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    env_ = "BULWARK_HOME=" + (dir_ / "home").string() + " BULWARK_PASSPHRASE=correct-horse";
    auto r = Run("init");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_THAT(r.out, HasSubstr("initialized"));
  }
  CliResult Run(const std::string& args, const std::string& extra_env = "") {
    return RunBulwarkBinary(args, env_ + " " + extra_env);
  }
  std::string env_;
};

constexpr char kYaml[] =
    "# application settings\n"
    "database:\n"
    "  host: db.internal   # primary\n"
    "  password: 'pa''ss w0rd'\n"
    "defaults: &d {api_key: \"k-123\", retries: 3}\n"
    "tls:\n"
    "  private_key: |\n"
    "    -----BEGIN KEY-----\n"
    "    abc\n"
    "    -----END KEY-----\n";

TEST_F(SecfileCliTest, EncryptDecryptRoundTripsEveryFormatByteForByte) {
  const std::vector<std::pair<std::string, std::string>> files = {
      {"app.yaml", kYaml},
      {"app.json", "{\r\n  \"db\": {\"password\": \"p\\u00e4ss\", \"port\": 5432}\r\n}\r\n"},
      {"app.toml", "# t\n[db]\npassword = \"toml-secret\"\nport = 1\n"},
      {".env", "export API_TOKEN=tok-1 # c\nHOST=h"},
      {"app.ini", "[db]\npassword = ini-secret ; c\nhost = h\n"},
  };
  for (const auto& [name, text] : files) {
    SCOPED_TRACE(name);
    const std::string path = Write(name, text);
    auto enc = Run("encrypt " + path + " -o " + path + ".enc");
    ASSERT_EQ(enc.exit_code, 0) << enc.err;
    const std::string encrypted = ReadFile(path + ".enc");
    EXPECT_THAT(encrypted, HasSubstr("ENC[AES256_GCM,v:1,kid:"));
    EXPECT_THAT(encrypted, Not(HasSubstr("secret")));
    EXPECT_THAT(encrypted, Not(HasSubstr("tok-1")));
    auto dec = Run("decrypt --format " +
                   std::string(name == ".env" ? "dotenv" : name.substr(name.find('.') + 1)) + " " +
                   path + ".enc");
    ASSERT_EQ(dec.exit_code, 0) << dec.err;
    EXPECT_EQ(dec.out, text);
    // In place, twice.
    ASSERT_EQ(Run("encrypt -i " + path).exit_code, 0);
    EXPECT_NE(ReadFile(path), text);
    ASSERT_EQ(Run("decrypt -i " + path).exit_code, 0);
    EXPECT_EQ(ReadFile(path), text);
  }
}

TEST_F(SecfileCliTest, ExitCodesSeparateTamperingBadInputPassphraseAndMissing) {
  const std::string path = Write("app.yaml", kYaml);
  ASSERT_EQ(Run("encrypt -i " + path).exit_code, 0);
  std::string tampered = ReadFile(path);
  tampered.replace(tampered.find("db.internal"), 11, "db.attacker");
  const std::string bad = Write("tampered.yaml", tampered);
  auto t = Run("decrypt " + bad);
  EXPECT_EQ(t.exit_code, 1) << t.err;
  EXPECT_THAT(t.err, HasSubstr("MAC mismatch"));

  auto wrong = RunBulwarkBinary(
      "decrypt " + path, "BULWARK_HOME=" + (dir_ / "home").string() + " BULWARK_PASSPHRASE=wrong");
  EXPECT_EQ(wrong.exit_code, 3) << wrong.err;
  EXPECT_THAT(wrong.err, HasSubstr("wrong passphrase"));

  auto missing = Run("decrypt " + (dir_ / "nope.yaml").string());
  EXPECT_EQ(missing.exit_code, 4) << missing.err;
  auto no_home = RunBulwarkBinary(
      "decrypt " + path, "BULWARK_HOME=" + (dir_ / "none").string() + " BULWARK_PASSPHRASE=x");
  EXPECT_EQ(no_home.exit_code, 4);
  EXPECT_THAT(no_home.err, HasSubstr("bulwark init"));

  auto malformed = Run("encrypt " + Write("bad.yaml", "a: [1, 2\n"));
  EXPECT_EQ(malformed.exit_code, 2);
  EXPECT_THAT(malformed.err, HasSubstr("bad.yaml:"));
  auto again = Run("encrypt " + path);
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_THAT(again.err, HasSubstr("already encrypted"));
}

TEST_F(SecfileCliTest, InitNeedsAPassphraseAndRefusesAnExistingHome) {
  auto twice = Run("init");
  EXPECT_EQ(twice.exit_code, 2);
  EXPECT_THAT(twice.err, HasSubstr("already has a keyring"));
  auto none =
      RunBulwarkBinary("init --home " + (dir_ / "h2").string(), "env -u BULWARK_PASSPHRASE");
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_THAT(none.err, HasSubstr("BULWARK_PASSPHRASE"));
  const std::string pass = Write("pass.txt", "from-file\n");
  auto from_file = RunBulwarkBinary("init --home " + (dir_ / "h3").string() +
                                        " --algorithm chacha20-poly1305 --passphrase-file " + pass,
                                    "env -u BULWARK_PASSPHRASE");
  EXPECT_EQ(from_file.exit_code, 0) << from_file.err;
  EXPECT_THAT(from_file.out, HasSubstr("CHACHA20_POLY1305"));
  const std::string file = Write("x.yaml", "password: p\n");
  auto enc = RunBulwarkBinary(
      "encrypt --home " + (dir_ / "h3").string() + " --passphrase-file " + pass + " " + file,
      "env -u BULWARK_PASSPHRASE");
  EXPECT_EQ(enc.exit_code, 0) << enc.err;
  EXPECT_THAT(enc.out, HasSubstr("ENC[CHACHA20_POLY1305,"));
}

TEST_F(SecfileCliTest, ExecRunsTheCommandWithDecryptedEnvironmentAndItsExitCode) {
  const std::string path = Write("app.yaml", kYaml);
  ASSERT_EQ(Run("encrypt -i " + path).exit_code, 0);
  auto r =
      Run("exec " + path +
          " --env-prefix APP_ -- sh -c 'echo \"$APP_DATABASE__PASSWORD|$APP_DATABASE__HOST|"
          "$APP_DEFAULTS__RETRIES|$APP_DEFAULTS__API_KEY|${BULWARK_PASSPHRASE:-none}\"; exit 7'");
  EXPECT_EQ(r.exit_code, 7) << r.err;
  EXPECT_EQ(r.out, "pa'ss w0rd|db.internal|3|k-123|none\n");
  auto missing_cmd = Run("exec " + path + " -- no-such-command-xyz");
  EXPECT_EQ(missing_cmd.exit_code, 127);
}

TEST_F(SecfileCliTest, EditReencryptsOnSaveAndLeavesNoPlaintextBehind) {
  const std::string path = Write("app.yaml", kYaml);
  ASSERT_EQ(Run("encrypt -i " + path).exit_code, 0);
  const std::string log = (dir_ / "editor.log").string();
  const std::string script = Write("editor.sh",
                                   "#!/bin/sh\n"
                                   "echo \"$1\" > " +
                                       log +
                                       "\n"
                                       "stat -c %a \"$1\" >> " +
                                       log +
                                       "\n"
                                       "stat -c %a \"$(dirname \"$1\")\" >> " +
                                       log +
                                       "\n"
                                       "grep -q \"pa''ss w0rd\" \"$1\" || exit 9\n"
                                       "printf 'new_secret: n3w-value\\n' >> \"$1\"\n");
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  auto r = Run("edit " + path, "EDITOR=" + script);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(ReadFile(log));
  std::string temp, file_mode, dir_mode;
  std::getline(lines, temp);
  std::getline(lines, file_mode);
  std::getline(lines, dir_mode);
  EXPECT_EQ(file_mode, "600");
  EXPECT_EQ(dir_mode, "700");
  EXPECT_FALSE(std::filesystem::exists(temp));
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(temp).parent_path()));
  const std::string saved = ReadFile(path);
  EXPECT_THAT(saved, HasSubstr("new_secret: ENC["));
  EXPECT_THAT(saved, Not(HasSubstr("n3w-value")));
  EXPECT_THAT(saved, Not(HasSubstr("w0rd")));
  auto dec = Run("decrypt " + path);
  EXPECT_EQ(dec.out, std::string(kYaml) + "new_secret: n3w-value\n");

  // A failing editor leaves the file untouched and still removes the plaintext.
  auto failed = Run("edit " + path, "EDITOR=false");
  EXPECT_EQ(failed.exit_code, 2);
  EXPECT_EQ(ReadFile(path), saved);
}

TEST_F(SecfileCliTest, KeysRotateListAndReencryptMoveFilesToTheNewKey) {
  const std::string a = Write("a.yaml", kYaml);
  const std::string b = Write("b.json", "{\"token\": \"t\"}\n");
  ASSERT_EQ(Run("encrypt -i " + a).exit_code, 0);
  ASSERT_EQ(Run("encrypt -i " + b).exit_code, 0);
  auto rot = Run("keys rotate --algorithm chacha20-poly1305");
  ASSERT_EQ(rot.exit_code, 0) << rot.err;
  auto list = Run("keys list");
  ASSERT_EQ(list.exit_code, 0);
  EXPECT_THAT(list.out, HasSubstr("decrypt-only"));
  EXPECT_THAT(list.out, HasSubstr("CHACHA20_POLY1305"));
  auto re = Run("keys reencrypt " + a + " " + b);
  ASSERT_EQ(re.exit_code, 0) << re.err;
  EXPECT_THAT(re.out, HasSubstr("3 value(s) from"));
  EXPECT_THAT(ReadFile(a), HasSubstr("ENC[CHACHA20_POLY1305,"));
  EXPECT_THAT(ReadFile(a), Not(HasSubstr("ENC[AES256_GCM,")));
  auto dec = Run("decrypt " + a);
  EXPECT_EQ(dec.out, kYaml);
}

TEST_F(SecfileCliTest, PathsAndSchemaSelectWhatIsEncrypted) {
  const std::string path = Write("app.yaml", kYaml);
  auto r = Run("encrypt " + path + " --paths '^database\\.host$'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, Not(HasSubstr("db.internal")));
  const std::string schema = Write(
      "schema.json",
      R"({"type": "object", "properties": {"tls": {"type": "object", "x-sensitive": true}}})");
  auto s = Run("encrypt " + Write("plain.yaml", "tls:\n  cert: c\n  mode: strict\nname: n\n") +
               " --schema " + schema);
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_THAT(s.out, Not(HasSubstr("strict")));
  EXPECT_THAT(s.out, HasSubstr("name: n\n"));
}

TEST_F(SecfileCliTest, CompromisedKeyMovesFilesAndRewrapChangesNoFile) {
  const std::string a = Write("a.yaml", kYaml);
  ASSERT_EQ(Run("encrypt -i " + a).exit_code, 0);
  const std::string before = ReadFile(a);
  const std::string kid = before.substr(before.find("kid:") + 4, 8);
  auto rewrap = Run("keys rewrap");
  ASSERT_EQ(rewrap.exit_code, 0) << rewrap.err;
  EXPECT_EQ(ReadFile(a), before);
  ASSERT_EQ(Run("decrypt " + a).out, kYaml);

  auto comp = Run("keys compromised " + kid + " " + a);
  ASSERT_EQ(comp.exit_code, 0) << comp.err;
  EXPECT_THAT(comp.out, HasSubstr("3 value(s) moved off " + kid));
  EXPECT_THAT(comp.out, HasSubstr(": database.password  " + kid + " -> "));
  EXPECT_THAT(ReadFile(a), Not(HasSubstr("kid:" + kid)));
  EXPECT_EQ(Run("decrypt " + a).out, kYaml);
  auto list = Run("keys list");
  EXPECT_THAT(list.out, HasSubstr("compromised"));
  // Running it again (as after a crash) is harmless.
  auto again = Run("keys compromised " + kid + " " + a);
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("0 value(s) moved off " + kid));
}

}  // namespace
}  // namespace bulwark::testing
