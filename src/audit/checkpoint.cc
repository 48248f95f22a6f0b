#include "bulwark/audit/checkpoint.h"

#include <fmt/format.h>

#include <charconv>

#include "bulwark/core/encoding.h"

namespace bulwark::audit {

std::string FormatCheckpoint(const Checkpoint& checkpoint) {
  std::string out = fmt::format("{}\n{}\n{}\n", checkpoint.origin, checkpoint.size,
                                Base64Encode(checkpoint.root));
  for (const auto& ext : checkpoint.extensions) {
    out += ext;
    out += '\n';
  }
  return out;
}

Result<Checkpoint> ParseCheckpoint(std::string_view body) {
  if (auto s = ValidateNoteText(body); !s) {
    return std::unexpected(s.error().WithContext("checkpoint"));
  }
  std::vector<std::string_view> lines;
  for (std::string_view rest = body; !rest.empty();) {
    const std::size_t nl = rest.find('\n');  // present: the text ends with "\n"
    lines.push_back(rest.substr(0, nl));
    rest.remove_prefix(nl + 1);
  }
  const auto error = [](std::size_t line, std::string_view what) {
    return InvalidArgumentError(fmt::format("checkpoint line {}: {}", line, what));
  };
  if (lines.size() < 3) {
    return error(lines.size() + 1,
                 "missing (a checkpoint has origin, tree size and root hash lines)");
  }
  Checkpoint cp;
  if (lines[0].empty()) return error(1, "empty origin");
  cp.origin = std::string(lines[0]);

  const std::string_view size = lines[1];
  if (size.empty()) return error(2, "empty tree size");
  if (size.size() > 1 && size[0] == '0') return error(2, "tree size has a leading zero");
  for (char c : size) {
    if (c < '0' || c > '9') return error(2, "tree size is not a decimal number");
  }
  const auto [end, ec] = std::from_chars(size.data(), size.data() + size.size(), cp.size);
  if (ec != std::errc() || end != size.data() + size.size()) {
    return error(2, "tree size does not fit in 64 bits");
  }

  auto root = Base64Decode(lines[2]);
  if (!root) return error(3, "root hash is not valid standard base64");
  if (root->size() != kHashSize) {
    return error(3, fmt::format("root hash must be {} bytes, got {}", kHashSize, root->size()));
  }
  std::copy(root->begin(), root->end(), cp.root.begin());

  for (std::size_t i = 3; i < lines.size(); ++i) {
    if (lines[i].empty()) return error(i + 1, "empty extension line");
    cp.extensions.emplace_back(lines[i]);
  }
  return cp;
}

Result<std::string> SignCheckpoint(const Checkpoint& checkpoint,
                                   std::span<const NoteSigner* const> signers) {
  const std::string body = FormatCheckpoint(checkpoint);
  // Refuse to sign something that would not parse back (an origin with a newline, ...).
  if (auto parsed = ParseCheckpoint(body); !parsed) {
    return std::unexpected(parsed.error().WithContext("sign checkpoint"));
  }
  return SignNote(body, signers);
}

Result<Checkpoint> OpenCheckpoint(std::string_view signed_note, std::string_view origin,
                                  std::span<const NoteVerifier> verifiers) {
  BULWARK_ASSIGN_OR_RETURN(VerifiedNote note, OpenNote(signed_note, verifiers));
  BULWARK_ASSIGN_OR_RETURN(Checkpoint cp, ParseCheckpoint(note.text));
  if (cp.origin != origin) {
    return InvalidArgumentError(fmt::format(
        "checkpoint line 1: origin \"{}\" is not the expected log \"{}\"", cp.origin, origin));
  }
  return cp;
}

}  // namespace bulwark::audit
