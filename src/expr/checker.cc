// A small CEL type checker: types are trees of kinds with parameters; `dyn` unifies with
// everything, so only provable mistakes are reported.
#include "bulwark/expr/checker.h"

#include <fmt/format.h>

#include <memory>
#include <optional>
#include <vector>

#include "expr/internal.h"

namespace bulwark::expr {
namespace {

struct Type {
  std::string name;  // "int", "list", "map", "dyn", "net.IP", ...
  std::vector<Type> params;

  bool dyn() const { return name == "dyn"; }
  bool operator==(const Type&) const = default;
  std::string ToString() const {
    if (params.empty()) return name;
    std::string s = name + "(";
    for (std::size_t i = 0; i < params.size(); ++i) s += (i ? ", " : "") + params[i].ToString();
    return s + ")";
  }
};

Type T(std::string n) { return Type{std::move(n), {}}; }
Type Dyn() { return T("dyn"); }
Type ListOf(Type t) { return Type{"list", {std::move(t)}}; }
Type MapOf(Type k, Type v) { return Type{"map", {std::move(k), std::move(v)}}; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

std::optional<Type> ParseType(std::string_view s) {
  s = Trim(s);
  std::size_t paren = s.find('(');
  if (paren == std::string_view::npos) {
    if (s == "timestamp" || s == "google.protobuf.Timestamp") return T("timestamp");
    if (s == "duration" || s == "google.protobuf.Duration") return T("duration");
    if (s == "any" || s.empty()) return s.empty() ? std::nullopt : std::optional<Type>(Dyn());
    if (s == "list") return ListOf(Dyn());
    if (s == "map") return MapOf(Dyn(), Dyn());
    return T(std::string(s));
  }
  if (s.back() != ')') return std::nullopt;
  std::string_view name = Trim(s.substr(0, paren));
  std::string_view inner = s.substr(paren + 1, s.size() - paren - 2);
  std::vector<Type> params;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= inner.size(); ++i) {
    if (i == inner.size() || (inner[i] == ',' && depth == 0)) {
      auto p = ParseType(inner.substr(start, i - start));
      if (!p) return std::nullopt;
      params.push_back(*p);
      start = i + 1;
    } else if (inner[i] == '(') {
      ++depth;
    } else if (inner[i] == ')') {
      --depth;
    }
  }
  if (name == "list" && params.size() == 1) return Type{"list", params};
  if (name == "map" && params.size() == 2) return Type{"map", params};
  return std::nullopt;
}

bool IsNumeric(const Type& t) { return t.name == "int" || t.name == "uint" || t.name == "double"; }

// Whether values of types a and b can be the same kind of value.
bool Compatible(const Type& a, const Type& b) {
  if (a.dyn() || b.dyn()) return true;
  if (a.name != b.name) return false;
  for (std::size_t i = 0; i < a.params.size() && i < b.params.size(); ++i) {
    if (!Compatible(a.params[i], b.params[i])) return false;
  }
  return true;
}

Type Join(const Type& a, const Type& b) {
  if (a == b) return a;
  return Dyn();
}

class Checker {
 public:
  Checker(const ParsedExpr& p, const Declarations& d, std::string_view container)
      : parsed_(p), decls_(d), container_(container) {}

  Result<std::string> Run() {
    Type t = Check(*parsed_.root);
    if (!error_.empty()) {
      std::string loc = DescribeLocation(parsed_.source, err_offset_);
      std::size_t nl = loc.find('\n');
      return InvalidArgumentError(
          fmt::format("{}: type error: {}{}", loc.substr(0, nl), error_, loc.substr(nl)));
    }
    return t.ToString();
  }

 private:
  Type Fail(const Expr& e, std::string msg) {
    if (error_.empty()) {
      error_ = std::move(msg);
      err_offset_ = e.offset;
    }
    return Dyn();
  }

  std::optional<Type> LookupVar(const std::string& name, bool absolute) {
    std::vector<std::string> cands;
    if (!absolute && !container_.empty()) {
      std::string c(container_);
      while (true) {
        cands.push_back(c + "." + name);
        std::size_t dot = c.rfind('.');
        if (dot == std::string::npos) break;
        c.erase(dot);
      }
    }
    cands.push_back(name);
    for (const auto& c : cands) {
      auto it = decls_.variables.find(c);
      if (it != decls_.variables.end()) {
        auto t = ParseType(it->second);
        return t ? *t : Dyn();
      }
    }
    return std::nullopt;
  }

