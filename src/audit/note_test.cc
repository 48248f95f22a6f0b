#include "bulwark/audit/note.h"

#include <gtest/gtest.h>

#include "bulwark/core/encoding.h"
#include "bulwark/testing/assert_ok.h"

namespace bulwark::audit {
namespace {

SecretBytes Seed(std::uint8_t first) {
  SecretBytes s(32);
  for (int i = 0; i < 32; ++i) s.MutableReveal()[i] = static_cast<std::uint8_t>(first + i);
  return s;
}

Result<std::unique_ptr<NoteSigner>> MakeSigner(std::string_view name, std::uint8_t first) {
  return NoteSigner::Create(name, Seed(first));
}

TEST(NoteKeysTest, VerifierKeyOfTestSeedMatchesDerivedVector) {
  ASSERT_OK_AND_ASSIGN(auto signer, MakeSigner("example.com/audit-test", 0));
  EXPECT_EQ(signer->key_id(), 0x9fd3e6d7u);
  EXPECT_EQ(signer->Verifier().VerifierKey(),
            "example.com/audit-test+9fd3e6d7+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4");
}

TEST(NoteKeysTest, VerifierKeyRoundTripsAndRejectsMalformedKeys) {
  const std::string vkey =
      "example.com/audit-test+9fd3e6d7+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4";
  auto v = NoteVerifier::FromVerifierKey(vkey);
  ASSERT_TRUE(v.has_value()) << v.error();
  EXPECT_EQ(v->VerifierKey(), vkey);
  EXPECT_EQ(v->name(), "example.com/audit-test");
  // Wrong key id, missing part, bad type byte, short key, bad name.
  EXPECT_FALSE(NoteVerifier::FromVerifierKey(
                   "example.com/audit-test+9fd3e6d8+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4")
                   .has_value());
  EXPECT_FALSE(NoteVerifier::FromVerifierKey("example.com/audit-test+9fd3e6d7").has_value());
  EXPECT_FALSE(NoteVerifier::FromVerifierKey(
                   "example.com/audit-test+9FD3E6D7+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4")
                   .has_value());
  EXPECT_FALSE(NoteVerifier::FromVerifierKey(
                   "example.com/audit-test+9fd3e6d7+AgOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4")
                   .has_value());
  EXPECT_FALSE(NoteVerifier::FromVerifierKey("example.com/audit-test+9fd3e6d7+AQOh").has_value());
  EXPECT_FALSE(NoteVerifier::FromVerifierKey(
                   "other name+9fd3e6d7+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4")
                   .has_value());
}

TEST(NoteKeysTest, SignerKeyRoundTrips) {
  ASSERT_OK_AND_ASSIGN(auto signer, MakeSigner("log.example/a", 7));
  const SecretBytes skey = signer->SignerKey();
  EXPECT_TRUE(skey.RevealAsString().starts_with("PRIVATE+KEY+log.example/a+"));
  auto again = NoteSigner::FromSignerKey(skey);
  ASSERT_TRUE(again.has_value()) << again.error();
  EXPECT_EQ((*again)->Verifier().VerifierKey(), signer->Verifier().VerifierKey());
  EXPECT_FALSE(NoteSigner::FromSignerKey(SecretBytes::FromString("PRIVATE+KEY+x+00000000+AQ=="))
                   .has_value());
}

TEST(NoteTest, SignAndOpenWithOneSigner) {
  ASSERT_OK_AND_ASSIGN(auto signer, MakeSigner("log.example/a", 1));
  const NoteSigner* signers[] = {signer.get()};
  auto note = SignNote("hello\nworld\n", signers);
  ASSERT_TRUE(note.has_value());
  const NoteVerifier verifiers[] = {signer->Verifier()};
  auto opened = OpenNote(*note, verifiers);
  ASSERT_TRUE(opened.has_value()) << opened.error();
  EXPECT_EQ(opened->text, "hello\nworld\n");
  ASSERT_EQ(opened->verified.size(), 1u);
  EXPECT_EQ(opened->verified[0].name, "log.example/a");
}

TEST(NoteTest, RotationAcceptsEitherKeyAndIgnoresUnknownSignatures) {
  ASSERT_OK_AND_ASSIGN(auto old_key, MakeSigner("log.example/a", 1));
  ASSERT_OK_AND_ASSIGN(auto new_key, MakeSigner("log.example/a", 100));
  const NoteSigner* both[] = {old_key.get(), new_key.get()};
  auto note = SignNote("tree\n", both);
  ASSERT_TRUE(note.has_value());
  const NoteVerifier only_old[] = {old_key->Verifier()};
  const NoteVerifier only_new[] = {new_key->Verifier()};
  auto a = OpenNote(*note, only_old);
  ASSERT_TRUE(a.has_value()) << a.error();
  EXPECT_EQ(a->verified.size(), 1u);
  EXPECT_EQ(a->unknown.size(), 1u);
  EXPECT_TRUE(OpenNote(*note, only_new).has_value());
  ASSERT_OK_AND_ASSIGN(auto stranger, MakeSigner("log.example/b", 50));
  const NoteVerifier unknown_only[] = {stranger->Verifier()};
  auto none = OpenNote(*note, unknown_only);
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().code(), ErrorCode::kDataLoss);
}

TEST(NoteTest, AlteredTextOrSignatureFailsVerification) {
  ASSERT_OK_AND_ASSIGN(auto signer, MakeSigner("log.example/a", 1));
  const NoteSigner* signers[] = {signer.get()};
  const std::string note = *SignNote("size 7\n", signers);
  const NoteVerifier verifiers[] = {signer->Verifier()};
  std::string altered_text = note;
  altered_text[5] = '8';
  EXPECT_EQ(OpenNote(altered_text, verifiers).error().code(), ErrorCode::kDataLoss);
  // Flip one bit inside the base64 signature (well after the key id).
  std::string altered_sig = note;
  const std::size_t pos = note.size() - 10;
  altered_sig[pos] = altered_sig[pos] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(OpenNote(altered_sig, verifiers).has_value());
}

TEST(NoteTest, ParseErrorsNameTheLine) {
  struct Case {
    std::string note;
    std::string want;
  };
  const std::string sig = "\xE2\x80\x94 k AAAAAAAA\n";
  const Case cases[] = {
      {"text\n" + sig, "no blank line"},
      {"text\n\n", "line 3: no signature lines"},
      {"text\n\n- k AAAAAAAA\n", "line 3: signature line does not start"},
      {"text\n\n" + sig + "garbage\n", "line 4: signature line does not start"},
      {"text\n\n\xE2\x80\x94 k AAAAAAAA", "line 3: signature line does not end"},
      {"text\n\n\xE2\x80\x94 k !!!!\n", "line 3: signature is not valid"},
      {"text\n\n\xE2\x80\x94 k AAAA\n", "line 3: signature is shorter"},
      {"text\n\n\xE2\x80\x94 kAAAAAAAA\n", "line 3: signature line has no space"},
      {"text\n\n\xE2\x80\x94 a+b AAAAAAAA\n", "line 3: key name: contains '+'"},
      {"a\nb\tc\n\n" + sig, "line 2: control character"},
      {"a\n\xff\n\n" + sig, "line 2: invalid UTF-8"},
  };
  for (const auto& c : cases) {
    auto r = ParseNote(c.note);
    ASSERT_FALSE(r.has_value()) << c.note;
    EXPECT_NE(r.error().message().find(c.want), std::string::npos)
        << "got: " << r.error().message() << " want: " << c.want;
  }
  auto ok = ParseNote("text\n\n" + sig);
  ASSERT_TRUE(ok.has_value()) << ok.error();
  EXPECT_EQ(FormatNote(*ok), "text\n\n" + sig);
}

TEST(NoteTest, DuplicateSignatureByOneKeyIsRejected) {
  ASSERT_OK_AND_ASSIGN(auto signer, MakeSigner("log.example/a", 1));
  const NoteSigner* twice[] = {signer.get(), signer.get()};
  auto note = SignNote("x\n", twice);
  ASSERT_TRUE(note.has_value());
  const NoteVerifier verifiers[] = {signer->Verifier()};
  EXPECT_FALSE(OpenNote(*note, verifiers).has_value());
}

}  // namespace
}  // namespace bulwark::audit
