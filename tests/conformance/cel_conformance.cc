// Runs the CEL specification's conformance suite (testdata/cel-spec, SimpleTestFile
// textproto files) against the Bulwark expression engine.
//
// Prints passed/failed/skipped per file and every skip with its reason. Exits non-zero when any
// non-skipped test of the core files fails. Tests that need protobuf message types (TestAllTypes,
// wrappers, Any, Struct), unknowns or extension libraries we do not implement are skipped.
//
// Usage: cel_conformance [--verbose] [file-stem ...]   (default: the core files)
#include <fmt/format.h>

#include <cmath>
#include <iostream>
#include <map>
#include <optional>

#include "bulwark/expr/program.h"
#include "bulwark/testing/test_data.h"
#include "textproto.h"

using bulwark::conformance::TextField;
using bulwark::conformance::TextMessage;
namespace expr = bulwark::expr;

namespace {

const char* const kCoreFiles[] = {"basic",    "comparisons",  "conversions", "fields",
                                  "fp_math",  "integer_math", "lists",       "logic",
                                  "macros",   "macros2",      "namespace",   "parse",
                                  "plumbing", "string",       "timestamps"};

struct Skip {
  std::string reason;
};

// Converts a cel.expr.Value message. Throws Skip when the value needs a protobuf message type.
expr::Value ToValue(const TextMessage& m) {
  if (m.fields.empty()) throw Skip{"empty value"};
  const TextField& f = m.fields[0];
  const std::string& k = f.name;
  if (k == "null_value") return expr::Value::Null();
  if (k == "bool_value") return expr::Value::Bool(f.scalar == "true");
  if (k == "int64_value") return expr::Value::Int(std::stoll(f.scalar));
  if (k == "uint64_value") return expr::Value::Uint(std::stoull(f.scalar));
  if (k == "double_value") {
    std::string s = f.scalar;
    if (s == "inf" || s == "Infinity") return expr::Value::Double(INFINITY);
    if (s == "-inf" || s == "-Infinity") return expr::Value::Double(-INFINITY);
    if (s == "nan" || s == "NaN") return expr::Value::Double(NAN);
    return expr::Value::Double(std::stod(s));
  }
  if (k == "string_value") return expr::Value::String(f.scalar);
  if (k == "bytes_value") return expr::Value::Bytes(f.scalar);
  if (k == "type_value") return expr::Value::TypeOwned(f.scalar);
  if (k == "list_value") {
    std::vector<expr::Value> out;
    if (f.message) {
      for (const TextField* v : f.message->All("values")) out.push_back(ToValue(*v->message));
    }
    return expr::Value::List(std::move(out));
  }
  if (k == "map_value") {
    expr::MapData out;
    if (f.message) {
      for (const TextField* e : f.message->All("entries")) {
        out.entries.emplace_back(ToValue(*e->message->Find("key")->message),
                                 ToValue(*e->message->Find("value")->message));
      }
    }
    return expr::Value::Map(std::move(out));
  }
  if (k == "object_value" && f.message && !f.message->fields.empty()) {
    const TextField& any = f.message->fields[0];
    auto num = [&](const char* n) { return std::stoll(any.message->Get(n, "0")); };
    if (any.name == "[type.googleapis.com/google.protobuf.Duration]") {
      return expr::Value::Duration(num("seconds"), static_cast<std::int32_t>(num("nanos")));
    }
    if (any.name == "[type.googleapis.com/google.protobuf.Timestamp]") {
      return expr::Value::Timestamp(num("seconds"), static_cast<std::int32_t>(num("nanos")));
    }
    std::string type = any.name.substr(any.name.rfind('/') + 1);
    if (!type.empty() && type.back() == ']') type.pop_back();
    throw Skip{"needs proto message type " + type};
  }
  if (k == "enum_value") throw Skip{"needs proto enum values"};
  throw Skip{"unsupported value kind " + k};
}

// Strict equality for expected results: same kinds (1 and 1u differ), NaN equals NaN.
bool SameValue(const expr::Value& a, const expr::Value& b) {
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case expr::Kind::kDouble:
      if (std::isnan(a.double_value()) && std::isnan(b.double_value())) return true;
      return a.double_value() == b.double_value();
    case expr::Kind::kList:
      if (a.ListSize() != b.ListSize()) return false;
      for (std::size_t i = 0; i < a.ListSize(); ++i) {
        if (!SameValue(a.ListAt(i), b.ListAt(i))) return false;
      }
      return true;
    case expr::Kind::kMap:
      if (a.MapSize() != b.MapSize()) return false;
      for (std::size_t i = 0; i < a.MapSize(); ++i) {
        expr::Value other;
        if (!b.MapFind(a.MapKeyAt(i), &other) || !SameValue(a.MapValueAt(i), other)) return false;
      }
      return true;
    default:
      return expr::Equal(a, b);
  }
}

