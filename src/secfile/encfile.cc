#include "bulwark/secfile/encfile.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <unordered_set>

#include "bulwark/core/encoding.h"
#include "bulwark/core/secret_bytes.h"
#include "bulwark/crypto/hash.h"
#include "bulwark/secfile/token.h"

namespace bulwark::secfile {
namespace {

constexpr std::string_view kMetaKey = "bulwark";

void AppendField(std::vector<std::uint8_t>& out, std::string_view field) {
  const auto n = static_cast<std::uint32_t>(field.size());
  out.push_back(static_cast<std::uint8_t>(n >> 24));
  out.push_back(static_cast<std::uint8_t>(n >> 16));
  out.push_back(static_cast<std::uint8_t>(n >> 8));
  out.push_back(static_cast<std::uint8_t>(n));
  out.insert(out.end(), field.begin(), field.end());
}

std::span<const std::uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string JoinKeyIds(const std::vector<keys::KeyId>& ids) {
  std::string out;
  for (keys::KeyId id : ids) {
    if (!out.empty()) out.push_back(',');
    out.append(keys::FormatKeyId(id));
  }
  return out;
}

Result<std::vector<keys::KeyId>> ParseKeyIds(std::string_view text) {
  std::vector<keys::KeyId> ids;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    BULWARK_ASSIGN_OR_RETURN(keys::KeyId id, keys::ParseKeyId(text.substr(0, comma)));
    ids.push_back(id);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
  }
  return ids;
}

// The associated data of the MAC token: every other metadata field.
std::vector<std::uint8_t> MacAssociatedData(const DocumentMetadata& m, FileFormat format) {
  std::vector<std::uint8_t> out;
  AppendField(out, "bulwark.mac.v1");
  AppendField(out, std::to_string(m.version));
  AppendField(out, m.id);
  AppendField(out, FileFormatName(format));
  AppendField(out, m.created);
  AppendField(out, JoinKeyIds(m.key_ids));
  AppendField(out, m.final_newline ? "true" : "false");
  return out;
}

// SHA-256 over the ordered (path, plaintext) list of all values.
class ValuesDigest {
 public:
  static Result<ValuesDigest> Create(std::string_view document_id) {
    BULWARK_ASSIGN_OR_RETURN(crypto::Sha256Hasher h, crypto::Sha256Hasher::Create());
    ValuesDigest d(std::move(h));
    std::vector<std::uint8_t> head;
    AppendField(head, "bulwark.values.v1");
    AppendField(head, document_id);
    BULWARK_RETURN_IF_ERROR(d.hasher_.Update(head));
    return d;
  }
  Status Add(const config::Path& path, std::string_view plaintext) {
    buf_.clear();
    AppendField(buf_, path.ToString());
    BULWARK_RETURN_IF_ERROR(hasher_.Update(buf_));
    buf_.clear();
    AppendField(buf_, std::string_view());
    const auto n = static_cast<std::uint32_t>(plaintext.size());
    buf_[0] = static_cast<std::uint8_t>(n >> 24);
    buf_[1] = static_cast<std::uint8_t>(n >> 16);
    buf_[2] = static_cast<std::uint8_t>(n >> 8);
    buf_[3] = static_cast<std::uint8_t>(n);
    BULWARK_RETURN_IF_ERROR(hasher_.Update(buf_));
    ++count_;
    return hasher_.Update(Bytes(plaintext));
  }
  Result<crypto::Sha256Digest> Finish() {
    const std::string count = fmt::format("count:{}", count_);
    BULWARK_RETURN_IF_ERROR(hasher_.Update(count));
    return hasher_.Finish();
  }

