// The planner (AST -> tree of specialized evaluation nodes) and the evaluator.
#include "bulwark/expr/program.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include <array>
#include <atomic>
#include <cstring>
#include <new>
#include <unordered_set>

#include "expr/internal.h"

namespace bulwark::expr {

using internal::Frame;
using internal::Function;

namespace {

// ---- evaluation nodes ----

// Field lookup with an inline cache: documents of the same shape keep a key at the same position,
// so the position where the key was found last time is tried first. Small maps are scanned
// linearly (as ValueMap::Find does); large maps use their hash index.
inline const config::Value* FindHinted(const config::ValueMap& m, std::string_view key,
                                       std::atomic<std::uint32_t>& hint) {
  const config::MapEntry* entries = m.begin();
  std::size_t n = m.size();
  std::uint32_t h = hint.load(std::memory_order_relaxed);
  if (h < n) {
    const config::MapEntry& e = entries[h];
    if (internal::FastEqual(e.key, key)) return &e.value;
  }
  if (n > config::ValueMap::kIndexThreshold) return m.Find(key);
  for (std::size_t i = 0; i < n; ++i) {
    const config::MapEntry& e = entries[i];
    if (internal::FastEqual(e.key, key)) {
      hint.store(static_cast<std::uint32_t>(i), std::memory_order_relaxed);
      return &e.value;
    }
  }
  return nullptr;
}

class Node {
 public:
  virtual ~Node() = default;
  virtual Value Eval(Frame& f) const = 0;
  // Fast path for field access: when the result is a node of a borrowed configuration tree,
  // returns it without building a Value. nullptr means "use Eval" (never an error by itself).
  virtual const config::Value* EvalNode(Frame&) const { return nullptr; }
  virtual const Value* constant() const { return nullptr; }
  // Fast path for boolean results: 1 or 0, or -1 when the result is not a plain bool (an error,
  // another type, or a case the node does not handle quickly); the caller then uses Eval. Nodes
  // are pure, so evaluating again after -1 gives the same result.
  virtual int EvalBool(Frame& f) const {
    Value v = Eval(f);
    return v.kind() == Kind::kBool ? static_cast<int>(v.bool_value()) : -1;
  }
};
using NodePtr = std::unique_ptr<Node>;

class ConstNode final : public Node {
 public:
  explicit ConstNode(Value v) : v_(std::move(v)) {}
  Value Eval(Frame&) const override { return v_; }
  int EvalBool(Frame&) const override {
    return v_.kind() == Kind::kBool ? static_cast<int>(v_.bool_value()) : -1;
  }
  const Value* constant() const override { return &v_; }

 private:
  Value v_;
};

// A comprehension variable.
class SlotNode final : public Node {
 public:
  explicit SlotNode(std::size_t slot) : slot_(slot) {}
  Value Eval(Frame& f) const override { return f.slots[slot_]; }
  const config::Value* EvalNode(Frame& f) const override { return f.slots[slot_].borrowed_node(); }

 private:
  std::size_t slot_;
};

// A (possibly qualified) variable followed by field selections. Candidates are tried in order; the
// first bound variable wins and the remaining path segments are selected from it.
class PathNode final : public Node {
 public:
  struct Candidate {
    std::size_t slot;
    std::size_t first_field;
    bool is_comprehension_var;
  };
  struct TypeCandidate {
    std::string_view type_name;
    std::size_t first_field;
  };
  PathNode(std::vector<Candidate> c, std::vector<TypeCandidate> t,
           std::vector<std::string> segments, std::string display)
      : candidates_(std::move(c)),
        types_(std::move(t)),
        segments_(std::move(segments)),
        display_(std::move(display)),
        hints_(std::make_unique<std::atomic<std::uint32_t>[]>(segments_.size())) {}

  const config::Value* EvalNode(Frame& f) const override {
    for (const auto& c : candidates_) {
      const Value* root = c.is_comprehension_var ? &f.slots[c.slot] : f.globals[c.slot];
      if (root == nullptr) continue;
      return WalkNode(root->borrowed_node(), c.first_field);
    }
    return nullptr;
  }

  int EvalBool(Frame& f) const override {
    const config::Value* n = EvalNode(f);
    if (n != nullptr && n->is_bool()) return static_cast<int>(n->AsBool());
    return Node::EvalBool(f);
  }

  Value Eval(Frame& f) const override {
    for (const auto& c : candidates_) {
      const Value* root_ptr = c.is_comprehension_var ? &f.slots[c.slot] : f.globals[c.slot];
      if (root_ptr == nullptr) continue;
      const Value& root = *root_ptr;
      if (c.first_field == segments_.size()) return root;
      if (const config::Value* n = WalkNode(root.borrowed_node(), c.first_field)) {
        return Value::Borrow(*n);
      }
      return Walk(root, c.first_field);
    }
    for (const auto& t : types_) return Walk(Value::Type(t.type_name), t.first_field);
    return Value::Error(fmt::format("undeclared reference to '{}' (no such attribute)", display_));
  }

