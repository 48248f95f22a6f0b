#include "bulwark/store/config_store.h"

#include <fmt/format.h>

namespace bulwark::store {

std::string_view OperationName(Operation op) {
  switch (op) {
    case Operation::kPut:
      return "put";
    case Operation::kSet:
      return "set";
    case Operation::kUnset:
      return "unset";
    case Operation::kRollback:
      return "rollback";
  }
  return "unknown";
}

std::string_view DiffKindName(DiffEntry::Kind kind) {
  switch (kind) {
    case DiffEntry::Kind::kAdded:
      return "added";
    case DiffEntry::Kind::kRemoved:
      return "removed";
    case DiffEntry::Kind::kChanged:
      return "changed";
  }
  return "unknown";
}

std::string VersionRef::ToString() const {
  switch (kind_) {
    case Kind::kLatest:
      return "latest";
    case Kind::kNumber:
      return fmt::format("version {}", number_);
    case Kind::kAt:
      return fmt::format("version at {}", FormatRfc3339(time_));
  }
  return "unknown";
}

}  // namespace bulwark::store
