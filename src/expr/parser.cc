// Recursive-descent parser for the CEL grammar (cel-spec/doc/langdef.md), with an on-the-fly lexer.
#include "bulwark/expr/parser.h"

#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>

#include "bulwark/core/encoding.h"

namespace bulwark::expr {
namespace {

enum class Tok : std::uint8_t {
  kEof,
  kIdent,
  kInt,
  kUint,
  kDouble,
  kString,
  kBytes,
  kTrue,
  kFalse,
  kNull,
  kIn,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kAnd,
  kOr,
  kNot,
  kPlus,
  kMinus,
  kStar,
  kSlash,
  kPercent,
  kQuestion,
  kColon,
  kDot,
  kComma,
  kLBracket,
  kRBracket,
  kLParen,
  kRParen,
  kLBrace,
  kRBrace,
};

struct Token {
  Tok kind = Tok::kEof;
  std::size_t offset = 0;
  std::string_view text;  // raw source text
  std::string decoded;    // string/bytes literal contents, identifier names
  bool reserved = false;  // identifier is a reserved word (allowed only as a field/function name)
  bool quoted = false;    // `backquoted` identifier (allowed only as a field name)
};

bool IsReserved(std::string_view s) {
  static constexpr std::string_view kWords[] = {
      "as",  "break", "const",   "continue",  "else",   "for", "function", "if",   "import",
      "let", "loop",  "package", "namespace", "return", "var", "void",     "while"};
  for (auto w : kWords) {
    if (w == s) return true;
  }
  return false;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Parser {
 public:
  Parser(std::string_view src, const ParseOptions& opts) : src_(src), opts_(opts) {}

  Result<ExprPtr> Run() {
    if (src_.size() > opts_.max_source_size) {
      return InvalidArgumentError(fmt::format("expression too long: {} bytes (limit {})",
                                              src_.size(), opts_.max_source_size));
    }
    if (!Next()) return Fail();
    ExprPtr e = ParseExpr();
    if (!error_ && tok_.kind != Tok::kEof) SetError(tok_.offset, "unexpected token");
    if (error_) return Fail();
    return e;
  }

 private:
  std::unexpected<Error> Fail() {
    return InvalidArgumentError(fmt::format("{}: Syntax error: {}",
                                            DescribeLocation(src_, err_pos_).substr(0, loc_len_),
                                            err_msg_) +
                                DescribeLocation(src_, err_pos_).substr(loc_len_));
  }

  void SetError(std::size_t pos, std::string msg) {
    if (error_) return;
    error_ = true;
    err_pos_ = pos;
    err_msg_ = std::move(msg);
    std::string loc = DescribeLocation(src_, pos);
    loc_len_ = loc.find('\n');
    if (loc_len_ == std::string::npos) loc_len_ = loc.size();
  }

  // ---- lexer ----
  bool Next() {
    tok_ = Token{};
    std::size_t i = pos_;
    // Skip whitespace and comments.
    while (i < src_.size()) {
      char c = src_[i];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
        ++i;
      } else if (c == '/' && i + 1 < src_.size() && src_[i + 1] == '/') {
        while (i < src_.size() && src_[i] != '\n') ++i;
      } else {
        break;
      }
    }
    tok_.offset = i;
    if (i >= src_.size()) {
      pos_ = i;
      tok_.kind = Tok::kEof;
      return true;
    }
    char c = src_[i];
    auto two = [&](char a, char b) {
      return src_[i] == a && i + 1 < src_.size() && src_[i + 1] == b;
    };
    auto set = [&](Tok k, std::size_t len) {
      tok_.kind = k;
      tok_.text = src_.substr(i, len);
      pos_ = i + len;
      return true;
    };
    if (two('=', '=')) return set(Tok::kEq, 2);
    if (two('!', '=')) return set(Tok::kNe, 2);
    if (two('<', '=')) return set(Tok::kLe, 2);
    if (two('>', '=')) return set(Tok::kGe, 2);
    if (two('&', '&')) return set(Tok::kAnd, 2);
    if (two('|', '|')) return set(Tok::kOr, 2);
    switch (c) {
      case '<':
        return set(Tok::kLt, 1);
      case '>':
        return set(Tok::kGt, 1);
      case '!':
        return set(Tok::kNot, 1);
      case '+':
        return set(Tok::kPlus, 1);
      case '-':
        return set(Tok::kMinus, 1);
      case '*':
        return set(Tok::kStar, 1);
      case '/':
        return set(Tok::kSlash, 1);
      case '%':
        return set(Tok::kPercent, 1);
      case '?':
        return set(Tok::kQuestion, 1);
      case ':':
        return set(Tok::kColon, 1);
      case ',':
        return set(Tok::kComma, 1);
      case '[':
        return set(Tok::kLBracket, 1);
      case ']':
        return set(Tok::kRBracket, 1);
      case '(':
        return set(Tok::kLParen, 1);
      case ')':
        return set(Tok::kRParen, 1);
      case '{':
        return set(Tok::kLBrace, 1);
      case '}':
        return set(Tok::kRBrace, 1);
      default:
        break;
    }
    if (c == '.' && !(i + 1 < src_.size() && src_[i + 1] >= '0' && src_[i + 1] <= '9')) {
      return set(Tok::kDot, 1);
    }
    if ((c >= '0' && c <= '9') || c == '.') return LexNumber(i);
    if (c == '`') {
      std::size_t e = i + 1;
      while (e < src_.size() && src_[e] != '`' && src_[e] != '\n') ++e;
      if (e >= src_.size() || src_[e] != '`' || e == i + 1) {
        SetError(i, "unterminated quoted identifier");
        return false;
      }
      tok_.decoded = std::string(src_.substr(i + 1, e - i - 1));
      tok_.quoted = true;
      return set(Tok::kIdent, e - i + 1);
    }
    if (c == '"' || c == '\'') return LexString(i, i, false, false);
    if (c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      // String prefixes: r, b, rb, br (any case) directly followed by a quote.
      std::size_t j = i;
      bool raw = false, bytes = false;
      for (int k = 0; k < 2 && j < src_.size(); ++k) {
        char p = src_[j];
        if ((p == 'r' || p == 'R') && !raw) {
          raw = true;
          ++j;
        } else if ((p == 'b' || p == 'B') && !bytes) {
          bytes = true;
          ++j;
        } else {
          break;
        }
      }
      if (j > i && j < src_.size() && (src_[j] == '"' || src_[j] == '\'')) {
        return LexString(i, j, raw, bytes);
      }
      std::size_t e = i;
      while (e < src_.size() &&
             (src_[e] == '_' || std::isalnum(static_cast<unsigned char>(src_[e]))))
        ++e;
      std::string_view word = src_.substr(i, e - i);
      if (word == "true") return set(Tok::kTrue, e - i);
      if (word == "false") return set(Tok::kFalse, e - i);
      if (word == "null") return set(Tok::kNull, e - i);
      if (word == "in") return set(Tok::kIn, e - i);
      tok_.reserved = IsReserved(word);
      tok_.decoded = std::string(word);
      return set(Tok::kIdent, e - i);
    }
    SetError(i, fmt::format("token recognition error at: '{}'", c));
    return false;
  }

  bool LexNumber(std::size_t i) {
    std::size_t e = i;
    auto digit = [&](std::size_t k) { return k < src_.size() && src_[k] >= '0' && src_[k] <= '9'; };
    if (src_[i] == '0' && i + 1 < src_.size() && (src_[i + 1] == 'x' || src_[i + 1] == 'X')) {
      e = i + 2;
      while (e < src_.size() && HexDigit(src_[e]) >= 0) ++e;
      if (e == i + 2) {
        SetError(i, "invalid hex literal");
        return false;
      }
      bool is_uint = e < src_.size() && (src_[e] == 'u' || src_[e] == 'U');
      tok_.kind = is_uint ? Tok::kUint : Tok::kInt;
      tok_.text = src_.substr(i, e - i);
      pos_ = e + (is_uint ? 1 : 0);
      return true;
    }
    while (digit(e)) ++e;
    bool is_double = false;
    if (e < src_.size() && src_[e] == '.' && digit(e + 1)) {
      is_double = true;
      ++e;
      while (digit(e)) ++e;
    }
    if (e < src_.size() && (src_[e] == 'e' || src_[e] == 'E')) {
      std::size_t k = e + 1;
      if (k < src_.size() && (src_[k] == '+' || src_[k] == '-')) ++k;
      if (digit(k)) {
        is_double = true;
        e = k;
        while (digit(e)) ++e;
      }
    }
    tok_.text = src_.substr(i, e - i);
    if (is_double) {
      tok_.kind = Tok::kDouble;
      pos_ = e;
      return true;
    }
    bool is_uint = e < src_.size() && (src_[e] == 'u' || src_[e] == 'U');
    tok_.kind = is_uint ? Tok::kUint : Tok::kInt;
    pos_ = e + (is_uint ? 1 : 0);
    return true;
  }

  bool LexString(std::size_t start, std::size_t q, bool raw, bool bytes) {
    char quote = src_[q];
    bool triple = q + 2 < src_.size() && src_[q + 1] == quote && src_[q + 2] == quote;
    std::size_t i = q + (triple ? 3 : 1);
    std::string out;
    auto append_cp = [&](std::uint32_t cp, std::size_t at) {
      if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        SetError(at, "invalid unicode code point");
        return false;
      }
      AppendUtf8(out, static_cast<char32_t>(cp));
      return true;
    };
    while (true) {
      if (i >= src_.size()) {
        SetError(start, "unterminated string literal");
        return false;
      }
      char c = src_[i];
      if (triple) {
        if (c == quote && i + 2 < src_.size() && src_[i + 1] == quote && src_[i + 2] == quote) {
          i += 3;
          break;
        }
      } else {
        if (c == quote) {
          ++i;
          break;
        }
        if (c == '\n' || c == '\r') {
          SetError(i, "newline in string literal");
          return false;
        }
      }
      if (c != '\\' || raw) {
        out.push_back(c);
        ++i;
        continue;
      }
      // Escape sequence.
      std::size_t at = i;
      if (i + 1 >= src_.size()) {
        SetError(at, "unterminated escape sequence");
        return false;
      }
      char e = src_[i + 1];
      i += 2;
      switch (e) {
        case 'a':
          out.push_back('\a');
          continue;
        case 'b':
          out.push_back('\b');
          continue;
        case 'f':
          out.push_back('\f');
          continue;
        case 'n':
          out.push_back('\n');
          continue;
        case 'r':
          out.push_back('\r');
          continue;
        case 't':
          out.push_back('\t');
          continue;
        case 'v':
          out.push_back('\v');
          continue;
        case '\\':
          out.push_back('\\');
          continue;
        case '\'':
          out.push_back('\'');
          continue;
        case '"':
          out.push_back('"');
          continue;
        case '`':
          out.push_back('`');
          continue;
        case '?':
          out.push_back('?');
          continue;
        default:
          break;
      }
      int ndigits = 0, base = 16;
      if (e == 'x' || e == 'X') {
        ndigits = 2;
      } else if (e == 'u') {
        ndigits = 4;
      } else if (e == 'U') {
        ndigits = 8;
      } else if (e >= '0' && e <= '3') {
        ndigits = 2;
        base = 8;
      } else {
        SetError(at, fmt::format("invalid escape sequence: \\{}", e));
        return false;
      }
      std::uint32_t cp = base == 8 ? static_cast<std::uint32_t>(e - '0') : 0;
      for (int k = 0; k < ndigits; ++k) {
        int d = i < src_.size()
                    ? (base == 8 ? (src_[i] >= '0' && src_[i] <= '7' ? src_[i] - '0' : -1)
                                 : HexDigit(src_[i]))
                    : -1;
        if (d < 0) {
          SetError(at, "invalid escape sequence");
          return false;
        }
        cp = cp * static_cast<std::uint32_t>(base) + static_cast<std::uint32_t>(d);
        ++i;
      }
      bool byte_escape = e == 'x' || e == 'X' || base == 8;
      if (bytes && byte_escape) {
        out.push_back(static_cast<char>(cp));
      } else if (!append_cp(cp, at)) {
        return false;
      }
    }
    if (!bytes && !IsValidUtf8(out)) {
      SetError(start, "invalid UTF-8 in string literal");
      return false;
    }
    tok_.kind = bytes ? Tok::kBytes : Tok::kString;
    tok_.text = src_.substr(start, i - start);
    tok_.decoded = std::move(out);
    pos_ = i;
    return true;
  }