 private:
  const config::Value* WalkNode(const config::Value* n, std::size_t from) const {
    if (n == nullptr) return nullptr;
    for (std::size_t i = from; i < segments_.size(); ++i) {
      const config::ValueMap* m = n->IfMap();
      if (m == nullptr) return nullptr;
      n = FindHinted(*m, segments_[i], hints_[i]);
      if (n == nullptr) return nullptr;
    }
    return n;
  }
  Value Walk(Value v, std::size_t from) const {
    for (std::size_t i = from; i < segments_.size(); ++i) {
      v = internal::SelectField(v, segments_[i]);
      if (v.IsError()) return v;
    }
    return v;
  }
  std::vector<Candidate> candidates_;
  std::vector<TypeCandidate> types_;
  std::vector<std::string> segments_;
  std::string display_;
  std::unique_ptr<std::atomic<std::uint32_t>[]> hints_;
};

class SelectNode final : public Node {
 public:
  SelectNode(NodePtr operand, std::string field)
      : operand_(std::move(operand)), field_(std::move(field)) {}
  const config::Value* EvalNode(Frame& f) const override {
    const config::Value* n = operand_->EvalNode(f);
    if (n == nullptr) return nullptr;
    const config::ValueMap* m = n->IfMap();
    return m ? m->Find(field_) : nullptr;
  }
  Value Eval(Frame& f) const override { return internal::SelectField(operand_->Eval(f), field_); }

 private:
  NodePtr operand_;
  std::string field_;
};

class HasNode final : public Node {
 public:
  HasNode(NodePtr operand, std::string field)
      : operand_(std::move(operand)), field_(std::move(field)) {}
  Value Eval(Frame& f) const override {
    if (const config::Value* n = operand_->EvalNode(f)) {
      if (const config::ValueMap* m = n->IfMap()) return Value::Bool(m->Find(field_) != nullptr);
    }
    return internal::HasField(operand_->Eval(f), field_);
  }

 private:
  NodePtr operand_;
  std::string field_;
};

constexpr std::size_t kMaxInlineArgs = 4;

class CallNode final : public Node {
 public:
  CallNode(std::string name, Function fn, std::vector<NodePtr> args)
      : name_(std::move(name)), fn_(fn), args_(std::move(args)) {}
  Value Eval(Frame& f) const override {
    if (!f.Charge(1)) return internal::BudgetError();
    std::size_t n = args_.size();
    if (n <= kMaxInlineArgs) {
      std::array<Value, kMaxInlineArgs> vals;
      for (std::size_t i = 0; i < n; ++i) {
        vals[i] = args_[i]->Eval(f);
        if (vals[i].IsError()) return vals[i];
      }
      return fn_(f, std::span<const Value>(vals.data(), n));
    }
    std::vector<Value> vals(n);
    for (std::size_t i = 0; i < n; ++i) {
      vals[i] = args_[i]->Eval(f);
      if (vals[i].IsError()) return vals[i];
    }
    return fn_(f, vals);
  }

 private:
  std::string name_;
  Function fn_;
  std::vector<NodePtr> args_;
};

class UnknownCallNode final : public Node {
 public:
  UnknownCallNode(std::string name, std::vector<NodePtr> args)
      : name_(std::move(name)), args_(std::move(args)) {}
  Value Eval(Frame& f) const override {
    for (const auto& a : args_) {
      Value v = a->Eval(f);
      if (v.IsError()) return v;
    }
    return Value::Error(fmt::format(
        "unbound function: no such overload for '{}' with {} argument(s)", name_, args_.size()));
  }

 private:
  std::string name_;
  std::vector<NodePtr> args_;
};

Value NotBool(std::string_view op, const Value& v) {
  return Value::Error(fmt::format("no such overload: {} applied to '{}'", op, v.TypeName()));
}

// Logical AND/OR with CEL's commutative error absorption: `false && error` and `error && false`
// are false; otherwise the first error wins.
template <bool kIsAnd>
class LogicNode final : public Node {
 public:
  LogicNode(NodePtr a, NodePtr b) : a_(std::move(a)), b_(std::move(b)) {}
  Value Eval(Frame& f) const override {
    Value l = a_->Eval(f);
    if (l.kind() == Kind::kBool && l.bool_value() != kIsAnd) return l;
    Value r = b_->Eval(f);
    if (r.kind() == Kind::kBool && r.bool_value() != kIsAnd) return r;
    if (l.kind() != Kind::kBool) return l.IsError() ? l : NotBool(kIsAnd ? "_&&_" : "_||_", l);
    if (r.kind() != Kind::kBool) return r.IsError() ? r : NotBool(kIsAnd ? "_&&_" : "_||_", r);
    return Value::Bool(kIsAnd);
  }
  int EvalBool(Frame& f) const override {
    int l = a_->EvalBool(f);
    if (l == static_cast<int>(!kIsAnd)) return l;
    int r = b_->EvalBool(f);
    if (r == static_cast<int>(!kIsAnd)) return r;
    if (l < 0 || r < 0) return -1;
    return static_cast<int>(kIsAnd);
  }

 private:
  NodePtr a_, b_;
};

class NotNode final : public Node {
 public:
  explicit NotNode(NodePtr a) : a_(std::move(a)) {}
  Value Eval(Frame& f) const override {
    Value v = a_->Eval(f);
    if (v.kind() == Kind::kBool) return Value::Bool(!v.bool_value());
    return v.IsError() ? v : NotBool("!_", v);
  }
  int EvalBool(Frame& f) const override {
    int v = a_->EvalBool(f);
    return v < 0 ? -1 : 1 - v;
  }

 private:
  NodePtr a_;
};

class TernaryNode final : public Node {
 public:
  TernaryNode(NodePtr c, NodePtr a, NodePtr b)
      : c_(std::move(c)), a_(std::move(a)), b_(std::move(b)) {}
  Value Eval(Frame& f) const override {
    Value c = c_->Eval(f);
    if (c.kind() != Kind::kBool) return c.IsError() ? c : NotBool("_?_:_", c);
    return c.bool_value() ? a_->Eval(f) : b_->Eval(f);
  }
  int EvalBool(Frame& f) const override {
    int c = c_->EvalBool(f);
    if (c < 0) return -1;
    return c ? a_->EvalBool(f) : b_->EvalBool(f);
  }

