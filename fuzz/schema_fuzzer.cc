// Fuzzes JSON Schema creation and every structural query with hostile schemas: reference cycles
// (`{"$ref": "#"}`, a -> b -> a, through allOf/anyOf/oneOf/not/if), unresolvable references and
// exponential fan-out must be refused by Schema::Create (kInvalidArgument) instead of recursing
// until the stack overflows; a schema that is accepted must validate, classify and fill defaults
// on a small document without crashing. The input is the schema as JSON.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "bulwark/config/format.h"
#include "bulwark/config/schema.h"
#include "bulwark/config/sensitivity.h"

namespace {

const bulwark::config::Value& Document() {
  static const bulwark::config::Value doc =
      bulwark::config::ParseDocument(
          R"({"a": {"b": [1, {"c": "x"}], "password": "p"}, "n": null, "list": [[], {}]})",
          bulwark::config::Format::kJson)
          .value()
          .root;
  return doc;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto doc = bulwark::config::ParseDocument(text, bulwark::config::Format::kJson);
  if (!doc) return 0;
  auto schema = bulwark::config::Schema::Create(doc->root, "fuzz.json");
  if (!schema) {
    if (schema.error().code() != bulwark::ErrorCode::kInvalidArgument) std::abort();
    return 0;
  }
  (void)(*schema)->Validate(Document());
  (void)(*schema)->SensitivePaths(Document());
  (void)(*schema)->ExpectedTypeAt(bulwark::config::Path::Parse("a.b[1].c").value());
  bulwark::config::Value copy = Document();
  (*schema)->ApplyDefaults(copy, nullptr);
  auto classifier = bulwark::config::SensitivityClassifier::Create(schema->get(), {});
  if (classifier) (void)classifier->Classify(Document());
  return 0;
}
