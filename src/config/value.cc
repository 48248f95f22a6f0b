#include "bulwark/config/value.h"

#include <algorithm>

namespace bulwark::config {

std::string_view ValueTypeName(ValueType type) {
  switch (type) {
    case ValueType::kNull: return "null";
    case ValueType::kBool: return "bool";
    case ValueType::kInt: return "int";
    case ValueType::kDouble: return "double";
    case ValueType::kString: return "string";
    case ValueType::kBytes: return "bytes";
    case ValueType::kList: return "list";
    case ValueType::kMap: return "map";
  }
  return "unknown";
}

ValueMap::ValueMap() = default;
ValueMap::ValueMap(const ValueMap& other) : entries_(other.entries_) {
  if (other.index_) RebuildIndex();
}
ValueMap::ValueMap(ValueMap&& other) noexcept = default;
ValueMap& ValueMap::operator=(const ValueMap& other) {
  if (this != &other) {
    entries_ = other.entries_;
    index_.reset();
    if (other.index_) RebuildIndex();
  }
  return *this;
}
ValueMap& ValueMap::operator=(ValueMap&& other) noexcept = default;
ValueMap::~ValueMap() = default;

std::size_t ValueMap::size() const { return entries_.size(); }
bool ValueMap::empty() const { return entries_.empty(); }
const MapEntry* ValueMap::begin() const { return entries_.data(); }
const MapEntry* ValueMap::end() const { return entries_.data() + entries_.size(); }
MapEntry* ValueMap::begin() { return entries_.data(); }
MapEntry* ValueMap::end() { return entries_.data() + entries_.size(); }
const MapEntry& ValueMap::at_index(std::size_t i) const { return entries_.at(i); }

const Value* ValueMap::Find(std::string_view key) const {
  if (index_) {
    auto it = index_->find(key);
    return it == index_->end() ? nullptr : &entries_[it->second].value;
  }
  for (const MapEntry& e : entries_) {
    if (e.key == key) return &e.value;
  }
  return nullptr;
}

Value* ValueMap::Find(std::string_view key) {
  return const_cast<Value*>(static_cast<const ValueMap*>(this)->Find(key));
}

std::pair<Value*, bool> ValueMap::Insert(std::string key, Value value) {
  if (Value* existing = Find(key)) return {existing, false};
  if (index_) index_->emplace(key, static_cast<std::uint32_t>(entries_.size()));
  entries_.push_back(MapEntry{std::move(key), std::move(value)});
  if (!index_ && entries_.size() > kIndexThreshold) RebuildIndex();
  return {&entries_.back().value, true};
}

Value& ValueMap::Set(std::string key, Value value) {
  if (Value* existing = Find(key)) {
    *existing = std::move(value);
    return *existing;
  }
  return *Insert(std::move(key), std::move(value)).first;
}

bool ValueMap::Erase(std::string_view key) {
  auto it = std::find_if(entries_.begin(), entries_.end(),
                         [&](const MapEntry& e) { return e.key == key; });
  if (it == entries_.end()) return false;
  entries_.erase(it);
  if (index_) RebuildIndex();
  return true;
}

void ValueMap::Reserve(std::size_t n) { entries_.reserve(n); }

void ValueMap::RebuildIndex() {
  if (entries_.size() <= kIndexThreshold) {
    index_.reset();
    return;
  }
  index_ = std::make_unique<std::unordered_map<std::string, std::uint32_t, StringHash, std::equal_to<>>>();
  index_->reserve(entries_.size() * 2);
  for (std::uint32_t i = 0; i < entries_.size(); ++i) index_->emplace(entries_[i].key, i);
}

bool operator==(const ValueMap& a, const ValueMap& b) { return a.entries_ == b.entries_; }

std::size_t Value::CountLeaves() const {
  if (const ValueList* l = IfList()) {
    if (l->empty()) return 1;
    std::size_t n = 0;
    for (const Value& v : *l) n += v.CountLeaves();
    return n;
  }
  if (const ValueMap* m = IfMap()) {
    if (m->empty()) return 1;
    std::size_t n = 0;
    for (const MapEntry& e : *m) n += e.value.CountLeaves();
    return n;
  }
  return 1;
}

}  // namespace bulwark::config

namespace bulwark::config {
// The location id lives in the variant's tail padding (see value.h): documents stay compact.
static_assert(sizeof(void*) != 8 || sizeof(Value) == 40, "config::Value grew");
}  // namespace bulwark::config