 private:
  NodePtr c_, a_, b_;
};

// `x == 'literal'` / `x != 'literal'` without building a Value for x when it is a document node.
class EqConstStringNode final : public Node {
 public:
  EqConstStringNode(NodePtr operand, Value literal, bool negate)
      : operand_(std::move(operand)), literal_(std::move(literal)), negate_(negate) {}
  Value Eval(Frame& f) const override {
    if (!f.Charge(1)) return internal::BudgetError();
    if (const config::Value* n = operand_->EvalNode(f)) {
      if (const std::string* s = n->IfString())
        return Value::Bool((*s == literal_.str()) != negate_);
      return Value::Bool(negate_);  // different type: unequal
    }
    Value v = operand_->Eval(f);
    if (v.IsError()) return v;
    return Value::Bool(Equal(v, literal_) != negate_);
  }
  int EvalBool(Frame& f) const override {
    if (!f.Charge(1)) return -1;
    if (const config::Value* n = operand_->EvalNode(f)) {
      if (const std::string* s = n->IfString()) {
        return static_cast<int>(internal::FastEqual(*s, literal_.str()) != negate_);
      }
      return static_cast<int>(negate_);
    }
    Value v = operand_->Eval(f);
    if (v.IsError()) return -1;
    return static_cast<int>(Equal(v, literal_) != negate_);
  }

 private:
  NodePtr operand_;
  Value literal_;
  bool negate_;
};

// `x in [constant list]`: a prebuilt string set when every element is a string.
class InConstListNode final : public Node {
 public:
  InConstListNode(NodePtr operand, const Value& list) : operand_(std::move(operand)) {
    all_strings_ = true;
    for (std::size_t i = 0; i < list.ListSize(); ++i) {
      elems_.push_back(list.ListAt(i));
      if (elems_.back().kind() != Kind::kString) all_strings_ = false;
    }
    if (all_strings_) {
      for (const auto& e : elems_) strings_.emplace_back(e.str());
      if (strings_.size() > 8) set_.insert(strings_.begin(), strings_.end());
    }
  }
  int EvalBool(Frame& f) const override {
    if (!all_strings_) return Node::EvalBool(f);
    const config::Value* n = operand_->EvalNode(f);
    const std::string* s = n ? n->IfString() : nullptr;
    if (s == nullptr) return Node::EvalBool(f);
    if (!f.Charge(1)) return -1;
    std::string_view key = *s;
    if (!set_.empty()) return static_cast<int>(set_.contains(key));
    for (std::string_view e : strings_) {
      if (internal::FastEqual(e, key)) return 1;
    }
    return 0;
  }

  Value Eval(Frame& f) const override {
    if (!f.Charge(1)) return internal::BudgetError();
    std::string_view key;
    bool have_string = false;
    Value v;
    if (const config::Value* n = operand_->EvalNode(f)) {
      if (const std::string* s = n->IfString()) {
        key = *s;
        have_string = true;
      } else {
        v = Value::Borrow(*n);
      }
    } else {
      v = operand_->Eval(f);
      if (v.IsError()) return v;
      if (v.kind() == Kind::kString) {
        key = v.str();
        have_string = true;
      }
    }
    if (have_string && all_strings_) {
      if (!set_.empty()) return Value::Bool(set_.contains(key));
      for (std::string_view s : strings_) {
        if (internal::FastEqual(s, key)) return Value::Bool(true);
      }
      return Value::Bool(false);
    }
    if (have_string) v = Value::StringView(key);
    for (const auto& e : elems_) {
      if (Equal(v, e)) return Value::Bool(true);
    }
    return Value::Bool(false);
  }

 private:
  NodePtr operand_;
  std::vector<Value> elems_;
  bool all_strings_ = false;
  std::vector<std::string_view> strings_;
  std::unordered_set<std::string_view> set_;
};

class StartsWithConstNode final : public Node {
 public:
  StartsWithConstNode(NodePtr operand, Value prefix, bool ends)
      : operand_(std::move(operand)), prefix_(std::move(prefix)), ends_(ends) {}
  Value Eval(Frame& f) const override {
    if (!f.Charge(1)) return internal::BudgetError();
    std::string_view s;
    Value v;
    if (const config::Value* n = operand_->EvalNode(f); n != nullptr && n->is_string()) {
      s = n->AsString();
    } else {
      v = n ? Value::Borrow(*n) : operand_->Eval(f);
      if (v.IsError()) return v;
      if (v.kind() != Kind::kString) {
        Value args[] = {v, prefix_};
        return internal::NoSuchOverload(ends_ ? "endsWith" : "startsWith", args);
      }
      s = v.str();
    }
    return Value::Bool(ends_ ? s.ends_with(prefix_.str()) : s.starts_with(prefix_.str()));
  }
  int EvalBool(Frame& f) const override {
    const config::Value* n = operand_->EvalNode(f);
    if (n == nullptr || !n->is_string()) return Node::EvalBool(f);
    if (!f.Charge(1)) return -1;
    std::string_view s = n->AsString(), p = prefix_.str();
    if (s.size() < p.size()) return 0;
    return static_cast<int>(
        internal::FastEqual(ends_ ? s.substr(s.size() - p.size()) : s.substr(0, p.size()), p));
  }

 private:
  NodePtr operand_;
  Value prefix_;
  bool ends_;
};

class MatchesConstNode final : public Node {
 public:
  MatchesConstNode(NodePtr operand, std::unique_ptr<RE2> re)
      : operand_(std::move(operand)), re_(std::move(re)) {}
  Value Eval(Frame& f) const override {
    Value v = operand_->Eval(f);
    if (v.IsError()) return v;
    if (v.kind() != Kind::kString) {
      Value args[] = {v, Value::StringView(re_->pattern())};
      return internal::NoSuchOverload("matches", args);
    }
    if (!f.Charge(1 + v.str().size() / 10)) return internal::BudgetError();
    return Value::Bool(RE2::PartialMatch(re2::StringPiece(v.str().data(), v.str().size()), *re_));
  }