 private:
  explicit ValuesDigest(crypto::Sha256Hasher h) : hasher_(std::move(h)) {}
  crypto::Sha256Hasher hasher_;
  std::vector<std::uint8_t> buf_;
  std::size_t count_ = 0;
};

// Encrypts under the primary key; `make_aad` gets the algorithm (part of the associated data).
template <typename MakeAad>
Result<EncToken> Seal(const keys::Keyring& keyring, std::string_view plaintext, ScalarType type,
                      MakeAad make_aad) {
  BULWARK_ASSIGN_OR_RETURN(keys::KeyInfo primary, keyring.Get(keyring.primary_id()));
  const std::vector<std::uint8_t> aad = make_aad(primary.algorithm);
  BULWARK_ASSIGN_OR_RETURN(keys::KeyedCiphertext kc, keyring.EncryptParts(Bytes(plaintext), aad));
  if (kc.algorithm != primary.algorithm) {
    return InternalError("the keyring's primary key changed during encryption; retry");
  }
  EncToken t;
  t.algorithm = kc.algorithm;
  t.key_id = kc.key_id;
  t.iv = std::move(kc.parts.nonce);
  t.data = std::move(kc.parts.ciphertext);
  t.tag = kc.parts.tag;
  t.type = type;
  return t;
}

Result<SecretBytes> Open(const keys::Keyring& keyring, const EncToken& t,
                         std::span<const std::uint8_t> aad, bool allow_compromised) {
  if (allow_compromised) {
    return keyring.DecryptPartsForReencryption(t.key_id, t.iv, t.data, t.tag, aad);
  }
  return keyring.DecryptParts(t.key_id, t.iv, t.data, t.tag, aad);
}

// ---- metadata rendering and location -------------------------------------------------------

std::string RenderMetadata(const DocumentMetadata& m, FileFormat format, std::string_view eol) {
  const std::string kids = JoinKeyIds(m.key_ids);
  const char* fnl = m.final_newline ? "true" : "false";
  switch (format) {
    case FileFormat::kYaml:
      return fmt::format(
          "bulwark:{0}  version: {1}{0}  id: {2}{0}  created: \"{3}\"{0}  kids: \"{4}\"{0}"
          "  final_newline: {5}{0}  mac: {6}{0}",
          eol, m.version, m.id, m.created, kids, fnl, m.mac);
    case FileFormat::kToml:
      return fmt::format(
          "[bulwark]{0}version = {1}{0}id = \"{2}\"{0}created = \"{3}\"{0}kids = \"{4}\"{0}"
          "final_newline = {5}{0}mac = \"{6}\"{0}",
          eol, m.version, m.id, m.created, kids, fnl, m.mac);
    case FileFormat::kJson:
      return fmt::format(
          "\"bulwark\": {{\"version\": {}, \"id\": \"{}\", \"created\": \"{}\", \"kids\": \"{}\", "
          "\"final_newline\": {}, \"mac\": \"{}\"}}",
          m.version, m.id, m.created, kids, fnl, m.mac);
    case FileFormat::kDotenv:
    case FileFormat::kIni:
      return fmt::format("# bulwark: version={} id={} created={} kids={} final_newline={} mac={}{}",
                         m.version, m.id, m.created, kids, fnl, m.mac, eol);
  }
  return {};
}

std::string_view MarkerOf(FileFormat format) {
  switch (format) {
    case FileFormat::kYaml:
      return "bulwark:";
    case FileFormat::kToml:
      return "[bulwark]";
    case FileFormat::kDotenv:
    case FileFormat::kIni:
      return "# bulwark: ";
    case FileFormat::kJson:
      return "\"bulwark\": {";
  }
  return {};
}

// Start of the metadata block: the last line starting with the marker (JSON: the last occurrence
// of the metadata key), or npos.
std::size_t FindMarker(std::string_view text, FileFormat format) {
  const std::string_view marker = MarkerOf(format);
  std::size_t pos = text.rfind(marker);
  while (pos != std::string_view::npos) {
    if (format == FileFormat::kJson || pos == 0 || text[pos - 1] == '\n') return pos;
    if (pos == 0) break;
    pos = text.rfind(marker, pos - 1);
  }
  return std::string_view::npos;
}

struct Split {
  std::string_view body;  // the document before the metadata (without a line break it added)
  std::string_view tail;  // JSON: the original text after the root's last member; else empty
  DocumentMetadata meta;
};

std::unexpected<Error> MetaError(std::string_view source, std::string_view what) {
  return DataLossError(fmt::format("{}: bulwark metadata: {}", source, what));
}

Result<DocumentMetadata> MetadataFromFields(const std::map<std::string, std::string>& f,
                                            std::string_view source) {
  static constexpr std::array<std::string_view, 6> kFields = {
      "version", "id", "created", "kids", "final_newline", "mac"};
  for (std::string_view k : kFields) {
    if (!f.contains(std::string(k))) {
      return MetaError(source, fmt::format("field '{}' is missing", k));
    }
  }
  if (f.size() != kFields.size()) return MetaError(source, "unexpected fields");
  DocumentMetadata m;
  if (f.at("version") != "1") return MetaError(source, "field 'version': unsupported version");
  m.id = f.at("id");
  if (m.id.size() != 32 || !std::all_of(m.id.begin(), m.id.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
      })) {
    return MetaError(source, "field 'id' is not 32 lowercase hex digits");
  }
  m.created = f.at("created");
  if (!ParseRfc3339(m.created)) return MetaError(source, "field 'created' is not RFC 3339");
  auto kids = ParseKeyIds(f.at("kids"));
  if (!kids) return MetaError(source, "field 'kids' is not a list of key ids");
  m.key_ids = std::move(*kids);
  const std::string& fnl = f.at("final_newline");
  if (fnl != "true" && fnl != "false") {
    return MetaError(source, "field 'final_newline' is not true or false");
  }
  m.final_newline = fnl == "true";
  m.mac = f.at("mac");
  return m;
}