  // ---- parser ----
  ExprPtr MakeNode(ExprKind kind, std::size_t offset) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->offset = static_cast<std::uint32_t>(offset);
    return e;
  }

  // Recomputes the height of `e` from its children and enforces the depth limit.
  ExprPtr Finish(ExprPtr e) {
    if (!e) return e;
    std::uint32_t h = 0;
    auto see = [&](const ExprPtr& c) {
      if (c && c->height > h) h = c->height;
    };
    see(e->target);
    for (const auto& a : e->args) see(a);
    for (const auto& k : e->keys) see(k);
    e->height = h + 1;
    if (e->height > opts_.max_depth) {
      SetError(e->offset,
               fmt::format("expression nesting exceeds the depth limit of {}", opts_.max_depth));
    }
    return e;
  }

  ExprPtr Call(std::string fn, std::size_t offset, std::vector<ExprPtr> args) {
    ExprPtr e = MakeNode(ExprKind::kCall, offset);
    e->name = std::move(fn);
    e->args = std::move(args);
    return Finish(std::move(e));
  }

  ExprPtr Binary(std::string fn, std::size_t offset, ExprPtr a, ExprPtr b) {
    std::vector<ExprPtr> args;
    args.push_back(std::move(a));
    args.push_back(std::move(b));
    return Call(std::move(fn), offset, std::move(args));
  }