 private:
  NodePtr operand_;
  std::unique_ptr<RE2> re_;
};

// `x < c`, `x <= c`, `x > c`, `x >= c` (or mirrored) with a constant int c, and `size(x)` as x:
// no Value is built for the size or the comparison on the common path.
class RelConstIntNode final : public Node {
 public:
  enum Op { kLt, kLe, kGt, kGe };
  RelConstIntNode(NodePtr operand, bool operand_is_size, std::int64_t c, Op op, Function generic,
                  bool const_first, Value constant)
      : operand_(std::move(operand)),
        size_(operand_is_size),
        c_(c),
        op_(op),
        generic_(generic),
        const_first_(const_first),
        constant_(std::move(constant)) {}
  int EvalBool(Frame& f) const override {
    const config::Value* n = operand_->EvalNode(f);
    std::int64_t x;
    if (n != nullptr && size_ && n->is_string()) {
      x = static_cast<std::int64_t>(internal::CodePointCount(n->AsString()));
    } else if (n != nullptr && !size_ && n->is_int()) {
      x = n->AsInt();
    } else {
      return Node::EvalBool(f);
    }
    if (!f.Charge(size_ ? 2 : 1)) return -1;
    switch (op_) {
      case kLt:
        return x < c_;
      case kLe:
        return x <= c_;
      case kGt:
        return x > c_;
      default:
        return x >= c_;
    }
  }

  Value Eval(Frame& f) const override {
    if (!f.Charge(size_ ? 2 : 1)) return internal::BudgetError();
    std::int64_t x;
    Value v;
    const config::Value* n = operand_->EvalNode(f);
    if (n != nullptr && size_ && n->is_string()) {
      x = static_cast<std::int64_t>(internal::CodePointCount(n->AsString()));
    } else if (n != nullptr && !size_ && n->is_int()) {
      x = n->AsInt();
    } else {
      v = n ? Value::Borrow(*n) : operand_->Eval(f);
      if (v.IsError()) return v;
      if (size_) {
        Value arg[] = {v};
        v = internal::LookupFunction("size", 1, false)(f, std::span<const Value>(arg, 1));
        if (v.IsError()) return v;
      }
      if (v.kind() != Kind::kInt) {
        Value args[2] = {const_first_ ? constant_ : v, const_first_ ? v : constant_};
        return generic_(f, std::span<const Value>(args, 2));
      }
      x = v.int_value();
    }
    switch (op_) {
      case kLt:
        return Value::Bool(x < c_);
      case kLe:
        return Value::Bool(x <= c_);
      case kGt:
        return Value::Bool(x > c_);
      default:
        return Value::Bool(x >= c_);
    }
  }

 private:
  NodePtr operand_;
  bool size_;
  std::int64_t c_;
  Op op_;
  Function generic_;
  bool const_first_;
  Value constant_;
};

class ListNode final : public Node {
 public:
  explicit ListNode(std::vector<NodePtr> elems) : elems_(std::move(elems)) {}
  Value Eval(Frame& f) const override {
    if (elems_.size() > f.limits->max_list_size) {
      return Value::Error("list size limit exceeded", ErrorCode::kResourceExhausted);
    }
    if (!f.Charge(1 + elems_.size())) return internal::BudgetError();
    std::vector<Value> out;
    out.reserve(elems_.size());
    for (const auto& e : elems_) {
      out.push_back(e->Eval(f));
      if (out.back().IsError()) return out.back();
    }
    return Value::List(std::move(out));
  }

 private:
  std::vector<NodePtr> elems_;
};

class MapNode final : public Node {
 public:
  MapNode(std::vector<NodePtr> keys, std::vector<NodePtr> values)
      : keys_(std::move(keys)), values_(std::move(values)) {}
  Value Eval(Frame& f) const override {
    if (keys_.size() > f.limits->max_list_size) {
      return Value::Error("map size limit exceeded", ErrorCode::kResourceExhausted);
    }
    if (!f.Charge(1 + keys_.size())) return internal::BudgetError();
    MapData out;
    out.entries.reserve(keys_.size());
    for (std::size_t i = 0; i < keys_.size(); ++i) {
      Value k = keys_[i]->Eval(f);
      if (k.IsError()) return k;
      Value v = values_[i]->Eval(f);
      if (v.IsError()) return v;
      Kind kk = k.kind();
      if (kk != Kind::kString && kk != Kind::kInt && kk != Kind::kUint && kk != Kind::kBool) {
        return Value::Error(fmt::format("unsupported key type: {}", k.TypeName()));
      }
      for (const auto& e : out.entries) {
        if (Equal(e.first, k))
          return Value::Error(fmt::format("Failed with repeated key: {}", k.DebugString()));
      }
      out.entries.emplace_back(std::move(k), std::move(v));
    }
    return Value::Map(std::move(out));
  }

 private:
  std::vector<NodePtr> keys_, values_;
};

class StructNode final : public Node {
 public:
  explicit StructNode(std::string name) : name_(std::move(name)) {}
  Value Eval(Frame&) const override {
    return Value::Error(
        fmt::format("unknown message type '{}': protobuf messages are not supported", name_));
  }