// Separates the metadata from the rest, given the spans of the whole encrypted text (one scan
// serves both, and it also proves that the encrypted file as a whole is valid in its format).
// `values` receives the spans that are not metadata. The metadata must be the last thing.
Result<Split> SplitMetadata(std::string_view text, FileFormat format, std::string_view source,
                            std::vector<ValueSpan> spans, std::vector<ValueSpan>& values) {
  const std::size_t marker = FindMarker(text, format);
  if (marker == std::string_view::npos) {
    return MetaError(source, "not found (the file is not encrypted, or its metadata was removed)");
  }
  Split s;
  std::map<std::string, std::string> fields;
  values.clear();
  if (format == FileFormat::kDotenv || format == FileFormat::kIni) {
    std::string_view line = text.substr(marker + MarkerOf(format).size());
    const std::size_t eol = line.find('\n');
    if (eol == std::string_view::npos || eol + 1 != line.size()) {
      return MetaError(source, "must be the last line of the file");
    }
    line = line.substr(0, eol);
    if (line.ends_with('\r')) line.remove_suffix(1);
    while (!line.empty()) {
      const std::size_t sp = line.find(' ');
      const std::string_view item = line.substr(0, sp);
      const std::size_t eq = item.find('=');
      if (eq == std::string_view::npos) return MetaError(source, "malformed field");
      if (!fields.emplace(std::string(item.substr(0, eq)), std::string(item.substr(eq + 1)))
               .second) {
        return MetaError(source, "duplicate field");
      }
      line = sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
    }
    for (ValueSpan& v : spans) {
      if (v.end > marker) return MetaError(source, "must be the last line of the file");
    }
    values = std::move(spans);
    s.body = text.substr(0, marker);
  } else {
    std::size_t meta_end = marker;
    for (ValueSpan& v : spans) {
      const bool is_meta = !v.path.empty() && v.path.segments()[0].is_key() &&
                           v.path.segments()[0].key() == kMetaKey;
      if (!is_meta) {
        if (v.end > marker) return MetaError(source, "must be the last entry of the document");
        values.push_back(std::move(v));
        continue;
      }
      if (v.begin < marker || v.path.size() != 2 || !v.path.back().is_key()) {
        return MetaError(source, "malformed");
      }
      if (!fields.emplace(v.path.back().key(), v.text).second) {
        return MetaError(source, "duplicate field");
      }
      meta_end = std::max(meta_end, v.end);
    }
    if (format == FileFormat::kJson) {
      // Inserted as ("," | nothing after "{") EOL "  " "\"bulwark\": {...}".
      const std::string eol(DetectLineEnding(text));
      const std::size_t lead = eol.size() + 2;
      if (marker < lead + 1 || text.substr(marker - lead, lead) != eol + "  ") {
        return MetaError(source, "not where encryption put it");
      }
      const char before = text[marker - lead - 1];
      std::size_t body_end = 0;
      if (before == ',') {
        body_end = marker - lead - 1;
      } else if (before == '{') {
        body_end = marker - lead;
      } else {
        return MetaError(source, "not where encryption put it");
      }
      const std::size_t close = text.find('}', meta_end);
      if (close == std::string_view::npos) return MetaError(source, "unterminated");
      s.body = text.substr(0, body_end);
      s.tail = text.substr(close + 1);
    } else {
      s.body = text.substr(0, marker);
    }
  }
  BULWARK_ASSIGN_OR_RETURN(s.meta, MetadataFromFields(fields, source));
  if (!s.meta.final_newline) {
    const std::string_view eol = DetectLineEnding(text);
    if (!s.body.ends_with(eol)) return MetaError(source, "the line break before it is missing");
    s.body.remove_suffix(eol.size());
  }
  return s;
}

