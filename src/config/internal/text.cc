#include "config/internal/text.h"

#include "bulwark/core/encoding.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>

namespace bulwark::config::internal {

std::unexpected<Error> ErrorAt(std::string_view source, std::size_t line, std::size_t column,
                               std::string_view message) {
  return InvalidArgumentError(fmt::format("{}:{}:{}: {}", source, line, column, message));
}

std::string Excerpt(std::string_view text) {
  std::string out = "'";
  std::size_t shown = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end && shown < kMaxExcerpt) {
    unsigned char c = *p;
    if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
      ++p;
    } else if (std::size_t n = c >= 0x80 ? Utf8SequenceLength(p, end) : 0; n > 0) {
      out.append(reinterpret_cast<const char*>(p), n);
      p += n;
    } else {
      out += fmt::format("\\x{:02X}", c);
      ++p;
    }
    ++shown;
  }
  if (p < end) out += "...";
  out += "'";
  return out;
}

std::string DescribeByte(unsigned char c) {
  if (c >= 0x21 && c < 0x7F) return fmt::format("'{}'", static_cast<char>(c));
  return fmt::format("byte 0x{:02X}", c);
}

LineColumn LocateOffset(std::string_view text, std::size_t offset) {
  if (offset > text.size()) offset = text.size();
  LineColumn lc;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++lc.line;
      line_start = i + 1;
    }
  }
  lc.column = static_cast<std::uint32_t>(offset - line_start + 1);
  return lc;
}

std::size_t FindInvalidUtf8Fast(std::string_view text) {
  const auto* begin = reinterpret_cast<const unsigned char*>(text.data());
  const auto* p = begin;
  const auto* end = begin + text.size();
  while (p < end) {
    if (end - p >= 8) {
      std::uint64_t chunk;
      std::memcpy(&chunk, p, 8);
      if ((chunk & 0x8080808080808080ULL) == 0) {
        p += 8;
        continue;
      }
    }
    if (*p < 0x80) {
      ++p;
      continue;
    }
    std::size_t n = Utf8SequenceLength(p, end);
    if (n == 0) return static_cast<std::size_t>(p - begin);
    p += n;
  }
  return std::string_view::npos;
}

std::string FormatDouble(double d) {
  std::string s = fmt::format("{}", d);
  if (std::isfinite(d) && s.find_first_of(".eE") == std::string::npos) s += ".0";
  return s;
}

std::string FormatDouble(double d, const NonFiniteNames& names) {
  if (std::isnan(d)) return std::string(names.nan);
  if (std::isinf(d)) return std::string(d > 0 ? names.inf : names.negative_inf);
  return FormatDouble(d);
}

Path PathTracker::ToPath() const {
  Path p;
  for (const auto& s : segments_) {
    if (const auto* k = std::get_if<std::string_view>(&s)) {
      p.Push(PathSegment::Key(std::string(*k)));
    } else {
      p.Push(PathSegment::Index(std::get<std::size_t>(s)));
    }
  }
  return p;
}

std::string PathTracker::Describe() const {
  if (segments_.empty()) return "the root";
  std::string path = ToPath().ToString();
  if (path.size() > 2 * kMaxExcerpt) path = path.substr(0, 2 * kMaxExcerpt) + "...";
  return "path '" + path + "'";
}

}  // namespace bulwark::config::internal
