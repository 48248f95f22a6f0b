// The configuration value tree.
//
// A `Value` is one of: null, bool, int (int64), double, string (UTF-8), bytes, list, map. Maps keep
// their keys in insertion order (documents are emitted in the order they were written) and reject
// nothing themselves: loaders decide whether a duplicate key is an error. Values are ordinary
// copyable, movable value types; copying copies the whole subtree.
//
// Every node also carries a location id (see document.h): where the loader found it. It is not
// part of the value: equality ignores it; copies keep it; a freshly constructed value has none (0).
// It lives in the tail padding of the variant, so a Value stays 40 bytes.
//
// Equality (`==`) is structural and type-strict: int 1 and double 1.0 are different values, and two
// maps are equal only with the same keys in the same order. (CEL's heterogeneous numeric equality
// lives in the expression engine, not here.)
//
// Accessors `AsX()` require the matching type (checked with an assertion in debug builds); use
// `IfX()` (returns nullptr on a type mismatch) when the type is not known.
//
// Thread safety: const access from several threads is safe; mutation needs external locking.
#ifndef BULWARK_CONFIG_VALUE_H_
#define BULWARK_CONFIG_VALUE_H_

#include <cassert>
#include <concepts>
#include <functional>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

namespace bulwark::config {

enum class ValueType : std::uint8_t { kNull, kBool, kInt, kDouble, kString, kBytes, kList, kMap };

// "null", "bool", "int", "double", "string", "bytes", "list", "map".
std::string_view ValueTypeName(ValueType type);

class Value;
struct MapEntry;
using Bytes = std::vector<std::uint8_t>;
using ValueList = std::vector<Value>;

// An insertion-ordered string-keyed map. Lookups are linear for small maps and hashed once a map
// grows past kIndexThreshold entries, so documents with 10,000 keys load in linear time.
// Transparent hash so that lookups by string_view do not allocate.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

class ValueMap {
 public:
  static constexpr std::size_t kIndexThreshold = 16;

  ValueMap();
  ValueMap(const ValueMap& other);
  ValueMap(ValueMap&& other) noexcept;
  ValueMap& operator=(const ValueMap& other);
  ValueMap& operator=(ValueMap&& other) noexcept;
  ~ValueMap();

  std::size_t size() const;
  bool empty() const;
  const MapEntry* begin() const;
  const MapEntry* end() const;
  MapEntry* begin();
  MapEntry* end();
  const MapEntry& at_index(std::size_t i) const;

  // nullptr when the key is absent.
  const Value* Find(std::string_view key) const;
  Value* Find(std::string_view key);
  bool Contains(std::string_view key) const { return Find(key) != nullptr; }

  // Appends (key, value) if the key is absent and returns {entry value, true}; otherwise leaves the
  // map unchanged and returns {existing value, false}.
  std::pair<Value*, bool> Insert(std::string key, Value value);
  // Replaces the value of an existing key in place (keeping its position) or appends a new entry.
  Value& Set(std::string key, Value value);
  // Removes the key; returns false when it was absent. Later entries keep their relative order.
  bool Erase(std::string_view key);
  void Reserve(std::size_t n);

  friend bool operator==(const ValueMap& a, const ValueMap& b);

 private:
  void RebuildIndex();
  std::vector<MapEntry> entries_;
  std::unique_ptr<std::unordered_map<std::string, std::uint32_t, StringHash, std::equal_to<>>> index_;
};

class Value {
 public:
  Value() : v_(std::monostate{}) {}
  Value(std::nullptr_t) : v_(std::monostate{}) {}
  Value(bool b) : v_(b) {}
  template <std::integral T>
    requires(!std::same_as<T, bool> && !std::same_as<T, char>)
  Value(T i) : v_(static_cast<std::int64_t>(i)) {}
  Value(double d) : v_(d) {}
  Value(std::string s) : v_(std::move(s)) {}
  Value(std::string_view s) : v_(std::string(s)) {}
  Value(const char* s) : v_(std::string(s)) {}
  Value(ValueList l) : v_(std::move(l)) {}
  Value(ValueMap m) : v_(std::move(m)) {}
  static Value FromBytes(Bytes b) {
    Value v;
    v.v_ = std::move(b);
    return v;
  }
  static Value EmptyMap() { return Value(ValueMap()); }
  static Value EmptyList() { return Value(ValueList()); }

  ValueType type() const { return static_cast<ValueType>(v_.index()); }
  bool is_null() const { return type() == ValueType::kNull; }
  bool is_bool() const { return type() == ValueType::kBool; }
  bool is_int() const { return type() == ValueType::kInt; }
  bool is_double() const { return type() == ValueType::kDouble; }
  bool is_number() const { return is_int() || is_double(); }
  bool is_string() const { return type() == ValueType::kString; }
  bool is_bytes() const { return type() == ValueType::kBytes; }
  bool is_list() const { return type() == ValueType::kList; }
  bool is_map() const { return type() == ValueType::kMap; }
  bool is_container() const { return is_list() || is_map(); }

  bool AsBool() const { return std::get<bool>(v_); }
  std::int64_t AsInt() const { return std::get<std::int64_t>(v_); }
  double AsDouble() const { return std::get<double>(v_); }
  // int or double as double.
  double AsNumber() const { return is_int() ? static_cast<double>(AsInt()) : AsDouble(); }
  const std::string& AsString() const { return std::get<std::string>(v_); }
  const Bytes& AsBytes() const { return std::get<Bytes>(v_); }
  const ValueList& AsList() const { return std::get<ValueList>(v_); }
  ValueList& AsList() { return std::get<ValueList>(v_); }
  const ValueMap& AsMap() const { return std::get<ValueMap>(v_); }
  ValueMap& AsMap() { return std::get<ValueMap>(v_); }

  const std::string* IfString() const { return std::get_if<std::string>(&v_); }
  std::string* IfString() { return std::get_if<std::string>(&v_); }
  const ValueList* IfList() const { return std::get_if<ValueList>(&v_); }
  ValueList* IfList() { return std::get_if<ValueList>(&v_); }
  const ValueMap* IfMap() const { return std::get_if<ValueMap>(&v_); }
  ValueMap* IfMap() { return std::get_if<ValueMap>(&v_); }

  // Map member lookup; nullptr when this is not a map or the key is absent.
  const Value* Get(std::string_view key) const {
    const ValueMap* m = IfMap();
    return m ? m->Find(key) : nullptr;
  }

  // Number of leaves (scalars and empty containers) in this subtree.
  std::size_t CountLeaves() const;

  // The id of this node's source location in its Document's LocationTable; 0 when none.
  std::uint32_t location_id() const { return location_id_; }
  void set_location_id(std::uint32_t id) { location_id_ = id; }

  friend bool operator==(const Value& a, const Value& b) { return a.v_ == b.v_; }

 private:
  [[no_unique_address]] std::variant<std::monostate, bool, std::int64_t, double, std::string, Bytes,
                                     ValueList, ValueMap>
      v_;
  std::uint32_t location_id_ = 0;
};

struct MapEntry {
  std::string key;
  Value value;
  friend bool operator==(const MapEntry&, const MapEntry&) = default;
};

}  // namespace bulwark::config

#endif  // BULWARK_CONFIG_VALUE_H_
