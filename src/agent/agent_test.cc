#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "bulwark/agent/client.h"
#include "bulwark/agent/server.h"
#include "bulwark/keys/keyring.h"
#include "bulwark/testing/assert_ok.h"
#include "bulwark/testing/temp_dir.h"
#include "keys/fast_kdf_for_test.h"
#include "socket_io.h"

namespace bulwark::agent {
namespace {

namespace fs = std::filesystem;

const std::vector<std::uint8_t> kContext = {'c', 't', 'x'};

class AgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::permissions(home_, fs::perms::owner_all);
    auto created = keys::LocalKeystoreProvider::Create(
        keystore(), SecretBytes::FromString("correct horse"), Runtime::System(),
        crypto::AlgorithmPolicy::Standard(), keys::test_support::FastKdf());
    ASSERT_TRUE(created) << created.error().ToString();
  }
  void TearDown() override { StopServer(); }

  fs::path keystore() const { return home_ / "keystore"; }
  std::unique_ptr<keys::LocalKeystoreProvider> Open() const {
    auto opened = keys::LocalKeystoreProvider::Open(keystore(), SecretBytes::FromString("correct horse"),
                                                    Runtime::System(),
                                                    crypto::AlgorithmPolicy::Standard());
    EXPECT_TRUE(opened) << opened.error().ToString();
    return opened ? std::move(opened->provider) : nullptr;
  }
  ServerOptions Options(std::chrono::seconds idle = std::chrono::seconds(900)) const {
    return {.home = home_, .keystore = keystore(), .idle_timeout = idle};
  }
  void StartServer(std::chrono::seconds idle = std::chrono::seconds(900)) {
    auto server = Server::Create(Open(), Options(idle));
    ASSERT_TRUE(server) << server.error().ToString();
    server_ = std::move(*server);
    thread_ = std::thread([this] { run_status_ = server_->Run(); });
  }
  void StopServer() {
    if (!server_) return;
    server_->RequestStop();
    thread_.join();
    server_.reset();
  }

  testing::TempDir tmp_{"bulwark-agent"};
  fs::path home_ = tmp_.path();
  Client client_{SocketPath(tmp_.path())};
  std::unique_ptr<Server> server_;
  std::thread thread_;
  Status run_status_;
};

TEST_F(AgentTest, UnwrapsWhatTheKeystoreWrappedAndWrapsWhatItUnwraps) {
  auto local = Open();
  SecretBytes dek = SecretBytes::FromString("0123456789abcdef0123456789abcdef");
  ASSERT_OK_AND_ASSIGN(auto blob, local->WrapKey(dek, kContext));
  StartServer();
  ASSERT_OK_AND_ASSIGN(SecretBytes got, client_.Unwrap(blob, kContext));
  EXPECT_TRUE(got == dek);
  ASSERT_OK_AND_ASSIGN(auto blob2, client_.Wrap(dek, kContext));
  ASSERT_OK_AND_ASSIGN(SecretBytes back, local->UnwrapKey(blob2, kContext));
  EXPECT_TRUE(back == dek);
  // The wrap context is bound: another one fails as the keystore does (kDataLoss), not stale.
  const std::vector<std::uint8_t> other = {'x'};
  EXPECT_EQ(client_.Unwrap(blob, other).error().code(), ErrorCode::kDataLoss);
}

