// Running a rotation's hooks and its verification (docs/rotation.md section 4).
//
// A hook is an argv list run with core/subprocess.h: the value it needs on stdin (never in argv or
// the environment), BULWARK_NAMESPACE / _PATH / _ROTATION_ID / _PHASE / _SECRET_TYPE and the hook's
// own `env` in its environment, a deadline. Exit 0 is success. Errors never carry the hook's
// output (it may echo the value): kUnavailable "<phase> hook '<program>': exit status 3".
//
// Verification runs the command (the new value on stdin) or an HTTP GET (2xx, or one of
// `expect`) up to `attempts` times, `sleep(interval)` between attempts.
//
// Thread safety: pure functions of their arguments.
#ifndef BULWARK_LIFECYCLE_HOOKS_H_
#define BULWARK_LIFECYCLE_HOOKS_H_

#include <functional>
#include <string>

#include "bulwark/core/error.h"
#include "bulwark/core/secret_bytes.h"
#include "bulwark/lifecycle/metadata.h"

namespace bulwark::lifecycle {

struct HookContext {
  std::string ns, path, rotation_id, phase;
  SecretType type = SecretType::kGeneric;
};

Status RunHook(const HookSpec& hook, const SecretBytes& input, const HookContext& context);

// Returns OK once an attempt succeeds; otherwise the last attempt's error, prefixed with the
// number of attempts.
Status VerifySecret(const VerifySpec& spec, const SecretBytes& value, const HookContext& context,
                    const std::function<void(Seconds)>& sleep);

}  // namespace bulwark::lifecycle

#endif  // BULWARK_LIFECYCLE_HOOKS_H_
