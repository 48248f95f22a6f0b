// The secret detector (docs/scan.md section 1.1): Hyperscan prefilter, RE2 confirmation in
// windows, filters, decoding.
#include "bulwark/scan/secret_scanner.h"

#include <hs/hs.h>
#include <re2/re2.h>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>
#include <tuple>

#include "bulwark/core/encoding.h"
#include "bulwark/crypto/hash.h"
#include "scan/not_secret.h"

namespace bulwark::scan {
namespace {

constexpr std::size_t kLineWindow = 4096;        // confirmation window around a hit, each side
constexpr std::size_t kMultilineWindow = 16384;  // back from a hit, for multi-line rules
constexpr std::size_t kContext = 1024;           // bytes kept before each chunk for context
constexpr int kMaxDecodeDepth = 1;

// Words that make a key name where a secret is, not the secret itself (generic rules).
constexpr std::string_view kDefaultKeyExclude[] = {
    "file", "files", "path", "dir", "url", "uri", "endpoint", "name", "id", "ids", "env", "ref",
    "length", "len", "min", "max", "policy", "ttl", "type", "header", "hash", "hashed", "expiry",
    "expires", "expiration", "timeout", "reset", "required", "strength", "field", "prompt",
    "label", "placeholder", "enabled", "enable", "rotation", "version", "count", "age", "mode",
    "format", "regex", "pattern", "validation", "template", "arn", "location", "provider",
    "size", "limit", "lifetime", "duration", "interval", "method", "algorithm", "alg", "scheme",
    "scope", "scopes", "prefix", "suffix", "source", "bits", "rounds", "iterations", "encoding",
    "issuer", "audience", "kind", "class", "handler", "mount", "allowed", "strategy", "backend",
    "attribute", "public", "cert", "certificate", "fingerprint", "request", "response"};

enum DecodeKind : std::uint32_t { kBase64 = 0, kHex = 1, kPercent = 2, kDecodeKinds = 3 };
constexpr const char* kDecodePatterns[kDecodeKinds] = {
    R"((?:^|[\s:="'>,(\[])([A-Za-z0-9+/]{16,}={0,2})(?:$|[\s"'<,;)\]]))",
    R"((?:^|[^0-9A-Za-z])([0-9a-fA-F]{32,})(?:$|[^0-9A-Za-z]))",
    R"((?:^|[\s:="'>])([^\s"'<>%]{0,256}%[0-9A-Fa-f]{2}[^\s"'<>]{0,256}%[0-9A-Fa-f]{2}[^\s"'<>]{0,256}))"};
constexpr const char* kDecodeNames[kDecodeKinds] = {"base64", "hex", "percent"};

// A run of prefilter hits of one slot (a rule, or a decoder) close together.
struct Hit {
  std::uint32_t slot;
  std::uint64_t first_end, last_end;
};

struct HitState {
  std::vector<Hit> hits;
  std::vector<std::int32_t> last;  // per slot: index in hits of its latest run, -1 if none
  std::vector<std::uint32_t> touched;
};

int OnMatch(unsigned int id, unsigned long long /*from*/, unsigned long long to,
            unsigned int /*flags*/, void* ctx);

struct Candidate {
  std::uint32_t rule = 0;
  std::size_t match_start = 0, match_end = 0;    // chunk-relative
  std::size_t secret_start = 0, secret_end = 0;  // chunk-relative
  std::string key;
  std::string secret;  // plaintext, only while scanning; never leaves this file
  std::string decoded;
  bool generic = false;
};

std::string_view LineAround(std::string_view text, std::size_t pos, std::size_t limit) {
  std::size_t b = pos, e = pos;
  const std::size_t lo = pos > limit ? pos - limit : 0;
  while (b > lo && text[b - 1] != '\n') --b;
  const std::size_t hi = std::min(text.size(), pos + limit);
  while (e < hi && text[e] != '\n') ++e;
  return text.substr(b, e - b);
}

bool IsPrintableText(std::string_view s) {
  if (s.size() < 4) return false;
  std::size_t printable = 0;
  for (unsigned char c : s) {
    if (c == 0) return false;
    if ((c >= 0x20 && c < 0x7f) || c == '\n' || c == '\r' || c == '\t') ++printable;
  }
  return printable * 100 >= s.size() * 95;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> Decode(DecodeKind kind, std::string_view s) {
  switch (kind) {
    case kBase64: {
      std::string padded(s);
      while (padded.size() % 4 != 0) padded.push_back('=');
      auto bytes = Base64Decode(padded);
      if (!bytes) return std::nullopt;
      return std::string(bytes->begin(), bytes->end());
    }
    case kHex: {
      if (s.size() % 2 != 0) return std::nullopt;
      auto bytes = HexDecode(s);
      if (!bytes) return std::nullopt;
      return std::string(bytes->begin(), bytes->end());
    }
    case kPercent: {
      std::string out;
      for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() + 0 && HexValue(s[i + 1]) >= 0 &&
            HexValue(s[i + 2]) >= 0) {
          out.push_back(static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
          i += 2;
        } else {
          out.push_back(s[i]);
        }
      }
      return out;
    }
    default:
      return std::nullopt;
  }
}

// Counts the newlines in [cursor, to) (absolute offsets into a buffer starting at `base`) and
// moves the cursor to `to`; never moves backwards.
void AdvanceLines(const std::string& buf, std::uint64_t base, std::uint64_t& cursor,
                  std::uint64_t to, std::uint64_t& line, std::uint64_t& line_start) {
  if (to <= cursor) return;
  const char* b = buf.data() + (cursor - base);
  const char* e = buf.data() + (to - base);
  const auto n = std::count(b, e, '\n');
  if (n > 0) {
    line += static_cast<std::uint64_t>(n);
    const void* last = ::memrchr(b, '\n', static_cast<std::size_t>(e - b));
    line_start = base + static_cast<std::uint64_t>(static_cast<const char*>(last) - buf.data()) + 1;
  }
  cursor = to;
}

}  // namespace