  bool Accept(Tok k) {
    if (tok_.kind != k) return false;
    Next();
    return true;
  }

  bool Expect(Tok k, const char* what) {
    if (error_) return false;
    if (tok_.kind != k) {
      SetError(tok_.offset, fmt::format("expected {}", what));
      return false;
    }
    Next();
    return true;
  }

  struct DepthGuard {
    Parser* p;
    explicit DepthGuard(Parser* parser) : p(parser) { ++p->depth_; }
    ~DepthGuard() { --p->depth_; }
  };

  bool TooDeep() {
    if (depth_ > opts_.max_depth) {
      SetError(tok_.offset,
               fmt::format("expression nesting exceeds the depth limit of {}", opts_.max_depth));
      return true;
    }
    return false;
  }

  ExprPtr ParseExpr() {
    DepthGuard g(this);
    if (TooDeep() || error_) return nullptr;
    ExprPtr cond = ParseOr();
    if (error_) return nullptr;
    if (tok_.kind == Tok::kQuestion) {
      std::size_t at = tok_.offset;
      Next();
      ExprPtr a = ParseOr();
      if (!Expect(Tok::kColon, "':'")) return nullptr;
      ExprPtr b = ParseExpr();
      if (error_) return nullptr;
      std::vector<ExprPtr> args;
      args.push_back(std::move(cond));
      args.push_back(std::move(a));
      args.push_back(std::move(b));
      return Call("_?_:_", at, std::move(args));
    }
    return cond;
  }

