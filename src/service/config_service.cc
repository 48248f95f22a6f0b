#include "bulwark/service/config_service.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <map>
#include <thread>

#include "bulwark/config/sensitivity.h"
#include "bulwark/core/encoding.h"
#include "bulwark/store/diff.h"
#include "bulwark/store/namespace.h"
#include "service/namespace_meta.h"
#include "service/operation.h"

namespace bulwark::service {

using config::Path;
using config::Value;
using internal::DocumentId;
using internal::Meta;
using internal::LoadMeta;
using internal::MetaDocument;
using internal::WriteMeta;

namespace {

constexpr std::string_view kReservedPrefix = ".bulwark";
// A set or unset without compare-and-set applies to whatever is latest: when another writer
// stores a version between its read and its write, it reads again and retries, after a short
// random pause so that writers that collided do not collide again in step (8 processes writing
// one namespace at once must all get through).
constexpr int kSetRetries = 64;

void PauseBeforeRetry(SecureRandom& random, int attempt) {
  std::array<std::uint8_t, 1> r{};
  (void)random.Fill(r);
  const int cap = 1 << std::min(attempt, 5);  // up to 32 ms
  std::this_thread::sleep_for(std::chrono::microseconds(500 + (r[0] % cap) * 1000));
}

bool IsReserved(std::string_view ns) {
  return ns == kReservedPrefix || ns.starts_with(std::string(kReservedPrefix) + "/");
}

// One pass over a document that finds its encrypted tokens. The walk keeps a stack of pointers to
// the keys and indices above the current node and builds a Path (and, on request, its dotted form)
// only for the tokens it finds, not for every node. `V` is Value or const Value.
template <typename V>
class TokenFinder {
 public:
  struct Found {
    V* leaf;
    Path path;           // absolute: the root's segments, then the path below it
    std::string dotted;  // path.ToString(), when asked for
    // Positions from `v` down to the leaf (map entry or list index), when asked for.
    std::vector<std::uint32_t> route;
  };

  // `root` is where `v` sits in its document (its segments start every path found).
  TokenFinder(const Path& root, bool dotted, bool routes = false)
      : dotted_(dotted), routes_(routes), root_frames_(root.size()) {
    frames_.reserve(16);
    found_.reserve(16);
    for (const auto& s : root.segments()) {
      frames_.push_back(s.is_key() ? Frame{&s.key(), 0, 0} : Frame{nullptr, s.index(), 0});
    }
  }

  std::vector<Found> Find(V& v) {
    Walk(v);
    return std::move(found_);
  }

 private:
  struct Frame {
    const std::string* key;  // nullptr: a list index
    std::size_t index;
    std::uint32_t pos;  // position in the parent (map entry index or list index)
  };

  void Walk(V& v) {
    if (auto* m = v.IfMap()) {
      std::uint32_t pos = 0;
      for (auto& e : *m) {
        frames_.push_back({&e.key, 0, pos++});
        Walk(e.value);
        frames_.pop_back();
      }
    } else if (auto* l = v.IfList()) {
      for (std::size_t i = 0; i < l->size(); ++i) {
        frames_.push_back({nullptr, i, static_cast<std::uint32_t>(i)});
        Walk((*l)[i]);
        frames_.pop_back();
      }
    } else if (const std::string* s = v.IfString();
               s != nullptr && s->starts_with("ENC[") && s->ends_with(']')) {  // IsEncryptedToken
      Emit(v);
    }
  }

  // Keys made only of [A-Za-z0-9_-] are written bare by Path::ToString (a subset of its rule;
  // other keys go through config::QuoteKeyIfNeeded).
  static bool PlainKey(std::string_view key) {
    static constexpr auto kPlain = [] {
      std::array<bool, 256> t{};
      for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
      for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
      for (int c = '0'; c <= '9'; ++c) t[c] = true;
      t['_'] = t['-'] = true;
      return t;
    }();
    if (key.empty()) return false;
    for (char c : key) {
      if (!kPlain[static_cast<unsigned char>(c)]) return false;
    }
    return true;
  }

  // The canonical dotted form of the current frames (Path::ToString), written into a stack buffer
  // so that the string is allocated once, at its final size.
  std::string Dotted() const {
    char buf[256];
    std::size_t n = 0;
    bool fast = true;  // false: the path needs quoting or does not fit `buf`
    for (std::size_t i = 0; i < frames_.size() && fast; ++i) {
      const Frame& f = frames_[i];
      if (f.key == nullptr) {
        if (n + 24 > sizeof buf) {
          fast = false;
          break;
        }
        buf[n++] = '[';
        n = static_cast<std::size_t>(std::to_chars(buf + n, buf + sizeof buf, f.index).ptr - buf);
        buf[n++] = ']';
      } else {
        if (!PlainKey(*f.key) || n + 1 + f.key->size() > sizeof buf) {
          fast = false;
          break;
        }
        if (i > 0) buf[n++] = '.';
        std::memcpy(buf + n, f.key->data(), f.key->size());
        n += f.key->size();
      }
    }
    if (fast) return std::string(buf, n);
    std::vector<config::PathSegment> segs;
    for (const Frame& f : frames_) {
      segs.push_back(f.key != nullptr ? config::PathSegment::Key(*f.key)
                                      : config::PathSegment::Index(f.index));
    }
    return Path(std::move(segs)).ToString();
  }

  void Emit(V& leaf) {
    std::vector<config::PathSegment> segs;
    segs.reserve(frames_.size());
    for (const Frame& f : frames_) {
      if (f.key != nullptr) {
        segs.push_back(config::PathSegment::Key(*f.key));
      } else {
        segs.push_back(config::PathSegment::Index(f.index));
      }
    }
    std::vector<std::uint32_t> route;
    if (routes_) {
      route.reserve(frames_.size() - root_frames_);
      for (std::size_t i = root_frames_; i < frames_.size(); ++i) route.push_back(frames_[i].pos);
    }
    found_.push_back(
        Found{&leaf, Path(std::move(segs)), dotted_ ? Dotted() : std::string(), std::move(route)});
  }

