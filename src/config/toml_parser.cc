// TOML parser: toml++ (Debian 3.3) parses, then the table tree is converted to a Value.
//
// Typing: integers are ints, floats (including inf and nan) doubles, booleans bools; offset and
// local date-times, dates and times become RFC 3339 strings ("1979-05-27T07:32:00Z",
// "1979-05-27", "07:32:00.5"). toml++ keeps table keys sorted; we restore document order by
// sorting each table's entries by their source position. toml++ reports duplicate keys and bad
// syntax; its exception (parse_error) becomes an error with its line and column.
//
// toml++ limits array/inline-table nesting itself but not dotted-key depth, and frees its tree
// recursively, so CheckTomlNesting bounds the depth before toml++ sees the text.
#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <string>
#include <vector>

#include "config/internal/formats.h"
#include "config/internal/nesting_guard.h"
#include "config/internal/text.h"

namespace bulwark::config::internal {
namespace {

std::string DateString(const toml::date& d) {
  return fmt::format("{:04}-{:02}-{:02}", d.year, d.month, d.day);
}

std::string TimeString(const toml::time& t) {
  std::string s = fmt::format("{:02}:{:02}:{:02}", t.hour, t.minute, t.second);
  if (t.nanosecond != 0) {
    std::string frac = fmt::format("{:09}", t.nanosecond);
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    s += "." + frac;
  }
  return s;
}

std::string DateTimeString(const toml::date_time& dt) {
  std::string s = DateString(dt.date) + "T" + TimeString(dt.time);
  if (dt.offset) {
    int m = dt.offset->minutes;
    if (m == 0) {
      s += "Z";
    } else {
      s += fmt::format("{}{:02}:{:02}", m < 0 ? '-' : '+', std::abs(m) / 60, std::abs(m) % 60);
    }
  }
  return s;
}

bool Before(const toml::source_position& a, const toml::source_position& b) {
  return a.line != b.line ? a.line < b.line : a.column < b.column;
}

Value Tagged(Value v, std::uint32_t location) {
  v.set_location_id(location);
  return v;
}

class Converter {
 public:
  Converter(const ParseOptions& options, Document& doc) : options_(options), doc_(doc) {}

  Result<Value> Convert(const toml::node& node, const toml::source_position& fallback,
                        std::size_t depth);

 private:
  // The location id of a node at `pos` (0 when locations are not tracked).
  std::uint32_t Record(const toml::source_position& pos) {
    if (!options_.track_locations) return 0;
    return doc_.locations.Add(options_.source_name, pos.line, pos.column);
  }

  const ParseOptions& options_;
  Document& doc_;
};

Result<Value> Converter::Convert(const toml::node& node, const toml::source_position& fallback,
                                 std::size_t depth) {
  toml::source_position pos = node.source().begin;
  if (pos.line == 0) pos = fallback;
  const std::uint32_t location = Record(pos);
  if (node.is_table() || node.is_array()) {
    if (depth >= options_.max_depth) {
      return ErrorAt(options_.source_name, pos.line, pos.column,
                     fmt::format("nesting deeper than {} levels", options_.max_depth));
    }
  }
  if (const toml::table* table = node.as_table()) {
    struct Entry {
      const toml::key* key;
      const toml::node* node;
      toml::source_position pos;
    };
    std::vector<Entry> entries;
    entries.reserve(table->size());
    for (auto&& [k, v] : *table) {
      toml::source_position p = k.source().begin;
      if (p.line == 0) p = v.source().begin;
      entries.push_back(Entry{&k, &v, p});
    }
    std::stable_sort(entries.begin(), entries.end(),
                     [](const Entry& a, const Entry& b) { return Before(a.pos, b.pos); });
    ValueMap map;
    map.Reserve(entries.size());
    for (const Entry& e : entries) {
      BULWARK_ASSIGN_OR_RETURN(Value child, Convert(*e.node, e.pos, depth + 1));
      map.Insert(std::string(e.key->str()), std::move(child));
    }
    Value v(std::move(map));
    v.set_location_id(location);
    return v;
  }
  if (const toml::array* array = node.as_array()) {
    ValueList list;
    list.reserve(array->size());
    for (std::size_t i = 0; i < array->size(); ++i) {
      BULWARK_ASSIGN_OR_RETURN(Value child, Convert(*array->get(i), pos, depth + 1));
      list.push_back(std::move(child));
    }
    Value v(std::move(list));
    v.set_location_id(location);
    return v;
  }
  if (auto s = node.value<std::string>()) return Tagged(Value(std::move(*s)), location);
  if (node.is_integer()) return Tagged(Value(*node.value<std::int64_t>()), location);
  if (node.is_floating_point()) return Tagged(Value(*node.value<double>()), location);
  if (node.is_boolean()) return Tagged(Value(*node.value<bool>()), location);
  if (auto d = node.as_date()) return Tagged(Value(DateString(d->get())), location);
  if (auto t = node.as_time()) return Tagged(Value(TimeString(t->get())), location);
  if (auto dt = node.as_date_time()) return Tagged(Value(DateTimeString(dt->get())), location);
  return ErrorAt(options_.source_name, pos.line, pos.column, "unsupported TOML value");
}

// toml++ descriptions can quote input; keep any quoted run short.
std::string ShortDescription(std::string_view d) {
  std::string out;
  std::size_t i = 0;
  while (i < d.size()) {
    char c = d[i];
    if (c == '\'' || c == '"') {
      std::size_t close = d.find(c, i + 1);
      if (close != std::string_view::npos && close - i - 1 > kMaxExcerpt) {
        out += Excerpt(d.substr(i + 1, close - i - 1));
        i = close + 1;
        continue;
      }
    }
    out += c;
    ++i;
  }
  if (out.size() > 4 * kMaxExcerpt) out = out.substr(0, 4 * kMaxExcerpt) + "...";
  return out;
}

}  // namespace

Result<Document> ParseToml(std::string_view text, const ParseOptions& options) {
  if (std::size_t bad = FindInvalidUtf8Fast(text); bad != std::string_view::npos) {
    LineColumn lc = LocateOffset(text, bad);
    return ErrorAt(options.source_name, lc.line, lc.column, "invalid UTF-8");
  }
  BULWARK_RETURN_IF_ERROR(
      CheckTomlNesting(text, PrescanLimit(options.max_depth), options.source_name));
  toml::table table;
  try {
    table = toml::parse(text, options.source_name);
  } catch (const toml::parse_error& e) {
    const auto& begin = e.source().begin;
    return ErrorAt(options.source_name, std::max<std::size_t>(begin.line, 1),
                   std::max<std::size_t>(begin.column, 1), ShortDescription(e.description()));
  } catch (const std::exception& e) {
    return ErrorAt(options.source_name, 1, 1,
                   fmt::format("TOML parser failed: {}", ShortDescription(e.what())));
  }
  Document doc;
  Converter converter(options, doc);
  BULWARK_ASSIGN_OR_RETURN(doc.root, converter.Convert(table, toml::source_position{1, 1}, 0));
  // The root table spans the whole file.
  if (options.track_locations) doc.SetLocation(doc.root, {options.source_name, 1, 1});
  return doc;
}

}  // namespace bulwark::config::internal
