#include "bulwark/server/router.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace bulwark::server {
namespace {

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.empty() || path[0] != '/') return out;
  path.remove_prefix(1);
  while (true) {
    const std::size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

}  // namespace

std::string OpenApiPath(std::string_view pattern) {
  std::string out(pattern);
  for (std::size_t p; (p = out.find("+}")) != std::string::npos;) out.erase(p, 1);
  return out;
}

Status Router::Add(Route route) {
  static const std::vector<std::string> kMethods = {"GET", "PUT", "POST", "DELETE", "PATCH"};
  if (std::find(kMethods.begin(), kMethods.end(), route.method) == kMethods.end()) {
    return InvalidArgumentError(fmt::format("route {}: unknown method '{}'", route.pattern, route.method));
  }
  if (!route.handler) return InvalidArgumentError(fmt::format("route {}: no handler", route.pattern));
  Compiled c;
  auto segments = SplitPath(route.pattern);
  if (segments.empty()) {
    return InvalidArgumentError(fmt::format("route '{}': a pattern starts with '/'", route.pattern));
  }
  for (std::size_t i = 0; i < segments.size(); ++i) {
    std::string_view s = segments[i];
    Segment seg;
    if (s.size() >= 2 && s.front() == '{' && s.back() == '}') {
      seg.param = true;
      s = s.substr(1, s.size() - 2);
      if (!s.empty() && s.back() == '+') {
        if (i + 1 != segments.size()) {
          return InvalidArgumentError(fmt::format("route {}: {{{}}} must be last", route.pattern, s));
        }
        seg.rest = true;
        s.remove_suffix(1);
      }
    }
    if (s.empty()) return InvalidArgumentError(fmt::format("route {}: empty segment", route.pattern));
    seg.text = std::string(s);
    c.segments.push_back(std::move(seg));
  }
  try {
    auto op = nlohmann::json::parse(route.openapi);
    if (!op.is_object() || !op.contains("operationId") || !op.contains("responses")) {
      return InvalidArgumentError(
          fmt::format("route {} {}: the OpenAPI fragment needs operationId and responses",
                      route.method, route.pattern));
    }
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError(
        fmt::format("route {} {}: OpenAPI fragment: {}", route.method, route.pattern, e.what()));
  }
  for (const auto& r : routes_) {
    if (r.method == route.method && r.pattern == route.pattern) {
      return AlreadyExistsError(fmt::format("route {} {} is registered twice", route.method, route.pattern));
    }
  }
  routes_.push_back(std::move(route));
  compiled_.push_back(std::move(c));
  return OkStatus();
}

Status Router::AddSchema(std::string name, std::string schema_json) {
  try {
    auto parsed = nlohmann::json::parse(schema_json);
    (void)parsed;
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError(fmt::format("schema {}: {}", name, e.what()));
  }
  schemas_[std::move(name)] = std::move(schema_json);
  return OkStatus();
}

bool Router::MatchPattern(const Compiled& c, std::string_view path,
                          std::map<std::string, std::string, std::less<>>* params) {
  if (path.empty() || path[0] != '/') return false;
  std::string_view rest = path.substr(1);
  for (std::size_t i = 0; i < c.segments.size(); ++i) {
    const Segment& s = c.segments[i];
    if (s.rest) {
      if (rest.empty()) return false;
      if (params) (*params)[s.text] = std::string(rest);
      return true;
    }
    const std::size_t slash = rest.find('/');
    const std::string_view part = rest.substr(0, slash);
    const bool last = i + 1 == c.segments.size();
    if (last != (slash == std::string_view::npos)) return false;
    if (s.param) {
      if (part.empty()) return false;
      if (params) (*params)[s.text] = std::string(part);
    } else if (part != s.text) {
      return false;
    }
    rest = last ? std::string_view() : rest.substr(slash + 1);
  }
  return true;
}

Router::Match Router::Find(std::string_view method, std::string_view path) const {
  Match m;
  // Literal segments win: score routes by the number of literal segments matched.
  int best_score = -1;
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    if (!MatchPattern(compiled_[i], path, nullptr)) continue;
    if (routes_[i].method != method) {
      if (std::find(m.allowed.begin(), m.allowed.end(), routes_[i].method) == m.allowed.end()) {
        m.allowed.push_back(routes_[i].method);
      }
      continue;
    }
    int score = 0;
    for (const auto& s : compiled_[i].segments) score += s.param ? 0 : 1;
    if (score > best_score) {
      best_score = score;
      m.route = &routes_[i];
    }
  }
  if (m.route != nullptr) {
    m.allowed.clear();
    MatchPattern(compiled_[m.route - routes_.data()], path, &m.params);
  }
  return m;
}

std::string Router::OpenApiDocument(std::string_view title, std::string_view version) const {
  nlohmann::ordered_json doc;
  doc["openapi"] = "3.1.0";
  doc["info"] = {{"title", title},
                 {"version", version},
                 {"description",
                  "The Bulwark HTTP API (docs/server.md). Every error is an Error object; "
                  "authenticate with a bearer API token or a client certificate."}};
  doc["paths"] = nlohmann::ordered_json::object();
  for (const auto& r : routes_) {
    auto op = nlohmann::ordered_json::parse(r.openapi);
    if (r.is_public) op["security"] = nlohmann::ordered_json::array();
    doc["paths"][OpenApiPath(r.pattern)][Lower(r.method)] = std::move(op);
  }
  nlohmann::ordered_json schemas = nlohmann::ordered_json::object();
  for (const auto& [name, text] : schemas_) schemas[name] = nlohmann::ordered_json::parse(text);
  doc["components"]["schemas"] = std::move(schemas);
  doc["components"]["securitySchemes"] = {
      {"bearer", {{"type", "http"}, {"scheme", "bearer"}}},
      {"mtls", {{"type", "mutualTLS"}}}};
  doc["security"] = nlohmann::ordered_json::array({{{"bearer", nlohmann::json::array()}},
                                                   {{"mtls", nlohmann::json::array()}}});
  return doc.dump(2);
}

}  // namespace bulwark::server