class SecretScanner::Impl {
 public:
  std::shared_ptr<const RuleSet> rules;
  SecretScanOptions opts;
  hs_database_t* db = nullptr;
  hs_scratch_t* proto = nullptr;
  std::vector<std::uint32_t> id_to_slot;  // Hyperscan pattern id -> slot
  std::vector<std::size_t> keyword_rules, slow_rules;
  std::unique_ptr<RE2> decode_re[kDecodeKinds];
  std::unique_ptr<RE2> key_before_re;
  std::vector<std::vector<std::string>> key_exclude;  // per rule, lowercase phrases

  mutable std::mutex mu;
  mutable std::vector<hs_scratch_t*> pool;

  std::uint32_t slots() const { return static_cast<std::uint32_t>(rules->rules().size()) + kDecodeKinds; }

  ~Impl() {
    for (hs_scratch_t* s : pool) hs_free_scratch(s);
    if (proto != nullptr) hs_free_scratch(proto);
    if (db != nullptr) hs_free_database(db);
  }

  Status Compile();
  void BuildExpressions(const std::vector<bool>& use_regex, const std::vector<bool>& use_keywords,
                        std::vector<std::string>& exprs, std::vector<unsigned>& flags,
                        std::vector<int>& expr_rule);
  Status FinishCompile(const std::vector<bool>& use_regex, const std::vector<bool>& use_keywords);
  bool LoadCache(const std::string& path, std::vector<bool>& use_regex,
                 std::vector<bool>& use_keywords);
  void SaveCache(const std::string& path, const std::vector<bool>& use_regex,
                 const std::vector<bool>& use_keywords) const;

  hs_scratch_t* Acquire() const {
    {
      std::lock_guard lock(mu);
      if (!pool.empty()) {
        hs_scratch_t* s = pool.back();
        pool.pop_back();
        return s;
      }
    }
    hs_scratch_t* s = nullptr;
    if (proto != nullptr && hs_clone_scratch(proto, &s) != HS_SUCCESS) return nullptr;
    return s;
  }
  void Release(hs_scratch_t* s) const {
    if (s == nullptr) return;
    std::lock_guard lock(mu);
    pool.push_back(s);
  }

  // Scans one chunk: text[accept_begin, accept_end) is where matches may start; findings are
  // appended to `out` with offsets relative to the chunk.
  void ScanChunk(std::string_view text, std::size_t accept_begin, std::size_t accept_end,
                 std::string_view target, hs_scratch_t* scratch, int depth,
                 std::vector<Candidate>& out) const;

  void Confirm(std::string_view text, std::uint32_t slot, std::size_t ws, std::size_t we,
               std::size_t accept_begin, std::size_t accept_end, std::string_view target,
               hs_scratch_t* scratch, int depth, std::vector<Candidate>& out) const;

  // Decodes the value of a generic candidate and scans it; true when that found something (the
  // findings are appended to `out`).
  bool DecodeValue(std::string_view text, const Candidate& c, std::string_view target,
                   hs_scratch_t* scratch, int depth, std::vector<Candidate>& out) const;
  bool KeepCandidate(const Rule& rule, std::string_view text, Candidate& c,
                     std::string_view match) const;
  std::string KeyBefore(std::string_view text, std::size_t pos) const;
};