  ExprPtr ParseOr() {
    ExprPtr e = ParseAnd();
    while (!error_ && tok_.kind == Tok::kOr) {
      std::size_t at = tok_.offset;
      Next();
      ExprPtr r = ParseAnd();
      if (error_) return nullptr;
      e = Binary("_||_", at, std::move(e), std::move(r));
    }
    return e;
  }

  ExprPtr ParseAnd() {
    ExprPtr e = ParseRelation();
    while (!error_ && tok_.kind == Tok::kAnd) {
      std::size_t at = tok_.offset;
      Next();
      ExprPtr r = ParseRelation();
      if (error_) return nullptr;
      e = Binary("_&&_", at, std::move(e), std::move(r));
    }
    return e;
  }

  ExprPtr ParseRelation() {
    ExprPtr e = ParseAddition();
    while (!error_) {
      const char* fn = nullptr;
      switch (tok_.kind) {
        case Tok::kEq:
          fn = "_==_";
          break;
        case Tok::kNe:
          fn = "_!=_";
          break;
        case Tok::kLt:
          fn = "_<_";
          break;
        case Tok::kLe:
          fn = "_<=_";
          break;
        case Tok::kGt:
          fn = "_>_";
          break;
        case Tok::kGe:
          fn = "_>=_";
          break;
        case Tok::kIn:
          fn = "@in";
          break;
        default:
          break;
      }
      if (fn == nullptr) break;
      std::size_t at = tok_.offset;
      Next();
      ExprPtr r = ParseAddition();
      if (error_) return nullptr;
      e = Binary(fn, at, std::move(e), std::move(r));
    }
    return e;
  }

