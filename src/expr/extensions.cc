#include "expr/extensions.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <vector>

#include "bulwark/core/encoding.h"

namespace bulwark::expr::internal {
namespace {

Value Err(std::string m) { return Value::Error(std::move(m)); }

bool Str(const Value& v) { return v.kind() == Kind::kString; }

// ---- strings (Kubernetes strings library, version 2 semantics; indexes count code points) ----

std::vector<std::uint32_t> Offsets(std::string_view s) {
  std::vector<std::uint32_t> out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80)
      out.push_back(static_cast<std::uint32_t>(i));
  }
  out.push_back(static_cast<std::uint32_t>(s.size()));
  return out;  // code point k spans [out[k], out[k+1])
}

Value CharAt(Frame&, std::span<const Value> a) {
  if (!Str(a[0]) || a[1].kind() != Kind::kInt) return NoSuchOverload("charAt", a);
  auto off = Offsets(a[0].str());
  std::int64_t i = a[1].int_value();
  std::int64_t n = static_cast<std::int64_t>(off.size()) - 1;
  if (i < 0 || i > n) return Err(fmt::format("index out of range: {}", i));
  if (i == n) return Value::StringView("");
  return Value::String(std::string(a[0].str().substr(off[i], off[i + 1] - off[i])));
}

std::int64_t CpIndexOfByte(const std::vector<std::uint32_t>& off, std::size_t byte) {
  return std::lower_bound(off.begin(), off.end(), byte) - off.begin();
}

Value IndexOf(Frame& f, std::span<const Value> a) {
  if (!Str(a[0]) || !Str(a[1]) || (a.size() == 3 && a[2].kind() != Kind::kInt))
    return NoSuchOverload("indexOf", a);
  if (!f.Charge(1 + a[0].str().size() / 10)) return BudgetError();
  auto off = Offsets(a[0].str());
  std::int64_t n = static_cast<std::int64_t>(off.size()) - 1;
  std::int64_t start = a.size() == 3 ? a[2].int_value() : 0;
  if (start < 0 || start > n) return Err(fmt::format("index out of range: {}", start));
  std::size_t pos = a[0].str().find(a[1].str(), off[start]);
  if (pos == std::string_view::npos) return Value::Int(-1);
  return Value::Int(CpIndexOfByte(off, pos));
}

Value LastIndexOf(Frame& f, std::span<const Value> a) {
  if (!Str(a[0]) || !Str(a[1]) || (a.size() == 3 && a[2].kind() != Kind::kInt))
    return NoSuchOverload("lastIndexOf", a);
  if (!f.Charge(1 + a[0].str().size() / 10)) return BudgetError();
  auto off = Offsets(a[0].str());
  std::int64_t n = static_cast<std::int64_t>(off.size()) - 1;
  std::int64_t start = a.size() == 3 ? a[2].int_value() : n;
  if (start < 0 || start > n) return Err(fmt::format("index out of range: {}", start));
  std::size_t pos = a[0].str().rfind(a[1].str(), off[start]);
  if (pos == std::string_view::npos) return Value::Int(-1);
  return Value::Int(CpIndexOfByte(off, pos));
}

Value LowerAscii(Frame&, std::span<const Value> a) {
  if (!Str(a[0])) return NoSuchOverload("lowerAscii", a);
  std::string s(a[0].str());
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return Value::String(std::move(s));
}

Value UpperAscii(Frame&, std::span<const Value> a) {
  if (!Str(a[0])) return NoSuchOverload("upperAscii", a);
  std::string s(a[0].str());
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return Value::String(std::move(s));
}

Value Replace(Frame& f, std::span<const Value> a) {
  if (!Str(a[0]) || !Str(a[1]) || !Str(a[2]) || (a.size() == 4 && a[3].kind() != Kind::kInt))
    return NoSuchOverload("replace", a);
  std::string_view s = a[0].str(), from = a[1].str(), to = a[2].str();
  std::int64_t limit = a.size() == 4 ? a[3].int_value() : -1;
  std::string out;
  std::size_t pos = 0;
  std::int64_t done = 0;
  while (limit < 0 || done < limit) {
    std::size_t hit = s.find(from, pos);
    if (hit == std::string_view::npos) break;
    out.append(s.substr(pos, hit - pos));
    out.append(to);
    if (from.empty()) {
      // Insert between code points.
      if (hit >= s.size()) {
        pos = s.size() + 1;
        ++done;
        break;
      }
      std::size_t next = hit + 1;
      while (next < s.size() && (static_cast<unsigned char>(s[next]) & 0xC0) == 0x80) ++next;
      out.append(s.substr(hit, next - hit));
      pos = next;
    } else {
      pos = hit + from.size();
    }
    ++done;
    if (out.size() > f.limits->max_string_size) {
      return Value::Error("string size limit exceeded", ErrorCode::kResourceExhausted);
    }
  }
  if (pos <= s.size()) out.append(s.substr(pos));
  if (!f.Charge(1 + out.size() / 10)) return BudgetError();
  return Value::String(std::move(out));
}

