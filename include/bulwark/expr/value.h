// The CEL runtime value.
//
// A `Value` is one of: null, bool, int (int64), uint (uint64), double, string, bytes, list, map,
// timestamp, duration, type, an opaque extension value (ip, cidr, semver) or an error.
//
// Values can *borrow* from a configuration tree (`Value::Borrow(const config::Value&)`): strings,
// bytes, lists and maps then point into the tree and nothing is copied. The caller keeps the tree
// alive (and unmodified) for as long as any value borrowed from it is in use. Values computed by
// the evaluator own their payload through a shared, immutable buffer, so copying a Value never
// copies a string, list or map.
//
// Errors are values too (CEL's `&&`/`||` absorb them); `IsError()` and `error_message()` expose
// them. Thread safety: Values are immutable; copies may be used from several threads.
#ifndef BULWARK_EXPR_VALUE_H_
#define BULWARK_EXPR_VALUE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bulwark/config/value.h"
#include "bulwark/core/error.h"

namespace bulwark::expr {

enum class Kind : std::uint8_t {
  kNull,
  kBool,
  kInt,
  kUint,
  kDouble,
  kString,
  kBytes,
  kList,
  kMap,
  kTimestamp,
  kDuration,
  kType,
  kOpaque,
  kError,
};

class Value;

// An extension value (ip address, CIDR range, semantic version). Immutable.
class OpaqueValue {
 public:
  virtual ~OpaqueValue() = default;
  // The CEL type name, e.g. "net.IP".
  virtual std::string_view TypeName() const = 0;
  virtual bool Equals(const OpaqueValue& other) const = 0;
  virtual std::string ToString() const = 0;
};

// Owned map storage: insertion-ordered entries (keys are bool, int, uint or string).
struct MapData {
  std::vector<std::pair<Value, Value>> entries;
};

class Value {
 public:
  Value() : kind_(Kind::kNull) { u_.i = 0; }

  static Value Null() { return Value(); }
  static Value Bool(bool b) {
    Value v(Kind::kBool);
    v.u_.b = b;
    return v;
  }
  static Value Int(std::int64_t i) {
    Value v(Kind::kInt);
    v.u_.i = i;
    return v;
  }
  static Value Uint(std::uint64_t i) {
    Value v(Kind::kUint);
    v.u_.u = i;
    return v;
  }
  static Value Double(double d) {
    Value v(Kind::kDouble);
    v.u_.d = d;
    return v;
  }
  // Owned string (copied into a shared buffer).
  static Value String(std::string s);
  // Borrowed string: `s` must outlive every copy of the result.
  static Value StringView(std::string_view s) {
    Value v(Kind::kString);
    v.u_.s = {s.data(), s.size()};
    return v;
  }
  static Value Bytes(std::string b);
  static Value BytesView(std::string_view b) {
    Value v(Kind::kBytes);
    v.u_.s = {b.data(), b.size()};
    return v;
  }
  static Value List(std::vector<Value> elements);
  static Value Map(MapData map);
  // Seconds since the Unix epoch plus nanoseconds in [0, 1e9).
  static Value Timestamp(std::int64_t seconds, std::int32_t nanos) {
    Value v(Kind::kTimestamp);
    v.u_.i = seconds;
    v.nanos_ = nanos;
    return v;
  }
  // Seconds plus nanoseconds with the same sign (|nanos| < 1e9).
  static Value Duration(std::int64_t seconds, std::int32_t nanos) {
    Value v(Kind::kDuration);
    v.u_.i = seconds;
    v.nanos_ = nanos;
    return v;
  }
  // A type value; `name` must have static storage duration (see TypeOwned otherwise).
  static Value Type(std::string_view name) {
    Value v(Kind::kType);
    v.u_.s = {name.data(), name.size()};
    return v;
  }
  static Value TypeOwned(std::string name);
  static Value Opaque(std::shared_ptr<const OpaqueValue> o);
  static Value Error(std::string message, ErrorCode code = ErrorCode::kInvalidArgument);
  // Borrows a configuration node (see the header comment for the lifetime rule). Config ints map
  // to CEL int, config bytes to CEL bytes.
  static Value Borrow(const config::Value& node) {
    switch (node.type()) {
      case config::ValueType::kNull:
        return Null();
      case config::ValueType::kBool:
        return Bool(node.AsBool());
      case config::ValueType::kInt:
        return Int(node.AsInt());
      case config::ValueType::kDouble:
        return Double(node.AsDouble());
      case config::ValueType::kString:
        return StringView(node.AsString());
      case config::ValueType::kBytes: {
        const auto& b = node.AsBytes();
        return BytesView(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
      }
      case config::ValueType::kList:
      case config::ValueType::kMap: {
        Value v(node.is_list() ? Kind::kList : Kind::kMap);
        v.borrowed_ = true;
        v.u_.node = &node;
        return v;
      }
    }
    return Null();
  }

  Kind kind() const { return kind_; }
  bool IsError() const { return kind_ == Kind::kError; }
  bool IsBool() const { return kind_ == Kind::kBool; }
  bool bool_value() const { return u_.b; }
  std::int64_t int_value() const { return u_.i; }
  std::uint64_t uint_value() const { return u_.u; }
  double double_value() const { return u_.d; }
  // String, bytes or type name.
  std::string_view str() const { return {u_.s.p, u_.s.n}; }
  std::int64_t seconds() const { return u_.i; }
  std::int32_t nanos() const { return nanos_; }
  const OpaqueValue& opaque() const { return *static_cast<const OpaqueValue*>(u_.ptr); }
  const std::string& error_message() const;
  ErrorCode error_code() const;

  // Lists.
  std::size_t ListSize() const;
  Value ListAt(std::size_t i) const;
  // Maps.
  std::size_t MapSize() const;
  Value MapKeyAt(std::size_t i) const;
  Value MapValueAt(std::size_t i) const;
  // Lookup with CEL key equality (1 == 1u == 1.0); false when absent.
  bool MapFind(const Value& key, Value* out) const;
  bool MapFindString(std::string_view key, Value* out) const;

  // The borrowed configuration node of a list or map, nullptr when the value owns its payload.
  const config::Value* borrowed_node() const { return borrowed_ ? u_.node : nullptr; }

  // CEL type name: "int", "list", "google.protobuf.Timestamp", ...
  std::string_view TypeName() const;

  // A readable rendering (for messages and the test runner), not JSON.
  std::string DebugString() const;

 private:
  explicit Value(Kind k) : kind_(k) { u_.i = 0; }

  Kind kind_;
  bool borrowed_ = false;
  std::int32_t nanos_ = 0;
  union {
    bool b;
    std::int64_t i;
    std::uint64_t u;
    double d;
    struct {
      const char* p;
      std::size_t n;
    } s;
    const config::Value* node;
    const void* ptr;
  } u_;
  std::shared_ptr<const void> owner_;
};

// CEL equality (heterogeneous numeric equality; different types are unequal). Errors compare
// unequal; callers check for errors first.
bool Equal(const Value& a, const Value& b);

// CEL ordering for int/uint/double (mixed), string, bytes, bool, timestamp, duration: -1, 0, 1.
// Returns false when the pair is not ordered (different types or NaN).
bool Compare(const Value& a, const Value& b, int* out);

}  // namespace bulwark::expr

#endif  // BULWARK_EXPR_VALUE_H_
