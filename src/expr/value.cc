#include "bulwark/expr/value.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>

namespace bulwark::expr {
namespace {

struct ErrorData {
  ErrorCode code;
  std::string message;
};

int CompareInts(std::int64_t a, std::int64_t b) { return a < b ? -1 : (a > b ? 1 : 0); }

// Numeric ordering across int, uint and double. Returns false for NaN.
bool CompareNumbers(const Value& a, const Value& b, int* out) {
  Kind ka = a.kind(), kb = b.kind();
  if (ka == Kind::kInt && kb == Kind::kInt) {
    *out = CompareInts(a.int_value(), b.int_value());
    return true;
  }
  if (ka == Kind::kUint && kb == Kind::kUint) {
    *out = a.uint_value() < b.uint_value() ? -1 : (a.uint_value() > b.uint_value() ? 1 : 0);
    return true;
  }
  if (ka == Kind::kInt && kb == Kind::kUint) {
    if (a.int_value() < 0) {
      *out = -1;
      return true;
    }
    std::uint64_t x = static_cast<std::uint64_t>(a.int_value());
    *out = x < b.uint_value() ? -1 : (x > b.uint_value() ? 1 : 0);
    return true;
  }
  if (ka == Kind::kUint && kb == Kind::kInt) {
    if (!CompareNumbers(b, a, out)) return false;
    *out = -*out;
    return true;
  }
  // At least one double.
  if (ka == Kind::kDouble && kb == Kind::kDouble) {
    double x = a.double_value(), y = b.double_value();
    if (std::isnan(x) || std::isnan(y)) return false;
    *out = x < y ? -1 : (x > y ? 1 : 0);
    return true;
  }
  if (ka == Kind::kDouble) {
    if (!CompareNumbers(b, a, out)) return false;
    *out = -*out;
    return true;
  }
  // a is int or uint, b is double: compare as doubles, as the reference implementations do.
  double x =
      ka == Kind::kInt ? static_cast<double>(a.int_value()) : static_cast<double>(a.uint_value());
  double y = b.double_value();
  if (std::isnan(y)) return false;
  *out = x < y ? -1 : (x > y ? 1 : 0);
  return true;
}

}  // namespace

namespace {
bool IsNumber(Kind k) { return k == Kind::kInt || k == Kind::kUint || k == Kind::kDouble; }

}  // namespace

Value Value::String(std::string s) {
  auto owned = std::make_shared<const std::string>(std::move(s));
  Value v(Kind::kString);
  v.u_.s = {owned->data(), owned->size()};
  v.owner_ = std::move(owned);
  return v;
}

Value Value::Bytes(std::string b) {
  Value v = String(std::move(b));
  v.kind_ = Kind::kBytes;
  return v;
}

Value Value::List(std::vector<Value> elements) {
  auto owned = std::make_shared<const std::vector<Value>>(std::move(elements));
  Value v(Kind::kList);
  v.u_.ptr = owned.get();
  v.owner_ = std::move(owned);
  return v;
}

Value Value::Map(MapData map) {
  auto owned = std::make_shared<const MapData>(std::move(map));
  Value v(Kind::kMap);
  v.u_.ptr = owned.get();
  v.owner_ = std::move(owned);
  return v;
}

Value Value::TypeOwned(std::string name) {
  Value v = String(std::move(name));
  v.kind_ = Kind::kType;
  return v;
}

Value Value::Opaque(std::shared_ptr<const OpaqueValue> o) {
  Value v(Kind::kOpaque);
  v.u_.ptr = o.get();
  v.owner_ = std::move(o);
  return v;
}

Value Value::Error(std::string message, ErrorCode code) {
  auto owned = std::make_shared<const ErrorData>(ErrorData{code, std::move(message)});
  Value v(Kind::kError);
  v.u_.ptr = owned.get();
  v.owner_ = std::move(owned);
  return v;
}

const std::string& Value::error_message() const {
  return static_cast<const ErrorData*>(u_.ptr)->message;
}
ErrorCode Value::error_code() const { return static_cast<const ErrorData*>(u_.ptr)->code; }

std::size_t Value::ListSize() const {
  if (borrowed_) return u_.node->AsList().size();
  return static_cast<const std::vector<Value>*>(u_.ptr)->size();
}

Value Value::ListAt(std::size_t i) const {
  if (borrowed_) return Borrow(u_.node->AsList()[i]);
  return (*static_cast<const std::vector<Value>*>(u_.ptr))[i];
}

std::size_t Value::MapSize() const {
  if (borrowed_) return u_.node->AsMap().size();
  return static_cast<const MapData*>(u_.ptr)->entries.size();
}

Value Value::MapKeyAt(std::size_t i) const {
  if (borrowed_) return StringView(u_.node->AsMap().at_index(i).key);
  return static_cast<const MapData*>(u_.ptr)->entries[i].first;
}

Value Value::MapValueAt(std::size_t i) const {
  if (borrowed_) return Borrow(u_.node->AsMap().at_index(i).value);
  return static_cast<const MapData*>(u_.ptr)->entries[i].second;
}

bool Value::MapFindString(std::string_view key, Value* out) const {
  if (borrowed_) {
    const config::Value* v = u_.node->AsMap().Find(key);
    if (v == nullptr) return false;
    *out = Borrow(*v);
    return true;
  }
  for (const auto& [k, v] : static_cast<const MapData*>(u_.ptr)->entries) {
    if (k.kind() == Kind::kString && k.str() == key) {
      *out = v;
      return true;
    }
  }
  return false;
}

bool Value::MapFind(const Value& key, Value* out) const {
  if (key.kind() == Kind::kString) return MapFindString(key.str(), out);
  if (borrowed_) return false;
  for (const auto& [k, v] : static_cast<const MapData*>(u_.ptr)->entries) {
    if (Equal(k, key)) {
      *out = v;
      return true;
    }
  }
  return false;
}

std::string_view Value::TypeName() const {
  switch (kind_) {
    case Kind::kNull:
      return "null_type";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kUint:
      return "uint";
    case Kind::kDouble:
      return "double";
    case Kind::kString:
      return "string";
    case Kind::kBytes:
      return "bytes";
    case Kind::kList:
      return "list";
    case Kind::kMap:
      return "map";
    case Kind::kTimestamp:
      return "google.protobuf.Timestamp";
    case Kind::kDuration:
      return "google.protobuf.Duration";
    case Kind::kType:
      return "type";
    case Kind::kOpaque:
      return opaque().TypeName();
    case Kind::kError:
      return "error";
  }
  return "unknown";
}

std::string Value::DebugString() const {
  switch (kind_) {
    case Kind::kNull:
      return "null";
    case Kind::kBool:
      return u_.b ? "true" : "false";
    case Kind::kInt:
      return fmt::format("{}", u_.i);
    case Kind::kUint:
      return fmt::format("{}u", u_.u);
    case Kind::kDouble:
      return fmt::format("{}", u_.d);
    case Kind::kString:
      return fmt::format("\"{}\"", str());
    case Kind::kBytes:
      return fmt::format("b\"{}\"", str());
    case Kind::kList: {
      std::string out = "[";
      for (std::size_t i = 0; i < ListSize(); ++i) {
        if (i) out += ", ";
        out += ListAt(i).DebugString();
      }
      return out + "]";
    }
    case Kind::kMap: {
      std::string out = "{";
      for (std::size_t i = 0; i < MapSize(); ++i) {
        if (i) out += ", ";
        out += MapKeyAt(i).DebugString() + ": " + MapValueAt(i).DebugString();
      }
      return out + "}";
    }
    case Kind::kTimestamp:
      return fmt::format("timestamp({}s {}ns)", u_.i, nanos_);
    case Kind::kDuration:
      return fmt::format("duration({}s {}ns)", u_.i, nanos_);
    case Kind::kType:
      return fmt::format("type({})", str());
    case Kind::kOpaque:
      return opaque().ToString();
    case Kind::kError:
      return fmt::format("error({})", error_message());
  }
  return "?";
}

bool Equal(const Value& a, const Value& b) {
  Kind ka = a.kind(), kb = b.kind();
  if (ka != kb) {
    if (IsNumber(ka) && IsNumber(kb)) {
      int c;
      return CompareNumbers(a, b, &c) && c == 0;
    }
    return false;
  }
  switch (ka) {
    case Kind::kNull:
      return true;
    case Kind::kBool:
      return a.bool_value() == b.bool_value();
    case Kind::kInt:
      return a.int_value() == b.int_value();
    case Kind::kUint:
      return a.uint_value() == b.uint_value();
    case Kind::kDouble:
      return a.double_value() == b.double_value();
    case Kind::kString:
    case Kind::kBytes:
    case Kind::kType:
      return a.str() == b.str();
    case Kind::kTimestamp:
    case Kind::kDuration:
      return a.seconds() == b.seconds() && a.nanos() == b.nanos();
    case Kind::kList: {
      std::size_t n = a.ListSize();
      if (n != b.ListSize()) return false;
      for (std::size_t i = 0; i < n; ++i) {
        if (!Equal(a.ListAt(i), b.ListAt(i))) return false;
      }
      return true;
    }
    case Kind::kMap: {
      std::size_t n = a.MapSize();
      if (n != b.MapSize()) return false;
      for (std::size_t i = 0; i < n; ++i) {
        Value other;
        if (!b.MapFind(a.MapKeyAt(i), &other)) return false;
        if (!Equal(a.MapValueAt(i), other)) return false;
      }
      return true;
    }
    case Kind::kOpaque:
      return a.opaque().TypeName() == b.opaque().TypeName() && a.opaque().Equals(b.opaque());
    case Kind::kError:
      return false;
  }
  return false;
}

bool Compare(const Value& a, const Value& b, int* out) {
  Kind ka = a.kind(), kb = b.kind();
  if (IsNumber(ka) && IsNumber(kb)) return CompareNumbers(a, b, out);
  if (ka != kb) return false;
  switch (ka) {
    case Kind::kBool:
      *out = static_cast<int>(a.bool_value()) - static_cast<int>(b.bool_value());
      return true;
    case Kind::kString:
    case Kind::kBytes: {
      int c = a.str().compare(b.str());
      *out = c < 0 ? -1 : (c > 0 ? 1 : 0);
      return true;
    }
    case Kind::kTimestamp:
    case Kind::kDuration:
      *out = a.seconds() != b.seconds() ? CompareInts(a.seconds(), b.seconds())
                                        : CompareInts(a.nanos(), b.nanos());
      return true;
    default:
      return false;
  }
}

}  // namespace bulwark::expr