  ExprPtr ParseAddition() {
    ExprPtr e = ParseMultiplication();
    while (!error_ && (tok_.kind == Tok::kPlus || tok_.kind == Tok::kMinus)) {
      const char* fn = tok_.kind == Tok::kPlus ? "_+_" : "_-_";
      std::size_t at = tok_.offset;
      Next();
      ExprPtr r = ParseMultiplication();
      if (error_) return nullptr;
      e = Binary(fn, at, std::move(e), std::move(r));
    }
    return e;
  }

  ExprPtr ParseMultiplication() {
    ExprPtr e = ParseUnary();
    while (!error_ &&
           (tok_.kind == Tok::kStar || tok_.kind == Tok::kSlash || tok_.kind == Tok::kPercent)) {
      const char* fn = tok_.kind == Tok::kStar ? "_*_" : (tok_.kind == Tok::kSlash ? "_/_" : "_%_");
      std::size_t at = tok_.offset;
      Next();
      ExprPtr r = ParseUnary();
      if (error_) return nullptr;
      e = Binary(fn, at, std::move(e), std::move(r));
    }
    return e;
  }

  ExprPtr ParseUnary() {
    DepthGuard g(this);
    if (TooDeep()) return nullptr;
    if (tok_.kind == Tok::kNot) {
      std::size_t at = tok_.offset;
      Next();
      ExprPtr operand = ParseUnary();
      if (error_) return nullptr;
      std::vector<ExprPtr> args;
      args.push_back(std::move(operand));
      return Call("!_", at, std::move(args));
    }
    if (tok_.kind == Tok::kMinus) {
      std::size_t at = tok_.offset;
      Next();
      if (tok_.kind == Tok::kInt || tok_.kind == Tok::kDouble) {
        // A negative numeric literal (so that -9223372036854775808 is representable).
        ExprPtr lit = ParseLiteral(true, at);
        if (error_) return nullptr;
        return ParseMemberSuffix(std::move(lit));
      }
      ExprPtr operand = ParseUnary();
      if (error_) return nullptr;
      std::vector<ExprPtr> args;
      args.push_back(std::move(operand));
      return Call("-_", at, std::move(args));
    }
    ExprPtr p = ParsePrimary();
    if (error_) return nullptr;
    return ParseMemberSuffix(std::move(p));
  }

