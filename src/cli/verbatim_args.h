// Every command-line argument reaches the commands byte for byte.
//
// CLI11 (2.1, Debian 12) treats a value that starts with '[' and ends with ']' as a list when it is
// given to an option that takes several values (positional lists such as `expr EXPR...`, `check
// TARGET...`, `exec -- CMD ARGS...`, repeatable options): it drops the brackets and splits the rest
// at commas, so `bulwark expr '[1, 2] + [3]'` received "1  2] + [3". CLI11 has no switch for it.
//
// The protection is applied around the parse, for every option of every command (including
// commands registered later), so no command has to remember it:
//   1. ProtectArgs, before parsing, prefixes each such value with kVerbatimMark (U+001F, the
//      ASCII unit separator, which a shell user does not type): a whole argument, or the VALUE of
//      `--name=VALUE`; also a value that starts with the mark, so that the marking is one-to-one
//      and every argument comes back exactly, whether CLI11 reads `--name=VALUE` as an option or
//      (after "--") as a value.
//   2. RestoreArgsInEveryOption adds, to every option of the app and its subcommands, a transform
//      that CLI11 runs first on each value (before validators and conversion): it removes one
//      leading mark.
//   3. UnprotectMessage removes marks from CLI11's error messages, which may quote arguments.
// Values not starting with '[' (or the mark) are not changed at all.
#ifndef BULWARK_SRC_CLI_VERBATIM_ARGS_H_
#define BULWARK_SRC_CLI_VERBATIM_ARGS_H_

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace bulwark::cli {

inline constexpr char kVerbatimMark = '\x1f';

// The arguments with every value CLI11 would split marked (see above). Order is kept.
std::vector<std::string> ProtectArgs(const std::vector<std::string>& args);

// Adds the unmarking transform to every option of `app` and of all its subcommands, recursively.
// Call after every command is registered and before parsing.
void RestoreArgsInEveryOption(CLI::App& app);

// The message with marks added by ProtectArgs removed (for printing CLI11 errors).
std::string UnprotectMessage(std::string message);

}  // namespace bulwark::cli

#endif  // BULWARK_SRC_CLI_VERBATIM_ARGS_H_