  Type CheckPath(const Expr& e) {
    std::vector<const Expr*> chain;
    const Expr* cur = &e;
    while (cur->kind == ExprKind::kSelect && !cur->test_only) {
      chain.push_back(cur);
      cur = cur->target.get();
    }
    if (cur->kind != ExprKind::kIdent) {
      Type t = Check(*cur);
      for (auto it = chain.rbegin(); it != chain.rend(); ++it) t = SelectType(**it, t);
      return t;
    }
    std::string root = cur->name;
    bool absolute = root[0] == '.';
    if (absolute) root.erase(0, 1);
    std::vector<std::string> segs{root};
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) segs.push_back((*it)->name);
    if (!absolute) {
      for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it) {
        if (it->first == root) {
          Type t = it->second;
          for (std::size_t i = 1; i < segs.size(); ++i) t = SelectType(*chain[chain.size() - i], t);
          return t;
        }
      }
    }
    for (std::size_t k = segs.size(); k >= 1; --k) {
      std::string name = segs[0];
      for (std::size_t i = 1; i < k; ++i) name += "." + segs[i];
      std::optional<Type> t = LookupVar(name, absolute);
      if (!t && !internal::TypeIdentifier(name).empty()) t = T("type");
      if (t) {
        for (std::size_t i = k; i < segs.size(); ++i) t = SelectType(*chain[chain.size() - i], *t);
        return *t;
      }
    }
    return Fail(*cur, fmt::format("undeclared reference to '{}'", root));
  }

  Type SelectType(const Expr& e, const Type& t) {
    if (t.dyn()) return Dyn();
    if (t.name == "map") {
      if (!Compatible(t.params[0], T("string"))) {
        return Fail(e, fmt::format("field selection '{}' on a map with {} keys", e.name,
                                   t.params[0].ToString()));
      }
      return t.params[1];
    }
    return Fail(
        e, fmt::format("type '{}' does not support field selection ('.{}')", t.ToString(), e.name));
  }

  Type Check(const Expr& e) {
    switch (e.kind) {
      case ExprKind::kConst: {
        const Value& v = e.constant;
        switch (v.kind()) {
          case Kind::kNull:
            return T("null_type");
          case Kind::kBool:
            return T("bool");
          case Kind::kInt:
            return T("int");
          case Kind::kUint:
            return T("uint");
          case Kind::kDouble:
            return T("double");
          case Kind::kString:
            return T("string");
          case Kind::kBytes:
            return T("bytes");
          default:
            return Dyn();
        }
      }
      case ExprKind::kIdent:
        return CheckPath(e);
      case ExprKind::kSelect:
        if (e.test_only) {
          Type t = Check(*e.target);
          if (!t.dyn() && t.name != "map")
            return Fail(e, fmt::format("has() on type '{}'", t.ToString()));
          return T("bool");
        }
        return CheckPath(e);
      case ExprKind::kList: {
        Type elem;
        bool first = true;
        for (const auto& a : e.args) {
          Type t = Check(*a);
          elem = first ? t : Join(elem, t);
          first = false;
        }
        return ListOf(first ? Dyn() : elem);
      }
      case ExprKind::kMap: {
        Type k, v;
        for (std::size_t i = 0; i < e.args.size(); ++i) {
          Type kt = Check(*e.keys[i]);
          Type vt = Check(*e.args[i]);
          if (!kt.dyn() && kt.name != "string" && kt.name != "int" && kt.name != "uint" &&
              kt.name != "bool") {
            Fail(*e.keys[i], fmt::format("unsupported map key type '{}'", kt.ToString()));
          }
          k = i == 0 ? kt : Join(k, kt);
          v = i == 0 ? vt : Join(v, vt);
        }
        if (e.args.empty()) return MapOf(Dyn(), Dyn());
        return MapOf(k, v);
      }
      case ExprKind::kStruct:
        return Fail(e, fmt::format("unknown message type '{}'", e.name));
      case ExprKind::kComprehension: {
        Type range = Check(*e.target);
        Type var, var2;
        bool two = !e.iter_var2.empty();
        if (range.dyn()) {
          var = Dyn();
          var2 = Dyn();
        } else if (range.name == "list") {
          var = two ? T("int") : range.params[0];
          var2 = range.params[0];
        } else if (range.name == "map") {
          var = range.params[0];
          var2 = range.params[1];
        } else {
          return Fail(e, fmt::format("cannot iterate over type '{}'", range.ToString()));
        }
        scopes_.emplace_back(e.name, var);
        if (two) scopes_.emplace_back(e.iter_var2, var2);
        Type a = Check(*e.args[0]);
        std::optional<Type> b;
        if (e.args.size() > 1) b = Check(*e.args[1]);
        scopes_.pop_back();
        if (two) scopes_.pop_back();
        bool pred_first = e.macro != MacroKind::kMap && e.macro != MacroKind::kTransformList &&
                          e.macro != MacroKind::kTransformMap;
        if (pred_first && !Compatible(a, T("bool"))) {
          Fail(*e.args[0], fmt::format("predicate must be bool, found '{}'", a.ToString()));
        }
        switch (e.macro) {
          case MacroKind::kAll:
          case MacroKind::kExists:
          case MacroKind::kExistsOne:
            return T("bool");
          case MacroKind::kMap:
            return ListOf(a);
          case MacroKind::kMapFilter:
            return ListOf(*b);
          case MacroKind::kFilter:
            return ListOf(var);
          case MacroKind::kTransformList:
            return ListOf(a);
          case MacroKind::kTransformListFilter:
            return ListOf(*b);
          case MacroKind::kTransformMap:
            return MapOf(var, a);
          case MacroKind::kTransformMapFilter:
            return MapOf(var, *b);
        }
        return Dyn();
      }
      case ExprKind::kCall:
        return CheckCall(e);
    }
    return Dyn();
  }