Value Split(Frame& f, std::span<const Value> a) {
  if (!Str(a[0]) || !Str(a[1]) || (a.size() == 3 && a[2].kind() != Kind::kInt))
    return NoSuchOverload("split", a);
  std::string_view s = a[0].str(), sep = a[1].str();
  std::int64_t limit = a.size() == 3 ? a[2].int_value() : -1;
  std::vector<Value> out;
  if (limit == 0) return Value::List(std::move(out));
  if (sep.empty()) {
    auto off = Offsets(s);
    for (std::size_t k = 0; k + 1 < off.size(); ++k) {
      if (limit > 0 && static_cast<std::int64_t>(out.size()) == limit - 1) {
        out.push_back(Value::String(std::string(s.substr(off[k]))));
        break;
      }
      out.push_back(Value::String(std::string(s.substr(off[k], off[k + 1] - off[k]))));
    }
  } else {
    std::size_t pos = 0;
    while (true) {
      if (limit > 0 && static_cast<std::int64_t>(out.size()) == limit - 1) {
        out.push_back(Value::String(std::string(s.substr(pos))));
        break;
      }
      std::size_t hit = s.find(sep, pos);
      if (hit == std::string_view::npos) {
        out.push_back(Value::String(std::string(s.substr(pos))));
        break;
      }
      out.push_back(Value::String(std::string(s.substr(pos, hit - pos))));
      pos = hit + sep.size();
    }
  }
  if (out.size() > f.limits->max_list_size)
    return Value::Error("list size limit exceeded", ErrorCode::kResourceExhausted);
  if (!f.Charge(1 + out.size())) return BudgetError();
  return Value::List(std::move(out));
}

Value Substring(Frame&, std::span<const Value> a) {
  if (!Str(a[0]) || a[1].kind() != Kind::kInt || (a.size() == 3 && a[2].kind() != Kind::kInt))
    return NoSuchOverload("substring", a);
  auto off = Offsets(a[0].str());
  std::int64_t n = static_cast<std::int64_t>(off.size()) - 1;
  std::int64_t b = a[1].int_value(), e = a.size() == 3 ? a[2].int_value() : n;
  if (b < 0 || b > n) return Err(fmt::format("index out of range: {}", b));
  if (e < 0 || e > n) return Err(fmt::format("index out of range: {}", e));
  if (b > e) return Err(fmt::format("invalid substring range. start: {}, end: {}", b, e));
  return Value::String(std::string(a[0].str().substr(off[b], off[e] - off[b])));
}

bool IsSpace(std::uint32_t cp) {
  return cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000;
}

std::uint32_t DecodeAt(std::string_view s, std::size_t i, std::size_t* len) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
  if (i + n > s.size()) n = 1;
  std::uint32_t cp = n == 1 ? c : (n == 2 ? c & 0x1F : (n == 3 ? c & 0x0F : c & 0x07));
  for (int k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  *len = static_cast<std::size_t>(n);
  return cp;
}