  bool dotted_;
  bool routes_;
  std::size_t root_frames_;
  std::vector<Frame> frames_;
  std::vector<Found> found_;
};

// Paths of every encrypted token in `v`, in document order.
std::vector<Path> TokenPaths(const Value& v) {
  std::vector<Path> out;
  for (auto& f : TokenFinder<const Value>(Path(), false).Find(v)) out.push_back(std::move(f.path));
  return out;
}

std::string JoinProblems(const std::vector<config::SchemaError>& errors) {
  std::string out;
  for (const auto& e : errors) {
    out += "\n  ";
    out += e.ToString();
  }
  return out;
}

}  // namespace

std::string EnvironmentOf(std::string_view ns) { return std::string(ns.substr(0, ns.find('/'))); }

namespace {

compliance::Report Evaluate(const compliance::Engine& engine, std::string_view ns,
                            std::int64_t version, const Value& plaintext,
                            const std::vector<Path>& sensitive) {
  config::Document doc;
  doc.root = plaintext;
  // The engine keeps the sensitive values out of every message (`{{ item.password }}`).
  return engine.Evaluate(doc, compliance::EvalContext{.target = fmt::format("{}@{}", ns, version),
                                                      .environment = EnvironmentOf(ns),
                                                      .ns = std::string(ns),
                                                      .version = version,
                                                      .sensitive = sensitive});
}

}  // namespace

std::string MetaNamespace(std::string_view ns) { return fmt::format("{}/meta/{}", kReservedPrefix, ns); }


namespace {


}  // namespace

ConfigService::ConfigService(ServiceDeps deps)
    : deps_(std::move(deps)), metas_(std::make_unique<MetaCache>()) {}
ConfigService::~ConfigService() = default;

Result<std::unique_ptr<ConfigService>> ConfigService::Create(ServiceDeps deps) {
  if (!deps.store || !deps.cipher || !deps.authorizer || !deps.audit || !deps.runtime.clock ||
      !deps.runtime.random || !deps.runtime.fs) {
    return InvalidArgumentError("config service: store, cipher, authorizer, audit and runtime are required");
  }
  if (!deps.store_mac) {
    return InvalidArgumentError(
        "config service: a store mac key is required (every stored version is authenticated)");
  }
  return std::unique_ptr<ConfigService>(new ConfigService(std::move(deps)));
}

namespace {

// Everything a write needs to know about the namespace's current state.
struct WriteBase {
  Meta meta;
  std::optional<store::Snapshot> snapshot;  // latest stored version (tokens), if any
  Value plaintext = Value::EmptyMap();      // the same, decrypted
};

Status CheckWritableNamespace(std::string_view ns) {
  BULWARK_RETURN_IF_ERROR(store::ValidateNamespace(ns));
  if (IsReserved(ns)) {
    return InvalidArgumentError(fmt::format("namespace {} is reserved for Bulwark's metadata", ns));
  }
  return OkStatus();
}

Status RejectTokensInInput(const Value& v) {
  std::optional<Path> found;
  config::WalkLeaves(v, [&](const Path& p, const Value& leaf) {
    if (!found && IsEncryptedToken(leaf)) found = p;
  });
  if (found) {
    return InvalidArgumentError(fmt::format(
        "{}: the input holds an ENC[...] token; give plaintext values (Bulwark encrypts them)",
        found->ToString()));
  }
  return OkStatus();
}

}  // namespace

// Decrypts every token of `doc` bound to namespace identity `ns_id`.
// Decrypts, in place, the tokens of `doc` at `tokens` (relative to `root`).
static Status DecryptInPlace(const ValueCipher& cipher, std::string_view ns_id, Value& doc,
                             const std::vector<Path>& tokens, const Path& root = Path()) {
  const std::string doc_id = DocumentId(ns_id);
  for (const Path& p : tokens) {
    Value* leaf = config::Find(doc, p);
    BULWARK_ASSIGN_OR_RETURN(Value plain, cipher.Decrypt(leaf->AsString(), doc_id, root.Concat(p)));
    *leaf = std::move(plain);
  }
  return OkStatus();
}

static Result<Value> DecryptAll(const ValueCipher& cipher, std::string_view ns_id, const Value& doc,
                                const Path& root = Path()) {
  Value out = doc;
  BULWARK_RETURN_IF_ERROR(DecryptInPlace(cipher, ns_id, out, TokenPaths(doc), root));
  return out;
}

// Encrypts the sensitive leaves of `doc` (plaintext). A leaf whose plaintext equals the base's at
// the same path keeps the base's token, so unchanged secrets do not show up as changed.
static Result<Value> EncryptSensitive(const ValueCipher& cipher, const Meta& meta, const Value& doc,
                                      const std::vector<Path>& sensitive, const WriteBase& base,
                                      const Path& root, SharedList<std::string>& sensitive_out) {
  Value out = doc;
  for (const Path& s : sensitive) {
    Value* node = config::Find(out, s);
    if (node == nullptr) continue;
    std::vector<Path> leaves;
    config::WalkLeaves(*node, [&](const Path& p, const Value&) { leaves.push_back(p); });
    for (const Path& rel : leaves) {
      const Path full = root.Concat(s).Concat(rel);
      Value* leaf = config::Find(*node, rel);
      if (leaf->is_container()) continue;  // an empty map or list holds nothing to hide
      // Already encrypted by an earlier entry of `sensitive` (paths may overlap); input tokens
      // were refused at the door, so every token here is ours.
      if (IsEncryptedToken(*leaf)) continue;
      sensitive_out.push_back(full.ToString());
      if (base.snapshot) {
        const Value* old_plain = config::Find(base.plaintext, full);
        const Value* old_token = config::Find(base.snapshot->content, full);
        if (old_plain && old_token && IsEncryptedToken(*old_token) && *old_plain == *leaf) {
          *leaf = *old_token;
          continue;
        }
      }
      BULWARK_ASSIGN_OR_RETURN(std::string token, cipher.Encrypt(*leaf, DocumentId(meta.id), full));
      *leaf = Value(std::move(token));
    }
  }
  return out;
}

// Evaluates the proposed document; refuses it when the gate says so. `proposed` receives the
// report (for history) whenever an engine is configured.
static Status ComplianceGate(const ServiceDeps& deps, std::string_view ns, const WriteBase& base,
                             const Value& next, const std::vector<Path>& sensitive,
                             std::optional<compliance::Report>& proposed) {
  if (!deps.compliance) return OkStatus();
  const std::int64_t next_version = base.snapshot ? base.snapshot->info.version + 1 : 1;
  proposed = Evaluate(*deps.compliance, ns, next_version, next, sensitive);
  if (!deps.gate) return OkStatus();
  std::optional<compliance::Report> current;
  if (base.snapshot) {
    current = Evaluate(*deps.compliance, ns, base.snapshot->info.version, base.plaintext,
                       TokenPaths(base.snapshot->content));
  }
  compliance::GateDecision d = compliance::Gate(*proposed, current ? &*current : nullptr, *deps.gate);
  if (d.allowed) return OkStatus();
  return FailedPreconditionError(fmt::format(
      "compliance gate: the change would introduce {} finding{} at or above {}{}:\n{}",
      d.blocking.size(), d.blocking.size() == 1 ? "" : "s",
      compliance::SeverityName(deps.gate->threshold),
      d.errored_rules.empty() ? "" : " (or leave rules unevaluable)", d.Explain(*proposed)));
}

static void RecordHistory(const ServiceDeps& deps, std::string_view ns, std::int64_t version,
                          const std::optional<compliance::Report>& report) {
  if (!deps.history || !report) return;
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       deps.runtime.clock->Now().time_since_epoch())
                       .count();
  // The write has happened; a history failure must not undo it (the status can be recomputed
  // with `bulwark check NS --version N`).
  (void)deps.history->Record(compliance::SummarizeForHistory(std::string(ns), version, *report, now));
}

