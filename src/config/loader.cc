#include "bulwark/config/loader.h"

#include <fmt/format.h>

#include <algorithm>

#include "bulwark/config/merge.h"
#include "bulwark/config/sensitivity.h"

namespace bulwark::config {

Result<std::unique_ptr<Schema>> LoadSchemaFile(FileSystem& fs, const std::filesystem::path& path) {
  std::optional<Format> format;
  if (auto f = FormatFromPath(path); f && (*f == Format::kJson || *f == Format::kYaml)) {
    format = *f;
  } else {
    format = Format::kJson;
  }
  BULWARK_ASSIGN_OR_RETURN(Document doc, LoadFile(fs, path, format));
  return Schema::Create(doc.root, path.string());
}

Result<LoadedConfig> LoadConfig(FileSystem& fs, const LoadRequest& request) {
  if (request.files.empty() && !request.env_prefix) {
    return InvalidArgumentError("load config: give at least one file or an environment prefix");
  }
  LoadedConfig out;
  if (request.schema_file) {
    BULWARK_ASSIGN_OR_RETURN(out.schema, LoadSchemaFile(fs, *request.schema_file));
  }

  std::vector<Document> layers;
  layers.reserve(request.files.size());
  for (const auto& file : request.files) {
    BULWARK_ASSIGN_OR_RETURN(Document doc, LoadFile(fs, file, request.format));
    if (!doc.root.is_map()) {
      return InvalidArgumentError(fmt::format(
          "load config: {}: the top level must be a map, not a {}", file.string(),
          ValueTypeName(doc.root.type())));
    }
    layers.push_back(std::move(doc));
  }
  if (layers.size() == 1) {
    out.document = std::move(layers.front());  // nothing to merge: keep the parser's provenance
  } else {
    std::vector<const Document*> ptrs;
    for (const Document& d : layers) ptrs.push_back(&d);
    out.document = MergeLayers(ptrs);
  }

  if (request.env_prefix) {
    EnvOptions opts{.prefix = *request.env_prefix, .schema = out.schema.get()};
    BULWARK_ASSIGN_OR_RETURN(out.document,
                             ApplyEnvironment(std::move(out.document), request.environment, opts));
  }

  if (out.schema) {
    if (request.strict) {
      for (Path& p : out.schema->MissingDefaultedValues(out.document.root)) {
        out.problems.push_back(
            {std::move(p), "missing value (strict mode does not fall back to the schema default)"});
      }
    } else {
      out.schema->ApplyDefaults(out.document.root, &out.document.locations);
    }
    for (SchemaError& e : out.schema->Validate(out.document.root)) {
      // "Missing required property 'port'" at the object: report it at the property's own path.
      constexpr std::string_view kMissing = "Missing required property '";
      if (e.message.starts_with(kMissing) && e.message.ends_with("'")) {
        std::string key = e.message.substr(kMissing.size(), e.message.size() - kMissing.size() - 1);
        e.path = e.path.Key(std::move(key));
        e.message = "missing required value";
      }
      out.problems.push_back(std::move(e));
    }
    // A required value that also has a default is reported once, as required.
    std::vector<Path> required_missing;
    for (const SchemaError& e : out.problems) {
      if (e.message == "missing required value") required_missing.push_back(e.path);
    }
    std::erase_if(out.problems, [&](const SchemaError& e) {
      return e.message.starts_with("missing value (strict") &&
             std::find(required_missing.begin(), required_missing.end(), e.path) !=
                 required_missing.end();
    });
    // One entry per (path, message), in path order.
    std::stable_sort(out.problems.begin(), out.problems.end(),
                     [](const SchemaError& a, const SchemaError& b) { return a.path < b.path; });
    out.problems.erase(std::unique(out.problems.begin(), out.problems.end(),
                                   [](const SchemaError& a, const SchemaError& b) {
                                     return a.path == b.path && a.message == b.message;
                                   }),
                       out.problems.end());
  }

  BULWARK_ASSIGN_OR_RETURN(
      SensitivityClassifier classifier,
      SensitivityClassifier::Create(out.schema.get(), request.sensitive_path_patterns));
  out.sensitive = classifier.Classify(out.document.root);
  return out;
}

}  // namespace bulwark::config