Value Trim(Frame&, std::span<const Value> a) {
  if (!Str(a[0])) return NoSuchOverload("trim", a);
  std::string_view s = a[0].str();
  std::size_t b = 0;
  while (b < s.size()) {
    std::size_t len;
    if (!IsSpace(DecodeAt(s, b, &len))) break;
    b += len;
  }
  std::size_t e = s.size();
  while (e > b) {
    std::size_t start = e - 1;
    while (start > b && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
    std::size_t len;
    if (!IsSpace(DecodeAt(s, start, &len))) break;
    e = start;
  }
  return Value::String(std::string(s.substr(b, e - b)));
}

Value Reverse(Frame&, std::span<const Value> a) {
  if (!Str(a[0])) return NoSuchOverload("reverse", a);
  auto off = Offsets(a[0].str());
  std::string out;
  out.reserve(a[0].str().size());
  for (std::size_t k = off.size() - 1; k > 0; --k)
    out.append(a[0].str().substr(off[k - 1], off[k] - off[k - 1]));
  return Value::String(std::move(out));
}

Value Join(Frame& f, std::span<const Value> a) {
  if (a[0].kind() != Kind::kList || (a.size() == 2 && !Str(a[1]))) return NoSuchOverload("join", a);
  std::string_view sep = a.size() == 2 ? a[1].str() : std::string_view();
  std::string out;
  for (std::size_t i = 0; i < a[0].ListSize(); ++i) {
    Value e = a[0].ListAt(i);
    if (!Str(e)) return NoSuchOverload("join", a);
    if (i) out.append(sep);
    out.append(e.str());
    if (out.size() > f.limits->max_string_size)
      return Value::Error("string size limit exceeded", ErrorCode::kResourceExhausted);
  }
  if (!f.Charge(1 + out.size() / 10)) return BudgetError();
  return Value::String(std::move(out));
}

// ---- glob ----

Value MatchesGlob(Frame& f, std::span<const Value> a) {
  if (!Str(a[0]) || !Str(a[1])) return NoSuchOverload("matchesGlob", a);
  if (!f.Charge(1 + a[0].str().size() * (a[1].str().size() + 1) / 50)) return BudgetError();
  return Value::Bool(GlobMatch(a[0].str(), a[1].str()));
}

// ---- network ----

class IpValue : public OpaqueValue {
 public:
  IpValue(int family, std::array<std::uint8_t, 16> bytes) : family_(family), bytes_(bytes) {}
  std::string_view TypeName() const override { return "net.IP"; }
  bool Equals(const OpaqueValue& o) const override {
    const auto& other = static_cast<const IpValue&>(o);
    return family_ == other.family_ && bytes_ == other.bytes_;
  }
  std::string ToString() const override {
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(family_ == 4 ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof(buf));
    return buf;
  }
  int family() const { return family_; }
  const std::array<std::uint8_t, 16>& bytes() const { return bytes_; }
  std::size_t length() const { return family_ == 4 ? 4 : 16; }

 private:
  int family_;
  std::array<std::uint8_t, 16> bytes_;
};

class CidrValue : public OpaqueValue {
 public:
  CidrValue(IpValue ip, int prefix) : ip_(std::move(ip)), prefix_(prefix) {}
  std::string_view TypeName() const override { return "net.CIDR"; }
  bool Equals(const OpaqueValue& o) const override {
    const auto& other = static_cast<const CidrValue&>(o);
    return prefix_ == other.prefix_ && ip_.Equals(other.ip_);
  }
  std::string ToString() const override { return fmt::format("{}/{}", ip_.ToString(), prefix_); }
  const IpValue& ip() const { return ip_; }
  int prefix() const { return prefix_; }
  bool Contains(const IpValue& addr) const {
    if (addr.family() != ip_.family()) return false;
    int bits = prefix_;
    for (std::size_t i = 0; i < ip_.length() && bits > 0; ++i, bits -= 8) {
      std::uint8_t mask = bits >= 8 ? 0xFF : static_cast<std::uint8_t>(0xFF << (8 - bits));
      if ((addr.bytes()[i] & mask) != (ip_.bytes()[i] & mask)) return false;
    }
    return true;
  }
  IpValue Masked() const {
    auto b = ip_.bytes();
    int bits = prefix_;
    for (std::size_t i = 0; i < ip_.length(); ++i, bits -= 8) {
      std::uint8_t mask =
          bits >= 8 ? 0xFF : (bits <= 0 ? 0 : static_cast<std::uint8_t>(0xFF << (8 - bits)));
      b[i] &= mask;
    }
    return IpValue(ip_.family(), b);
  }

 private:
  IpValue ip_;
  int prefix_;
};

// Strict parsing as in Kubernetes: no zones, no IPv4-mapped IPv6 with dotted suffix is allowed
// through inet_pton's rules; IPv4 without leading zeros.
std::optional<IpValue> ParseIp(std::string_view s) {
  if (s.empty() || s.size() > 45 || s.find('%') != std::string_view::npos) return std::nullopt;
  std::string text(s);
  std::array<std::uint8_t, 16> b{};
  if (text.find(':') == std::string::npos) {
    // Reject leading zeros ("010.0.0.1"), which inet_pton would accept on some platforms.
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '0' && (i == 0 || text[i - 1] == '.') && i + 1 < text.size() &&
          text[i + 1] != '.')
        return std::nullopt;
    }
    if (inet_pton(AF_INET, text.c_str(), b.data()) != 1) return std::nullopt;
    return IpValue(4, b);
  }
  // The dotted IPv4-in-IPv6 notation ("::ffff:1.2.3.4") is rejected, as in Kubernetes.
  if (text.find('.') != std::string::npos) return std::nullopt;
  if (inet_pton(AF_INET6, text.c_str(), b.data()) != 1) return std::nullopt;
  // An IPv4-mapped address in hex form is that IPv4 address (cel-go's network library).
  static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
  if (std::memcmp(b.data(), kMapped, 12) == 0) {
    std::array<std::uint8_t, 16> v4{};
    std::memcpy(v4.data(), b.data() + 12, 4);
    return IpValue(4, v4);
  }
  return IpValue(6, b);
}

