#pragma once
/// Templates of agent YAML ("Hello {{input.name}}"): parsed once at load time, rendered per run against a scope.
/// Expansion is single-pass, so text brought in by a value is never expanded again. Immutable after Parse; any
/// thread may render one concurrently.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace agentos::templating {

/// The root of a reference: {{KEY}}, {{input.a.b}}, {{state.x}}, {{args.city}}.
enum class RefKind { kVariable, kInput, kState, kArgs };

struct TemplateRef {
    RefKind kind;
    std::vector<std::string> path;  ///< segments after the root word (the variable name itself for kVariable)
    std::string text;               ///< "input.a.b" as written, trimmed
};

/// What a render may read; a null pointer means "not available here".
struct TemplateScope {
    const nlohmann::json* input = nullptr;
    const nlohmann::json* state = nullptr;
    const nlohmann::json* args = nullptr;
    const std::map<std::string, std::string>* variables = nullptr;
};

/// kUrl: every substituted value is percent-encoded (RFC 3986 unreserved characters kept); literal text is not.
enum class Escape { kNone, kUrl };

class Template {
public:
    /// Parses "text {{ ref }} text". A ref is `input`, `state` or `args` optionally followed by .name segments
    /// (names [A-Za-z_][A-Za-z0-9_-]*, or all digits for array indexes), or a bare variable name
    /// [A-Za-z_][A-Za-z0-9_]*. Unclosed "{{", empty "{{}}" or any other ref → kValidation "<field>: <problem> at
    /// <offset>" (0-based).
    static Template Parse(std::string_view text, std::string_view field);

    const std::vector<TemplateRef>& refs() const { return refs_; }

    /// The whole text is exactly one {{ref}} (surrounding whitespace allowed).
    bool IsSingleRef() const;

    /// Expands once. Strings come out as they are, other values as compact JSON. A ref whose root is unavailable or
    /// whose path is absent → kValidation naming the field and the ref.
    std::string Render(const TemplateScope& scope, Escape escape = Escape::kNone) const;

    /// For IsSingleRef templates the referenced value itself (keeps its type); otherwise Render() as a JSON string.
    nlohmann::json RenderValue(const TemplateScope& scope) const;

private:
    Template() = default;

    std::string field_;
    std::vector<std::string> literals_;  ///< literals_[i] comes before refs_[i]; one more literal than refs
    std::vector<TemplateRef> refs_;
};

/// Renders every string inside a JSON value (recursively) with Template::RenderValue; keys are not templated.
/// `field` prefixes errors with the JSON path, e.g. "graph.nodes.search.args.city".
nlohmann::json RenderJson(const nlohmann::json& value, const TemplateScope& scope, std::string_view field);

/// Parses every string inside a JSON value and returns all refs (for load-time checks); errors name the JSON path.
std::vector<TemplateRef> CollectRefs(const nlohmann::json& value, std::string_view field);

/// Percent-encodes for a URL component (keeps A-Z a-z 0-9 - . _ ~).
std::string UrlEncode(std::string_view text);

}  // namespace agentos::templating