Result<store::VersionInfo> ConfigService::Put(const RequestContext& ctx, std::string_view ns,
                                              const Value& document, const PutRequest& request) {
  Op op(*this, ctx, "config.put", Action::kWrite, ns);
  if (auto s = CheckWritableNamespace(ns); !s) return op.Fail(s.error());
  if (auto s = RejectTokensInInput(document); !s) return op.Fail(s.error());
  if (!document.is_map()) return op.Fail(Error(ErrorCode::kInvalidArgument, "the document must be a map"));
  BULWARK_RETURN_IF_ERROR(op.Begin(Resource{std::string(ns), {}, false}));

  WriteBase base;
  auto meta = LoadMeta(deps_, ns);
  if (!meta) return op.Fail(meta.error());
  base.meta = std::move(*meta);
  std::unique_ptr<config::Schema> schema;
  const std::optional<Value>& schema_doc = request.schema ? request.schema : base.meta.schema;
  if (schema_doc) {
    auto s = config::Schema::Create(*schema_doc, fmt::format("schema of {}", ns));
    if (!s) return op.Fail(s.error());
    schema = std::move(*s);
    auto errors = schema->Validate(document);
    if (!errors.empty()) {
      return op.Fail(Error(ErrorCode::kInvalidArgument,
                           fmt::format("{} schema violation{}:{}", errors.size(),
                                       errors.size() == 1 ? "" : "s", JoinProblems(errors))));
    }
  }
  if (base.meta.version > 0) {
    // The base's tag is verified; sensitive values it holds in clear are replaced by this put.
    auto verified = LoadVerified(ns, store::VersionRef::Latest(), ReadCheck::kTag);
    if (verified) {
      auto plain = DecryptAll(*deps_.cipher, base.meta.id, verified->snap.content);
      if (!plain) return op.Fail(plain.error());
      base.plaintext = std::move(*plain);
      base.snapshot = std::move(verified->snap);
    } else if (verified.error().code() != ErrorCode::kNotFound) {
      return op.Fail(verified.error());
    }
  }
  // New namespace (or a schema change): the metadata this write needs is prepared here (a new
  // namespace's identity binds its tokens) and written only after the compliance gate and the
  // compare-and-set allowed the write, so that a refused put changes nothing.
  const Meta previous_meta = base.meta;
  const bool write_meta = base.meta.version == 0 || request.schema.has_value();
  if (write_meta) {
    if (base.meta.id.empty()) {
      auto id = deps_.runtime.random->Bytes(16);
      if (!id) return op.Fail(id.error());
      base.meta.id = HexEncode(*id);
    }
    if (request.schema) base.meta.schema = request.schema;
    base.meta.name = std::string(ns);
    base.meta.renaming_from.clear();
  }

  auto classifier = config::SensitivityClassifier::Create(schema.get(), {});
  if (!classifier) return op.Fail(classifier.error());
  std::vector<Path> sensitive = classifier->Classify(document);
  // Once sensitive, always sensitive: paths stored as tokens before stay encrypted.
  if (base.snapshot) {
    for (const Path& p : TokenPaths(base.snapshot->content)) {
      if (!config::IsUnder(p, sensitive) && config::Find(document, p) != nullptr) sensitive.push_back(p);
    }
  }
  auto encrypted = EncryptSensitive(*deps_.cipher, base.meta, document, sensitive, base, Path(),
                                    op.rec.sensitive_paths);
  if (!encrypted) return op.Fail(encrypted.error());

  std::optional<compliance::Report> proposed;
  if (auto g = ComplianceGate(deps_, ns, base, document, sensitive, proposed); !g) {
    return op.Fail(g.error());
  }
  if (base.snapshot) op.rec.version_before = base.snapshot->info.version;
  const store::Version current = base.snapshot ? base.snapshot->info.version : 0;
  if (request.expected_version && *request.expected_version != current) {
    return op.Fail(Error(ErrorCode::kConflict,
                         fmt::format("expected version {} but the latest is {}",
                                     *request.expected_version, current)));
  }
  if (write_meta) {
    auto mv = WriteMeta(deps_, ns, previous_meta, base.meta, ctx.principal.id,
                        request.schema ? "schema" : "namespace created");
    if (!mv) return op.Fail(mv.error());
    base.meta.version = mv->version;
    base.meta.mac = mv->mac;
  }
  std::optional<internal::ParentExpectation> parent;
  if (base.snapshot) {
    parent = internal::ParentExpectation{base.snapshot->info.version, base.snapshot->info.mac, ""};
  }
  auto info = deps_.store->Put(ns, *encrypted,
                               {.author = ctx.principal.id,
                                .message = request.message,
                                .tags = request.tags,
                                .expected_version = request.expected_version,
                                .seal = internal::SealData(deps_.store_mac, base.meta, parent)});
  if (!info) {
    // Another writer got in between the metadata and the document (compare-and-set): put the
    // metadata back as it was (a namespace that did not exist keeps only its identity, no
    // schema), sealed like any metadata version, so that the refused put leaves no schema behind.
    if (write_meta) {
      Meta restored = previous_meta;
      if (restored.version == 0) {
        restored = Meta{};
        restored.id = base.meta.id;
      }
      restored.name = std::string(ns);
      restored.renaming_from.clear();
      (void)WriteMeta(deps_, ns, base.meta, restored, ctx.principal.id,
                      "put refused: metadata restored");
    }
    return op.Fail(info.error());
  }
  op.rec.version_after = info->version;
  if (base.snapshot) {
    for (const auto& d : store::DiffValues(base.snapshot->content, *encrypted)) {
      op.rec.paths.push_back(d.path);
    }
  } else {
    config::WalkLeaves(document, [&](const Path& p, const Value&) { op.rec.paths.push_back(p.ToString()); });
  }
  RecordHistory(deps_, ns, info->version, proposed);
  BULWARK_RETURN_IF_ERROR(op.Succeed());
  op.Notify(info->version);
  return *info;
}