  ExprPtr ParseLiteral(bool negative, std::size_t at) {
    ExprPtr e = MakeNode(ExprKind::kConst, at);
    std::string text(tok_.text);
    if (negative) text.insert(text.begin(), '-');
    std::size_t tok_at = tok_.offset;
    Tok kind = tok_.kind;
    if (kind == Tok::kDouble) {
      errno = 0;
      char* end = nullptr;
      double d = std::strtod(text.c_str(), &end);
      e->constant = Value::Double(d);
    } else if (kind == Tok::kInt || kind == Tok::kUint) {
      bool hex = text.find("0x") != std::string::npos || text.find("0X") != std::string::npos;
      std::string digits = text;
      bool neg = !digits.empty() && digits[0] == '-';
      if (neg) digits.erase(0, 1);
      if (hex) digits.erase(0, 2);
      unsigned __int128 v = 0;
      bool overflow = false;
      for (char c : digits) {
        v = v * (hex ? 16 : 10) + static_cast<unsigned>(HexDigit(c));
        if (v > static_cast<unsigned __int128>(std::numeric_limits<std::uint64_t>::max())) {
          overflow = true;
          break;
        }
      }
      if (kind == Tok::kUint) {
        if (overflow || neg) {
          SetError(tok_at, "invalid uint literal");
          return nullptr;
        }
        e->constant = Value::Uint(static_cast<std::uint64_t>(v));
      } else {
        unsigned __int128 limit = static_cast<unsigned __int128>(1) << 63;
        if (overflow || (neg ? v > limit : v >= limit)) {
          SetError(tok_at, "invalid int literal");
          return nullptr;
        }
        std::int64_t iv = neg ? static_cast<std::int64_t>(-static_cast<__int128>(v))
                              : static_cast<std::int64_t>(v);
        e->constant = Value::Int(iv);
      }
    }
    Next();
    return e;
  }

  std::vector<ExprPtr> ParseArgs(Tok close, const char* what) {
    std::vector<ExprPtr> args;
    if (tok_.kind != close) {
      while (!error_) {
        args.push_back(ParseExpr());
        if (error_) return args;
        if (!Accept(Tok::kComma)) break;
        if (tok_.kind == close) break;  // trailing comma
      }
    }
    Expect(close, what);
    return args;
  }

  ExprPtr ParsePrimary() {
    DepthGuard g(this);
    if (TooDeep()) return nullptr;
    std::size_t at = tok_.offset;
    switch (tok_.kind) {
      case Tok::kInt:
      case Tok::kUint:
      case Tok::kDouble:
        return ParseLiteral(false, at);
      case Tok::kString:
      case Tok::kBytes: {
        ExprPtr e = MakeNode(ExprKind::kConst, at);
        e->constant = tok_.kind == Tok::kString ? Value::String(std::move(tok_.decoded))
                                                : Value::Bytes(std::move(tok_.decoded));
        Next();
        return e;
      }
      case Tok::kTrue:
      case Tok::kFalse: {
        ExprPtr e = MakeNode(ExprKind::kConst, at);
        e->constant = Value::Bool(tok_.kind == Tok::kTrue);
        Next();
        return e;
      }
      case Tok::kNull: {
        ExprPtr e = MakeNode(ExprKind::kConst, at);
        Next();
        return e;
      }
      case Tok::kLParen: {
        Next();
        ExprPtr e = ParseExpr();
        if (!Expect(Tok::kRParen, "')'")) return nullptr;
        return e;
      }
      case Tok::kLBracket: {
        Next();
        ExprPtr e = MakeNode(ExprKind::kList, at);
        e->args = ParseArgs(Tok::kRBracket, "']'");
        if (error_) return nullptr;
        return Finish(std::move(e));
      }
      case Tok::kLBrace: {
        Next();
        ExprPtr e = MakeNode(ExprKind::kMap, at);
        if (tok_.kind != Tok::kRBrace) {
          while (!error_) {
            ExprPtr k = ParseExpr();
            if (!Expect(Tok::kColon, "':'")) return nullptr;
            ExprPtr v = ParseExpr();
            if (error_) return nullptr;
            e->keys.push_back(std::move(k));
            e->args.push_back(std::move(v));
            if (!Accept(Tok::kComma)) break;
            if (tok_.kind == Tok::kRBrace) break;
          }
        }
        if (!Expect(Tok::kRBrace, "'}'")) return nullptr;
        return Finish(std::move(e));
      }
      case Tok::kDot:
      case Tok::kIdent: {
        std::string name;
        if (tok_.kind == Tok::kDot) {
          Next();
          if (tok_.kind != Tok::kIdent) {
            SetError(tok_.offset, "expected identifier after '.'");
            return nullptr;
          }
          name = ".";
        }
        if (tok_.reserved) {
          SetError(tok_.offset, fmt::format("reserved identifier: {}", tok_.decoded));
          return nullptr;
        }
        if (tok_.quoted) {
          SetError(tok_.offset, "quoted identifiers are only allowed in field selections");
          return nullptr;
        }
        name += tok_.decoded;
        std::size_t id_at = tok_.offset;
        Next();
        if (tok_.kind == Tok::kLParen) {
          Next();
          std::vector<ExprPtr> args = ParseArgs(Tok::kRParen, "')'");
          if (error_) return nullptr;
          if (name[0] == '.') name.erase(0, 1);
          return ExpandGlobalCall(std::move(name), id_at, std::move(args));
        }
        if (tok_.kind == Tok::kLBrace && IsStructStart()) {
          return ParseStruct(std::move(name), id_at);
        }
        ExprPtr e = MakeNode(ExprKind::kIdent, id_at);
        e->name = std::move(name);
        return e;
      }
      default:
        if (tok_.kind == Tok::kEof) {
          SetError(at, "unexpected end of input");
        } else {
          SetError(at, fmt::format("unexpected token '{}'", tok_.text));
        }
        return nullptr;
    }
  }

