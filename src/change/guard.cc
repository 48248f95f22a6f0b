#include "bulwark/change/guard.h"

#include <fmt/format.h>

namespace bulwark::change {
namespace {

thread_local const ApplyScope* g_scope = nullptr;
thread_local std::string_view g_scope_ns;

class Guard final : public request::Authorizer {
 public:
  Guard(std::shared_ptr<const request::Authorizer> inner,
        std::shared_ptr<const Result<ApprovalPolicies>> policies)
      : inner_(std::move(inner)), policies_(std::move(policies)) {}

  request::Decision Authorize(const request::RequestContext& ctx, request::Action action,
                              const request::Resource& resource) const override {
    // admin on a namespace is moving it (namespace.move): it changes what the name holds.
    const bool changes = action == request::Action::kWrite || action == request::Action::kDelete ||
                         action == request::Action::kAdmin;
    if (changes && resource.kind == request::ResourceKind::kNamespace &&
        !resource.namespace_name.empty()) {
      if (!*policies_) {
        return {.allowed = false,
                .reason = fmt::format("approval policies unavailable, every write is refused: {}",
                                      policies_->error().message())};
      }
      const ApprovalPolicy* p = (*policies_)->Find(resource.namespace_name);
      if (p != nullptr && !ApplyScope::Allows(resource.namespace_name)) {
        return {.allowed = false,
                .reason = fmt::format("namespace {} is covered by approval policy {}: propose a "
                                      "change (bulwark change propose)",
                                      resource.namespace_name, p->name)};
      }
    }
    return inner_->Authorize(ctx, action, resource);
  }

 private:
  std::shared_ptr<const request::Authorizer> inner_;
  std::shared_ptr<const Result<ApprovalPolicies>> policies_;
};

}  // namespace

ApplyScope::ApplyScope(std::string ns) : ns_(std::move(ns)), previous_(g_scope) {
  g_scope = this;
  g_scope_ns = ns_;
}

ApplyScope::~ApplyScope() {
  g_scope = previous_;
  g_scope_ns = previous_ != nullptr ? std::string_view(previous_->ns_) : std::string_view();
}

bool ApplyScope::Allows(std::string_view ns) { return g_scope != nullptr && g_scope_ns == ns; }

std::shared_ptr<const request::Authorizer> NewDirectWriteGuard(
    std::shared_ptr<const request::Authorizer> inner,
    std::shared_ptr<const Result<ApprovalPolicies>> policies) {
  return std::make_shared<Guard>(std::move(inner), std::move(policies));
}

}  // namespace bulwark::change