namespace {

// Set and Unset: read, change the plaintext, validate, then store the change with compare-and-set
// on the version read (retrying when another writer got in between, unless the caller asked for a
// specific base version).
struct PathChange {
  const Value* value = nullptr;  // null: unset
  bool secret = false;
};

}  // namespace

static Result<store::VersionInfo> ApplyPathChange(ConfigService::Op& op, const ServiceDeps& deps,
                                                  std::string_view ns, const Path& path,
                                                  PathChange change, const WriteRequest& request,
                                                  std::optional<compliance::Report>& proposed) {
  for (int attempt = 0;; ++attempt) {
    WriteBase base;
    BULWARK_ASSIGN_OR_RETURN(base.meta, LoadMeta(deps, ns));
    if (base.meta.version > 0) {
      // The rest of the document is carried into the new version: it must verify fully.
      auto verified = op.Load(ns, store::VersionRef::Latest(), ConfigService::ReadCheck::kFull);
      if (verified) {
        BULWARK_ASSIGN_OR_RETURN(base.plaintext,
                                 DecryptAll(*deps.cipher, base.meta.id, verified->snap.content));
        base.snapshot = std::move(verified->snap);
      } else if (verified.error().code() != ErrorCode::kNotFound) {
        return std::unexpected(verified.error());
      }
    }
    const store::Version current = base.snapshot ? base.snapshot->info.version : 0;
    if (request.expected_version && *request.expected_version != current) {
      return ConflictError(fmt::format("expected version {} but the latest is {}",
                                       *request.expected_version, current));
    }
    Value next = base.plaintext;
    if (change.value != nullptr) {
      BULWARK_RETURN_IF_ERROR(config::Set(next, path, *change.value));
    } else {
      if (!base.snapshot) return NotFoundError("no such namespace");
      BULWARK_RETURN_IF_ERROR(config::Remove(next, path));
    }
    std::unique_ptr<config::Schema> schema;
    if (base.meta.schema) {
      BULWARK_ASSIGN_OR_RETURN(schema, config::Schema::Create(*base.meta.schema, fmt::format("schema of {}", ns)));
      auto errors = schema->Validate(next);
      if (!errors.empty()) {
        return InvalidArgumentError(fmt::format("{} schema violation{}:{}", errors.size(),
                                                errors.size() == 1 ? "" : "s", JoinProblems(errors)));
      }
    }
    if (deps.compliance) {
      BULWARK_ASSIGN_OR_RETURN(auto gate_classifier, config::SensitivityClassifier::Create(schema.get(), {}));
      std::vector<Path> full_sensitive = gate_classifier.Classify(next);
      if (base.snapshot) {
        for (const Path& p : TokenPaths(base.snapshot->content)) full_sensitive.push_back(p);
      }
      if (change.secret) full_sensitive.push_back(path);
      BULWARK_RETURN_IF_ERROR(ComplianceGate(deps, ns, base, next, full_sensitive, proposed));
    }
    if (base.meta.version == 0) {
      auto id = deps.runtime.random->Bytes(16);
      if (!id) return std::unexpected(id.error());
      Meta created;
      created.id = HexEncode(*id);
      created.name = std::string(ns);
      auto mv = WriteMeta(deps, ns, Meta{}, created, op.rec.context.principal.id,
                          "namespace created");
      if (!mv) {
        if (mv.error().code() == ErrorCode::kConflict && attempt < kSetRetries) {
          PauseBeforeRetry(*deps.runtime.random, attempt);
          continue;
        }
        return std::unexpected(mv.error());
      }
      created.version = mv->version;
      created.mac = mv->mac;
      base.meta = std::move(created);
    }
    std::optional<internal::ParentExpectation> parent;
    if (base.snapshot) {
      parent = internal::ParentExpectation{current, base.snapshot->info.mac,
                                           base.snapshot->info.content_hash};
    }
    store::WriteOptions wo{.author = op.rec.context.principal.id,
                           .message = request.message,
                           .tags = request.tags,
                           .expected_version = current,
                           .seal = internal::SealData(deps.store_mac, base.meta, parent)};
    op.rec.version_before = base.snapshot ? std::optional<std::int64_t>(current) : std::nullopt;
    op.rec.paths = {path.ToString()};
    Result<store::VersionInfo> info;
    if (change.value != nullptr) {
      BULWARK_ASSIGN_OR_RETURN(auto classifier, config::SensitivityClassifier::Create(schema.get(), {}));
      std::vector<Path> sensitive;
      for (const Path& p : classifier.Classify(next)) {
        if (p.StartsWith(path)) sensitive.push_back(Path(std::vector(p.segments().begin() + path.size(), p.segments().end())));
        else if (path.StartsWith(p)) sensitive.push_back(Path());  // the whole new subtree
      }
      if (change.secret) sensitive.push_back(Path());
      if (base.snapshot) {  // once sensitive, always sensitive
        for (const Path& p : TokenPaths(base.snapshot->content)) {
          if (p.StartsWith(path)) sensitive.push_back(Path(std::vector(p.segments().begin() + path.size(), p.segments().end())));
          else if (path.StartsWith(p)) sensitive.push_back(Path());
        }
      }
      op.rec.sensitive_paths.clear();
      BULWARK_ASSIGN_OR_RETURN(Value encrypted, EncryptSensitive(*deps.cipher, base.meta, *change.value,
                                                                 sensitive, base, path,
                                                                 op.rec.sensitive_paths));
      info = deps.store->Set(ns, path.ToString(), encrypted, wo);
    } else {
      info = deps.store->Unset(ns, path.ToString(), wo);
    }
    if (!info && info.error().code() == ErrorCode::kConflict && !request.expected_version &&
        attempt < kSetRetries) {
      PauseBeforeRetry(*deps.runtime.random, attempt);
      continue;
    }
    return info;
  }
}

