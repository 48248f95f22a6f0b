#include "expr/extensions.h"

#include <gtest/gtest.h>

#include "expr/test_util.h"

namespace bulwark::expr {
namespace {

using testing::Show;

TEST(ExtensionsTest, IpAndCidrMatching) {
  EXPECT_EQ(Show("ip('10.1.2.3').inCidr('10.0.0.0/8')"), "true");
  EXPECT_EQ(Show("ip('11.1.2.3').inCidr(cidr('10.0.0.0/8'))"), "false");
  EXPECT_EQ(Show("cidr('192.168.0.0/16').containsIP('192.168.10.1')"), "true");
  EXPECT_EQ(Show("cidr('192.168.0.0/16').containsIP(ip('192.169.0.1'))"), "false");
  EXPECT_EQ(Show("cidr('10.0.0.0/8').containsCIDR('10.1.0.0/16')"), "true");
  EXPECT_EQ(Show("cidr('10.1.0.0/16').containsCIDR('10.0.0.0/8')"), "false");
  EXPECT_EQ(Show("cidr('2001:db8::/32').containsIP('2001:db8::1')"), "true");
  EXPECT_EQ(Show("cidr('2001:db8::/32').containsIP('10.0.0.1')"), "false");
  EXPECT_EQ(Show("ip('::1').family() == 6 && ip('127.0.0.1').isLoopback()"), "true");
  EXPECT_EQ(
      Show("string(cidr('10.1.2.3/8').masked()) + ' ' + string(cidr('10.0.0.0/8').prefixLength())"),
      "\"10.0.0.0/8 8\"");
  EXPECT_EQ(Show("isIP('1.2.3') || isIP('010.0.0.1') || isCIDR('10.0.0.0/33')"), "false");
  EXPECT_EQ(Show("ip('x')").substr(0, 7), "error: ");
  EXPECT_EQ(Show("ip('10.0.0.1') == ip('10.0.0.1')"), "true");
  EXPECT_EQ(Show("ip('::ffff:c0a8:1') == ip('192.168.0.1')"), "true");
  EXPECT_EQ(Show("isIP('::ffff:192.168.0.1')"), "false");
  EXPECT_EQ(
      Show("ip('169.254.169.254').isLinkLocalUnicast() && ip('ff02::1').isLinkLocalMulticast()"),
      "true");
  EXPECT_EQ(Show("ip('8.8.8.8').isGlobalUnicast() && !ip('255.255.255.255').isGlobalUnicast()"),
            "true");
  EXPECT_EQ(Show("ip.isCanonical('2001:db8::68') && !ip.isCanonical('2001:DB8::68')"), "true");
  EXPECT_EQ(Show("'abc'.reverse()"), "\"cba\"");
}

TEST(ExtensionsTest, GlobMatching) {
  EXPECT_TRUE(internal::GlobMatch("a/b/c", "a/**"));
  EXPECT_TRUE(internal::GlobMatch("a/b/c", "a/*/c"));
  EXPECT_FALSE(internal::GlobMatch("a/b/x/c", "a/*/c"));
  EXPECT_TRUE(internal::GlobMatch("a/b/x/c", "a/**/c"));
  EXPECT_TRUE(internal::GlobMatch("a/c", "a/**/c"));
  EXPECT_TRUE(internal::GlobMatch("file.txt", "*.txt"));
  EXPECT_FALSE(internal::GlobMatch("dir/file.txt", "*.txt"));
  EXPECT_TRUE(internal::GlobMatch("f1", "f?"));
  EXPECT_TRUE(internal::GlobMatch("fb", "f[a-c]"));
  EXPECT_FALSE(internal::GlobMatch("fd", "f[a-c]"));
  EXPECT_TRUE(internal::GlobMatch("fd", "f[!a-c]"));
  EXPECT_TRUE(internal::GlobMatch("a*b", "a\\*b"));
  EXPECT_FALSE(internal::GlobMatch("axb", "a\\*b"));
  // Pathological patterns stay linear in pattern x text (no backtracking explosion).
  EXPECT_FALSE(internal::GlobMatch(std::string(5000, 'a'), std::string(200, '*') + "b"));
  EXPECT_EQ(Show("'secrets/prod/db'.matchesGlob('secrets/*/db')"), "true");
}

TEST(ExtensionsTest, SemanticVersions) {
  EXPECT_EQ(Show("semver('1.2.3').isLessThan(semver('1.10.0'))"), "true");
  EXPECT_EQ(Show("semver('1.0.0-alpha').isLessThan(semver('1.0.0'))"), "true");
  EXPECT_EQ(Show("semver('1.0.0-alpha.1').isLessThan(semver('1.0.0-alpha.beta'))"), "true");
  EXPECT_EQ(Show("semver('1.0.0-2').isLessThan(semver('1.0.0-10'))"), "true");
  EXPECT_EQ(Show("compareSemver('v2.0.0', '1.9.9')"), "1");
  EXPECT_EQ(Show("semver('1.0.0+build1') == semver('1.0.0+build2')"), "true");
  EXPECT_EQ(Show("semver('1.2.3').major() + semver('1.2.3').minor() + semver('1.2.3').patch()"),
            "6");
  EXPECT_EQ(Show("isSemver('1.2') || isSemver('01.2.3')"), "false");
  EXPECT_EQ(Show("semver('x')").substr(0, 7), "error: ");
}

TEST(ExtensionsTest, KubernetesStrings) {
  EXPECT_EQ(Show("'héllo'.charAt(1)"), "\"é\"");
  EXPECT_EQ(Show("'hello'.charAt(5)"), "\"\"");
  EXPECT_EQ(Show("'hello'.charAt(6)").substr(0, 7), "error: ");
  EXPECT_EQ(Show("'hello hello'.indexOf('llo')"), "2");
  EXPECT_EQ(Show("'hello hello'.indexOf('llo', 3)"), "8");
  EXPECT_EQ(Show("'hello hello'.lastIndexOf('llo')"), "8");
  EXPECT_EQ(Show("'héllo'.indexOf('l')"), "2");
  EXPECT_EQ(Show("'AbC'.lowerAscii() + 'AbC'.upperAscii()"), "\"abcABC\"");
  EXPECT_EQ(Show("'a.b.c'.replace('.', '/')"), "\"a/b/c\"");
  EXPECT_EQ(Show("'a.b.c'.replace('.', '/', 1)"), "\"a/b.c\"");
  EXPECT_EQ(Show("'a,b,c'.split(',')"), "[\"a\", \"b\", \"c\"]");
  EXPECT_EQ(Show("'a,b,c'.split(',', 2)"), "[\"a\", \"b,c\"]");
  EXPECT_EQ(Show("'hello'.substring(1, 3)"), "\"el\"");
  EXPECT_EQ(Show("'hello'.substring(3, 1)").substr(0, 7), "error: ");
  EXPECT_EQ(Show("'  hi \\t'.trim()"), "\"hi\"");
  EXPECT_EQ(Show("['a', 'b'].join('-') + ['x'].join()"), "\"a-bx\"");
}

}  // namespace
}  // namespace bulwark::expr