 private:
  std::string name_;
};

class ComprehensionNode final : public Node {
 public:
  // slot2 is used by the two-variable forms (index/key in slot, element/value in slot2).
  ComprehensionNode(MacroKind macro, bool two_vars, NodePtr range, std::size_t slot,
                    std::size_t slot2, NodePtr a, NodePtr b)
      : macro_(macro),
        two_(two_vars),
        range_(std::move(range)),
        slot_(slot),
        slot2_(slot2),
        a_(std::move(a)),
        b_(std::move(b)) {}

  // all()/exists() over a list of the document, one variable: predicates through EvalBool.
  int EvalBool(Frame& f) const override {
    bool is_exists = macro_ == MacroKind::kExists;
    if (two_ || !(is_exists || macro_ == MacroKind::kAll)) return Node::EvalBool(f);
    const config::Value* n = range_->EvalNode(f);
    const config::ValueList* l = n ? n->IfList() : nullptr;
    if (l == nullptr) return Node::EvalBool(f);
    for (const config::Value& elem : *l) {
      if (!f.Charge(1)) return -1;
      f.slots[slot_] = Value::Borrow(elem);
      int p = a_->EvalBool(f);
      if (p < 0) return -1;  // errors may be absorbed later: let Eval decide
      if (p == static_cast<int>(is_exists)) return p;
    }
    return static_cast<int>(!is_exists);
  }

  Value Eval(Frame& f) const override {
    if (const config::Value* n = range_->EvalNode(f)) {
      if (const config::ValueList* l = n->IfList()) {
        return Loop(f, l->size(), false, [&](std::size_t i) {
          if (two_) {
            f.slots[slot_] = Value::Int(static_cast<std::int64_t>(i));
            f.slots[slot2_] = Value::Borrow((*l)[i]);
          } else {
            f.slots[slot_] = Value::Borrow((*l)[i]);
          }
        });
      }
      if (const config::ValueMap* m = n->IfMap()) {
        return Loop(f, m->size(), true, [&](std::size_t i) {
          f.slots[slot_] = Value::StringView(m->at_index(i).key);
          if (two_) f.slots[slot2_] = Value::Borrow(m->at_index(i).value);
        });
      }
    }
    Value r = range_->Eval(f);
    if (r.IsError()) return r;
    if (r.kind() == Kind::kList) {
      return Loop(f, r.ListSize(), false, [&](std::size_t i) {
        if (two_) {
          f.slots[slot_] = Value::Int(static_cast<std::int64_t>(i));
          f.slots[slot2_] = r.ListAt(i);
        } else {
          f.slots[slot_] = r.ListAt(i);
        }
      });
    }
    if (r.kind() == Kind::kMap) {
      return Loop(f, r.MapSize(), true, [&](std::size_t i) {
        f.slots[slot_] = r.MapKeyAt(i);
        if (two_) f.slots[slot2_] = r.MapValueAt(i);
      });
    }
    return Value::Error(fmt::format("cannot iterate over a value of type '{}'", r.TypeName()));
  }

 private:
  template <typename Bind>
  Value Loop(Frame& f, std::size_t n, bool is_map, Bind bind) const {
    Value err;
    bool have_err = false;
    std::int64_t count = 0;
    std::vector<Value> out;
    MapData out_map;
    (void)is_map;
    for (std::size_t i = 0; i < n; ++i) {
      if (!f.Charge(1)) return internal::BudgetError();
      bind(i);
      Value p = a_->Eval(f);
      switch (macro_) {
        case MacroKind::kAll:
        case MacroKind::kExists: {
          bool stop_on = macro_ == MacroKind::kExists;
          if (p.kind() == Kind::kBool) {
            if (p.bool_value() == stop_on) return p;
          } else if (!have_err) {
            have_err = true;
            err = p.IsError() ? p : NotBool(macro_ == MacroKind::kAll ? "all" : "exists", p);
          }
          break;
        }
        case MacroKind::kExistsOne:
          if (p.kind() != Kind::kBool) return p.IsError() ? p : NotBool("exists_one", p);
          if (p.bool_value()) ++count;
          break;
        case MacroKind::kMap:
        case MacroKind::kTransformList:
          if (p.IsError()) return p;
          out.push_back(std::move(p));
          break;
        case MacroKind::kTransformMap:
          if (p.IsError()) return p;
          out_map.entries.emplace_back(f.slots[slot_], std::move(p));
          break;
        case MacroKind::kFilter:
          if (p.kind() != Kind::kBool) return p.IsError() ? p : NotBool("filter", p);
          if (p.bool_value()) out.push_back(f.slots[slot_]);
          break;
        case MacroKind::kMapFilter:
        case MacroKind::kTransformListFilter:
        case MacroKind::kTransformMapFilter: {
          if (p.kind() != Kind::kBool) return p.IsError() ? p : NotBool("map", p);
          if (p.bool_value()) {
            Value t = b_->Eval(f);
            if (t.IsError()) return t;
            if (macro_ == MacroKind::kTransformMapFilter) {
              out_map.entries.emplace_back(f.slots[slot_], std::move(t));
            } else {
              out.push_back(std::move(t));
            }
          }
          break;
        }
      }
      if (out.size() + out_map.entries.size() > f.limits->max_list_size) {
        return Value::Error("list size limit exceeded", ErrorCode::kResourceExhausted);
      }
    }
    switch (macro_) {
      case MacroKind::kAll:
        return have_err ? err : Value::Bool(true);
      case MacroKind::kExists:
        return have_err ? err : Value::Bool(false);
      case MacroKind::kExistsOne:
        return Value::Bool(count == 1);
      case MacroKind::kTransformMap:
      case MacroKind::kTransformMapFilter:
        return Value::Map(std::move(out_map));
      default:
        return Value::List(std::move(out));
    }
  }

