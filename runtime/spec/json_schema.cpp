#include "runtime/spec/json_schema.hpp"

// Without this valijson prints and aborts on a bad schema; we need an exception to report it.
#define VALIJSON_USE_EXCEPTIONS 1

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

namespace agentos::spec {
namespace {

void Parse(const nlohmann::json& schema, valijson::Schema& parsed) {
    valijson::SchemaParser parser;
    const valijson::adapters::NlohmannJsonAdapter adapter(schema);
    parser.populateSchema(adapter, parsed);
}

/// "answer: Value type not permitted by 'type' constraint." from valijson's context ["<root>", "[answer]"].
std::string Describe(const valijson::ValidationResults::Error& e) {
    std::string where;
    for (const auto& c : e.context) {
        if (c == "<root>" || c.size() < 2 || c.front() != '[' || c.back() != ']') {
            continue;
        }
        std::string inner = c.substr(1, c.size() - 2);
        if (inner.size() >= 2 && inner.front() == '"' && inner.back() == '"') {
            inner = inner.substr(1, inner.size() - 2);
        }
        const bool index = !inner.empty() && inner.find_first_not_of("0123456789") == std::string::npos;
        where += index ? "[" + inner + "]" : (where.empty() ? inner : "." + inner);
    }
    return where.empty() ? e.description : where + ": " + e.description;
}

}  // namespace

std::optional<std::string> SchemaProblem(const nlohmann::json& schema) {
    if (!schema.is_object()) {
        return "a JSON Schema is an object";
    }
    try {
        valijson::Schema parsed;
        Parse(schema, parsed);
        return std::nullopt;
    } catch (const std::exception& e) {
        return std::string("not a usable JSON Schema: ") + e.what();
    }
}

std::optional<std::string> ValidateAgainstSchema(const nlohmann::json& schema, const nlohmann::json& value) {
    valijson::Schema parsed;
    try {
        Parse(schema, parsed);
    } catch (const std::exception& e) {
        return std::string("the schema is not usable: ") + e.what();
    }
    valijson::Validator validator;
    valijson::ValidationResults results;
    const valijson::adapters::NlohmannJsonAdapter target(value);
    if (validator.validate(parsed, target, &results)) {
        return std::nullopt;
    }
    // valijson reports the innermost failure first (what is actually wrong), then the ones wrapping it.
    valijson::ValidationResults::Error first;
    if (!results.popError(first)) {
        return "does not match the schema";
    }
    return Describe(first);
}

}  // namespace agentos::spec
