// Namespace names of the configuration store.
//
// A namespace is one or more '/'-separated segments of [a-z0-9._-] ("production/payments/api").
// No empty segments (so no leading, trailing or doubled '/'), no "." or ".." segments, at most
// kMaxNamespaceLength bytes in total.
#ifndef BULWARK_STORE_NAMESPACE_H_
#define BULWARK_STORE_NAMESPACE_H_

#include <cstddef>
#include <string_view>

#include "bulwark/core/error.h"

namespace bulwark::store {

inline constexpr std::size_t kMaxNamespaceLength = 255;

// OkStatus, or kInvalidArgument naming the namespace and what is wrong with it.
Status ValidateNamespace(std::string_view ns);

// A List() prefix: empty, a valid namespace, or a valid namespace followed by '/'.
Status ValidateNamespacePrefix(std::string_view prefix);

}  // namespace bulwark::store

#endif  // BULWARK_STORE_NAMESPACE_H_
