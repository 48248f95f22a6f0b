// TOML emitter, written by hand so that key order is kept (toml++'s writer sorts keys).
//
// The root must be a map. Within each table, plain values (scalars, arrays that are not arrays of
// tables, empty maps as "{}") come first in map order, then sub-tables ([a.b]) and arrays of
// tables ([[a.b]], for non-empty lists whose elements are all maps) in map order: a table whose
// scalar follows a sub-table therefore reads back with that scalar moved first. Maps inside other
// arrays become inline tables. Null has no TOML form and is an error naming the path. Bytes are
// written as base64 strings; doubles so that they read back as floats (inf, -inf, nan included).
#include <fmt/format.h>

#include <cmath>
#include <string>
#include <vector>

#include "bulwark/core/encoding.h"
#include "bulwark/core/quoted_string.h"
#include "config/internal/formats.h"
#include "config/internal/text.h"

namespace bulwark::config::internal {
namespace {

bool IsArrayOfTables(const Value& v) {
  const ValueList* l = v.IfList();
  if (l == nullptr || l->empty()) return false;
  for (const Value& e : *l) {
    if (!e.is_map()) return false;
  }
  return true;
}

bool IsSubTable(const Value& v) { return v.is_map() && !v.AsMap().empty(); }

class TomlEmitter {
 public:
  Status Table(const ValueMap& map, const std::string& header);
  std::string& out() { return out_; }

 private:
  Status Key(std::string_view key, std::string& out);
  Status String(std::string_view s, std::string& out);
  Status Inline(const Value& v);

  std::string out_;
  PathTracker path_;
};

Status TomlEmitter::String(std::string_view s, std::string& out) {
  if (FindInvalidUtf8Fast(s) != std::string_view::npos) {
    return InvalidArgumentError(
        fmt::format("emit toml: string at {} is not valid UTF-8", path_.Describe()));
  }
  AppendQuotedString(out, s, {.uppercase_hex = true, .escape_del = true});
  return OkStatus();
}

Status TomlEmitter::Key(std::string_view key, std::string& out) {
  bool bare = !key.empty();
  for (char c : key) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-')) {
      bare = false;
      break;
    }
  }
  if (bare) {
    out += key;
    return OkStatus();
  }
  return String(key, out);
}

Status TomlEmitter::Inline(const Value& v) {
  switch (v.type()) {
    case ValueType::kNull:
      return InvalidArgumentError(
          fmt::format("emit toml: null at {} has no TOML representation", path_.Describe()));
    case ValueType::kBool:
      out_ += v.AsBool() ? "true" : "false";
      break;
    case ValueType::kInt:
      fmt::format_to(std::back_inserter(out_), "{}", v.AsInt());
      break;
    case ValueType::kDouble:
      out_ += FormatDouble(v.AsDouble(), kPlainNonFinite);
      break;
    case ValueType::kString:
      return String(v.AsString(), out_);
    case ValueType::kBytes:
      return String(Base64Encode(v.AsBytes()), out_);
    case ValueType::kList: {
      out_ += '[';
      const ValueList& list = v.AsList();
      for (std::size_t i = 0; i < list.size(); ++i) {
        if (i > 0) out_ += ", ";
        path_.PushIndex(i);
        BULWARK_RETURN_IF_ERROR(Inline(list[i]));
        path_.Pop();
      }
      out_ += ']';
      break;
    }
    case ValueType::kMap: {
      const ValueMap& map = v.AsMap();
      if (map.empty()) {
        out_ += "{}";
        break;
      }
      out_ += "{ ";
      bool first = true;
      for (const MapEntry& e : map) {
        if (!first) out_ += ", ";
        first = false;
        path_.PushKey(e.key);
        BULWARK_RETURN_IF_ERROR(Key(e.key, out_));
        out_ += " = ";
        BULWARK_RETURN_IF_ERROR(Inline(e.value));
        path_.Pop();
      }
      out_ += " }";
      break;
    }
  }
  return OkStatus();
}

Status TomlEmitter::Table(const ValueMap& map, const std::string& header) {
  for (const MapEntry& e : map) {
    if (IsSubTable(e.value) || IsArrayOfTables(e.value)) continue;
    path_.PushKey(e.key);
    BULWARK_RETURN_IF_ERROR(Key(e.key, out_));
    out_ += " = ";
    BULWARK_RETURN_IF_ERROR(Inline(e.value));
    out_ += '\n';
    path_.Pop();
  }
  for (const MapEntry& e : map) {
    const bool sub = IsSubTable(e.value);
    if (!sub && !IsArrayOfTables(e.value)) continue;
    path_.PushKey(e.key);
    std::string name = header;
    if (!name.empty()) name += '.';
    BULWARK_RETURN_IF_ERROR(Key(e.key, name));
    if (sub) {
      if (!out_.empty()) out_ += '\n';
      out_ += "[" + name + "]\n";
      BULWARK_RETURN_IF_ERROR(Table(e.value.AsMap(), name));
    } else {
      const ValueList& list = e.value.AsList();
      for (std::size_t i = 0; i < list.size(); ++i) {
        path_.PushIndex(i);
        if (!out_.empty()) out_ += '\n';
        out_ += "[[" + name + "]]\n";
        BULWARK_RETURN_IF_ERROR(Table(list[i].AsMap(), name));
        path_.Pop();
      }
    }
    path_.Pop();
  }
  return OkStatus();
}

}  // namespace

Result<std::string> EmitToml(const Value& root, const EmitOptions&) {
  if (!root.is_map()) {
    return InvalidArgumentError(
        fmt::format("emit toml: the root must be a map (a TOML document is a table), not a {}",
                    ValueTypeName(root.type())));
  }
  TomlEmitter emitter;
  BULWARK_RETURN_IF_ERROR(emitter.Table(root.AsMap(), ""));
  return std::move(emitter.out());
}

}  // namespace bulwark::config::internal