  MacroKind macro_;
  bool two_;
  NodePtr range_;
  std::size_t slot_, slot2_;
  NodePtr a_, b_;
};

}  // namespace

// ---- the program ----

struct Program::Impl {
  NodePtr root;
  std::vector<std::string> vars;    // global variable names (slots [0, vars.size()))
  std::vector<bool> var_qualified;  // whether the name contains a '.'
  std::size_t var_base = 0;         // comprehension variables use slots [0, var_base)
  EvalLimits limits;
  std::unique_ptr<internal::TimeZones> zones;

  template <typename Fn>
  auto Run(const Activation& act, EvalStats* stats, Fn fn) const {
    // Comprehension variables live in Value slots; global variables are pointers into the
    // activation (nothing is copied per evaluation).
    std::size_t n = var_base;
    std::size_t nvars = vars.size();  // the member: names of the bound variables
    constexpr std::size_t kInline = 8;
    alignas(Value) unsigned char inline_buf[kInline * sizeof(Value)];
    std::array<const Value*, kInline> inline_globals;
    std::unique_ptr<Value[]> heap_slots;
    std::unique_ptr<const Value*[]> heap_globals;
    Value* slots;
    const Value** globals = inline_globals.data();
    if (n <= kInline) {
      slots = reinterpret_cast<Value*>(inline_buf);
      for (std::size_t i = 0; i < n; ++i) new (&slots[i]) Value();
    } else {
      heap_slots = std::make_unique<Value[]>(n);
      slots = heap_slots.get();
    }
    if (nvars > kInline) {
      heap_globals = std::make_unique<const Value*[]>(nvars);
      globals = heap_globals.get();
    }
    struct Cleanup {
      Value* slots;
      std::size_t n;
      ~Cleanup() {
        for (std::size_t i = 0; i < n; ++i) slots[i].~Value();
      }
    } cleanup{slots, n <= kInline ? n : 0};
    bool qualified = act.has_qualified_names();
    for (std::size_t i = 0; i < nvars; ++i) {
      globals[i] = var_qualified[i] && !qualified ? nullptr : act.Find(vars[i]);
    }
    Frame f;
    f.slots = slots;
    f.globals = globals;
    f.budget = limits.cost_budget;
    f.limits = &limits;
    f.zones = zones.get();
    auto result = fn(*root, f);
    if (stats) stats->cost = f.cost;
    return result;
  }

  int RunBool(const Activation& act) const {
    return Run(act, nullptr, [](const Node& r, Frame& f) {
      int v = r.EvalBool(f);
      return f.exhausted ? -1 : v;
    });
  }
};

namespace {

class Planner {
 public:
  Planner(Program::Impl& impl, std::string_view container) : impl_(impl), container_(container) {}

  Result<NodePtr> Plan(const Expr& e) {
    NodePtr root = Build(e);
    // Every comprehension got two fresh slots while planning.
    impl_.var_base = next_comprehension_slot_;
    return root;
  }

 private:
  std::size_t InternVar(const std::string& name) {
    for (std::size_t i = 0; i < impl_.vars.size(); ++i) {
      if (impl_.vars[i] == name) return i;
    }
    impl_.vars.push_back(name);
    impl_.var_qualified.push_back(name.find('.') != std::string::npos);
    return impl_.vars.size() - 1;
  }

  // Folds a node to a constant when it is pure and all its inputs are constants.
  NodePtr Fold(NodePtr n, bool inputs_constant) {
    if (!inputs_constant) return n;
    std::array<Value, 1> scratch;
    const Value* no_globals[1] = {nullptr};
    EvalLimits limits = impl_.limits;
    Frame f;
    f.slots = scratch.data();
    f.globals = no_globals;
    f.budget = limits.cost_budget;
    f.limits = &limits;
    f.zones = impl_.zones.get();
    Value v = n->Eval(f);
    if (v.IsError()) return n;  // keep the error for evaluation time
    return std::make_unique<ConstNode>(std::move(v));
  }

  bool IsScoped(const std::string& name) const {
    for (const auto& s : scopes_) {
      if (s.first == name) return true;
    }
    return false;
  }

  static bool AllConst(const std::vector<NodePtr>& v) {
    for (const auto& n : v) {
      if (!n->constant()) return false;
    }
    return true;
  }

  NodePtr BuildPath(const Expr& e) {
    // Flatten a.b.c into segments.
    std::vector<const Expr*> chain;
    const Expr* cur = &e;
    while (cur->kind == ExprKind::kSelect && !cur->test_only) {
      chain.push_back(cur);
      cur = cur->target.get();
    }
    if (cur->kind != ExprKind::kIdent) {
      // Selections on a computed value.
      NodePtr n = Build(*cur);
      for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
        n = std::make_unique<SelectNode>(std::move(n), (*it)->name);
      }
      return n;
    }
    std::string root = cur->name;
    bool absolute = !root.empty() && root[0] == '.';
    if (absolute) root.erase(0, 1);
    std::vector<std::string> segments{root};
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) segments.push_back((*it)->name);