Result<store::VersionInfo> ConfigService::Set(const RequestContext& ctx, std::string_view ns,
                                              const Path& path, const Value& value,
                                              const SetRequest& request) {
  Op op(*this, ctx, "config.set", Action::kWrite, ns);
  if (auto s = CheckWritableNamespace(ns); !s) return op.Fail(s.error());
  if (path.empty()) return op.Fail(Error(ErrorCode::kInvalidArgument, "set needs a path; use put for the whole document"));
  if (auto s = RejectTokensInInput(value); !s) return op.Fail(s.error());
  BULWARK_RETURN_IF_ERROR(op.Begin(Resource{std::string(ns), {path.ToString()}, request.secret}));
  std::optional<compliance::Report> proposed;
  auto info = ApplyPathChange(op, deps_, ns, path, PathChange{&value, request.secret}, request, proposed);
  if (!info) return op.Fail(info.error());
  op.rec.version_after = info->version;
  RecordHistory(deps_, ns, info->version, proposed);
  BULWARK_RETURN_IF_ERROR(op.Succeed());
  op.Notify(info->version);
  return *info;
}

Result<store::VersionInfo> ConfigService::Unset(const RequestContext& ctx, std::string_view ns,
                                                const Path& path, const WriteRequest& request) {
  Op op(*this, ctx, "config.unset", Action::kDelete, ns);
  if (auto s = CheckWritableNamespace(ns); !s) return op.Fail(s.error());
  if (path.empty()) return op.Fail(Error(ErrorCode::kInvalidArgument, "unset needs a path"));
  BULWARK_RETURN_IF_ERROR(op.Begin(Resource{std::string(ns), {path.ToString()}, false}));
  std::optional<compliance::Report> proposed;
  auto info = ApplyPathChange(op, deps_, ns, path, PathChange{}, request, proposed);
  if (!info) return op.Fail(info.error());
  op.rec.version_after = info->version;
  RecordHistory(deps_, ns, info->version, proposed);
  BULWARK_RETURN_IF_ERROR(op.Succeed());
  op.Notify(info->version);
  return *info;
}

// The tokens of one stored content, keyed by its SHA-256 (VersionInfo::content_hash, which the
// store checks against the stored bytes on every read: the same hash means the same bytes, so the
// same parsed tree): where each token is (a route of map-entry and list positions, followed
// without comparing keys), its path and its canonical dotted form. Paths only, nothing secret.
// A whole-document read of a content seen before skips the walk and the building of paths; each
// planned leaf is still checked to be a token, and any mismatch falls back to the walk.
struct ConfigService::ReadPlan {
  std::vector<std::vector<std::uint32_t>> routes;  // one per token
  SharedList<Path> paths;                          // handed out as ReadResult::sensitive
  SharedList<std::string> dotted;                  // handed out as the audit's sensitive_paths
};

namespace {

// Bounds on the plans kept per service: contents, and tokens over all plans (a token's route, path
// and dotted form take ~200 bytes, so plans stay within ~13 MB).
constexpr std::size_t kMaxReadPlans = 256;
constexpr std::size_t kMaxPlannedTokens = 65536;

using FoundToken = TokenFinder<Value>::Found;

}  // namespace

std::shared_ptr<const ConfigService::ReadPlan> ConfigService::FindPlan(
    const std::string& content_hash) {
  std::lock_guard lock(plans_mu_);
  auto it = plans_.find(content_hash);
  return it == plans_.end() ? nullptr : it->second;
}

void ConfigService::KeepPlan(const std::string& content_hash,
                             std::shared_ptr<const ReadPlan> plan) {
  const std::size_t n = plan->routes.size();
  if (n > kMaxPlannedTokens) return;  // such reads walk every time
  std::lock_guard lock(plans_mu_);
  if (auto it = plans_.find(content_hash); it != plans_.end()) {
    planned_tokens_ -= it->second->routes.size();  // replaced below
    plans_.erase(it);
  }
  if (plans_.size() >= kMaxReadPlans || planned_tokens_ + n > kMaxPlannedTokens) {
    plans_.clear();  // bounded; rebuilt by the next reads
    planned_tokens_ = 0;
  }
  planned_tokens_ += n;
  plans_.emplace(content_hash, std::move(plan));
}

namespace {

// The tokens of one read: their leaves in the document being answered, their absolute paths and
// dotted forms (shared with the read plan when there is one).
struct ReadTokens {
  std::vector<Value*> leaves;
  SharedList<Path> paths;
  SharedList<std::string> dotted;
};

bool ApplyPlan(const ConfigService::ReadPlan& plan, Value& doc, ReadTokens& out) {
  out.leaves.clear();
  out.leaves.reserve(plan.routes.size());
  for (const auto& route : plan.routes) {
    Value* cur = &doc;
    for (std::uint32_t pos : route) {
      if (config::ValueMap* m = cur->IfMap(); m != nullptr && pos < m->size()) {
        cur = &(m->begin() + pos)->value;
      } else if (config::ValueList* l = cur->IfList(); l != nullptr && pos < l->size()) {
        cur = &(*l)[pos];
      } else {
        return false;
      }
    }
    if (!IsEncryptedToken(*cur)) return false;
    out.leaves.push_back(cur);
  }
  out.paths = plan.paths;
  out.dotted = plan.dotted;
  return true;
}

// The walk's findings as ReadTokens, and (with `plan`) the read plan that refers to the same lists.
ReadTokens FromWalk(std::vector<FoundToken> found, std::shared_ptr<ConfigService::ReadPlan>* plan) {
  ReadTokens out;
  std::vector<Path> paths;
  std::vector<std::string> dotted;
  out.leaves.reserve(found.size());
  paths.reserve(found.size());
  dotted.reserve(found.size());
  if (plan != nullptr) {
    *plan = std::make_shared<ConfigService::ReadPlan>();
    (*plan)->routes.reserve(found.size());
  }
  for (auto& f : found) {
    out.leaves.push_back(f.leaf);
    paths.push_back(std::move(f.path));
    dotted.push_back(std::move(f.dotted));
    if (plan != nullptr) (*plan)->routes.push_back(std::move(f.route));
  }
  out.paths = SharedList<Path>(std::move(paths));
  out.dotted = SharedList<std::string>(std::move(dotted));
  if (plan != nullptr) {
    (*plan)->paths = out.paths;
    (*plan)->dotted = out.dotted;
  }
  return out;
}

}  // namespace