namespace {

int OnMatch(unsigned int id, unsigned long long /*from*/, unsigned long long to,
            unsigned int /*flags*/, void* ctx) {
  auto* st = static_cast<std::pair<const SecretScanner::Impl*, HitState*>*>(ctx);
  HitState& hs = *st->second;
  const std::uint32_t slot = st->first->id_to_slot[id];
  std::int32_t& last = hs.last[slot];
  if (last >= 0 && to - hs.hits[last].last_end <= kLineWindow) {
    hs.hits[last].last_end = to;
    return 0;
  }
  if (last < 0) hs.touched.push_back(slot);
  last = static_cast<std::int32_t>(hs.hits.size());
  hs.hits.push_back(Hit{slot, to, to});
  return 0;
}

std::string EscapeLiteral(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c))) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// The pattern given to Hyperscan for a rule: the rule's regex with every counted repetition
// whose upper bound exceeds 8 widened to at least min(lower, 32) repetitions and no upper bound.
// That is a superset of the regex (fine for a prefilter: RE2 confirms every hit) and compiles
// several times faster (Hyperscan unrolls large bounded repeats).
std::string PrefilterPattern(std::string_view p) {
  constexpr int kCap = 8;
  constexpr int kLowerCap = 32;
  std::string out;
  bool in_class = false;
  for (std::size_t i = 0; i < p.size();) {
    const char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      out.append(p.substr(i, 2));
      i += 2;
      continue;
    }
    if (in_class) {
      out.push_back(c);
      if (c == ']') in_class = false;
      ++i;
      continue;
    }
    if (c == '[') {
      in_class = true;
      out.push_back(c);
      ++i;
      if (i < p.size() && p[i] == '^') out.push_back(p[i++]);
      if (i < p.size() && p[i] == ']') out.push_back(p[i++]);
      continue;
    }
    if (c == '{') {
      std::size_t j = i + 1;
      int lo = 0, hi = -1;
      bool digits = false, comma = false, hi_digits = false;
      while (j < p.size() && std::isdigit(static_cast<unsigned char>(p[j]))) {
        lo = std::min(lo * 10 + (p[j] - '0'), 100000);
        digits = true;
        ++j;
      }
      if (digits && j < p.size() && p[j] == ',') {
        comma = true;
        ++j;
        int h = 0;
        while (j < p.size() && std::isdigit(static_cast<unsigned char>(p[j]))) {
          h = std::min(h * 10 + (p[j] - '0'), 100000);
          hi_digits = true;
          ++j;
        }
        if (hi_digits) hi = h;
      }
      if (digits && j < p.size() && p[j] == '}') {
        if (!comma) hi = lo;
        ++j;
        if (hi < 0 || hi > kCap) {
          const int keep = std::min(lo, kLowerCap);
          out += keep == 0 ? "*" : "{" + std::to_string(keep) + ",}";
          if (j < p.size() && p[j] == '?') ++j;  // laziness means nothing to a prefilter
        } else {
          out.append(p.substr(i, j - i));
        }
        i = j;
        continue;
      }
    }
    out.push_back(c);
    ++i;
  }
  return out;
}

}  // namespace

void SecretScanner::Impl::BuildExpressions(const std::vector<bool>& use_regex,
                                           const std::vector<bool>& use_keywords,
                                           std::vector<std::string>& exprs,
                                           std::vector<unsigned>& flags,
                                           std::vector<int>& expr_rule) {
  const std::vector<Rule>& rs = rules->rules();
  exprs.clear();
  flags.clear();
  expr_rule.clear();
  id_to_slot.clear();
  for (std::size_t i = 0; i < rs.size(); ++i) {
    if (use_regex[i]) {
      exprs.push_back(rs[i].prefilter.empty() ? PrefilterPattern(rs[i].regex) : rs[i].prefilter);
      flags.push_back(HS_FLAG_PREFILTER | HS_FLAG_MULTILINE);
      expr_rule.push_back(static_cast<int>(i));
    } else if (use_keywords[i]) {
      for (const std::string& kw : rs[i].keywords) {
        exprs.push_back(EscapeLiteral(kw));
        flags.push_back(HS_FLAG_CASELESS);
        expr_rule.push_back(static_cast<int>(i));
      }
    }
  }
  if (opts.decode && opts.decode_everywhere) {
    for (std::uint32_t k = 0; k < kDecodeKinds; ++k) {
      exprs.push_back(PrefilterPattern(kDecodePatterns[k]));
      flags.push_back(HS_FLAG_PREFILTER | HS_FLAG_MULTILINE);
      expr_rule.push_back(-1 - static_cast<int>(k));
    }
  }
  for (int r : expr_rule) {
    id_to_slot.push_back(r >= 0 ? static_cast<std::uint32_t>(r)
                                : static_cast<std::uint32_t>(rs.size()) +
                                      static_cast<std::uint32_t>(-1 - r));
  }
}

