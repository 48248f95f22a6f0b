// Test helper: cheap Argon2id parameters for keystores created in tests (t=1, 64 KiB, fixed
// salt), so keystore tests run fast. The production defaults are tested in crypto/kdf_test.cc.
#ifndef BULWARK_SRC_KEYS_FAST_KDF_FOR_TEST_H_
#define BULWARK_SRC_KEYS_FAST_KDF_FOR_TEST_H_

#include <cstdint>
#include <vector>

#include "bulwark/crypto/kdf.h"

namespace bulwark::keys::test_support {

inline crypto::PasswordKdfParams FastKdf() {
  return {crypto::PasswordKdf::kArgon2id, 1, 64, std::vector<std::uint8_t>(16, 7)};
}

}  // namespace bulwark::keys::test_support

#endif  // BULWARK_SRC_KEYS_FAST_KDF_FOR_TEST_H_