std::optional<CidrValue> ParseCidr(std::string_view s) {
  std::size_t slash = s.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto ip = ParseIp(s.substr(0, slash));
  if (!ip) return std::nullopt;
  std::string_view p = s.substr(slash + 1);
  if (p.empty() || p.size() > 3 || (p.size() > 1 && p[0] == '0')) return std::nullopt;
  int prefix = 0;
  for (char c : p) {
    if (c < '0' || c > '9') return std::nullopt;
    prefix = prefix * 10 + (c - '0');
  }
  if (prefix > static_cast<int>(ip->length() * 8)) return std::nullopt;
  return CidrValue(*ip, prefix);
}

const IpValue* AsIp(const Value& v) {
  if (v.kind() != Kind::kOpaque || v.opaque().TypeName() != "net.IP") return nullptr;
  return static_cast<const IpValue*>(&v.opaque());
}
const CidrValue* AsCidr(const Value& v) {
  if (v.kind() != Kind::kOpaque || v.opaque().TypeName() != "net.CIDR") return nullptr;
  return static_cast<const CidrValue*>(&v.opaque());
}

Value Ip(Frame&, std::span<const Value> a) {
  if (!Str(a[0])) return NoSuchOverload("ip", a);
  auto ip = ParseIp(a[0].str());
  if (!ip) return Err(fmt::format("IP Address '{}' parse error", a[0].str()));
  return Value::Opaque(std::make_shared<IpValue>(*ip));
}
Value IsIp(Frame&, std::span<const Value> a) {
  if (!Str(a[0])) return NoSuchOverload("isIP", a);
  return Value::Bool(ParseIp(a[0].str()).has_value());
}
Value Cidr(Frame&, std::span<const Value> a) {
  if (!Str(a[0])) return NoSuchOverload("cidr", a);
  auto c = ParseCidr(a[0].str());
  if (!c) return Err(fmt::format("network address parse error: '{}'", a[0].str()));
  return Value::Opaque(std::make_shared<CidrValue>(*c));
}
Value IsCidr(Frame&, std::span<const Value> a) {
  if (!Str(a[0])) return NoSuchOverload("isCIDR", a);
  return Value::Bool(ParseCidr(a[0].str()).has_value());
}
Value Family(Frame&, std::span<const Value> a) {
  const IpValue* ip = AsIp(a[0]);
  if (!ip) return NoSuchOverload("family", a);
  return Value::Int(ip->family());
}
Value IsLoopback(Frame&, std::span<const Value> a);
Value IsUnspecified(Frame&, std::span<const Value> a) {
  const IpValue* ip = AsIp(a[0]);
  if (!ip) return NoSuchOverload("isUnspecified", a);
  return Value::Bool(ip->bytes() == std::array<std::uint8_t, 16>{});
}
bool InPrefix(const IpValue& ip, std::initializer_list<std::uint8_t> prefix, int bits) {
  std::size_t i = 0;
  for (std::uint8_t p : prefix) {
    int take = bits >= 8 ? 8 : bits;
    if (take <= 0) break;
    std::uint8_t mask = static_cast<std::uint8_t>(0xFF << (8 - take));
    if ((ip.bytes()[i] & mask) != (p & mask)) return false;
    bits -= 8;
    ++i;
  }
  return true;
}
bool IsLinkLocalUnicastIp(const IpValue& ip) {
  return ip.family() == 4 ? InPrefix(ip, {169, 254}, 16) : InPrefix(ip, {0xfe, 0x80}, 10);
}
bool IsLinkLocalMulticastIp(const IpValue& ip) {
  return ip.family() == 4 ? InPrefix(ip, {224, 0, 0}, 24) : InPrefix(ip, {0xff, 0x02}, 16);
}
bool IsMulticastIp(const IpValue& ip) {
  return ip.family() == 4 ? InPrefix(ip, {224}, 4) : InPrefix(ip, {0xff}, 8);
}
bool IsLoopbackIp(const IpValue& ip) {
  if (ip.family() == 4) return ip.bytes()[0] == 127;
  std::array<std::uint8_t, 16> lo{};
  lo[15] = 1;
  return ip.bytes() == lo;
}
Value IsLinkLocalUnicast(Frame&, std::span<const Value> a) {
  const IpValue* ip = AsIp(a[0]);
  if (!ip) return NoSuchOverload("isLinkLocalUnicast", a);
  return Value::Bool(IsLinkLocalUnicastIp(*ip));
}
Value IsLinkLocalMulticast(Frame&, std::span<const Value> a) {
  const IpValue* ip = AsIp(a[0]);
  if (!ip) return NoSuchOverload("isLinkLocalMulticast", a);
  return Value::Bool(IsLinkLocalMulticastIp(*ip));
}
// Go's net.IP.IsGlobalUnicast, as used by the Kubernetes library.
Value IsGlobalUnicast(Frame&, std::span<const Value> a) {
  const IpValue* ip = AsIp(a[0]);
  if (!ip) return NoSuchOverload("isGlobalUnicast", a);
  bool broadcast = ip->family() == 4 && ip->bytes()[0] == 255 && ip->bytes()[1] == 255 &&
                   ip->bytes()[2] == 255 && ip->bytes()[3] == 255;
  bool unspecified = ip->bytes() == std::array<std::uint8_t, 16>{};
  return Value::Bool(!broadcast && !unspecified && !IsLoopbackIp(*ip) && !IsMulticastIp(*ip) &&
                     !IsLinkLocalUnicastIp(*ip));
}
Value IsCanonical(Frame&, std::span<const Value> a) {
  if (!Str(a[0])) return NoSuchOverload("ip.isCanonical", a);
  auto ip = ParseIp(a[0].str());
  if (!ip)
    return Err(
        fmt::format("IP Address '{}' parse error during conversion from string", a[0].str()));
  return Value::Bool(ip->ToString() == a[0].str());
}