std::string TypeFromProto(const TextMessage& t) {
  if (const TextField* p = t.Find("primitive")) {
    static const std::map<std::string, std::string> kPrim = {
        {"BOOL", "bool"},     {"INT64", "int"},     {"UINT64", "uint"},
        {"DOUBLE", "double"}, {"STRING", "string"}, {"BYTES", "bytes"}};
    auto it = kPrim.find(p->scalar);
    if (it == kPrim.end()) throw Skip{"unsupported primitive type " + p->scalar};
    return it->second;
  }
  if (const TextField* m = t.Find("message_type")) {
    if (m->scalar == "google.protobuf.Duration") return "duration";
    if (m->scalar == "google.protobuf.Timestamp") return "timestamp";
    throw Skip{"needs proto message type " + m->scalar};
  }
  if (const TextField* l = t.Find("list_type")) {
    return "list(" + TypeFromProto(*l->message->Find("elem_type")->message) + ")";
  }
  if (const TextField* m = t.Find("map_type")) {
    return "map(" + TypeFromProto(*m->message->Find("key_type")->message) + ", " +
           TypeFromProto(*m->message->Find("value_type")->message) + ")";
  }
  if (t.Find("dyn")) return "dyn";
  if (t.Find("null")) return "null_type";
  if (const TextField* w = t.Find("well_known")) {
    if (w->scalar == "TIMESTAMP") return "timestamp";
    if (w->scalar == "DURATION") return "duration";
  }
  throw Skip{"unsupported declared type"};
}

// Why an expression needs protobuf messages, or "" when it does not.
std::string ProtoNeed(const std::string& text, const std::string& container) {
  if (container.find("conformance.proto") != std::string::npos)
    return "needs proto messages (container " + container + ")";
  static const char* const kMarkers[] = {"TestAllTypes",
                                         "google.protobuf.Int32Value",
                                         "google.protobuf.Int64Value",
                                         "google.protobuf.UInt32Value",
                                         "google.protobuf.UInt64Value",
                                         "google.protobuf.FloatValue",
                                         "google.protobuf.DoubleValue",
                                         "google.protobuf.BoolValue",
                                         "google.protobuf.StringValue",
                                         "google.protobuf.BytesValue",
                                         "google.protobuf.Any",
                                         "google.protobuf.Struct",
                                         "google.protobuf.Value",
                                         "google.protobuf.ListValue",
                                         "google.protobuf.NullValue",
                                         "google.protobuf.Timestamp{",
                                         "google.protobuf.Duration{",
                                         "GlobalEnum",
                                         "TestRequired"};
  for (const char* m : kMarkers) {
    if (text.find(m) != std::string::npos) return std::string("needs proto message type ") + m;
  }
  return "";
}

struct FileStats {
  int passed = 0, failed = 0, skipped = 0;
};

enum class Outcome { kPass, kFail, kSkip };