// Decrypts the tokens found in a read into `plain` (same order); on failure the document is left
// unchanged, so a retry with a reloaded identity sees the tokens again. `content_hash`: the stored
// content's hash when the tokens are all of that content's (a whole-document read), else empty;
// it names the batch for a cache (ValueCipher::DecryptContent), and then the tokens' strings are
// moved (not copied) into `plain` for the cipher to reuse their buffers for the plaintexts, and
// moved back on failure.
static Status DecryptFound(const ValueCipher& cipher, std::string_view doc_id,
                           std::string_view content_hash, const ReadTokens& tokens,
                           std::vector<Value>& plain) {
  const std::size_t n = tokens.leaves.size();
  std::vector<TokenAt> batch;
  batch.reserve(n);
  if (content_hash.empty()) {
    for (std::size_t i = 0; i < n; ++i) {
      batch.push_back({tokens.leaves[i]->AsString(), &tokens.paths[i], tokens.dotted[i]});
    }
    return cipher.DecryptMany(batch, doc_id, plain);
  }
  plain.clear();
  plain.reserve(n);
  for (std::size_t i = 0; i < n; ++i) plain.push_back(std::move(*tokens.leaves[i]));
  for (std::size_t i = 0; i < n; ++i) {
    batch.push_back({plain[i].AsString(), &tokens.paths[i], tokens.dotted[i]});
  }
  auto s = cipher.DecryptContent(batch, doc_id, content_hash, plain);
  if (!s) {
    for (std::size_t i = 0; i < n; ++i) *tokens.leaves[i] = std::move(plain[i]);
  }
  return s;
}

Result<ReadResult> ConfigService::Get(const RequestContext& ctx, std::string_view ns,
                                      const ReadRequest& request) {
  Op op(*this, ctx, "config.get", request.reveal ? Action::kReveal : Action::kRead, ns);
  if (auto s = store::ValidateNamespace(ns); !s) return op.Fail(s.error());
  if (request.path) op.rec.paths = {request.path->ToString()};
  BULWARK_RETURN_IF_ERROR(op.Begin(Resource{std::string(ns), op.rec.paths, request.reveal},
                                   /*needs_audit=*/request.reveal));
  auto verified = LoadVerified(ns, request.version, ReadCheck::kFull);
  if (!verified) return op.Fail(verified.error());
  store::Snapshot* snap = &verified->snap;
  op.rec.version_after = snap->info.version;
  const Path whole;
  const Path& root = request.path ? *request.path : whole;
  auto sub = config::Get(snap->content, root);
  if (!sub) return op.Fail(sub.error());
  ReadResult out{.info = std::move(snap->info)};
  if (root.empty()) {
    out.value = std::move(snap->content);  // the whole document: no copy
  } else {
    out.value = **sub;
  }
  // The tokens, from the plan of this content or from one walk; each is then redacted or
  // decrypted in place (no document copy). With a plan, the paths handed out are the plan's.
  ReadTokens tokens;
  const bool plannable = root.empty() && !out.info.content_hash.empty();
  bool planned = false;
  if (plannable) {
    if (auto plan = FindPlan(out.info.content_hash)) planned = ApplyPlan(*plan, out.value, tokens);
  }
  if (!planned) {
    std::shared_ptr<ReadPlan> plan;
    tokens =
        FromWalk(TokenFinder<Value>(root, /*dotted=*/true, /*routes=*/plannable).Find(out.value),
                 plannable ? &plan : nullptr);
    if (plan) KeepPlan(out.info.content_hash, std::move(plan));
  }
  if (request.reveal && !tokens.leaves.empty()) {
    // The sensitive paths are known now: revealing each of them must be allowed too (a policy
    // may deny the clear value of some paths of a namespace whose other values it reveals).
    BULWARK_RETURN_IF_ERROR(op.Authorize(Resource{std::string(ns), tokens.dotted.get(), true}));
    // The identity of the metadata this version's tag is bound to (so it is the right one).
    std::vector<Value> plain;
    const std::string_view content = plannable ? std::string_view(out.info.content_hash) : "";
    auto s = DecryptFound(*deps_.cipher, *verified->meta->doc_id, content, tokens, plain);
    if (!s) return op.Fail(s.error());
    for (std::size_t i = 0; i < tokens.leaves.size(); ++i) *tokens.leaves[i] = std::move(plain[i]);
    op.rec.revealed = true;
  } else {
    for (Value* leaf : tokens.leaves) *leaf = Value(std::string(config::kRedacted));
  }
  const std::size_t skip = root.size();
  if (skip == 0) {
    out.sensitive = tokens.paths;
  } else {
    std::vector<Path> relative;
    relative.reserve(tokens.paths.size());
    for (const Path& p : tokens.paths) {
      const auto& segs = p.segments();
      relative.emplace_back(std::vector<config::PathSegment>(segs.begin() + skip, segs.end()));
    }
    out.sensitive = SharedList<Path>(std::move(relative));
  }
  op.rec.sensitive_paths = std::move(tokens.dotted);
  BULWARK_RETURN_IF_ERROR(op.Succeed());
  return out;
}

Result<std::vector<store::VersionInfo>> ConfigService::History(const RequestContext& ctx,
                                                               std::string_view ns) {
  Op op(*this, ctx, "config.history", Action::kRead, ns);
  BULWARK_RETURN_IF_ERROR(op.Begin(Resource{std::string(ns), {}, false}, false));
  auto h = deps_.store->History(ns);
  if (!h) return op.Fail(h.error());
  // Every version's tag covers its metadata and its parent's tag: the history is the one written.
  for (const store::VersionInfo& info : *h) {
    if (auto v = VerifyInfo(info); !v) return op.Fail(v.error());
  }
  BULWARK_RETURN_IF_ERROR(op.Succeed());
  return h;
}

Status ConfigService::CheckStore() const {
  auto h = deps_.store->History(".bulwark/ready-probe", store::HistoryOptions{.limit = 1});
  if (!h && h.error().code() != ErrorCode::kNotFound) return std::unexpected(h.error());
  return OkStatus();
}