Status SecretScanner::Impl::Compile() {
  const std::vector<Rule>& rs = rules->rules();
  RE2::Options ro;
  ro.set_encoding(RE2::Options::EncodingLatin1);
  ro.set_log_errors(false);
  for (std::uint32_t k = 0; k < kDecodeKinds; ++k) decode_re[k] = std::make_unique<RE2>(kDecodePatterns[k], ro);
  key_before_re = std::make_unique<RE2>(
      R"(([A-Za-z0-9_.\-]{1,100})["'`]?[ \t]{0,8}(?::=|=>|:|=)[ \t]{0,8}["'`]?[^\s"'`]{0,64}$)", ro);
  for (const Rule& r : rs) {
    std::vector<std::string> ex = r.key_exclude_words;
    if (ex.empty() && r.generic) {
      for (std::string_view w : kDefaultKeyExclude) ex.emplace_back(w);
    }
    key_exclude.push_back(std::move(ex));
  }

  std::vector<bool> use_regex(rs.size(), true);
  for (std::size_t i = 0; i < rs.size(); ++i) use_regex[i] = rs[i].re != nullptr;
  std::vector<bool> use_keywords(rs.size(), false);
  std::vector<std::string> exprs;
  std::vector<unsigned> flags;
  std::vector<int> expr_rule;
  BuildExpressions(use_regex, use_keywords, exprs, flags, expr_rule);

  // The cache key covers the Hyperscan version and every initial expression and flag; the keyword
  // lists are included because a rule may fall back to them.
  std::string cache_path;
  if (!opts.cache_dir.empty()) {
    std::string material = std::string(hs_version()) + "\n";
    for (std::size_t j = 0; j < exprs.size(); ++j) {
      material += std::to_string(flags[j]) + ":" + exprs[j] + "\n";
    }
    for (const Rule& r : rs) {
      for (const std::string& k : r.keywords) material += "k:" + k + "\n";
    }
    if (auto digest = crypto::Sha256(material)) {
      cache_path = (opts.cache_dir / ("scan-" + HexEncode(std::span<const std::uint8_t>(digest->data(), 16)) + ".hsdb")).string();
    }
    if (!cache_path.empty() && LoadCache(cache_path, use_regex, use_keywords)) {
      BuildExpressions(use_regex, use_keywords, exprs, flags, expr_rule);
      return FinishCompile(use_regex, use_keywords);
    }
  }

  // A rule Hyperscan rejects moves to its keywords, or to the slow path.
  for (int attempt = 0; attempt < 1000; ++attempt) {
    BuildExpressions(use_regex, use_keywords, exprs, flags, expr_rule);
    if (exprs.empty()) break;
    std::vector<const char*> ptrs;
    std::vector<unsigned> ids;
    for (std::size_t j = 0; j < exprs.size(); ++j) {
      ptrs.push_back(exprs[j].c_str());
      ids.push_back(static_cast<unsigned>(j));
    }
    hs_compile_error_t* err = nullptr;
    hs_database_t* out = nullptr;
    const hs_error_t rc = hs_compile_multi(ptrs.data(), flags.data(), ids.data(),
                                           static_cast<unsigned>(ptrs.size()), HS_MODE_BLOCK,
                                           nullptr, &out, &err);
    if (rc == HS_SUCCESS) {
      db = out;
      break;
    }
    const int bad = err != nullptr ? err->expression : -1;
    const std::string msg = err != nullptr && err->message != nullptr ? err->message : "unknown";
    hs_free_compile_error(err);
    if (bad < 0 || static_cast<std::size_t>(bad) >= expr_rule.size() || expr_rule[bad] < 0) {
      return InternalError("scan: compile the Hyperscan database: " + msg);
    }
    const std::size_t r = static_cast<std::size_t>(expr_rule[bad]);
    if (use_regex[r]) {
      use_regex[r] = false;
      use_keywords[r] = !rs[r].keywords.empty();
    } else {
      use_keywords[r] = false;
    }
  }
  if (!cache_path.empty() && db != nullptr) SaveCache(cache_path, use_regex, use_keywords);
  return FinishCompile(use_regex, use_keywords);
}

Status SecretScanner::Impl::FinishCompile(const std::vector<bool>& use_regex,
                                          const std::vector<bool>& use_keywords) {
  const std::vector<Rule>& rs = rules->rules();
  for (std::size_t i = 0; i < rs.size(); ++i) {
    if (rs[i].re == nullptr || use_regex[i]) continue;
    (use_keywords[i] ? keyword_rules : slow_rules).push_back(i);
  }
  if (db != nullptr && hs_alloc_scratch(db, &proto) != HS_SUCCESS) {
    return InternalError("scan: allocate Hyperscan scratch space");
  }
  return OkStatus();
}

// Cache file: "bulwark-hsdb/1\n", then the rule modes (one byte per rule: 'r' regex, 'k'
// keywords, 's' slow, '-' none), "\n", then hs_serialize_database's bytes.
bool SecretScanner::Impl::LoadCache(const std::string& path, std::vector<bool>& use_regex,
                                    std::vector<bool>& use_keywords) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  constexpr std::string_view kMagic = "bulwark-hsdb/1\n";
  const std::size_t n = use_regex.size();
  if (data.size() < kMagic.size() + n + 1 || data.compare(0, kMagic.size(), kMagic) != 0 ||
      data[kMagic.size() + n] != '\n') {
    return false;
  }
  std::vector<bool> r(n), k(n);
  for (std::size_t i = 0; i < n; ++i) {
    const char m = data[kMagic.size() + i];
    r[i] = m == 'r';
    k[i] = m == 'k';
  }
  const std::size_t off = kMagic.size() + n + 1;
  hs_database_t* out = nullptr;
  if (hs_deserialize_database(data.data() + off, data.size() - off, &out) != HS_SUCCESS) return false;
  db = out;
  use_regex = std::move(r);
  use_keywords = std::move(k);
  return true;
}