Outcome RunTest(const TextMessage& t, std::string* why) {
  std::string src = t.Get("expr");
  std::string container = t.Get("container");
  if (std::string need = ProtoNeed(src, container); !need.empty()) {
    *why = need;
    return Outcome::kSkip;
  }
  if (t.Find("unknown") || t.Find("any_unknowns")) {
    *why = "unknown-value tests are outside the core implementation";
    return Outcome::kSkip;
  }
  if (t.Get("check_only") == "true") {
    *why = "check-only test (deduced type comparison)";
    return Outcome::kSkip;
  }
  try {
    expr::Declarations decls;
    bool has_decls = false;
    for (const TextField* d : t.All("type_env")) {
      const TextMessage& dm = *d->message;
      if (dm.Find("function")) throw Skip{"declares custom functions"};
      const TextField* ident = dm.Find("ident");
      if (!ident) continue;
      decls.Add(dm.Get("name"), TypeFromProto(*ident->message->Find("type")->message));
      has_decls = true;
    }
    expr::Activation vars;
    for (const TextField* b : t.All("bindings")) {
      const TextMessage& bm = *b->message;
      const TextField* v = bm.Find("value");
      const TextField* inner = v->message->Find("value");
      if (!inner) throw Skip{"binding is not a plain value"};
      vars.Bind(bm.Get("key"), ToValue(*inner->message));
    }
    std::optional<expr::Value> expected;
    bool expect_error = false;
    if (const TextField* v = t.Find("value")) {
      expected = ToValue(*v->message);
    } else if (const TextField* tr = t.Find("typed_result")) {
      expected = ToValue(*tr->message->Find("result")->message);
    } else if (t.Find("eval_error") || t.Find("any_eval_errors")) {
      expect_error = true;
    } else {
      expected = expr::Value::Bool(true);  // SimpleTest default: the expression evaluates to true
    }

    expr::CompileOptions opts;
    opts.container = container;
    opts.parse.enable_macros = t.Get("disable_macros") != "true";
    bool check = has_decls && t.Get("disable_check") != "true";
    if (check) opts.declarations = &decls;
    auto program = expr::Program::Compile(src, opts);
    if (!program) {
      if (expect_error) return Outcome::kPass;
      *why = "compile error: " + program.error().message();
      return Outcome::kFail;
    }
    expr::Value result = (*program)->EvaluateValue(vars);
    if (expect_error) {
      if (result.IsError()) return Outcome::kPass;
      *why = "expected an error, got " + result.DebugString();
      return Outcome::kFail;
    }
    if (result.IsError()) {
      *why = "unexpected error: " + result.error_message();
      return Outcome::kFail;
    }
    if (!SameValue(result, *expected)) {
      *why = "got " + result.DebugString() + ", want " + expected->DebugString();
      return Outcome::kFail;
    }
    return Outcome::kPass;
  } catch (const Skip& s) {
    *why = s.reason;
    return Outcome::kSkip;
  } catch (const std::exception& e) {
    *why = std::string("bad test data: ") + e.what();
    return Outcome::kFail;
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = bulwark::testing::TestDataPath("cel-spec");
  bool verbose = false;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--verbose") {
      verbose = true;
    } else {
      files.push_back(a);
    }
  }
  if (files.empty()) files.assign(std::begin(kCoreFiles), std::end(kCoreFiles));
  int total_failed = 0;
  FileStats sum;
  std::vector<std::string> skips, failures;
  fmt::print("{:<14} {:>7} {:>7} {:>8}\n", "file", "passed", "failed", "skipped");
  for (const auto& stem : files) {
    auto text = bulwark::testing::ReadDataFile(dir + "/" + stem + ".textproto");
    if (!text) {
      fmt::print(stderr, "{}\n", text.error().ToString());
      return 2;
    }
    auto file = bulwark::conformance::ParseTextProto(*text);
    if (!file) {
      fmt::print(stderr, "{}: {}\n", stem, file.error().message());
      return 2;
    }
    FileStats st;
    for (const TextField* sec : file->All("section")) {
      for (const TextField* test : sec->message->All("test")) {
        std::string why;
        std::string name =
            fmt::format("{}/{}/{}", stem, sec->message->Get("name"), test->message->Get("name"));
        switch (RunTest(*test->message, &why)) {
          case Outcome::kPass:
            ++st.passed;
            break;
          case Outcome::kFail:
            ++st.failed;
            failures.push_back(
                fmt::format("FAIL {}: {}\n     expr: {}", name, why, test->message->Get("expr")));
            break;
          case Outcome::kSkip:
            ++st.skipped;
            skips.push_back(fmt::format("SKIP {}: {}", name, why));
            break;
        }
      }
    }
    fmt::print("{:<14} {:>7} {:>7} {:>8}\n", stem, st.passed, st.failed, st.skipped);
    sum.passed += st.passed;
    sum.failed += st.failed;
    sum.skipped += st.skipped;
    total_failed += st.failed;
  }
  fmt::print("{:<14} {:>7} {:>7} {:>8}\n", "total", sum.passed, sum.failed, sum.skipped);
  fmt::print("\nSkipped tests ({}):\n", skips.size());
  for (const auto& s : skips) fmt::print("  {}\n", s);
  if (!failures.empty()) {
    fmt::print("\nFailed tests ({}):\n", failures.size());
    for (const auto& f : failures) fmt::print("  {}\n", f);
  }
  (void)verbose;
  return total_failed == 0 ? 0 : 1;
}