Value IsLoopback(Frame&, std::span<const Value> a) {
  const IpValue* ip = AsIp(a[0]);
  if (!ip) return NoSuchOverload("isLoopback", a);
  return Value::Bool(IsLoopbackIp(*ip));
}

Value ContainsIp(Frame&, std::span<const Value> a) {
  const CidrValue* c = AsCidr(a[0]);
  if (!c) return NoSuchOverload("containsIP", a);
  if (const IpValue* ip = AsIp(a[1])) return Value::Bool(c->Contains(*ip));
  if (Str(a[1])) {
    auto ip = ParseIp(a[1].str());
    if (!ip) return Err(fmt::format("IP Address '{}' parse error", a[1].str()));
    return Value::Bool(c->Contains(*ip));
  }
  return NoSuchOverload("containsIP", a);
}
Value ContainsCidr(Frame&, std::span<const Value> a) {
  const CidrValue* c = AsCidr(a[0]);
  if (!c) return NoSuchOverload("containsCIDR", a);
  std::optional<CidrValue> other;
  if (const CidrValue* o = AsCidr(a[1])) other = *o;
  if (Str(a[1])) other = ParseCidr(a[1].str());
  if (!other) return Err("network address parse error");
  return Value::Bool(other->prefix() >= c->prefix() && c->Contains(other->ip()));
}
Value InCidr(Frame&, std::span<const Value> a) {
  const IpValue* ip = AsIp(a[0]);
  std::optional<IpValue> parsed;
  if (!ip && Str(a[0])) {
    parsed = ParseIp(a[0].str());
    if (!parsed) return Err(fmt::format("IP Address '{}' parse error", a[0].str()));
    ip = &*parsed;
  }
  if (!ip) return NoSuchOverload("inCidr", a);
  if (const CidrValue* c = AsCidr(a[1])) return Value::Bool(c->Contains(*ip));
  if (Str(a[1])) {
    auto c = ParseCidr(a[1].str());
    if (!c) return Err(fmt::format("network address parse error: '{}'", a[1].str()));
    return Value::Bool(c->Contains(*ip));
  }
  return NoSuchOverload("inCidr", a);
}
Value CidrIp(Frame&, std::span<const Value> a) {
  const CidrValue* c = AsCidr(a[0]);
  if (!c) return NoSuchOverload("ip", a);
  return Value::Opaque(std::make_shared<IpValue>(c->ip()));
}
Value PrefixLength(Frame&, std::span<const Value> a) {
  const CidrValue* c = AsCidr(a[0]);
  if (!c) return NoSuchOverload("prefixLength", a);
  return Value::Int(c->prefix());
}
Value Masked(Frame&, std::span<const Value> a) {
  const CidrValue* c = AsCidr(a[0]);
  if (!c) return NoSuchOverload("masked", a);
  return Value::Opaque(std::make_shared<CidrValue>(c->Masked(), c->prefix()));
}