  Type CheckCall(const Expr& e) {
    if (e.target && e.target->kind == ExprKind::kIdent && e.target->name == "ip" &&
        e.name == "isCanonical") {
      for (const auto& x : e.args) Check(*x);
      return T("bool");
    }
    std::vector<Type> a;
    if (e.target) a.push_back(Check(*e.target));
    for (const auto& x : e.args) a.push_back(Check(*x));
    const std::string& fn = e.name;
    auto mismatch = [&]() {
      std::string types;
      for (const auto& t : a) types += (types.empty() ? "" : ", ") + t.ToString();
      return Fail(e, fmt::format("found no matching overload for '{}' applied to ({})", fn, types));
    };
    auto is = [&](std::size_t i, std::string_view n) { return a[i].dyn() || a[i].name == n; };
    std::size_t n = a.size();
    if (fn == "_&&_" || fn == "_||_") {
      if (!is(0, "bool") || !is(1, "bool")) return mismatch();
      return T("bool");
    }
    if (fn == "!_") return is(0, "bool") ? T("bool") : mismatch();
    if (fn == "_?_:_") {
      if (!is(0, "bool")) return mismatch();
      return Join(a[1], a[2]);
    }
    if (fn == "_==_" || fn == "_!=_") return T("bool");
    if (fn == "_<_" || fn == "_<=_" || fn == "_>_" || fn == "_>=_") {
      bool ok = Compatible(a[0], a[1]) || (IsNumeric(a[0]) && IsNumeric(a[1]));
      static constexpr std::string_view kOrdered[] = {"int",   "uint", "double",    "string",
                                                      "bytes", "bool", "timestamp", "duration"};
      for (std::size_t i = 0; i < 2 && ok; ++i) {
        if (a[i].dyn()) continue;
        bool found = false;
        for (auto o : kOrdered) found |= a[i].name == o;
        ok = found;
      }
      return ok ? T("bool") : mismatch();
    }
    if (fn == "_+_" || fn == "_-_" || fn == "_*_" || fn == "_/_" || fn == "_%_") {
      if (a[0].dyn() || a[1].dyn()) return a[0].dyn() ? a[1] : a[0];
      const std::string &x = a[0].name, &y = a[1].name;
      if (x == y && IsNumeric(a[0]) && (fn != "_%_" || x != "double")) return a[0];
      if (fn == "_+_") {
        if (x == y && (x == "string" || x == "bytes" || x == "list" || x == "duration"))
          return Join(a[0], a[1]);
        if ((x == "timestamp" && y == "duration") || (x == "duration" && y == "timestamp"))
          return T("timestamp");
      }
      if (fn == "_-_") {
        if (x == "timestamp" && y == "timestamp") return T("duration");
        if (x == "timestamp" && y == "duration") return T("timestamp");
        if (x == "duration" && y == "duration") return T("duration");
      }
      return mismatch();
    }
    if (fn == "-_") {
      if (a[0].dyn() || a[0].name == "int" || a[0].name == "double" || a[0].name == "duration")
        return a[0];
      return mismatch();
    }
    if (fn == "@in") {
      if (a[1].dyn()) return T("bool");
      if (a[1].name == "list" && Compatible(a[0], a[1].params[0])) return T("bool");
      if (a[1].name == "list" && IsNumeric(a[0]) && IsNumeric(a[1].params[0])) return T("bool");
      if (a[1].name == "map") return T("bool");
      return mismatch();
    }
    if (fn == "_[_]") {
      if (a[0].dyn()) return Dyn();
      if (a[0].name == "list") return is(1, "int") || is(1, "uint") ? a[0].params[0] : mismatch();
      if (a[0].name == "map") return a[0].params[1];
      return mismatch();
    }
    if (fn == "size" && n == 1) {
      if (a[0].dyn() || a[0].name == "string" || a[0].name == "bytes" || a[0].name == "list" ||
          a[0].name == "map")
        return T("int");
      return mismatch();
    }
    if ((fn == "contains" || fn == "startsWith" || fn == "endsWith" || fn == "matches" ||
         fn == "matchesGlob") &&
        n == 2) {
      return is(0, "string") && is(1, "string") ? T("bool") : mismatch();
    }
    static constexpr std::string_view kStringToString[] = {"lowerAscii", "upperAscii", "trim"};
    for (auto s : kStringToString) {
      if (fn == s && n == 1) return is(0, "string") ? T("string") : mismatch();
    }
    if ((fn == "charAt" || fn == "substring" || fn == "replace") && n >= 2) {
      return is(0, "string") ? T("string") : mismatch();
    }
    if ((fn == "indexOf" || fn == "lastIndexOf") && n >= 2) {
      return is(0, "string") && is(1, "string") ? T("int") : mismatch();
    }
    if (fn == "split" && n >= 2) return is(0, "string") ? ListOf(T("string")) : mismatch();
    if (fn == "join" && n >= 1) return is(0, "list") ? T("string") : mismatch();
    if (n == 1 && (fn == "int" || fn == "uint" || fn == "double" || fn == "string" ||
                   fn == "bytes" || fn == "bool")) {
      return T(fn);
    }
    if (fn == "dyn" && n == 1) return Dyn();
    if (fn == "type" && n == 1) return T("type");
    if (fn == "timestamp" && n == 1) return T("timestamp");
    if (fn == "duration" && n == 1) return T("duration");
    static constexpr std::string_view kGetters[] = {
        "getFullYear",  "getMonth", "getDayOfYear", "getDate",    "getDayOfMonth",
        "getDayOfWeek", "getHours", "getMinutes",   "getSeconds", "getMilliseconds"};
    for (auto g : kGetters) {
      if (fn == g && (n == 1 || n == 2)) {
        if (!is(0, "timestamp") && !is(0, "duration")) return mismatch();
        if (n == 2 && !is(1, "string")) return mismatch();
        return T("int");
      }
    }
    if (fn == "ip" && n == 1) return T("net.IP");
    if (fn == "cidr" && n == 1) return T("net.CIDR");
    if (fn == "semver" && n == 1) return T("semver.Version");
    if ((fn == "isIP" || fn == "isCIDR" || fn == "isSemver") && n == 1)
      return is(0, "string") ? T("bool") : mismatch();
    if ((fn == "containsIP" || fn == "containsCIDR" || fn == "inCidr" || fn == "isLessThan" ||
         fn == "isGreaterThan") &&
        n == 2) {
      return T("bool");
    }
    if ((fn == "isLoopback" || fn == "isUnspecified" || fn == "isGlobalUnicast" ||
         fn == "isLinkLocalUnicast" || fn == "isLinkLocalMulticast") &&
        n == 1) {
      return T("bool");
    }
    if (fn == "reverse" && n == 1) return is(0, "string") ? T("string") : mismatch();
    if ((fn == "family" || fn == "prefixLength" || fn == "major" || fn == "minor" ||
         fn == "patch") &&
        n == 1)
      return T("int");
    if (fn == "compareSemver" && n == 2) return T("int");
    if (fn == "masked" && n == 1) return T("net.CIDR");
    return Fail(e, fmt::format("undeclared reference to function '{}' with {} argument(s)", fn, n));
  }

  const ParsedExpr& parsed_;
  const Declarations& decls_;
  std::string_view container_;
  std::vector<std::pair<std::string, Type>> scopes_;
  std::string error_;
  std::size_t err_offset_ = 0;
};

}  // namespace

Result<std::string> Check(const ParsedExpr& parsed, const Declarations& decls,
                          std::string_view container) {
  return Checker(parsed, decls, container).Run();
}

}  // namespace bulwark::expr