void SecretScanner::Impl::SaveCache(const std::string& path, const std::vector<bool>& use_regex,
                                    const std::vector<bool>& use_keywords) const {
  char* bytes = nullptr;
  std::size_t len = 0;
  if (hs_serialize_database(db, &bytes, &len) != HS_SUCCESS) return;
  std::string data = "bulwark-hsdb/1\n";
  for (std::size_t i = 0; i < use_regex.size(); ++i) {
    data.push_back(use_regex[i] ? 'r' : use_keywords[i] ? 'k' : rules->rules()[i].re ? 's' : '-');
  }
  data.push_back('\n');
  data.append(bytes, len);
  std::free(bytes);
  std::error_code ec;
  std::filesystem::create_directories(opts.cache_dir, ec);
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    if (!out) return;
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) std::filesystem::remove(tmp, ec);
}

std::string SecretScanner::Impl::KeyBefore(std::string_view text, std::size_t pos) const {
  const std::string_view line = LineAround(text, pos, 512);
  const std::size_t line_start = static_cast<std::size_t>(line.data() - text.data());
  if (pos < line_start) return "";
  const std::string_view prefix = text.substr(line_start, pos - line_start);
  re2::StringPiece key;
  if (RE2::PartialMatch(re2::StringPiece(prefix.data(), prefix.size()), *key_before_re, &key)) {
    return std::string(key.data(), key.size());
  }
  return "";
}

bool SecretScanner::Impl::KeepCandidate(const Rule& rule, std::string_view text, Candidate& c,
                                        std::string_view match) const {
  const std::string_view secret = c.secret;
  if (secret.size() < rule.min_length) return false;
  if (internal::IsPlaceholderOrReference(secret)) return false;
  const double h = ShannonEntropy(secret);
  if (h < rule.entropy) return false;
  if (secret.size() >= 16 && h < 2.0 && !rule.multiline) return false;  // aaaa1111aaaa...
  if (rule.generic) {
    if (secret.size() > 1024 || c.key.size() > 200) return false;  // not a value and its name
    const std::vector<std::string> words = internal::KeyWords(c.key);
    if (!rule.key_words.empty() &&
        std::none_of(rule.key_words.begin(), rule.key_words.end(),
                     [&](const std::string& p) { return internal::KeyHasPhrase(words, p); })) {
      return false;
    }
    const auto& ex = key_exclude[c.rule];
    if (std::any_of(ex.begin(), ex.end(),
                    [&](const std::string& p) { return internal::KeyHasPhrase(words, p); })) {
      return false;
    }
    if (internal::IsUnlikelyGenericSecret(secret)) return false;
  }
  const std::string_view line = LineAround(text, c.secret_start, kLineWindow);
  if (opts.inline_ignores && (line.find("bulwark:allow") != std::string_view::npos ||
                              line.find("gitleaks:allow") != std::string_view::npos)) {
    return false;
  }
  if (rule.allowlist.AllowsSecret(secret, match, line)) return false;
  if (rules->allowlist().AllowsSecret(secret, match, line)) return false;
  return true;
}