Result<std::vector<store::DiffEntry>> ConfigService::Diff(const RequestContext& ctx,
                                                          std::string_view ns, store::Version from,
                                                          store::Version to) {
  Op op(*this, ctx, "config.diff", Action::kRead, ns);
  BULWARK_RETURN_IF_ERROR(op.Begin(Resource{std::string(ns), {}, false}, false));
  op.rec.version_before = from;
  op.rec.version_after = to;
  auto a = LoadVerified(ns, store::VersionRef::Number(from), ReadCheck::kFull);
  if (!a) return op.Fail(a.error());
  auto b = LoadVerified(ns, store::VersionRef::Number(to), ReadCheck::kFull);
  if (!b) return op.Fail(b.error());
  auto d = store::DiffValues(a->snap.content, b->snap.content);
  // Tokens re-encrypted with the same plaintext are reused on write, so an unchanged secret keeps
  // its token; a changed token means a changed secret. The store already hides token contents.
  for (const auto& e : d) {
    op.rec.paths.push_back(e.path);
    if (e.redacted) op.rec.sensitive_paths.push_back(e.path);
  }
  BULWARK_RETURN_IF_ERROR(op.Succeed());
  return d;
}

Result<store::VersionInfo> ConfigService::Rollback(const RequestContext& ctx, std::string_view ns,
                                                   store::Version to, std::string_view reason) {
  Op op(*this, ctx, "config.rollback", Action::kWrite, ns);
  if (auto s = CheckWritableNamespace(ns); !s) return op.Fail(s.error());
  BULWARK_RETURN_IF_ERROR(op.Begin(Resource{std::string(ns), {}, false}));
  op.rec.reason = std::string(reason);
  auto meta = LoadMeta(deps_, ns);
  if (!meta) return op.Fail(meta.error());
  auto latest = LoadVerified(ns, store::VersionRef::Latest(), ReadCheck::kTag);
  if (!latest) return op.Fail(latest.error());
  op.rec.version_before = latest->snap.info.version;
  // What is restored is served again: it must verify fully, and the store must copy exactly it.
  auto target = LoadVerified(ns, store::VersionRef::Number(to), ReadCheck::kFull);
  if (!target) return op.Fail(target.error());
  auto info = deps_.store->Rollback(
      ns, to, reason,
      {.author = ctx.principal.id,
       .seal = internal::SealData(deps_.store_mac, *meta, std::nullopt,
                                  target->snap.info.content_hash)});
  if (!info) return op.Fail(info.error());
  op.rec.version_after = info->version;
  for (const auto& d : store::DiffValues(latest->snap.content, target->snap.content)) {
    op.rec.paths.push_back(d.path);
  }
  if (deps_.compliance && deps_.history) {
    const Value& restored = target->snap.content;
    if (auto plain = DecryptAll(*deps_.cipher, meta->id, restored)) {
      RecordHistory(deps_, ns, info->version,
                    Evaluate(*deps_.compliance, ns, info->version, *plain, TokenPaths(restored)));
    }
  }
  BULWARK_RETURN_IF_ERROR(op.Succeed());
  op.Notify(info->version);
  return *info;
}

Result<std::vector<store::NamespaceInfo>> ConfigService::List(const RequestContext& ctx,
                                                              std::string_view prefix) {
  Op op(*this, ctx, "config.list", Action::kList, prefix);
  BULWARK_RETURN_IF_ERROR(op.Begin(Resource{std::string(prefix), {}, false}, false));
  auto all = deps_.store->List(prefix);
  if (!all) return op.Fail(all.error());
  std::erase_if(*all, [](const store::NamespaceInfo& n) { return IsReserved(n.name); });
  BULWARK_RETURN_IF_ERROR(op.Succeed());
  return all;
}

Status ConfigService::Move(const RequestContext& ctx, std::string_view from, std::string_view to) {
  Op op(*this, ctx, "namespace.move", Action::kAdmin, from);
  if (auto s = CheckWritableNamespace(from); !s) return op.Fail(s.error());
  if (auto s = CheckWritableNamespace(to); !s) return op.Fail(s.error());
  BULWARK_RETURN_IF_ERROR(op.Begin(Resource{std::string(from), {}, false}));
  op.rec.paths = {std::string(to)};
  // The destination must be writable too, as the server's route already required: a grant on
  // staging/* must not move a namespace into production/, and a namespace must not appear under
  // an approval policy without a change request (docs/change.md).
  if (const Decision dest = deps_.authorizer->Authorize(ctx, Action::kWrite,
                                                        Resource{std::string(to), {}, false});
      !dest.allowed) {
    return op.Fail(Error(ErrorCode::kPermissionDenied,
                         fmt::format("write on {} denied: {}", to, dest.reason)));
  }
  // The metadata names its namespace (so that names swapped outside Bulwark are caught). First it
  // names the target while accepting the old name, so a crash at any later step leaves a
  // namespace that reads under the name it has; then data, then metadata move; then the old name
  // is dropped. If moving the metadata fails, the data is moved back so that the namespace's
  // tokens stay bound to an identity that can be found.
  auto meta = LoadMeta(deps_, from);
  if (!meta) return op.Fail(meta.error());
  Meta moving = *meta;
  if (meta->version > 0) {
    moving.name = std::string(to);
    moving.renaming_from = std::string(from);
    auto mv = WriteMeta(deps_, from, *meta, moving, ctx.principal.id,
                        fmt::format("moving to {}", to));
    if (!mv) return op.Fail(mv.error());
    moving.version = mv->version;
    moving.mac = mv->mac;
  }
  ForgetMeta(from);
  ForgetMeta(to);
  if (auto s = deps_.store->Rename(from, to); !s) return op.Fail(s.error());
  if (meta->version > 0) {
    if (auto s = deps_.store->Rename(MetaNamespace(from), MetaNamespace(to)); !s) {
      (void)deps_.store->Rename(to, from);
      return op.Fail(s.error());
    }
    Meta moved = moving;
    moved.renaming_from.clear();
    // Best effort: until it is written the metadata still accepts the old name as well.
    (void)WriteMeta(deps_, to, moving, moved, ctx.principal.id, fmt::format("moved from {}", from));
  }
  ForgetMeta(from);
  ForgetMeta(to);
  BULWARK_RETURN_IF_ERROR(op.Succeed());
  op.Notify(0);
  return OkStatus();
}