  // `Name{` starts a message construction when followed by `}` or `field:`.
  bool IsStructStart() {
    std::size_t i = pos_;
    while (i < src_.size() && std::isspace(static_cast<unsigned char>(src_[i]))) ++i;
    if (i < src_.size() && src_[i] == '}') return true;
    std::size_t s = i;
    while (i < src_.size() && (src_[i] == '_' || std::isalnum(static_cast<unsigned char>(src_[i]))))
      ++i;
    if (i == s) return false;
    while (i < src_.size() && std::isspace(static_cast<unsigned char>(src_[i]))) ++i;
    return i < src_.size() && src_[i] == ':';
  }

  ExprPtr ParseStruct(std::string name, std::size_t at) {
    Next();  // '{'
    ExprPtr e = MakeNode(ExprKind::kStruct, at);
    e->name = std::move(name);
    if (tok_.kind != Tok::kRBrace) {
      while (!error_) {
        if (tok_.kind != Tok::kIdent) {
          SetError(tok_.offset, "expected field name");
          return nullptr;
        }
        e->field_names.push_back(tok_.decoded);
        Next();
        if (!Expect(Tok::kColon, "':'")) return nullptr;
        e->args.push_back(ParseExpr());
        if (error_) return nullptr;
        if (!Accept(Tok::kComma)) break;
        if (tok_.kind == Tok::kRBrace) break;
      }
    }
    if (!Expect(Tok::kRBrace, "'}'")) return nullptr;
    return Finish(std::move(e));
  }

  ExprPtr ParseMemberSuffix(ExprPtr e) {
    while (!error_) {
      if (tok_.kind == Tok::kDot) {
        std::size_t at = tok_.offset;
        Next();
        if (tok_.kind != Tok::kIdent) {
          SetError(tok_.offset, "expected field name after '.'");
          return nullptr;
        }
        std::string field = tok_.decoded;
        std::size_t field_at = tok_.offset;
        bool quoted = tok_.quoted;
        Next();
        if (tok_.kind == Tok::kLParen && !quoted) {
          Next();
          std::vector<ExprPtr> args = ParseArgs(Tok::kRParen, "')'");
          if (error_) return nullptr;
          e = ExpandMemberCall(std::move(e), std::move(field), field_at, std::move(args));
          if (error_) return nullptr;
        } else {
          ExprPtr s = MakeNode(ExprKind::kSelect, at);
          s->name = std::move(field);
          s->target = std::move(e);
          e = Finish(std::move(s));
        }
      } else if (tok_.kind == Tok::kLBracket) {
        std::size_t at = tok_.offset;
        Next();
        ExprPtr index = ParseExpr();
        if (!Expect(Tok::kRBracket, "']'")) return nullptr;
        e = Binary("_[_]", at, std::move(e), std::move(index));
      } else {
        break;
      }
    }
    return e;
  }