// `ip(x)` with one argument is the constructor; `cidr.ip()` (receiver) shares the name.
Value IpDispatch(Frame& f, std::span<const Value> a) {
  if (AsCidr(a[0])) return CidrIp(f, a);
  return Ip(f, a);
}

// ---- semantic versions (semver.org 2.0.0 precedence) ----

class SemverValue : public OpaqueValue {
 public:
  std::uint64_t major = 0, minor = 0, patch = 0;
  std::vector<std::string> pre;
  std::string build;
  std::string_view TypeName() const override { return "semver.Version"; }
  bool Equals(const OpaqueValue& o) const override {
    return Cmp(static_cast<const SemverValue&>(o)) == 0;
  }
  std::string ToString() const override {
    std::string s = fmt::format("{}.{}.{}", major, minor, patch);
    for (std::size_t i = 0; i < pre.size(); ++i) s += (i ? "." : "-") + pre[i];
    if (!build.empty()) s += "+" + build;
    return s;
  }
  int Cmp(const SemverValue& o) const {
    auto c3 = [](std::uint64_t x, std::uint64_t y) { return x < y ? -1 : (x > y ? 1 : 0); };
    if (int c = c3(major, o.major)) return c;
    if (int c = c3(minor, o.minor)) return c;
    if (int c = c3(patch, o.patch)) return c;
    if (pre.empty() || o.pre.empty())
      return pre.empty() == o.pre.empty() ? 0 : (pre.empty() ? 1 : -1);
    for (std::size_t i = 0; i < pre.size() && i < o.pre.size(); ++i) {
      const std::string &x = pre[i], &y = o.pre[i];
      bool xn = std::all_of(x.begin(), x.end(), ::isdigit),
           yn = std::all_of(y.begin(), y.end(), ::isdigit);
      if (xn && yn) {
        if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
        if (int c = x.compare(y)) return c < 0 ? -1 : 1;
      } else if (xn != yn) {
        return xn ? -1 : 1;
      } else if (int c = x.compare(y)) {
        return c < 0 ? -1 : 1;
      }
    }
    return c3(pre.size(), o.pre.size());
  }
};

bool ParseNum(std::string_view s, std::uint64_t* out) {
  if (s.empty() || s.size() > 19 || (s.size() > 1 && s[0] == '0')) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

bool ValidIdents(std::string_view s, bool numeric_no_leading_zero, std::vector<std::string>* out) {
  if (s.empty()) return false;
  std::size_t pos = 0;
  while (true) {
    std::size_t dot = s.find('.', pos);
    std::string_view id =
        s.substr(pos, dot == std::string_view::npos ? std::string_view::npos : dot - pos);
    if (id.empty()) return false;
    bool numeric = true;
    for (char c : id) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-')) return false;
      if (!std::isdigit(static_cast<unsigned char>(c))) numeric = false;
    }
    if (numeric_no_leading_zero && numeric && id.size() > 1 && id[0] == '0') return false;
    if (out) out->emplace_back(id);
    if (dot == std::string_view::npos) break;
    pos = dot + 1;
  }
  return true;
}

