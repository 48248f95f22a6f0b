// The text of `bulwark rotate NS PATH`, `bulwark rotate due` and `bulwark secrets due`, printed from their JSON (the
// same JSON `--json` prints), so that the local commands and the remote ones (--server, over
// /v1/secrets/rotate and /v1/rotate/due) print the same lines. No value is in either.
#ifndef BULWARK_SRC_CLI_LIFECYCLE_PRINT_H_
#define BULWARK_SRC_CLI_LIFECYCLE_PRINT_H_

#include <nlohmann/json.hpp>
#include <ostream>
#include <string_view>

namespace bulwark::cli {

// {namespace, path, rotation_id, state, resumed, old_version?, new_version?, grace_until?, error?}
// -> "NS PATH: rotation ID done: version N is current, ...".
void PrintRotation(std::ostream& out, const nlohmann::ordered_json& outcome);

// [{namespace, path, action, outcome, detail}] -> one line each, or "nothing due".
void PrintDueItems(std::ostream& out, const nlohmann::ordered_json& items);

// [{namespace, path, status, type, when (RFC 3339 or null)}] (`secrets due --json`) -> one line
// each ("STATUS WHEN NS PATH"), or "nothing due, expiring or overdue within WITHIN". Returns
// whether any is overdue, expired or failed (the commands' exit 1).
bool PrintDueSecrets(std::ostream& out, const nlohmann::ordered_json& secrets, std::string_view within);

}  // namespace bulwark::cli

#endif  // BULWARK_SRC_CLI_LIFECYCLE_PRINT_H_
