// A list whose elements are shared, not copied, between copies of it: copying a SharedList copies
// one pointer. The service hands out the paths of a read this way (ReadResult::sensitive,
// AuditRecord::sensitive_paths): a read of a content seen before refers to the lists its read plan
// built once, instead of copying one Path and one string per secret on every read.
//
// Reads see a `const std::vector<T>&` (get(), or the implicit conversion), so code written for a
// vector reads a SharedList unchanged. Writes (push_back, clear, reserve, assignment) copy the
// elements first when another SharedList refers to them (copy on write), so a write never changes
// what another holder sees. Not for secrets: elements are freed, not zeroized.
//
// Thread safety: like a std::vector: concurrent reads of one SharedList, and any use of distinct
// SharedLists that share elements, are safe; a write to one SharedList needs exclusive access to
// that SharedList only.
#ifndef BULWARK_REQUEST_SHARED_LIST_H_
#define BULWARK_REQUEST_SHARED_LIST_H_

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <utility>
#include <vector>

namespace bulwark::request {

template <typename T>
class SharedList {
 public:
  using value_type = T;
  using const_iterator = typename std::vector<T>::const_iterator;
  using iterator = const_iterator;
  using size_type = std::size_t;

  SharedList() = default;
  SharedList(std::vector<T> items)  // NOLINT(google-explicit-constructor): reads like a vector
      : items_(items.empty() ? nullptr : std::make_shared<std::vector<T>>(std::move(items))) {}
  SharedList(std::initializer_list<T> items) : SharedList(std::vector<T>(items)) {}

  const std::vector<T>& get() const { return items_ ? *items_ : Empty(); }
  operator const std::vector<T>&() const { return get(); }  // NOLINT(google-explicit-constructor)

  const_iterator begin() const { return get().begin(); }
  const_iterator end() const { return get().end(); }
  std::size_t size() const { return items_ ? items_->size() : 0; }
  bool empty() const { return size() == 0; }
  const T& operator[](std::size_t i) const { return (*items_)[i]; }
  const T& front() const { return items_->front(); }
  const T& back() const { return items_->back(); }

  void push_back(T item) { Own().push_back(std::move(item)); }
  void reserve(std::size_t n) { Own().reserve(n); }
  void clear() { items_.reset(); }

  // True when both refer to the same elements (not merely equal ones).
  bool SharesWith(const SharedList& other) const { return items_ == other.items_; }

  friend bool operator==(const SharedList& a, const SharedList& b) {
    return a.items_ == b.items_ || a.get() == b.get();
  }
  friend bool operator==(const SharedList& a, const std::vector<T>& b) { return a.get() == b; }

 private:
  static const std::vector<T>& Empty() {
    static const std::vector<T> empty;
    return empty;
  }
  // The elements, copied first if another SharedList refers to them. The vector is never const
  // (always made here by make_shared<std::vector<T>>), so writing through the pointer is defined.
  std::vector<T>& Own() {
    if (!items_) {
      items_ = std::make_shared<std::vector<T>>();
    } else if (items_.use_count() > 1) {
      items_ = std::make_shared<std::vector<T>>(*items_);
    }
    return *items_;
  }

  std::shared_ptr<std::vector<T>> items_;
};

}  // namespace bulwark::request

#endif  // BULWARK_REQUEST_SHARED_LIST_H_
