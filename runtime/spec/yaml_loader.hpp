#pragma once
/// The agent definition loader: YAML (or JSON, which is YAML too) → a checked AgentSpec, or every problem found,
/// each with line, column and field path. Unknown keys are errors: a typo must not change behaviour. Pure.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/spec/agent_spec.hpp"

namespace agentos::spec {

struct SpecError {
    SourcePos pos;
    std::string path;  ///< "tools[2].http.url"; empty for the document itself
    std::string message;
};

/// "file:12:5: tools[2].http.url: not a URL".
std::string FormatSpecError(const SpecError& error, std::string_view source_name);

struct LoadedAgent {
    std::optional<AgentSpec> spec;  ///< set when there are no errors
    std::vector<SpecError> errors;  ///< in document order
    nlohmann::json document;        ///< the definition as JSON (what the API shows and the store keeps)
};

/// Parses and checks one agent definition.
LoadedAgent LoadAgent(std::string_view text);

/// LoadAgent, or throws core::Error (VALIDATION_ERROR) whose message is the first error formatted with
/// `source_name` and whose details list every error ({line, column, field, message}).
AgentSpec LoadAgentOrThrow(std::string_view text, std::string_view source_name, nlohmann::json* document = nullptr);

/// Any YAML (or JSON) document as JSON, read as agent definitions are (typed plain scalars, quoted scalars stay
/// strings, duplicate keys and alias bombs refused). Throws core::Error (VALIDATION_ERROR) with
/// "source:line:column: field: message". Used for the server config file.
nlohmann::json LoadYamlDocument(std::string_view text, std::string_view source_name);

}  // namespace agentos::spec
