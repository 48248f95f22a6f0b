#include <pwd.h>
#include <unistd.h>

#include <fmt/format.h>

#include "bulwark/service/authorizer.h"
#include "bulwark/service/request_context.h"
#include "bulwark/service/value_cipher.h"

namespace bulwark::service {

RequestContext LocalCliContext(std::string client_version) {
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
  ctx.client = "bulwark-cli/" + client_version;
  return ctx;
}

std::string_view ActionName(Action action) {
  switch (action) {
    case Action::kRead: return "read";
    case Action::kReveal: return "reveal";
    case Action::kWrite: return "write";
    case Action::kDelete: return "delete";
    case Action::kList: return "list";
    case Action::kRotate: return "rotate";
    case Action::kApprove: return "approve";
    case Action::kAdmin: return "admin";
  }
  return "unknown";
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

Status ValueCipher::DecryptMany(std::span<const TokenAt> tokens, std::string_view document_id,
                                std::vector<config::Value>& out) const {
  out.clear();
  out.reserve(tokens.size());
  for (const TokenAt& t : tokens) {
    BULWARK_ASSIGN_OR_RETURN(config::Value v, Decrypt(t.token, document_id, *t.path));
    out.push_back(std::move(v));
  }
  return OkStatus();
}

bool IsEncryptedToken(const config::Value& v) {
  const std::string* s = v.IfString();
  return s != nullptr && s->starts_with("ENC[") && s->ends_with("]");
}

}  // namespace bulwark::service
