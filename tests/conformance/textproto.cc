#include "textproto.h"

#include <fmt/format.h>

#include "bulwark/core/encoding.h"

namespace bulwark::conformance {

const TextField* TextMessage::Find(std::string_view name) const {
  for (const auto& f : fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::vector<const TextField*> TextMessage::All(std::string_view name) const {
  std::vector<const TextField*> out;
  for (const auto& f : fields) {
    if (f.name == name) out.push_back(&f);
  }
  return out;
}

std::string TextMessage::Get(std::string_view name, std::string fallback) const {
  const TextField* f = Find(name);
  return f && !f->is_message ? f->scalar : fallback;
}

namespace {

class Reader {
 public:
  explicit Reader(std::string_view t) : t_(t) {}

  Result<TextMessage> ParseMessage(bool top) {
    TextMessage m;
    while (true) {
      Skip();
      if (i_ >= t_.size()) {
        if (top) return m;
        return Fail("unexpected end of input");
      }
      if (t_[i_] == '}') {
        if (top) return Fail("unbalanced '}'");
        ++i_;
        return m;
      }
      TextField f;
      if (t_[i_] == '[') {
        std::size_t e = t_.find(']', i_);
        if (e == std::string_view::npos) return Fail("unterminated '['");
        f.name = std::string(t_.substr(i_, e - i_ + 1));
        i_ = e + 1;
      } else {
        f.name = Word();
        if (f.name.empty()) return Fail("expected field name");
      }
      Skip();
      bool colon = i_ < t_.size() && t_[i_] == ':';
      if (colon) {
        ++i_;
        Skip();
      }
      if (i_ < t_.size() && (t_[i_] == '{' || t_[i_] == '<')) {
        ++i_;
        if (++depth_ > 100) return Fail("nesting too deep");
        BULWARK_ASSIGN_OR_RETURN(TextMessage inner, ParseMessage(false));
        --depth_;
        f.is_message = true;
        f.message = std::make_shared<TextMessage>(std::move(inner));
      } else if (!colon) {
        return Fail("expected ':' or '{'");
      } else if (i_ < t_.size() && (t_[i_] == '"' || t_[i_] == '\'')) {
        f.is_string = true;
        while (i_ < t_.size() && (t_[i_] == '"' || t_[i_] == '\'')) {
          BULWARK_RETURN_IF_ERROR(String(&f.scalar));
          Skip();
        }
      } else {
        f.scalar = Word();
        if (f.scalar.empty()) return Fail("expected a value");
      }
      m.fields.push_back(std::move(f));
      Skip();
      if (i_ < t_.size() && (t_[i_] == ',' || t_[i_] == ';')) ++i_;
    }
  }

 private:
  std::unexpected<Error> Fail(std::string_view what) {
    std::size_t line = 1;
    for (std::size_t k = 0; k < i_ && k < t_.size(); ++k) line += t_[k] == '\n';
    return InvalidArgumentError(fmt::format("textproto line {}: {}", line, what));
  }

  void Skip() {
    while (i_ < t_.size()) {
      char c = t_[i_];
      if (c == '#') {
        while (i_ < t_.size() && t_[i_] != '\n') ++i_;
      } else if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
        ++i_;
      } else {
        break;
      }
    }
  }

  std::string Word() {
    std::size_t s = i_;
    while (i_ < t_.size()) {
      char c = t_[i_];
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' ||
          c == '+') {
        ++i_;
      } else {
        break;
      }
    }
    return std::string(t_.substr(s, i_ - s));
  }

  Status String(std::string* out) {
    char q = t_[i_++];
    while (true) {
      if (i_ >= t_.size()) return Fail("unterminated string");
      char c = t_[i_++];
      if (c == q) return OkStatus();
      if (c != '\\') {
        out->push_back(c);
        continue;
      }
      if (i_ >= t_.size()) return Fail("bad escape");
      char e = t_[i_++];
      switch (e) {
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'a':
          out->push_back('\a');
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'v':
          out->push_back('\v');
          break;
        case '\\':
          out->push_back('\\');
          break;
        case '\'':
          out->push_back('\'');
          break;
        case '"':
          out->push_back('"');
          break;
        case '?':
          out->push_back('?');
          break;
        case 'x':
        case 'X': {
          int v = 0, n = 0;
          while (n < 2 && i_ < t_.size() && std::isxdigit(static_cast<unsigned char>(t_[i_]))) {
            char h = t_[i_++];
            v = v * 16 + (std::isdigit(static_cast<unsigned char>(h))
                              ? h - '0'
                              : (std::tolower(h) - 'a' + 10));
            ++n;
          }
          out->push_back(static_cast<char>(v));
          break;
        }
        case 'u':
        case 'U': {
          int n = e == 'u' ? 4 : 8;
          std::uint32_t cp = 0;
          for (int k = 0; k < n; ++k) {
            if (i_ >= t_.size() || !std::isxdigit(static_cast<unsigned char>(t_[i_])))
              return Fail("bad \\u escape");
            char h = t_[i_++];
            cp = cp * 16 + static_cast<std::uint32_t>(std::isdigit(static_cast<unsigned char>(h))
                                                          ? h - '0'
                                                          : (std::tolower(h) - 'a' + 10));
          }
          bulwark::AppendUtf8(*out, static_cast<char32_t>(cp));
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            int v = e - '0', n = 1;
            while (n < 3 && i_ < t_.size() && t_[i_] >= '0' && t_[i_] <= '7') {
              v = v * 8 + (t_[i_++] - '0');
              ++n;
            }
            out->push_back(static_cast<char>(v));
          } else {
            return Fail(fmt::format("unknown escape \\{}", e));
          }
      }
    }
  }

  std::string_view t_;
  std::size_t i_ = 0;
  int depth_ = 0;
};

}  // namespace

Result<TextMessage> ParseTextProto(std::string_view text) {
  return Reader(text).ParseMessage(true);
}

}  // namespace bulwark::conformance