void SecretScanner::Impl::Confirm(std::string_view text, std::uint32_t slot, std::size_t ws,
                                  std::size_t we, std::size_t accept_begin,
                                  std::size_t accept_end, std::string_view target,
                                  hs_scratch_t* scratch, int depth,
                                  std::vector<Candidate>& out) const {
  const std::vector<Rule>& rs = rules->rules();
  const bool is_rule = slot < rs.size();
  const RE2& re = is_rule ? *rs[slot].re : *decode_re[slot - rs.size()];
  const int ngroups = re.NumberOfCapturingGroups();
  std::vector<re2::StringPiece> groups(static_cast<std::size_t>(ngroups) + 1);
  const re2::StringPiece whole(text.data(), text.size());
  std::size_t pos = ws;
  while (pos < we &&
         re.Match(whole, pos, we, RE2::UNANCHORED, groups.data(), static_cast<int>(groups.size()))) {
    const std::size_t ms = static_cast<std::size_t>(groups[0].data() - text.data());
    const std::size_t me = ms + groups[0].size();
    pos = me > pos ? me : pos + 1;
    if (ms < accept_begin || ms >= accept_end) continue;
    if (!is_rule) {
      // A decoder: decode the value and scan the decoded text (one level deep).
      if (depth >= kMaxDecodeDepth || groups[1].data() == nullptr) continue;
      const auto kind = static_cast<DecodeKind>(slot - rs.size());
      const std::string_view blob(groups[1].data(), groups[1].size());
      auto decoded = Decode(kind, blob);
      if (!decoded || !IsPrintableText(*decoded)) continue;
      std::vector<Candidate> inner;
      ScanChunk(*decoded, 0, decoded->size(), target, scratch, depth + 1, inner);
      const std::size_t bs = static_cast<std::size_t>(blob.data() - text.data());
      for (Candidate& c : inner) {
        c.match_start = c.secret_start = bs;
        c.match_end = c.secret_end = bs + blob.size();
        c.decoded = kDecodeNames[kind];
        if (c.key.empty()) c.key = KeyBefore(text, bs);
        out.push_back(std::move(c));
      }
      continue;
    }
    const Rule& rule = rs[slot];
    const re2::StringPiece sg = groups[static_cast<std::size_t>(rule.secret_group)];
    if (sg.data() == nullptr || sg.empty()) continue;
    Candidate c;
    c.rule = slot;
    c.generic = rule.generic;
    c.match_start = ms;
    c.match_end = me;
    c.secret_start = static_cast<std::size_t>(sg.data() - text.data());
    c.secret_end = c.secret_start + sg.size();
    c.secret.assign(sg.data(), sg.size());
    if (rule.key_group >= 0 && groups[static_cast<std::size_t>(rule.key_group)].data() != nullptr) {
      const re2::StringPiece kg = groups[static_cast<std::size_t>(rule.key_group)];
      c.key.assign(kg.data(), kg.size());
    } else {
      c.key = KeyBefore(text, c.match_start);
    }
    // A value assigned to a secret-like key may be encoded: what it decodes to is scanned, and a
    // finding there replaces the generic one.
    if (rule.generic && opts.decode && depth < kMaxDecodeDepth &&
        DecodeValue(text, c, target, scratch, depth, out)) {
      continue;
    }
    if (!KeepCandidate(rule, text, c, std::string_view(groups[0].data(), groups[0].size()))) continue;
    out.push_back(std::move(c));
  }
}

bool SecretScanner::Impl::DecodeValue(std::string_view text, const Candidate& c,
                                      std::string_view target, hs_scratch_t* scratch, int depth,
                                      std::vector<Candidate>& out) const {
  const std::string_view v = c.secret;
  auto all_of = [&](std::string_view set, std::size_t skip_tail) {
    const std::string_view body = v.substr(0, v.size() - std::min(skip_tail, v.size()));
    return std::all_of(body.begin(), body.end(),
                       [&](char ch) { return set.find(ch) != std::string_view::npos; });
  };
  std::optional<std::string> decoded;
  DecodeKind kind = kBase64;
  if (v.size() >= 32 && all_of("0123456789abcdefABCDEF", 0)) {
    kind = kHex;
  } else if (v.size() >= 16 &&
             all_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=", 0)) {
    kind = kBase64;
  } else if (v.find('%') != std::string_view::npos) {
    kind = kPercent;
  } else {
    return false;
  }
  decoded = Decode(kind, v);
  if (!decoded || !IsPrintableText(*decoded)) return false;
  std::vector<Candidate> inner;
  ScanChunk(*decoded, 0, decoded->size(), target, scratch, depth + 1, inner);
  if (inner.empty()) return false;
  for (Candidate& i : inner) {
    i.match_start = i.secret_start = c.secret_start;
    i.match_end = i.secret_end = c.secret_end;
    i.decoded = kDecodeNames[kind];
    if (i.key.empty()) i.key = c.key;
    out.push_back(std::move(i));
  }
  (void)text;
  return true;
}

