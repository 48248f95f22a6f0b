// The configured authentication methods, composed: the server hands every request's credential to
// one AuthenticatorChain.
//
// The chain asks each method in configuration order whether it Accepts the credential; the first
// that does decides (a bwk_ token goes to the token method, a JWS to the JWT method, a password to
// LDAP, a certificate to mTLS). Exactly one method judges a credential: a failure is not retried
// with another method, so a directory outage cannot fall through to a weaker method (fail closed).
//
// Every failure (kUnauthenticated, kUnavailable, no method accepting the credential) is audited
// through the service's AuditSink as one record: operation "auth.login", outcome failure, the
// principal as claimed (Authenticator::ClaimedId, never the secret) with kind = the method, the
// source address, and the reason. The monitor alerts on more than 5 such records in 5 minutes.
// Successful authentications are not audited here: the operation the principal then runs is.
// When the audit sink cannot record a failure the authentication still fails (its error is kept;
// the sink's error is appended to the message).
//
// Thread safety: Authenticate may be called concurrently (the methods and the sink are).
#ifndef BULWARK_IDENTITY_AUTHENTICATOR_CHAIN_H_
#define BULWARK_IDENTITY_AUTHENTICATOR_CHAIN_H_

#include <memory>
#include <vector>

#include "bulwark/core/error.h"
#include "bulwark/core/runtime.h"
#include "bulwark/identity/authenticator.h"
#include "bulwark/service/audit_sink.h"

namespace bulwark::identity {

class AuthenticatorChain {
 public:
  // kInvalidArgument when `methods` is empty, holds a null, or two methods of the same name.
  // `audit` may be null only in tests and tools that audit elsewhere.
  static Result<std::unique_ptr<AuthenticatorChain>> Create(
      std::vector<std::unique_ptr<Authenticator>> methods,
      std::shared_ptr<service::AuditSink> audit, std::shared_ptr<Clock> clock);

  // The principal, or the deciding method's error (kUnauthenticated "no authentication method
  // accepts a <kind>" when none accepts it).
  Result<service::Principal> Authenticate(const Credential& credential) const;

  // The methods' names in order ("token", "jwt").
  std::vector<std::string> Methods() const;

 private:
  AuthenticatorChain(std::vector<std::unique_ptr<Authenticator>> methods,
                     std::shared_ptr<service::AuditSink> audit, std::shared_ptr<Clock> clock)
      : methods_(std::move(methods)), audit_(std::move(audit)), clock_(std::move(clock)) {}
  Error AuditFailure(const Credential& credential, std::string_view method, std::string claimed_id,
                     Error error) const;

  std::vector<std::unique_ptr<Authenticator>> methods_;
  std::shared_ptr<service::AuditSink> audit_;
  std::shared_ptr<Clock> clock_;
};

}  // namespace bulwark::identity

#endif  // BULWARK_IDENTITY_AUTHENTICATOR_CHAIN_H_
