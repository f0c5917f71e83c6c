#pragma once
/// JSON Schema (draft 7 and the common subset of newer drafts) through valijson: checking that a schema is usable,
/// and validating a value against it (tool arguments, structured outputs).

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace agentos::spec {

/// nullopt when `schema` is a usable JSON Schema, else why not.
std::optional<std::string> SchemaProblem(const nlohmann::json& schema);

/// nullopt when `value` validates against `schema`, else the first problem ("answer: expected a string").
std::optional<std::string> ValidateAgainstSchema(const nlohmann::json& schema, const nlohmann::json& value);

}  // namespace agentos::spec
