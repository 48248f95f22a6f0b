// JSON emitter: compact (indent <= 0) or indented output of a Value tree.
//
// Doubles use the shortest text that reads back to the same double, with ".0" added when that text
// would read back as an integer. NaN and infinities have no JSON form and are errors naming the
// path. Bytes are written as standard base64 strings (they read back as strings). Strings must be
// valid UTF-8; control characters are escaped, everything else is written as is.
#include <fmt/format.h>

#include <cmath>
#include <string>

#include "bulwark/core/encoding.h"
#include "bulwark/core/quoted_string.h"
#include "config/internal/formats.h"
#include "config/internal/text.h"

namespace bulwark::config::internal {
namespace {

class JsonEmitter {
 public:
  explicit JsonEmitter(int indent) : indent_(indent > 0 ? indent : 0) {}

  Status Emit(const Value& v, int depth);
  std::string& out() { return out_; }

 private:
  void Newline(int depth) {
    if (indent_ == 0) return;
    out_ += '\n';
    out_.append(static_cast<std::size_t>(depth) * static_cast<std::size_t>(indent_), ' ');
  }
  Status String(std::string_view s);

  int indent_;
  std::string out_;
  PathTracker path_;
};

Status JsonEmitter::String(std::string_view s) {
  if (FindInvalidUtf8Fast(s) != std::string_view::npos) {
    return InvalidArgumentError(
        fmt::format("emit json: string at {} is not valid UTF-8", path_.Describe()));
  }
  AppendQuotedString(out_, s);
  return OkStatus();
}

Status JsonEmitter::Emit(const Value& v, int depth) {
  switch (v.type()) {
    case ValueType::kNull:
      out_ += "null";
      return OkStatus();
    case ValueType::kBool:
      out_ += v.AsBool() ? "true" : "false";
      return OkStatus();
    case ValueType::kInt:
      fmt::format_to(std::back_inserter(out_), "{}", v.AsInt());
      return OkStatus();
    case ValueType::kDouble:
      if (!std::isfinite(v.AsDouble())) {
        return InvalidArgumentError(fmt::format("emit json: {} at {} has no JSON representation",
                                                std::isnan(v.AsDouble()) ? "NaN" : "infinity",
                                                path_.Describe()));
      }
      out_ += FormatDouble(v.AsDouble());
      return OkStatus();
    case ValueType::kString:
      return String(v.AsString());
    case ValueType::kBytes:
      return String(Base64Encode(v.AsBytes()));
    case ValueType::kList: {
      const ValueList& list = v.AsList();
      if (list.empty()) {
        out_ += "[]";
        return OkStatus();
      }
      out_ += '[';
      for (std::size_t i = 0; i < list.size(); ++i) {
        if (i > 0) out_ += ',';
        Newline(depth + 1);
        path_.PushIndex(i);
        BULWARK_RETURN_IF_ERROR(Emit(list[i], depth + 1));
        path_.Pop();
      }
      Newline(depth);
      out_ += ']';
      return OkStatus();
    }
    case ValueType::kMap: {
      const ValueMap& map = v.AsMap();
      if (map.empty()) {
        out_ += "{}";
        return OkStatus();
      }
      out_ += '{';
      bool first = true;
      for (const MapEntry& e : map) {
        if (!first) out_ += ',';
        first = false;
        Newline(depth + 1);
        path_.PushKey(e.key);
        BULWARK_RETURN_IF_ERROR(String(e.key));
        out_ += indent_ > 0 ? ": " : ":";
        BULWARK_RETURN_IF_ERROR(Emit(e.value, depth + 1));
        path_.Pop();
      }
      Newline(depth);
      out_ += '}';
      return OkStatus();
    }
  }
  return OkStatus();
}

}  // namespace

Result<std::string> EmitJson(const Value& root, const EmitOptions& options) {
  JsonEmitter emitter(options.indent);
  BULWARK_RETURN_IF_ERROR(emitter.Emit(root, 0));
  if (options.indent > 0) emitter.out() += '\n';
  return std::move(emitter.out());
}

}  // namespace bulwark::config::internal