void SecretScanner::Impl::ScanChunk(std::string_view text, std::size_t accept_begin,
                                    std::size_t accept_end, std::string_view target,
                                    hs_scratch_t* scratch, int depth,
                                    std::vector<Candidate>& out) const {
  const std::vector<Rule>& rs = rules->rules();
  HitState hs;
  hs.last.assign(slots(), -1);
  if (db != nullptr && scratch != nullptr && !text.empty()) {
    std::pair<const Impl*, HitState*> ctx{this, &hs};
    hs_scan(db, text.data(), static_cast<unsigned>(text.size()), 0, scratch, OnMatch, &ctx);
  }
  // Slow rules: the whole chunk is their window.
  for (std::size_t r : slow_rules) {
    hs.hits.push_back(Hit{static_cast<std::uint32_t>(r), 0, text.size()});
  }
  std::stable_sort(hs.hits.begin(), hs.hits.end(),
                   [](const Hit& a, const Hit& b) { return a.slot < b.slot; });

  std::vector<Candidate> found;
  std::size_t i = 0;
  while (i < hs.hits.size()) {
    const std::uint32_t slot = hs.hits[i].slot;
    const bool multiline = slot < rs.size() && rs[slot].multiline;
    const std::size_t back = multiline ? kMultilineWindow : kLineWindow;
    // Windows for this slot, merged.
    std::size_t ws = 0, we = 0;
    bool open = false;
    for (; i < hs.hits.size() && hs.hits[i].slot == slot; ++i) {
      const Hit& h = hs.hits[i];
      const std::size_t first = std::min<std::size_t>(h.first_end, text.size());
      const std::size_t last = std::min<std::size_t>(h.last_end, text.size());
      std::size_t b = first > back ? first - back : 0;
      if (!multiline) {
        // From the start of the line of the match's last byte (and the newline before that
        // line, for prefix classes).
        std::size_t lb = first > 0 ? first - 1 : 0;
        while (lb > b && text[lb - 1] != '\n') --lb;
        b = lb > 0 ? lb - 1 : 0;
      }
      std::size_t e = last;
      const std::size_t hi = std::min(text.size(), last + kLineWindow);
      while (e < hi && text[e] != '\n') ++e;
      if (e < text.size()) ++e;  // include the newline, for suffix classes
      if (open && b <= we) {
        we = std::max(we, e);
        continue;
      }
      if (open) Confirm(text, slot, ws, we, accept_begin, accept_end, target, scratch, depth, found);
      ws = b;
      we = e;
      open = true;
    }
    if (open) Confirm(text, slot, ws, we, accept_begin, accept_end, target, scratch, depth, found);
  }

  // A token rule (or a decoded finding) wins over a generic rule on overlapping bytes, and the
  // first token rule wins over a later one on the same bytes.
  std::vector<bool> drop(found.size(), false);
  for (std::size_t a = 0; a < found.size(); ++a) {
    for (std::size_t b = 0; b < found.size(); ++b) {
      if (a == b || drop[b]) continue;
      const Candidate& x = found[a];
      const Candidate& y = found[b];
      const bool overlap = x.secret_start < y.secret_end && y.secret_start < x.secret_end;
      if (!overlap) continue;
      const bool x_specific = !x.generic || !x.decoded.empty();
      const bool y_specific = !y.generic || !y.decoded.empty();
      if (x_specific && !y_specific) {
        drop[b] = true;
      } else if (x_specific == y_specific && x.secret_start == y.secret_start &&
                 x.secret_end == y.secret_end && x.decoded == y.decoded &&
                 (x.rule < y.rule || (x.rule == y.rule && a < b))) {
        drop[b] = true;
      }
    }
  }
  for (std::size_t a = 0; a < found.size(); ++a) {
    if (!drop[a]) out.push_back(std::move(found[a]));
  }
}

