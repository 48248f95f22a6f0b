// The text of change requests (`bulwark change ...`), printed from the view JSON of
// change/report.h: the local commands print change::ViewJson / DiffJson of what the service
// returned, the remote ones (--server) the same JSON as the server sent it, so that both print the
// same lines. No value of a change-set is in a view; a diff's sensitive lines carry none.
#ifndef BULWARK_SRC_CLI_CHANGE_PRINT_H_
#define BULWARK_SRC_CLI_CHANGE_PRINT_H_

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

namespace bulwark::cli {

// "open (needs ...)", "stale (base 1 < latest 2: rebase)", "..., review open (0/1)".
std::string ChangeStateLine(const nlohmann::ordered_json& view);

// `change show` and every command that returns one request.
void PrintChangeView(std::ostream& out, const nlohmann::ordered_json& view);

// `change list`: one line per request, or "no change requests".
void PrintChangeList(std::ostream& out, const nlohmann::ordered_json& views);

// `change diff`: "+ path = value", "- path (was v)", "~ path: a -> b", "(sensitive)" without
// values, then "N differences".
void PrintChangeDiff(std::ostream& out, const nlohmann::ordered_json& lines);

}  // namespace bulwark::cli

#endif  // BULWARK_SRC_CLI_CHANGE_PRINT_H_