// Scans an encrypted file and splits its metadata off; `values` receives the body's value spans.
// A file without the metadata marker is refused before it is scanned, so the error says that it
// is not encrypted rather than whatever the scanner finds.
Result<Split> ScanEncrypted(std::string_view text, FileFormat format, const std::string& source,
                            std::vector<ValueSpan>& values) {
  if (FindMarker(text, format) == std::string_view::npos) {
    return MetaError(source, "not found (the file is not encrypted, or its metadata was removed)");
  }
  BULWARK_ASSIGN_OR_RETURN(std::vector<ValueSpan> all_spans,
                           ScanValues(text, format, {.source_name = source}));
  return SplitMetadata(text, format, source, std::move(all_spans), values);
}

Error WithPath(const Error& e, const ValueSpan& span, std::string_view source) {
  return e.WithContext(fmt::format("{}:{}: value {}", source, span.line, span.path.ToString()));
}

bool IsTokenSpan(const ValueSpan& s) {
  return LooksLikeToken(s.text) &&
         (s.quote == QuoteStyle::kPlain || s.quote == QuoteStyle::kDouble);
}

Result<DecryptedFile> DecryptImpl(std::string_view text, FileFormat format,
                                  const keys::Keyring& keyring, const DecryptOptions& options) {
  const std::string& source = options.source_name;
  std::vector<ValueSpan> spans;
  BULWARK_ASSIGN_OR_RETURN(Split split, ScanEncrypted(text, format, source, spans));
  // Value spans all lie in the body, so their offsets are the same in `doc`.
  std::string doc;
  doc.reserve(split.body.size() + split.tail.size());
  doc.append(split.body);
  doc.append(split.tail);
  BULWARK_ASSIGN_OR_RETURN(ValuesDigest digest, ValuesDigest::Create(split.meta.id));
  DecryptedFile out;
  out.metadata = split.meta;
  out.text.reserve(doc.size());
  std::size_t pos = 0;
  for (const ValueSpan& span : spans) {
    const std::string_view raw = std::string_view(doc).substr(span.begin, span.end - span.begin);
    if (!IsTokenSpan(span)) {
      BULWARK_RETURN_IF_ERROR(digest.Add(span.path, raw));
      continue;
    }
    auto token = ParseToken(span.text);
    if (!token) {
      return std::unexpected(WithPath(
          Error(ErrorCode::kDataLoss, "malformed " + token.error().message()), span, source));
    }
    const std::vector<std::uint8_t> aad =
        ValueAssociatedData(split.meta.id, span.path, token->type, token->algorithm);
    auto key = keyring.Get(token->key_id);
    if (key && key->algorithm != token->algorithm) {
      return std::unexpected(WithPath(
          Error(ErrorCode::kDataLoss, "ENC token: field 'alg' does not match its key's algorithm"),
          span, source));
    }
    auto plain = Open(keyring, *token, aad, options.allow_compromised);
    if (!plain) {
      Error e = plain.error();
      if (e.code() == ErrorCode::kDataLoss) {
        e = Error(ErrorCode::kDataLoss,
                  "does not authenticate (altered, moved from another path or file, or "
                  "encrypted with other key material)");
      }
      return std::unexpected(WithPath(e, span, source));
    }
    const std::string_view pt = plain->RevealAsString();
    BULWARK_RETURN_IF_ERROR(digest.Add(span.path, pt));
    out.text.append(doc, pos, span.begin - pos);
    out.text.append(pt);
    pos = span.end;
    out.encrypted.push_back(span.path);
    ++out.values_per_key[token->key_id];
  }
  out.text.append(doc, pos);
  BULWARK_ASSIGN_OR_RETURN(crypto::Sha256Digest expected, digest.Finish());
  auto mac_token = ParseToken(split.meta.mac);
  if (!mac_token) {
    return MetaError(source, "field 'mac': malformed " + mac_token.error().message());
  }
  auto mac =
      Open(keyring, *mac_token, MacAssociatedData(split.meta, format), options.allow_compromised);
  if (!mac) {
    if (mac.error().code() == ErrorCode::kDataLoss) {
      return MetaError(source, "the MAC does not authenticate (metadata altered)");
    }
    return std::unexpected(mac.error().WithContext(fmt::format("{}: document MAC", source)));
  }
  if (!ConstantTimeEquals(mac->Reveal(), expected)) {
    return DataLossError(fmt::format(
        "{}: document MAC mismatch: values were added, removed, reordered or changed since "
        "encryption",
        source));
  }
  return out;
}

}  // namespace