    std::vector<PathNode::Candidate> cands;
    std::vector<PathNode::TypeCandidate> types;
    if (!absolute) {
      for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it) {
        if (it->first == root) {
          cands.push_back({it->second, 1, true});
          break;
        }
      }
    }
    if (cands.empty()) {
      std::vector<std::string> prefixes;
      if (!absolute && !container_.empty()) {
        std::string c(container_);
        while (true) {
          prefixes.push_back(c + ".");
          std::size_t dot = c.rfind('.');
          if (dot == std::string::npos) break;
          c.erase(dot);
        }
      }
      prefixes.push_back("");
      for (std::size_t k = segments.size(); k >= 1; --k) {
        std::string name = segments[0];
        for (std::size_t i = 1; i < k; ++i) name += "." + segments[i];
        for (const auto& p : prefixes) {
          cands.push_back({InternVar(p + name), k, false});
        }
        if (std::string_view t = internal::TypeIdentifier(name); !t.empty()) types.push_back({t, k});
      }
    }
    std::string display = segments[0];
    return std::make_unique<PathNode>(std::move(cands), std::move(types), std::move(segments),
                                      std::move(display));
  }

  NodePtr Build(const Expr& e) {
    switch (e.kind) {
      case ExprKind::kConst:
        return std::make_unique<ConstNode>(e.constant);
      case ExprKind::kIdent:
        return BuildPath(e);
      case ExprKind::kSelect: {
        if (e.test_only) {
          NodePtr operand = Build(*e.target);
          return std::make_unique<HasNode>(std::move(operand), e.name);
        }
        return BuildPath(e);
      }
      case ExprKind::kList: {
        std::vector<NodePtr> elems;
        for (const auto& a : e.args) elems.push_back(Build(*a));
        bool c = AllConst(elems);
        return Fold(std::make_unique<ListNode>(std::move(elems)), c);
      }
      case ExprKind::kMap: {
        std::vector<NodePtr> keys, values;
        for (const auto& k : e.keys) keys.push_back(Build(*k));
        for (const auto& v : e.args) values.push_back(Build(*v));
        bool c = AllConst(keys) && AllConst(values);
        return Fold(std::make_unique<MapNode>(std::move(keys), std::move(values)), c);
      }
      case ExprKind::kStruct:
        return std::make_unique<StructNode>(e.name);
      case ExprKind::kComprehension: {
        NodePtr range = Build(*e.target);
        std::size_t slot = next_comprehension_slot_++;
        std::size_t slot2 = next_comprehension_slot_++;
        bool two = !e.iter_var2.empty();
        scopes_.emplace_back(e.name, slot);
        if (two) scopes_.emplace_back(e.iter_var2, slot2);
        NodePtr a = Build(*e.args[0]);
        NodePtr b = e.args.size() > 1 ? Build(*e.args[1]) : nullptr;
        scopes_.pop_back();
        if (two) scopes_.pop_back();
        return std::make_unique<ComprehensionNode>(e.macro, two, std::move(range), slot, slot2,
                                                   std::move(a), std::move(b));
      }
      case ExprKind::kCall:
        return BuildCall(e);
    }
    return std::make_unique<ConstNode>(Value());
  }

  NodePtr BuildCall(const Expr& e) {
    // size(x) <op> int literal: the size is computed without building a Value.
    if ((e.name == "_<_" || e.name == "_<=_" || e.name == "_>_" || e.name == "_>=_") && !e.target &&
        e.args.size() == 2) {
      for (int lit = 1; lit >= 0; --lit) {
        const Expr& c = *e.args[lit];
        const Expr& x = *e.args[1 - lit];
        if (c.kind != ExprKind::kConst || c.constant.kind() != Kind::kInt) continue;
        if (x.kind != ExprKind::kCall || x.name != "size" ||
            x.args.size() + (x.target ? 1 : 0) != 1) {
          continue;
        }
        using Op = RelConstIntNode::Op;
        const std::string& fn = e.name;
        Op op = fn == "_<_" ? Op::kLt : fn == "_<=_" ? Op::kLe : fn == "_>_" ? Op::kGt : Op::kGe;
        if (lit == 0) {  // c < x  is  x > c
          op = op == Op::kLt   ? Op::kGt
               : op == Op::kLe ? Op::kGe
               : op == Op::kGt ? Op::kLt
                               : Op::kLe;
        }
        NodePtr operand = Build(x.target ? *x.target : *x.args[0]);
        return std::make_unique<RelConstIntNode>(std::move(operand), true, c.constant.int_value(),
                                                 op, internal::LookupFunction(fn, 2, false),
                                                 lit == 0, c.constant);
      }
    }
    // Namespaced functions (ip.isCanonical('...')): the receiver is a name, not a value.
    if (e.target && e.target->kind == ExprKind::kIdent && !IsScoped(e.target->name)) {
      std::string qualified = e.target->name + "." + e.name;
      if (qualified[0] == '.') qualified.erase(0, 1);
      if (Function f = internal::LookupFunction(qualified, e.args.size(), false)) {
        std::vector<NodePtr> args;
        for (const auto& a : e.args) args.push_back(Build(*a));
        bool c = AllConst(args);
        return Fold(std::make_unique<CallNode>(qualified, f, std::move(args)), c);
      }
    }
    std::vector<NodePtr> args;
    if (e.target) args.push_back(Build(*e.target));
    for (const auto& a : e.args) args.push_back(Build(*a));
    const std::string& fn = e.name;
    // (AllConst is computed before the arguments are moved: evaluation order of call arguments
    // is unspecified.)
    if (fn == "_&&_" && args.size() == 2) {
      bool c = AllConst(args);
      return Fold(std::make_unique<LogicNode<true>>(std::move(args[0]), std::move(args[1])), c);
    }
    if (fn == "_||_" && args.size() == 2) {
      bool c = AllConst(args);
      return Fold(std::make_unique<LogicNode<false>>(std::move(args[0]), std::move(args[1])), c);
    }
    if (fn == "!_" && args.size() == 1) {
      bool c = AllConst(args);
      return Fold(std::make_unique<NotNode>(std::move(args[0])), c);
    }
    if (fn == "_?_:_" && args.size() == 3) {
      bool c = AllConst(args);
      return Fold(
          std::make_unique<TernaryNode>(std::move(args[0]), std::move(args[1]), std::move(args[2])),
          c);
    }
    bool all_const = AllConst(args);
    if (!all_const && args.size() == 2) {
      if ((fn == "_==_" || fn == "_!=_")) {
        int lit = args[1]->constant() ? 1 : (args[0]->constant() ? 0 : -1);
        if (lit >= 0 && args[lit]->constant()->kind() == Kind::kString) {
          Value v = *args[lit]->constant();
          return std::make_unique<EqConstStringNode>(std::move(args[1 - lit]), std::move(v),
                                                     fn == "_!=_");
        }
      }
      if (fn == "_<_" || fn == "_<=_" || fn == "_>_" || fn == "_>=_") {
        int lit = args[1]->constant() ? 1 : (args[0]->constant() ? 0 : -1);
        if (lit >= 0 && args[lit]->constant()->kind() == Kind::kInt) {
          using Op = RelConstIntNode::Op;
          Op op = fn == "_<_" ? Op::kLt : fn == "_<=_" ? Op::kLe : fn == "_>_" ? Op::kGt : Op::kGe;
          if (lit == 0) {  // c < x  is  x > c
            op = op == Op::kLt   ? Op::kGt
                 : op == Op::kLe ? Op::kGe
                 : op == Op::kGt ? Op::kLt
                                 : Op::kLe;
          }
          Value c = *args[lit]->constant();
          NodePtr operand = std::move(args[1 - lit]);
          bool is_size = false;
          return std::make_unique<RelConstIntNode>(std::move(operand), is_size, c.int_value(), op,
                                                   internal::LookupFunction(fn, 2, false), lit == 0,
                                                   c);
        }
      }
      if (fn == "@in" && args[1]->constant() && args[1]->constant()->kind() == Kind::kList) {
        Value list = *args[1]->constant();
        return std::make_unique<InConstListNode>(std::move(args[0]), list);
      }
      if ((fn == "startsWith" || fn == "endsWith") && e.target && args[1]->constant() &&
          args[1]->constant()->kind() == Kind::kString) {
        Value v = *args[1]->constant();
        return std::make_unique<StartsWithConstNode>(std::move(args[0]), std::move(v),
                                                     fn == "endsWith");
      }
      if (fn == "matches" && args[1]->constant() && args[1]->constant()->kind() == Kind::kString) {
        std::string_view pat = args[1]->constant()->str();
        RE2::Options opts;
        opts.set_log_errors(false);
        auto re = std::make_unique<RE2>(re2::StringPiece(pat.data(), pat.size()), opts);
        if (re->ok()) return std::make_unique<MatchesConstNode>(std::move(args[0]), std::move(re));
      }
    }
    Function f = internal::LookupFunction(fn, args.size(), e.target != nullptr);
    if (f == nullptr) return std::make_unique<UnknownCallNode>(fn, std::move(args));
    return Fold(std::make_unique<CallNode>(fn, f, std::move(args)), all_const);
  }

 private:
  Program::Impl& impl_;
  std::string_view container_;
  std::size_t next_comprehension_slot_ = 0;
  std::vector<std::pair<std::string, std::size_t>> scopes_;
};

}  // namespace