  ExprPtr ExpandGlobalCall(std::string name, std::size_t at, std::vector<ExprPtr> args) {
    if (opts_.enable_macros && name == "has" && args.size() == 1) {
      if (!args[0] || args[0]->kind != ExprKind::kSelect) {
        SetError(at, "invalid argument to has() macro");
        return nullptr;
      }
      args[0]->test_only = true;
      return std::move(args[0]);
    }
    return Call(std::move(name), at, std::move(args));
  }

  ExprPtr ExpandMemberCall(ExprPtr target, std::string name, std::size_t at,
                           std::vector<ExprPtr> args) {
    if (opts_.enable_macros) {
      std::optional<MacroKind> macro;
      bool two = false;
      std::size_t n = args.size();
      if (name == "all" && (n == 2 || n == 3)) macro = MacroKind::kAll, two = n == 3;
      if (name == "exists" && (n == 2 || n == 3)) macro = MacroKind::kExists, two = n == 3;
      if ((name == "exists_one" || name == "existsOne") && (n == 2 || n == 3))
        macro = MacroKind::kExistsOne, two = n == 3;
      if (name == "filter" && n == 2) macro = MacroKind::kFilter;
      if (name == "map" && n == 2) macro = MacroKind::kMap;
      if (name == "map" && n == 3) macro = MacroKind::kMapFilter;
      if (name == "transformList" && (n == 3 || n == 4))
        macro = n == 3 ? MacroKind::kTransformList : MacroKind::kTransformListFilter, two = true;
      if (name == "transformMap" && (n == 3 || n == 4))
        macro = n == 3 ? MacroKind::kTransformMap : MacroKind::kTransformMapFilter, two = true;
      if (macro) {
        std::size_t nvars = two ? 2 : 1;
        for (std::size_t k = 0; k < nvars; ++k) {
          if (!args[k] || args[k]->kind != ExprKind::kIdent || args[k]->name[0] == '.') {
            SetError(args[k] ? args[k]->offset : at,
                     fmt::format("argument is not an identifier in {}() macro", name));
            return nullptr;
          }
        }
        ExprPtr e = MakeNode(ExprKind::kComprehension, at);
        e->macro = *macro;
        e->name = args[0]->name;
        if (two) e->iter_var2 = args[1]->name;
        e->target = std::move(target);
        for (std::size_t i = nvars; i < args.size(); ++i) e->args.push_back(std::move(args[i]));
        return Finish(std::move(e));
      }
    }
    ExprPtr e = MakeNode(ExprKind::kCall, at);
    e->name = std::move(name);
    e->target = std::move(target);
    e->args = std::move(args);
    return Finish(std::move(e));
  }

  std::string_view src_;
  const ParseOptions& opts_;
  std::size_t pos_ = 0;
  Token tok_;
  std::size_t depth_ = 0;
  bool error_ = false;
  std::size_t err_pos_ = 0;
  std::size_t loc_len_ = 0;
  std::string err_msg_;
};

}  // namespace

std::string DescribeLocation(std::string_view source, std::size_t offset) {
  if (offset > source.size()) offset = source.size();
  std::size_t line = 1, line_start = 0;
  for (std::size_t i = 0; i < offset; ++i) {
    if (source[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  std::size_t line_end = source.find('\n', line_start);
  if (line_end == std::string_view::npos) line_end = source.size();
  // Columns count code points, not bytes.
  std::size_t column = 1;
  for (std::size_t i = line_start; i < offset; ++i) {
    if ((static_cast<unsigned char>(source[i]) & 0xC0) != 0x80) ++column;
  }
  std::string out = fmt::format("{}:{}", line, column);
  out += "\n | ";
  out += source.substr(line_start, line_end - line_start);
  out += "\n | ";
  out.append(column - 1, '.');
  out += '^';
  return out;
}

Result<ParsedExpr> Parse(std::string_view source, const ParseOptions& options) {
  Parser p(source, options);
  BULWARK_ASSIGN_OR_RETURN(ExprPtr root, p.Run());
  ParsedExpr out;
  out.source = std::string(source);
  out.root = std::move(root);
  return out;
}

}  // namespace bulwark::expr