bool IsEncryptedFile(std::string_view text, FileFormat format) {
  return FindMarker(text, format) != std::string_view::npos;
}

namespace {

Result<std::vector<config::Path>> SensitivePathsOf(
    const std::vector<ValueSpan>& spans, const config::SensitivityClassifier* classifier) {
  const config::Value tree = BuildValueTree(spans);
  if (classifier != nullptr) return classifier->Classify(tree);
  BULWARK_ASSIGN_OR_RETURN(config::SensitivityClassifier heuristic,
                           config::SensitivityClassifier::Create(nullptr, {}, true));
  return heuristic.Classify(tree);
}

// True when `path` or one of its ancestors is in `selected`.
bool IsSelected(const config::Path& path, const std::unordered_set<config::Path>& selected) {
  if (selected.empty()) return false;
  config::Path prefix;
  if (selected.contains(prefix)) return true;
  for (const config::PathSegment& seg : path.segments()) {
    prefix.Push(seg);
    if (selected.contains(prefix)) return true;
  }
  return false;
}

}  // namespace

Result<std::vector<config::Path>> SensitivePaths(std::string_view text, FileFormat format,
                                                 const config::SensitivityClassifier* classifier,
                                                 std::string_view source_name) {
  BULWARK_ASSIGN_OR_RETURN(std::vector<ValueSpan> spans,
                           ScanValues(text, format, {.source_name = std::string(source_name)}));
  return SensitivePathsOf(spans, classifier);
}

