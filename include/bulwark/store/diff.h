// Path-level difference of two configuration trees, as ConfigStore::Diff reports it.
#ifndef BULWARK_STORE_DIFF_H_
#define BULWARK_STORE_DIFF_H_

#include <string_view>
#include <vector>

#include "bulwark/config/value.h"
#include "bulwark/store/config_store.h"

namespace bulwark::store {

// True for the service's encrypted value tokens: strings starting with "ENC[".
bool IsEncryptedToken(const config::Value& v);

// The leaves (scalars and empty containers) added, removed and changed from `from` to `to`, sorted
// by canonical dotted path. A leaf whose old or new value is an encrypted token is reported
// without values (redacted); equal leaves (also equal tokens) are not listed. A leaf replaced by a
// container (or the reverse) shows as the removal of one path and the addition of others.
std::vector<DiffEntry> DiffValues(const config::Value& from, const config::Value& to);

}  // namespace bulwark::store

#endif  // BULWARK_STORE_DIFF_H_
