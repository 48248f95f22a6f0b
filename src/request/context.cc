#include <fmt/format.h>
#include <pwd.h>
#include <unistd.h>

#include "bulwark/request/authorizer.h"
#include "bulwark/request/context.h"

namespace bulwark::request {

RequestContext LocalUserContext(std::string client) {
  RequestContext ctx;
  std::string name;
  if (const struct passwd* pw = ::getpwuid(::getuid()); pw != nullptr && pw->pw_name != nullptr) {
    name = pw->pw_name;
  } else {
    name = fmt::format("uid{}", ::getuid());
  }
  ctx.principal.id = "local:" + name;
  ctx.principal.kind = "local";
  ctx.source_address = "local";
  ctx.client = std::move(client);
  return ctx;
}

RequestContext LocalCliContext(std::string client_version) {
  return LocalUserContext("bulwark-cli/" + client_version);
}

namespace {

class LocalAuthorizer final : public Authorizer {
 public:
  Decision Authorize(const RequestContext& ctx, Action, const Resource&) const override {
    if (ctx.principal.kind == "local") return {true, "local user"};
    return {false, fmt::format("principal kind '{}' is not allowed by the local policy",
                               ctx.principal.kind)};
  }
};

}  // namespace

std::unique_ptr<Authorizer> NewLocalAuthorizer() { return std::make_unique<LocalAuthorizer>(); }

}  // namespace bulwark::request