Result<EncryptedFile> EncryptFile(std::string_view text, FileFormat format,
                                  const keys::Keyring& keyring, const Runtime& runtime,
                                  const EncryptOptions& options) {
  const std::string& source = options.source_name;
  if (IsEncryptedFile(text, format)) {
    return InvalidArgumentError(fmt::format(
        "{}: already encrypted (it has bulwark metadata); use decrypt, edit or keys reencrypt",
        source));
  }
  BULWARK_ASSIGN_OR_RETURN(std::vector<ValueSpan> spans,
                           ScanValues(text, format, {.source_name = source}));
  if (format == FileFormat::kJson) {
    const std::size_t first = text.find_first_not_of(" \t\r\n\xEF\xBB\xBF");
    if (first == std::string_view::npos || text[first] != '{') {
      return InvalidArgumentError(
          fmt::format("{}: the JSON root must be an object to carry bulwark metadata", source));
    }
  }
  for (const ValueSpan& s : spans) {
    if ((format == FileFormat::kYaml || format == FileFormat::kJson ||
         format == FileFormat::kToml) &&
        (s.path.empty() || !s.path.segments()[0].is_key())) {
      return InvalidArgumentError(
          fmt::format("{}: the document root must be a map to carry bulwark metadata", source));
    }
    if (!s.path.empty() && s.path.segments()[0].is_key() &&
        s.path.segments()[0].key() == kMetaKey && format != FileFormat::kDotenv &&
        format != FileFormat::kIni) {
      return InvalidArgumentError(
          fmt::format("{}:{}: the top-level key 'bulwark' is reserved for encryption metadata",
                      source, s.line));
    }
    if (LooksLikeToken(s.text)) {
      return InvalidArgumentError(
          fmt::format("{}:{}: value {} already looks like an ENC[...] token", source, s.line,
                      s.path.ToString()));
    }
  }
  std::vector<config::Path> selected_list;
  if (options.paths) {
    selected_list = *options.paths;
  } else {
    BULWARK_ASSIGN_OR_RETURN(selected_list, SensitivePathsOf(spans, options.classifier));
  }
  const std::unordered_set<config::Path> selected(selected_list.begin(), selected_list.end());

  EncryptedFile out;
  DocumentMetadata& meta = out.metadata;
  if (!options.document_id.empty()) {
    meta.id = options.document_id;
  } else {
    std::array<std::uint8_t, 16> id{};
    BULWARK_RETURN_IF_ERROR(runtime.random->Fill(id));
    meta.id = HexEncode(id);
  }
  meta.created = options.created.empty() ? FormatRfc3339(runtime.clock->Now()) : options.created;

  BULWARK_ASSIGN_OR_RETURN(ValuesDigest digest, ValuesDigest::Create(meta.id));
  std::set<keys::KeyId> kids;
  std::string body;
  body.reserve(text.size() + 128);
  std::size_t pos = 0;
  for (const ValueSpan& span : spans) {
    const std::string_view raw = text.substr(span.begin, span.end - span.begin);
    BULWARK_RETURN_IF_ERROR(digest.Add(span.path, raw));
    if (!IsSelected(span.path, selected)) continue;
    auto token = Seal(keyring, raw, span.type, [&](crypto::AeadAlgorithm alg) {
      return ValueAssociatedData(meta.id, span.path, span.type, alg);
    });
    if (!token) return std::unexpected(WithPath(token.error(), span, source));
    kids.insert(token->key_id);
    body.append(text, pos, span.begin - pos);
    const std::string formatted = FormatToken(*token);
    if (span.needs_quotes) body.push_back('"');
    body.append(formatted);
    if (span.needs_quotes) body.push_back('"');
    pos = span.end;
    out.encrypted.push_back(span.path);
  }
  body.append(text, pos);

  const std::string eol(DetectLineEnding(text));
  kids.insert(keyring.primary_id());
  meta.key_ids.assign(kids.begin(), kids.end());
  meta.final_newline = format == FileFormat::kJson || text.empty() || text.ends_with('\n');
  BULWARK_ASSIGN_OR_RETURN(crypto::Sha256Digest values_digest, digest.Finish());
  BULWARK_ASSIGN_OR_RETURN(
      EncToken mac, Seal(keyring,
                         std::string_view(reinterpret_cast<const char*>(values_digest.data()),
                                          values_digest.size()),
                         ScalarType::kBytes,
                         [&](crypto::AeadAlgorithm) { return MacAssociatedData(meta, format); }));
  meta.mac = FormatToken(mac);
  if (std::find(meta.key_ids.begin(), meta.key_ids.end(), mac.key_id) == meta.key_ids.end()) {
    return InternalError("the keyring's primary key changed during encryption; retry");
  }

  const std::string rendered = RenderMetadata(meta, format, eol);
  if (format == FileFormat::kJson) {
    const std::size_t close = body.rfind('}');
    if (close == std::string::npos) return InternalError("JSON root object not found");
    std::size_t q = close;
    while (q > 0 && (body[q - 1] == ' ' || body[q - 1] == '\t' || body[q - 1] == '\n' ||
                     body[q - 1] == '\r')) {
      --q;
    }
    std::string insert;
    if (q == 0 || body[q - 1] != '{') insert.push_back(',');
    insert.append(eol);
    insert.append("  ");
    insert.append(rendered);
    body.insert(q, insert);
    out.text = std::move(body);
  } else {
    out.text = std::move(body);
    if (!meta.final_newline) out.text.append(eol);
    out.text.append(rendered);
  }

  // Fail closed: the output must decrypt to exactly the input.
  auto check = DecryptImpl(out.text, format, keyring, {.source_name = source});
  if (!check || check->text != text) {
    return InternalError(fmt::format(
        "{}: cannot encrypt this file in place: the result would not decrypt to the original "
        "bytes{}",
        source, check ? "" : " (" + check.error().message() + ")"));
  }
  return out;
}