// Accepts "1.2.3", "v1.2.3", "1.2.3-rc.1+build.5".
std::optional<SemverValue> ParseSemver(std::string_view s) {
  if (!s.empty() && s[0] == 'v') s.remove_prefix(1);
  SemverValue v;
  std::size_t plus = s.find('+');
  if (plus != std::string_view::npos) {
    if (!ValidIdents(s.substr(plus + 1), false, nullptr)) return std::nullopt;
    v.build = std::string(s.substr(plus + 1));
    s = s.substr(0, plus);
  }
  std::size_t dash = s.find('-');
  if (dash != std::string_view::npos) {
    if (!ValidIdents(s.substr(dash + 1), true, &v.pre)) return std::nullopt;
    s = s.substr(0, dash);
  }
  std::size_t d1 = s.find('.');
  if (d1 == std::string_view::npos) return std::nullopt;
  std::size_t d2 = s.find('.', d1 + 1);
  if (d2 == std::string_view::npos) return std::nullopt;
  if (!ParseNum(s.substr(0, d1), &v.major) || !ParseNum(s.substr(d1 + 1, d2 - d1 - 1), &v.minor) ||
      !ParseNum(s.substr(d2 + 1), &v.patch)) {
    return std::nullopt;
  }
  return v;
}

const SemverValue* AsSemver(const Value& v) {
  if (v.kind() != Kind::kOpaque || v.opaque().TypeName() != "semver.Version") return nullptr;
  return static_cast<const SemverValue*>(&v.opaque());
}

Value Semver(Frame&, std::span<const Value> a) {
  if (!Str(a[0])) return NoSuchOverload("semver", a);
  auto v = ParseSemver(a[0].str());
  if (!v) return Err(fmt::format("invalid semantic version '{}'", a[0].str()));
  return Value::Opaque(std::make_shared<SemverValue>(std::move(*v)));
}
Value IsSemver(Frame&, std::span<const Value> a) {
  if (!Str(a[0])) return NoSuchOverload("isSemver", a);
  return Value::Bool(ParseSemver(a[0].str()).has_value());
}

// Compares two versions given as semver values or strings.
Value SemverCompare(std::string_view fn, std::span<const Value> a, int* out) {
  std::optional<SemverValue> parsed[2];
  const SemverValue* v[2];
  for (int i = 0; i < 2; ++i) {
    v[i] = AsSemver(a[i]);
    if (!v[i] && Str(a[i])) {
      parsed[i] = ParseSemver(a[i].str());
      if (!parsed[i]) return Err(fmt::format("invalid semantic version '{}'", a[i].str()));
      v[i] = &*parsed[i];
    }
    if (!v[i]) return NoSuchOverload(fn, a);
  }
  *out = v[0]->Cmp(*v[1]);
  return Value();
}

Value CompareSemver(Frame&, std::span<const Value> a) {
  int c;
  Value e = SemverCompare("compareSemver", a, &c);
  if (e.IsError()) return e;
  return Value::Int(c);
}
Value IsLessThan(Frame&, std::span<const Value> a) {
  int c;
  Value e = SemverCompare("isLessThan", a, &c);
  if (e.IsError()) return e;
  return Value::Bool(c < 0);
}
Value IsGreaterThan(Frame&, std::span<const Value> a) {
  int c;
  Value e = SemverCompare("isGreaterThan", a, &c);
  if (e.IsError()) return e;
  return Value::Bool(c > 0);
}
template <int kPart>
Value SemverPart(Frame&, std::span<const Value> a) {
  const SemverValue* v = AsSemver(a[0]);
  if (!v) return NoSuchOverload(kPart == 0 ? "major" : kPart == 1 ? "minor" : "patch", a);
  std::uint64_t x = kPart == 0 ? v->major : kPart == 1 ? v->minor : v->patch;
  if (x > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    return Err("version component out of range");
  return Value::Int(static_cast<std::int64_t>(x));
}

struct Entry {
  std::string_view name;
  std::uint8_t min_args, max_args;
  Function fn;
};

constexpr Entry kExtensions[] = {
    {"charAt", 2, 2, CharAt},
    {"indexOf", 2, 3, IndexOf},
    {"lastIndexOf", 2, 3, LastIndexOf},
    {"lowerAscii", 1, 1, LowerAscii},
    {"upperAscii", 1, 1, UpperAscii},
    {"replace", 3, 4, Replace},
    {"split", 2, 3, Split},
    {"substring", 2, 3, Substring},
    {"trim", 1, 1, Trim},
    {"join", 1, 2, Join},
    {"matchesGlob", 2, 2, MatchesGlob},
    {"ip", 1, 1, IpDispatch},
    {"isIP", 1, 1, IsIp},
    {"cidr", 1, 1, Cidr},
    {"isCIDR", 1, 1, IsCidr},
    {"family", 1, 1, Family},
    {"isLoopback", 1, 1, IsLoopback},
    {"isUnspecified", 1, 1, IsUnspecified},
    {"isGlobalUnicast", 1, 1, IsGlobalUnicast},
    {"isLinkLocalUnicast", 1, 1, IsLinkLocalUnicast},
    {"isLinkLocalMulticast", 1, 1, IsLinkLocalMulticast},
    {"ip.isCanonical", 1, 1, IsCanonical},
    {"reverse", 1, 1, Reverse},
    {"containsIP", 2, 2, ContainsIp},
    {"containsCIDR", 2, 2, ContainsCidr},
    {"inCidr", 2, 2, InCidr},
    {"prefixLength", 1, 1, PrefixLength},
    {"masked", 1, 1, Masked},
    {"semver", 1, 1, Semver},
    {"isSemver", 1, 1, IsSemver},
    {"compareSemver", 2, 2, CompareSemver},
    {"isLessThan", 2, 2, IsLessThan},
    {"isGreaterThan", 2, 2, IsGreaterThan},
    {"major", 1, 1, SemverPart<0>},
    {"minor", 1, 1, SemverPart<1>},
    {"patch", 1, 1, SemverPart<2>},
};

}  // namespace