TEST_F(AgentTest, TheSocketIsPrivateAndTheStatusNamesTheHome) {
  StartServer();
  struct stat st {};
  ASSERT_EQ(::lstat(SocketPath(home_).c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_OK_AND_ASSIGN(AgentStatus s, client_.GetStatus());
  EXPECT_TRUE(s.unlocked);
  EXPECT_EQ(s.home, home_.string());
  EXPECT_EQ(s.pid, static_cast<std::uint32_t>(::getpid()));
  EXPECT_EQ(s.idle_timeout_s, 900u);
  EXPECT_EQ(s.generation, Open()->generation());
}

TEST_F(AgentTest, LockWipesTheKeysAndRefusesUnwrapButAnswersStatus) {
  auto local = Open();
  ASSERT_OK_AND_ASSIGN(auto blob, local->WrapKey(SecretBytes(32), kContext));
  StartServer();
  ASSERT_OK(client_.Lock());
  auto r = client_.Unwrap(blob, kContext);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(r.error().message().find("locked by 'bulwark agent lock'"), std::string::npos);
  ASSERT_OK_AND_ASSIGN(AgentStatus s, client_.GetStatus());
  EXPECT_FALSE(s.unlocked);
  EXPECT_EQ(s.lock_reason, "locked by 'bulwark agent lock'");
}

TEST_F(AgentTest, IdleTimeoutLocks) {
  StartServer(std::chrono::seconds(1));
  auto local = Open();
  ASSERT_OK_AND_ASSIGN(auto blob, local->WrapKey(SecretBytes(32), kContext));
  // Wait for the lock by polling the status (no timing assertion: only that it happens).
  for (int i = 0; i < 100; ++i) {
    ASSERT_OK_AND_ASSIGN(AgentStatus s, client_.GetStatus());
    if (!s.unlocked) {
      EXPECT_EQ(s.lock_reason, "idle for 1 s");
      EXPECT_EQ(client_.Unwrap(blob, kContext).error().code(), ErrorCode::kFailedPrecondition);
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  FAIL() << "the agent did not lock after its idle timeout";
}

TEST_F(AgentTest, AChangedKeystoreLocksTheAgentInsteadOfServingRetiredKeks) {
  auto local = Open();
  ASSERT_OK_AND_ASSIGN(auto blob, local->WrapKey(SecretBytes(32), kContext));
  StartServer();
  ASSERT_OK(client_.Unwrap(blob, kContext));
  ASSERT_OK(local->RotateKek());
  ASSERT_OK(local->RetireOldKeks());
  auto r = client_.Unwrap(blob, kContext);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(r.error().message().find("the keystore changed"), std::string::npos)
      << r.error().message();
  ASSERT_OK_AND_ASSIGN(AgentStatus s, client_.GetStatus());
  EXPECT_FALSE(s.unlocked);
}

TEST_F(AgentTest, OneAgentPerHome) {
  StartServer();
  auto second = Server::Create(Open(), Options());
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), ErrorCode::kAlreadyExists);
  // The first one still serves.
  EXPECT_TRUE(client_.GetStatus());
}

TEST_F(AgentTest, StopRemovesTheSocketAndNoAgentIsUnavailable) {
  StartServer();
  Request stop;
  stop.op = Op::kStop;
  ASSERT_OK(client_.Stop());
  thread_.join();
  server_.reset();
  EXPECT_FALSE(fs::exists(SocketPath(home_)));
  auto r = client_.GetStatus();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message().find("does not exist"), std::string::npos);
}

TEST_F(AgentTest, AStaleSocketIsUnavailableAndReplacedByTheNextAgent) {
  {
    // A socket bound and never served, as an agent killed with SIGKILL leaves it.
    internal::Fd fd(::socket(AF_UNIX, SOCK_STREAM, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, SocketPath(home_).c_str());
    ASSERT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  }
  auto r = client_.GetStatus();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message().find("stale"), std::string::npos);
  StartServer();
  EXPECT_TRUE(client_.GetStatus());
}

TEST_F(AgentTest, MalformedAndOversizedRequestsGetAnErrorAndTheAgentKeepsServing) {
  StartServer();
  auto raw = [&](std::vector<std::uint8_t> bytes) -> std::string {
    internal::Fd fd(::socket(AF_UNIX, SOCK_STREAM, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, SocketPath(home_).c_str());
    EXPECT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::send(fd.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
    auto frame = internal::ReadFrame(fd.get());
    if (!frame) return "no reply: " + frame.error().message();
    auto resp = DecodeResponse(*frame);
    if (!resp) return "bad reply";
    return resp->error ? resp->error->message() : "ok";
  };
  EXPECT_NE(raw({0x00, 0x10, 0x00, 0x01}).find("length 1048577"), std::string::npos);
  EXPECT_NE(raw({0, 0, 0, 2, 1, 77}).find("unknown op 77"), std::string::npos);
  EXPECT_TRUE(client_.GetStatus());
}

TEST_F(AgentTest, KeyringLoadsAndSavesThroughTheAgent) {
  auto local = Open();
  ASSERT_OK_AND_ASSIGN(auto ring, keys::Keyring::Create(Runtime::System(),
                                                        crypto::AlgorithmPolicy::Standard()));
  ASSERT_OK_AND_ASSIGN(std::string file, ring->Serialize(*local));
  const std::vector<std::uint8_t> plain = {'s', 'e', 'c', 'r', 'e', 't'};
  ASSERT_OK_AND_ASSIGN(auto ct, ring->Encrypt(plain, kContext));
  StartServer();
  AgentKeyProvider via(client_, keystore(), nullptr);
  ASSERT_OK_AND_ASSIGN(auto loaded, keys::Keyring::Load(file, via, Runtime::System(),
                                                        crypto::AlgorithmPolicy::Standard()));
  ASSERT_OK_AND_ASSIGN(SecretBytes back, loaded->Decrypt(ct, kContext));
  EXPECT_EQ(back.RevealAsString(), "secret");
  ASSERT_OK_AND_ASSIGN(std::string saved, loaded->Serialize(via));
  EXPECT_TRUE(keys::Keyring::Load(saved, *local, Runtime::System(),
                                  crypto::AlgorithmPolicy::Standard()));
  // Without a local opener, KEK rotation is refused, never done by the agent.
  EXPECT_EQ(via.RotateKek().error().code(), ErrorCode::kFailedPrecondition);
}

TEST_F(AgentTest, KekRotationThroughTheProviderIsDoneLocallyAndLocksTheAgent) {
  auto local = Open();
  ASSERT_OK_AND_ASSIGN(auto ring, keys::Keyring::Create(Runtime::System(),
                                                        crypto::AlgorithmPolicy::Standard()));
  ASSERT_OK_AND_ASSIGN(std::string file, ring->Serialize(*local));
  StartServer();
  int opened = 0;
  AgentKeyProvider via(client_, keystore(), [&]() -> Result<std::unique_ptr<keys::KeyProvider>> {
    ++opened;
    return std::unique_ptr<keys::KeyProvider>(Open());
  });
  ASSERT_OK_AND_ASSIGN(auto loaded, keys::Keyring::Load(file, via, Runtime::System(),
                                                        crypto::AlgorithmPolicy::Standard()));
  EXPECT_EQ(opened, 0);
  ASSERT_OK(via.RotateKek());
  EXPECT_EQ(opened, 1);
  ASSERT_OK_AND_ASSIGN(std::string saved, loaded->Serialize(via));
  ASSERT_OK(via.RetireOldKeks());
  // The keystore now holds only the new KEK; a fresh open (the passphrase) reads the new keyring.
  EXPECT_TRUE(keys::Keyring::Load(saved, *Open(), Runtime::System(),
                                  crypto::AlgorithmPolicy::Standard()));
  // The agent still holds the retired KEK in memory: it must refuse, not serve the old file.
  AgentKeyProvider fresh(client_, keystore(), nullptr);
  auto stale = keys::Keyring::Load(file, fresh, Runtime::System(),
                                   crypto::AlgorithmPolicy::Standard());
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code(), ErrorCode::kFailedPrecondition) << stale.error().ToString();
}

TEST_F(AgentTest, APeerOfAnotherUidIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run a peer as another uid";
  StartServer();
  // Let uid 65534 reach the socket (the home is normally 0700): only the SO_PEERCRED check remains.
  fs::permissions(home_, fs::perms::owner_all | fs::perms::others_exec);
  fs::permissions(SocketPath(home_), fs::perms::all);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(90);
    internal::Fd fd(::socket(AF_UNIX, SOCK_STREAM, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, SocketPath(home_).c_str());
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) ::_exit(91);
    Request req;
    req.op = Op::kStatus;
    (void)internal::WriteFrame(fd.get(), EncodeRequest(req));
    auto frame = internal::ReadFrame(fd.get());
    if (!frame) ::_exit(92);
    auto resp = DecodeResponse(*frame);
    if (!resp || !resp->error || resp->error->code() != ErrorCode::kPermissionDenied) ::_exit(93);
    if (!resp->data.empty()) ::_exit(94);
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "90 setuid, 91 connect, 92 no reply, 93 not denied";
  EXPECT_TRUE(client_.GetStatus());  // the agent still serves its owner
}

}  // namespace
}  // namespace bulwark::agent