SecretScanner::SecretScanner(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SecretScanner::~SecretScanner() = default;

Result<std::unique_ptr<SecretScanner>> SecretScanner::Create(std::shared_ptr<const RuleSet> rules,
                                                             SecretScanOptions options) {
  if (rules == nullptr) return InvalidArgumentError("scan: no rules");
  if (options.chunk_size < 4 * (options.overlap + kContext) || options.overlap < 1024) {
    return InvalidArgumentError("scan: chunk_size must be at least 4 * (overlap + 1024) and overlap at least 1024");
  }
  if (options.chunk_size > (std::size_t{1} << 30)) {
    return InvalidArgumentError("scan: chunk_size must be at most 1 GiB");
  }
  auto impl = std::make_unique<Impl>();
  impl->rules = std::move(rules);
  impl->opts = options;
  BULWARK_RETURN_IF_ERROR(impl->Compile());
  return std::unique_ptr<SecretScanner>(new SecretScanner(std::move(impl)));
}

const RuleSet& SecretScanner::rules() const { return *impl_->rules; }

std::vector<std::string> SecretScanner::keyword_rules() const {
  std::vector<std::string> out;
  for (std::size_t i : impl_->keyword_rules) out.push_back(impl_->rules->rules()[i].id);
  return out;
}

std::vector<std::string> SecretScanner::slow_rules() const {
  std::vector<std::string> out;
  for (std::size_t i : impl_->slow_rules) out.push_back(impl_->rules->rules()[i].id);
  return out;
}

Status SecretScanner::Scan(const Target& target, std::vector<Finding>& out) const {
  if (target.kind == Target::Kind::kFile) {
    BULWARK_ASSIGN_OR_RETURN(auto source, OpenFileSource(target.path));
    return ScanSource(*source, target.name, out);
  }
  auto source = NewStringSource(target.content);
  return ScanSource(*source, target.name, out);
}

std::vector<Finding> SecretScanner::ScanBytes(std::string_view bytes,
                                              std::string_view target_name) const {
  std::vector<Finding> out;
  auto source = NewStringSource(bytes);
  (void)ScanSource(*source, target_name, out);  // a string source never fails
  return out;
}

Status SecretScanner::ScanSource(ByteSource& source, std::string_view target_name,
                                 std::vector<Finding>& out) const {
  const Impl& im = *impl_;
  const RuleSet& rs = *im.rules;
  if (rs.allowlist().AllowsPath(target_name)) return OkStatus();
  // Rules restricted to or excluded from this path.
  std::vector<bool> rule_off(rs.rules().size(), false);
  bool any_off = false;
  std::vector<Finding> path_findings;
  for (std::size_t i = 0; i < rs.rules().size(); ++i) {
    const Rule& r = rs.rules()[i];
    const bool path_ok = r.path == nullptr ||
                         RE2::PartialMatch(re2::StringPiece(target_name.data(), target_name.size()), *r.path);
    if (!path_ok || r.allowlist.AllowsPath(target_name)) {
      rule_off[i] = true;
      any_off = true;
    } else if (r.re == nullptr) {
      Finding f;  // a path-only rule: the file itself is the finding
      f.rule = r.id;
      f.description = r.description;
      f.severity = r.severity;
      f.target = std::string(target_name);
      f.remediation = r.remediation;
      f.fingerprint = Fingerprint(r.id, target_name, "", "");
      path_findings.push_back(std::move(f));
    }
  }

  hs_scratch_t* scratch = im.Acquire();
  // The buffer grows to the chunk size only for targets that need it.
  std::string buf(std::min<std::size_t>(im.opts.chunk_size,
                                        std::max<std::size_t>(source.SizeHint() + 1, 64 << 10)),
                  '\0');
  std::size_t have = 0;
  std::uint64_t base = 0;  // absolute offset of buf[0]
  std::size_t accept_begin = 0;
  // Line cursor: the line number and line start at absolute offset `cursor`.
  std::uint64_t cursor = 0, line = 1, line_start = 0;
  bool eof = false;
  Status status = OkStatus();
  while (true) {
    while (!eof) {
      if (have == buf.size()) {
        if (buf.size() >= im.opts.chunk_size) break;
        buf.resize(std::min(im.opts.chunk_size, buf.size() * 2));
      }
      auto n = source.Read(buf.data() + have, buf.size() - have);
      if (!n) {
        status = std::unexpected(n.error());
        eof = true;
        break;
      }
      if (*n == 0) eof = true;
      have += *n;
    }
    if (!status) break;
    const std::string_view text(buf.data(), have);
    const std::size_t accept_end = eof ? have : have - im.opts.overlap;
    std::vector<Candidate> cands;
    im.ScanChunk(text, accept_begin, accept_end, target_name, scratch, 0, cands);
    std::sort(cands.begin(), cands.end(), [](const Candidate& a, const Candidate& b) {
      return std::tie(a.secret_start, a.rule) < std::tie(b.secret_start, b.rule);
    });
    for (Candidate& c : cands) {
      if (any_off && rule_off[c.rule]) continue;
      const Rule& r = rs.rules()[c.rule];
      const std::uint64_t abs = base + c.secret_start;
      // Advance the line cursor to the secret (never backwards: candidates are sorted).
      AdvanceLines(buf, base, cursor, abs, line, line_start);
      Finding f;
      f.kind = FindingKind::kSecret;
      f.rule = r.id;
      f.description = r.description;
      f.severity = r.severity;
      f.target = std::string(target_name);
      f.offset = abs;
      f.length = c.secret_end - c.secret_start;
      f.line = line;
      f.column = abs >= line_start ? abs - line_start + 1 : 0;
      std::uint64_t el = line, els = line_start;
      for (std::size_t p = c.secret_start; p + 1 < c.secret_end; ++p) {
        if (buf[p] == '\n') {
          ++el;
          els = base + p + 1;
        }
      }
      f.end_line = el;
      f.end_column = base + c.secret_end - els;
      f.key = c.key.substr(0, 200);
      f.redacted = Redact(c.secret, !r.generic && r.id != "url-with-password" && c.decoded.empty());
      f.entropy = ShannonEntropy(c.secret);
      f.decoded = c.decoded;
      f.fingerprint = Fingerprint(r.id, target_name, f.key, c.secret);
      f.remediation = r.remediation;
      f.fixable = true;
      out.push_back(std::move(f));
    }
    // Scrub plaintext copies of secrets.
    for (Candidate& c : cands) std::fill(c.secret.begin(), c.secret.end(), '\0');
    if (eof) break;
    // Advance the line cursor to the end of the accepted region, then keep the overlap (and
    // some context before it) for the next chunk.
    AdvanceLines(buf, base, cursor, base + accept_end, line, line_start);
    const std::size_t keep_from = accept_end - kContext;
    std::memmove(buf.data(), buf.data() + keep_from, have - keep_from);
    base += keep_from;
    have -= keep_from;
    accept_begin = kContext;
  }
  im.Release(scratch);
  std::fill(buf.begin(), buf.end(), '\0');
  out.insert(out.end(), path_findings.begin(), path_findings.end());
  return status;
}

}  // namespace bulwark::scan
