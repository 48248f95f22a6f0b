#include "cli/verbatim_args.h"

#include <string_view>

namespace bulwark::cli {
namespace {

// Where Unmark looks for a mark inside an option-like argument ("-x=VALUE" taken whole as a
// value): right after its first '='.
std::size_t InnerMarkPosition(std::string_view value) {
  if (value.size() < 2 || value.front() != '-') return std::string_view::npos;
  const std::size_t eq = value.find('=');
  return eq == std::string_view::npos ? eq : eq + 1;
}

bool StartsWithMark(std::string_view value) {
  return !value.empty() && value.front() == kVerbatimMark;
}

// Whether `value` gets a leading mark: CLI11 would take it apart (Option::_add_result), or Unmark
// would otherwise remove one of its own bytes.
bool NeedsMark(std::string_view value) {
  if (StartsWithMark(value)) return true;
  if (value.size() >= 2 && value.front() == '[' && value.back() == ']') return true;
  const std::size_t at = InnerMarkPosition(value);
  return at < value.size() && value[at] == kVerbatimMark;
}

std::string Mark(std::string value) {
  if (NeedsMark(value)) value.insert(value.begin(), kVerbatimMark);
  return value;
}

// The inverse of Mark, and of the marking of `-x=VALUE` read whole (see ProtectArgs).
std::string Unmark(std::string value) {
  if (StartsWithMark(value)) {
    value.erase(0, 1);
  } else if (const std::size_t at = InnerMarkPosition(value);
             at < value.size() && value[at] == kVerbatimMark) {
    value.erase(at, 1);
  }
  return value;
}

}  // namespace

// Every argument is either option-like with a value (`--name=VALUE`, `-n=VALUE`: the VALUE is
// marked), or anything else (marked whole; option names never need it). Whether CLI11 then reads
// `--name=VALUE` as an option or, after a "--", as a value, Unmark gives back the bytes typed:
// Unmark(Mark(v)) == v, and Unmark("--name=" + Mark(v)) == "--name=" + v.
std::vector<std::string> ProtectArgs(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  out.reserve(args.size());
  for (const std::string& arg : args) {
    const std::size_t eq = arg.find('=');
    if (arg.size() > 1 && arg.front() == '-' && eq != std::string::npos) {
      out.push_back(arg.substr(0, eq + 1) + Mark(arg.substr(eq + 1)));
    } else {
      out.push_back(Mark(arg));
    }
  }
  return out;
}

void RestoreArgsInEveryOption(CLI::App& app) {
  for (CLI::Option* opt : app.get_options()) opt->transform(Unmark);
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    RestoreArgsInEveryOption(*sub);
  }
}

std::string UnprotectMessage(std::string message) {
  std::erase(message, kVerbatimMark);
  return message;
}

}  // namespace bulwark::cli
