// The text of `bulwark rotate NS PATH` and `bulwark rotate due`, printed from their JSON (the
// same JSON `--json` prints), so that the local commands and the remote ones (--server, over
// /v1/secrets/rotate and /v1/rotate/due) print the same lines. No value is in either.
#ifndef BULWARK_SRC_CLI_LIFECYCLE_PRINT_H_
#define BULWARK_SRC_CLI_LIFECYCLE_PRINT_H_

#include <nlohmann/json.hpp>
#include <ostream>

namespace bulwark::cli {

// {namespace, path, rotation_id, state, resumed, old_version?, new_version?, grace_until?, error?}
// -> "NS PATH: rotation ID done: version N is current, ...".
void PrintRotation(std::ostream& out, const nlohmann::ordered_json& outcome);

// [{namespace, path, action, outcome, detail}] -> one line each, or "nothing due".
void PrintDueItems(std::ostream& out, const nlohmann::ordered_json& items);

}  // namespace bulwark::cli

#endif  // BULWARK_SRC_CLI_LIFECYCLE_PRINT_H_