bool GlobMatch(std::string_view text, std::string_view pat) {
  // Dynamic programming over (pattern position, text position): O(|pattern| * |text|) time, no
  // backtracking blow-up. reach[j] = pattern prefix consumed so far can end at text position j.
  std::vector<char> reach(text.size() + 1, 0), next(text.size() + 1, 0);
  reach[0] = 1;
  std::size_t p = 0;
  while (p < pat.size()) {
    std::fill(next.begin(), next.end(), 0);
    char c = pat[p];
    if (c == '*') {
      bool dbl = p + 1 < pat.size() && pat[p + 1] == '*';
      bool any = false;
      for (std::size_t j = 0; j <= text.size(); ++j) {
        if (reach[j]) any = true;
        if (any) next[j] = 1;
        if (!dbl && j < text.size() && text[j] == '/') any = false;
      }
      p += dbl ? 2 : 1;
      // "**/" also matches zero directories: "a/**/b" matches "a/b".
      if (dbl && p < pat.size() && pat[p] == '/') {
        std::vector<char> skip(text.size() + 1, 0);
        for (std::size_t j = 0; j < text.size(); ++j) {
          if (next[j] && text[j] == '/') skip[j + 1] = 1;
        }
        for (std::size_t j = 0; j <= text.size(); ++j)
          next[j] = static_cast<char>(skip[j] || reach[j]);
        ++p;
      }
    } else {
      // A single-character matcher: '?', a class or a literal.
      std::size_t end = p + 1;
      bool negate = false;
      std::string_view cls;
      bool is_class = false, is_any = false;
      char lit = c;
      if (c == '?') {
        is_any = true;
      } else if (c == '[') {
        std::size_t q = p + 1;
        if (q < pat.size() && (pat[q] == '!' || pat[q] == '^')) {
          negate = true;
          ++q;
        }
        std::size_t close = pat.find(']', q + 1);
        if (close != std::string_view::npos) {
          is_class = true;
          cls = pat.substr(q, close - q);
          end = close + 1;
        }
      } else if (c == '\\' && p + 1 < pat.size()) {
        lit = pat[p + 1];
        end = p + 2;
      }
      for (std::size_t j = 0; j < text.size(); ++j) {
        if (!reach[j]) continue;
        char t = text[j];
        bool ok;
        if (is_any) {
          ok = t != '/';
        } else if (is_class) {
          bool in = false;
          for (std::size_t k = 0; k < cls.size(); ++k) {
            if (k + 2 < cls.size() && cls[k + 1] == '-') {
              if (t >= cls[k] && t <= cls[k + 2]) in = true;
              k += 2;
            } else if (cls[k] == t) {
              in = true;
            }
          }
          ok = (in != negate) && t != '/';
        } else {
          ok = t == lit;
        }
        if (ok) next[j + 1] = 1;
      }
      p = end;
    }
    reach.swap(next);
  }
  return reach[text.size()] != 0;
}

Function LookupExtension(std::string_view name, std::size_t argc) {
  for (const auto& e : kExtensions) {
    if (e.name == name && argc >= e.min_args && argc <= e.max_args) return e.fn;
  }
  return nullptr;
}

}  // namespace bulwark::expr::internal
