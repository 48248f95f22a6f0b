#include "bulwark/identity/role_mapping.h"

#include <gtest/gtest.h>

#include "bulwark/config/format.h"

namespace bulwark::identity {
namespace {

Result<RoleMapping> FromYaml(std::string_view yaml) {
  BULWARK_ASSIGN_OR_RETURN(
      auto doc, config::ParseDocument(yaml, config::Format::kYaml, {.source_name = "test.yaml"}));
  return RoleMapping::FromValue(doc.root, "test.yaml: roles");
}

TEST(RoleMappingTest, MapsGroupsThroughTheTableAndAddsDefaults) {
  auto m = FromYaml(R"(
default: [viewer]
groups:
  platform-admins: [global-admin]
  team-payments: [operator-payments, viewer]
)");
  ASSERT_TRUE(m.has_value()) << m.error();
  EXPECT_EQ(m->Map({"team-payments", "unmapped"}),
            (std::vector<std::string>{"operator-payments", "viewer"}));
  EXPECT_EQ(m->Map({}), std::vector<std::string>{"viewer"});
  EXPECT_EQ(m->Map({"platform-admins"}), (std::vector<std::string>{"global-admin", "viewer"}));
}

TEST(RoleMappingTest, UnmappedGroupsGrantNothingUnlessPassThroughIsSet) {
  auto closed = FromYaml("groups: {a: [r]}");
  ASSERT_TRUE(closed.has_value());
  EXPECT_TRUE(closed->Map({"b"}).empty());
  auto open = FromYaml("groups: {a: [r]}\npass_through: true");
  ASSERT_TRUE(open.has_value());
  EXPECT_EQ(open->Map({"a", "b"}), (std::vector<std::string>{"b", "r"}));
}

TEST(RoleMappingTest, BadTablesNameTheField) {
  auto unknown = FromYaml("grups: {}");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_NE(unknown.error().message().find("unknown field 'grups'"), std::string::npos);
  auto wrong = FromYaml("groups: {a: 3}");
  ASSERT_FALSE(wrong.has_value());
  EXPECT_NE(wrong.error().message().find("test.yaml: roles.groups.a"), std::string::npos)
      << wrong.error();
  auto empty = FromYaml("default: ['']");
  ASSERT_FALSE(empty.has_value());
  EXPECT_EQ(empty.error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace bulwark::identity