// ---- Activation ----

void Activation::Bind(std::string_view name, Value value) {
  for (auto& [n, v] : vars_) {
    if (internal::FastEqual(n, name)) {
      v = std::move(value);
      return;
    }
  }
  if (name.find('.') != std::string_view::npos) has_qualified_ = true;
  vars_.emplace_back(std::string(name), std::move(value));
}

const Value* Activation::Find(std::string_view name) const {
  for (const auto& [n, v] : vars_) {
    if (internal::FastEqual(n, name)) return &v;
  }
  return nullptr;
}

// ---- Program ----

Program::Program() : impl_(std::make_unique<Impl>()) {}
Program::~Program() = default;

Result<std::unique_ptr<Program>> Program::Compile(std::string_view source,
                                                  const CompileOptions& options) {
  BULWARK_ASSIGN_OR_RETURN(ParsedExpr parsed, Parse(source, options.parse));
  return Compile(std::move(parsed), options);
}

Result<std::unique_ptr<Program>> Program::Compile(ParsedExpr parsed,
                                                  const CompileOptions& options) {
  std::unique_ptr<Program> p(new Program());
  p->source_ = parsed.source;
  if (options.declarations != nullptr) {
    BULWARK_ASSIGN_OR_RETURN(p->result_type_,
                             Check(parsed, *options.declarations, options.container));
  }
  p->impl_->limits = options.limits;
  p->impl_->zones = std::make_unique<internal::TimeZones>(options.fs);
  Planner planner(*p->impl_, options.container);
  BULWARK_ASSIGN_OR_RETURN(p->impl_->root, planner.Plan(*parsed.root));
  return p;
}

Value Program::EvaluateValue(const Activation& vars, EvalStats* stats) const {
  return impl_->Run(vars, stats, [](const Node& root, Frame& f) {
    Value result = root.Eval(f);
    if (f.exhausted) return internal::BudgetError();
    return result;
  });
}

Result<Value> Program::Evaluate(const Activation& vars, EvalStats* stats) const {
  Value v = EvaluateValue(vars, stats);
  if (v.IsError()) return MakeError(v.error_code(), v.error_message());
  return v;
}

Result<bool> Program::EvaluateBool(const Activation& vars) const {
  int fast = impl_->RunBool(vars);
  if (fast >= 0) return fast == 1;
  Value v = EvaluateValue(vars);
  if (v.IsError()) return MakeError(v.error_code(), v.error_message());
  if (v.kind() != Kind::kBool) {
    return InvalidArgumentError(fmt::format("expression returned {}, expected bool", v.TypeName()));
  }
  return v.bool_value();
}

}  // namespace bulwark::expr