Result<compliance::Report> ConfigService::Check(const RequestContext& ctx, std::string_view ns,
                                                store::VersionRef version) {
  Op op(*this, ctx, "compliance.check", Action::kRead, ns);
  if (auto s = store::ValidateNamespace(ns); !s) return op.Fail(s.error());
  BULWARK_RETURN_IF_ERROR(op.Begin(Resource{std::string(ns), {}, false}, false));
  if (!deps_.compliance) {
    return op.Fail(Error(ErrorCode::kFailedPrecondition, "no compliance rules are configured"));
  }
  auto verified = LoadVerified(ns, version, ReadCheck::kFull);
  if (!verified) return op.Fail(verified.error());
  const store::Snapshot* snap = &verified->snap;
  op.rec.version_after = snap->info.version;
  Value plain = snap->content;
  const std::vector<Path> tokens = TokenPaths(snap->content);
  if (!tokens.empty()) {
    auto decrypted = DecryptAll(*deps_.cipher, verified->meta->meta.id, snap->content);
    if (!decrypted) return op.Fail(decrypted.error());
    plain = std::move(*decrypted);
  }
  compliance::Report report = Evaluate(*deps_.compliance, ns, snap->info.version, plain, tokens);
  BULWARK_RETURN_IF_ERROR(op.Succeed());
  return report;
}

Result<std::vector<compliance::VersionStatus>> ConfigService::ComplianceHistory(
    const RequestContext& ctx, std::string_view ns) {
  Op op(*this, ctx, "compliance.history", Action::kRead, ns);
  BULWARK_RETURN_IF_ERROR(op.Begin(Resource{std::string(ns), {}, false}, false));
  if (!deps_.history) {
    return op.Fail(Error(ErrorCode::kFailedPrecondition, "no compliance history is configured"));
  }
  auto list = deps_.history->List(ns);
  if (!list) return op.Fail(list.error());
  BULWARK_RETURN_IF_ERROR(op.Succeed());
  return list;
}

std::string ConfigService::NewRequestId() {
  std::lock_guard lock(rid_mu_);
  if (rid_used_ + 8 > rid_pool_.size()) {
    // As before, a failing random source leaves the id empty rather than failing the operation.
    if (!deps_.runtime.random->Fill(rid_pool_)) return "";
    rid_used_ = 0;
  }
  std::string id = HexEncode(std::span<const std::uint8_t>(rid_pool_).subspan(rid_used_, 8));
  std::fill_n(rid_pool_.begin() + static_cast<std::ptrdiff_t>(rid_used_), 8, std::uint8_t{0});
  rid_used_ += 8;
  return id;
}


Result<std::optional<Value>> ConfigService::SchemaOf(const RequestContext& ctx, std::string_view ns) {
  Op op(*this, ctx, "config.schema", Action::kRead, ns);
  BULWARK_RETURN_IF_ERROR(op.Begin(Resource{std::string(ns), {}, false}, false));
  auto meta = LoadMeta(deps_, ns);
  if (!meta) return op.Fail(meta.error());
  BULWARK_RETURN_IF_ERROR(op.Succeed());
  return meta->schema;
}

// ---- Key management ----

Result<std::vector<StoredToken>> ConfigService::Tokens(const RequestContext& ctx,
                                                       std::string_view ns,
                                                       store::VersionRef version) {
  Op op(*this, ctx, "config.tokens", Action::kRead, ns);
  if (auto s = store::ValidateNamespace(ns); !s) return op.Fail(s.error());
  BULWARK_RETURN_IF_ERROR(op.Begin(Resource{std::string(ns), {}, false}, /*needs_audit=*/false));
  // Tokens only (ciphertext): the tag is checked, plaintext stored by an older Bulwark is not.
  auto verified = LoadVerified(ns, version, ReadCheck::kTag);
  if (!verified) return op.Fail(verified.error());
  const store::Snapshot* snap = &verified->snap;
  op.rec.version_after = snap->info.version;
  std::vector<StoredToken> out;
  for (const Path& p : TokenPaths(snap->content)) {
    out.push_back({p, config::Find(snap->content, p)->AsString()});
    op.rec.sensitive_paths.push_back(p.ToString());
  }
  BULWARK_RETURN_IF_ERROR(op.Succeed());
  return out;
}

Result<ReencryptResult> ConfigService::Reencrypt(
    const RequestContext& ctx, std::string_view ns,
    const std::function<bool(std::string_view token)>& select, const ValueCipher& decrypt_with,
    const WriteRequest& request) {
  Op op(*this, ctx, "config.reencrypt", Action::kRotate, ns);
  if (auto s = CheckWritableNamespace(ns); !s) return op.Fail(s.error());
  BULWARK_RETURN_IF_ERROR(op.Begin(Resource{std::string(ns), {}, true}));
  auto meta = LoadMeta(deps_, ns);
  if (!meta) return op.Fail(meta.error());
  if (meta->version == 0) {
    return op.Fail(Error(ErrorCode::kNotFound, fmt::format("namespace {} does not exist", ns)));
  }
  auto verified = LoadVerified(ns, store::VersionRef::Latest(), ReadCheck::kTag);
  if (!verified) return op.Fail(verified.error());
  const store::Snapshot* snap = &verified->snap;
  op.rec.version_before = snap->info.version;
  const std::string doc_id = DocumentId(meta->id);
  ReencryptResult out;
  Value next = snap->content;
  for (const Path& p : TokenPaths(snap->content)) {
    Value* leaf = config::Find(next, p);
    if (!select(leaf->AsString())) continue;
    auto plain = decrypt_with.Decrypt(leaf->AsString(), doc_id, p);
    if (!plain) return op.Fail(plain.error());
    auto token = deps_.cipher->Encrypt(*plain, doc_id, p);
    if (!token) return op.Fail(token.error());
    *leaf = Value(std::move(*token));
    out.moved.push_back(p);
    op.rec.paths.push_back(p.ToString());
    op.rec.sensitive_paths.push_back(p.ToString());
  }
  if (out.moved.empty()) {
    BULWARK_RETURN_IF_ERROR(op.Succeed());
    return out;
  }
  auto info = deps_.store->Put(
      ns, next,
      {.author = ctx.principal.id,
       .message = request.message,
       .tags = request.tags,
       .expected_version = request.expected_version.value_or(snap->info.version),
       .seal = internal::SealData(
           deps_.store_mac, *meta,
           internal::ParentExpectation{snap->info.version, snap->info.mac, ""})});
  if (!info) return op.Fail(info.error());
  op.rec.version_after = info->version;
  if (deps_.compliance && deps_.history) {
    // The plaintext did not change, so neither does the compliance status; record it for the new
    // version like every write does.
    if (auto plain = DecryptAll(*deps_.cipher, meta->id, next)) {
      RecordHistory(deps_, ns, info->version,
                    Evaluate(*deps_.compliance, ns, info->version, *plain, TokenPaths(next)));
    }
  }
  BULWARK_RETURN_IF_ERROR(op.Succeed());
  op.Notify(info->version);
  out.info = *info;
  return out;
}

}  // namespace bulwark::service