Result<DecryptedFile> DecryptFile(std::string_view text, FileFormat format,
                                  const keys::Keyring& keyring, const DecryptOptions& options) {
  return DecryptImpl(text, format, keyring, options);
}

Result<ReencryptedFile> ReencryptFile(std::string_view text, FileFormat format,
                                      const keys::Keyring& keyring, const Runtime& runtime,
                                      std::string_view source_name) {
  BULWARK_ASSIGN_OR_RETURN(
      DecryptedFile plain,
      DecryptFile(text, format, keyring,
                  {.source_name = std::string(source_name), .allow_compromised = true}));
  EncryptOptions options;
  options.source_name = std::string(source_name);
  options.paths = plain.encrypted;
  options.document_id = plain.metadata.id;
  options.created = plain.metadata.created;
  BULWARK_ASSIGN_OR_RETURN(EncryptedFile file,
                           EncryptFile(plain.text, format, keyring, runtime, options));
  return ReencryptedFile{std::move(file), std::move(plain.values_per_key)};
}

std::map<keys::KeyId, std::size_t> FileTokens::ValuesPerKey() const {
  std::map<keys::KeyId, std::size_t> out;
  for (const TokenRef& t : values) ++out[t.key_id];
  return out;
}

Result<FileTokens> ListTokens(std::string_view text, FileFormat format,
                              std::string_view source_name) {
  const std::string source(source_name);
  std::vector<ValueSpan> spans;
  BULWARK_ASSIGN_OR_RETURN(Split split, ScanEncrypted(text, format, source, spans));
  FileTokens out;
  for (const ValueSpan& span : spans) {
    if (!IsTokenSpan(span)) continue;
    auto token = ParseToken(span.text);
    if (!token) {
      return std::unexpected(WithPath(
          Error(ErrorCode::kDataLoss, "malformed " + token.error().message()), span, source));
    }
    out.values.push_back({span.path, token->key_id});
  }
  auto mac = ParseToken(split.meta.mac);
  if (!mac) return MetaError(source, "field 'mac': malformed " + mac.error().message());
  out.mac_key_id = mac->key_id;
  out.metadata = std::move(split.meta);
  return out;
}

}  // namespace bulwark::secfile
