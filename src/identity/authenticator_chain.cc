#include "bulwark/identity/authenticator_chain.h"

#include <fmt/format.h>

#include <set>

namespace bulwark::identity {

Result<std::unique_ptr<AuthenticatorChain>> AuthenticatorChain::Create(
    std::vector<std::unique_ptr<Authenticator>> methods, std::shared_ptr<service::AuditSink> audit,
    std::shared_ptr<Clock> clock) {
  if (methods.empty()) return InvalidArgumentError("authentication: no method configured");
  if (clock == nullptr) return InvalidArgumentError("authentication: no clock");
  std::set<std::string, std::less<>> names;
  for (const auto& m : methods) {
    if (m == nullptr) return InvalidArgumentError("authentication: a method is missing");
    if (!names.insert(std::string(m->method())).second) {
      return InvalidArgumentError(
          fmt::format("authentication: method '{}' is configured twice", m->method()));
    }
  }
  return std::unique_ptr<AuthenticatorChain>(
      new AuthenticatorChain(std::move(methods), std::move(audit), std::move(clock)));
}

std::vector<std::string> AuthenticatorChain::Methods() const {
  std::vector<std::string> out;
  for (const auto& m : methods_) out.emplace_back(m->method());
  return out;
}

Result<service::Principal> AuthenticatorChain::Authenticate(const Credential& credential) const {
  for (const auto& m : methods_) {
    if (!m->Accepts(credential)) continue;
    auto principal = m->Authenticate(credential);
    if (principal) return principal;
    return std::unexpected(
        AuditFailure(credential, m->method(), m->ClaimedId(credential), principal.error()));
  }
  return std::unexpected(AuditFailure(
      credential, "none", "",
      Error(ErrorCode::kUnauthenticated, fmt::format("no authentication method accepts a {}",
                                                     CredentialKindName(credential.kind)))));
}

Error AuthenticatorChain::AuditFailure(const Credential& credential, std::string_view method,
                                       std::string claimed_id, Error error) const {
  if (audit_ == nullptr) return error;
  service::AuditRecord record;
  record.time = clock_->Now();
  record.operation = "auth.login";
  record.action = service::Action::kRead;
  record.outcome = service::Outcome::kFailure;
  record.reason = fmt::format("{} authentication failed: {}", method, error.ToString());
  record.context.principal.id = std::move(claimed_id);
  record.context.principal.kind = std::string(method);
  record.context.principal.attributes.AsMap().Set("method", config::Value(std::string(method)));
  record.context.principal.attributes.AsMap().Set(
      "credential", config::Value(std::string(CredentialKindName(credential.kind))));
  record.context.source_address = credential.source_address;
  record.context.client = "bulwark-identity";
  if (auto s = audit_->Append(record); !s) {
    return Error(error.code(), fmt::format("{} (and the failure could not be audited: {})",
                                           error.message(), s.error().ToString()));
  }
  return error;
}

}  // namespace bulwark::identity
