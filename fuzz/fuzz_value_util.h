// Helpers for the configuration format fuzzers.
#ifndef BULWARK_FUZZ_FUZZ_VALUE_UTIL_H_
#define BULWARK_FUZZ_FUZZ_VALUE_UTIL_H_

#include <cmath>

#include "bulwark/config/value.h"

namespace bulwark::fuzz {

// True when the tree holds a NaN (NaN != NaN, so equality checks must skip such trees).
inline bool HasNan(const config::Value& v) {
  if (v.is_double()) return std::isnan(v.AsDouble());
  if (const auto* l = v.IfList()) {
    for (const auto& e : *l) {
      if (HasNan(e)) return true;
    }
  }
  if (const auto* m = v.IfMap()) {
    for (const auto& e : *m) {
      if (HasNan(e.value)) return true;
    }
  }
  return false;
}

}  // namespace bulwark::fuzz

#endif  // BULWARK_FUZZ_FUZZ_VALUE_UTIL_H_
