// Building principals the same way in every method. Internal to the identity module.
#ifndef BULWARK_SRC_IDENTITY_INTERNAL_PRINCIPAL_H_
#define BULWARK_SRC_IDENTITY_INTERNAL_PRINCIPAL_H_

#include <string>
#include <string_view>
#include <vector>

#include "bulwark/config/value.h"
#include "bulwark/service/request_context.h"

namespace bulwark::identity::internal {

// A principal with the attributes every method sets: `method` and `mfa`.
inline service::Principal NewPrincipal(std::string kind, std::string id,
                                       std::vector<std::string> roles, std::string_view method,
                                       bool mfa) {
  service::Principal p;
  p.id = std::move(id);
  p.kind = std::move(kind);
  p.roles = std::move(roles);
  p.attributes.AsMap().Set("method", config::Value(std::string(method)));
  p.attributes.AsMap().Set("mfa", config::Value(mfa));
  return p;
}

inline config::Value StringListValue(const std::vector<std::string>& items) {
  config::ValueList list;
  list.reserve(items.size());
  for (const auto& s : items) list.emplace_back(s);
  return config::Value(std::move(list));
}

}  // namespace bulwark::identity::internal

#endif  // BULWARK_SRC_IDENTITY_INTERNAL_PRINCIPAL_H_
