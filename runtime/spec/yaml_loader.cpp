#include "runtime/spec/yaml_loader.hpp"

#include <algorithm>
#include <cmath>
#include <regex>
#include <set>

#include <yaml-cpp/yaml.h>

#include "runtime/core/error.hpp"
#include "runtime/core/json_body.hpp"
#include "runtime/spec/spec_checks.hpp"

namespace agentos::spec {
namespace {

using Json = nlohmann::json;

/// The fields of one mapping, in order, with their key nodes (for positions).
struct Fields {
    YAML::Node self;  ///< the mapping itself: where a missing field is reported
    std::vector<std::pair<std::string, YAML::Node>> values;
    std::vector<YAML::Node> keys;

    const YAML::Node* Find(std::string_view key) const {
        for (const auto& [k, v] : values) {
            if (k == key) {
                return &v;
            }
        }
        return nullptr;
    }

    bool Has(std::string_view key) const { return Find(key) != nullptr; }
};

std::string Join(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string Index(const std::string& path, std::size_t i) {
    return path + "[" + std::to_string(i) + "]";
}

bool IsPlain(const YAML::Node& n) {
    return n.IsScalar() && n.Tag() != "!";
}

bool IsNullish(const YAML::Node& n) {
    if (!n.IsDefined() || n.IsNull()) {
        return true;
    }
    if (!IsPlain(n)) {
        return false;
    }
    const auto& s = n.Scalar();
    return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

std::optional<double> ParseNumber(const std::string& s) {
    static const std::regex kNumber(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
    if (!std::regex_match(s, kNumber)) {
        return std::nullopt;
    }
    try {
        const double d = std::stod(s);
        return std::isfinite(d) ? std::optional<double>(d) : std::nullopt;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

bool IsInteger(const std::string& s) {
    static const std::regex kInt(R"([-+]?[0-9]{1,18})");
    return std::regex_match(s, kInt);
}

/// Reads YAML nodes into typed values, collecting every problem instead of stopping at the first.
class Reader {
public:
    explicit Reader(std::vector<SpecError>& errors) : errors_(errors) {}

    static SourcePos Pos(const YAML::Node& n) {
        const auto m = n.Mark();
        if (m.is_null()) {
            return {};
        }
        return {m.line + 1, m.column + 1};
    }

    void Error(const YAML::Node& at, const std::string& path, std::string message) {
        errors_.push_back({Pos(at), path, std::move(message)});
    }

    void Error(SourcePos pos, const std::string& path, std::string message) {
        errors_.push_back({pos, path, std::move(message)});
    }

    /// The entries of a mapping; unknown and duplicate keys are errors. nullopt when `n` is not a mapping.
    std::optional<Fields> Map(
        const YAML::Node& n, const std::string& path, std::initializer_list<std::string_view> allowed
    ) {
        if (!n.IsMap()) {
            Error(n, path.empty() ? "document" : path, "must be a mapping (key: value pairs)");
            return std::nullopt;
        }
        Fields f;
        f.self = n;
        std::set<std::string> seen;
        for (const auto& kv : n) {
            if (!kv.first.IsScalar()) {
                Error(kv.first, path, "keys must be plain names");
                continue;
            }
            const std::string key = kv.first.Scalar();
            if (!seen.insert(key).second) {
                Error(kv.first, Join(path, key), "given twice");
                continue;
            }
            if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
                std::string list;
                for (const auto a : allowed) {
                    list.append(list.empty() ? "" : ", ").append(a);
                }
                Error(kv.first, Join(path, key), "unknown field (allowed here: " + list + ")");
                continue;
            }
            f.values.emplace_back(key, kv.second);
            f.keys.push_back(kv.first);
        }
        return f;
    }

    std::optional<std::string> String(
        const Fields& f, std::string_view key, const std::string& path, bool required = false
    ) {
        const YAML::Node* n = f.Find(key);
        const auto field = Join(path, key);
        if (n == nullptr || IsNullish(*n)) {
            if (required) {
                Error(f.self, field, "required");
            }
            return std::nullopt;
        }
        if (!n->IsScalar()) {
            Error(*n, field, "must be text");
            return std::nullopt;
        }
        if (required && n->Scalar().empty()) {
            Error(*n, field, "must not be empty");
            return std::nullopt;
        }
        return n->Scalar();
    }

    std::optional<bool> Bool(const Fields& f, std::string_view key, const std::string& path) {
        const YAML::Node* n = f.Find(key);
        if (n == nullptr || IsNullish(*n)) {
            return std::nullopt;
        }
        if (IsPlain(*n) && (n->Scalar() == "true" || n->Scalar() == "false")) {
            return n->Scalar() == "true";
        }
        Error(*n, Join(path, key), "must be true or false");
        return std::nullopt;
    }

    std::optional<double> Number(
        const Fields& f, std::string_view key, const std::string& path, double min, double max
    ) {
        const YAML::Node* n = f.Find(key);
        if (n == nullptr || IsNullish(*n)) {
            return std::nullopt;
        }
        const auto d = IsPlain(*n) ? ParseNumber(n->Scalar()) : std::nullopt;
        if (!d) {
            Error(*n, Join(path, key), "must be a number");
            return std::nullopt;
        }
        if (*d < min || *d > max) {
            Error(*n, Join(path, key), "must be between " + Fmt(min) + " and " + Fmt(max));
            return std::nullopt;
        }
        return d;
    }

    std::optional<std::int64_t> Int(
        const Fields& f, std::string_view key, const std::string& path, std::int64_t min, std::int64_t max
    ) {
        const YAML::Node* n = f.Find(key);
        if (n == nullptr || IsNullish(*n)) {
            return std::nullopt;
        }
        if (!IsPlain(*n) || !IsInteger(n->Scalar())) {
            Error(*n, Join(path, key), "must be a whole number");
            return std::nullopt;
        }
        const auto v = std::stoll(n->Scalar());
        if (v < min || v > max) {
            Error(*n, Join(path, key), "must be between " + std::to_string(min) + " and " + std::to_string(max));
            return std::nullopt;
        }
        return v;
    }

    std::optional<std::string> Enum(
        const Fields& f,
        std::string_view key,
        const std::string& path,
        std::initializer_list<std::string_view> allowed,
        bool required = false
    ) {
        auto v = String(f, key, path, required);
        if (!v) {
            return v;
        }
        if (std::find(allowed.begin(), allowed.end(), *v) != allowed.end()) {
            return v;
        }
        std::string list;
        for (const auto a : allowed) {
            list.append(list.empty() ? "" : ", ").append(a);
        }
        Error(*f.Find(key), Join(path, key), "must be one of " + list + " (got '" + *v + "')");
        return std::nullopt;
    }

    /// A list of text items (a single text counts as a list of one when `single_ok`).
    std::vector<std::string> Strings(
        const Fields& f, std::string_view key, const std::string& path, bool single_ok = false
    ) {
        std::vector<std::string> out;
        const YAML::Node* n = f.Find(key);
        if (n == nullptr || IsNullish(*n)) {
            return out;
        }
        if (single_ok && n->IsScalar()) {
            out.push_back(n->Scalar());
            return out;
        }
        if (!n->IsSequence()) {
            Error(*n, Join(path, key), "must be a list");
            return out;
        }
        for (std::size_t i = 0; i < n->size(); ++i) {
            const auto item = (*n)[i];
            if (!item.IsScalar() || IsNullish(item)) {
                Error(item, Index(Join(path, key), i), "must be text");
                continue;
            }
            out.push_back(item.Scalar());
        }
        return out;
    }

    /// Any YAML value as JSON (scalars typed as YAML's core schema reads them; quoted scalars stay strings).
    Json ToJson(const YAML::Node& n, const std::string& path, int depth = 0) {
        if (depth > 64) {
            Error(n, path, "nested deeper than 64 levels");
            return nullptr;
        }
        // Aliases share nodes, so a small document can expand into billions of values ("billion laughs").
        if (++expanded_ > kMaxExpandedValues) {
            if (expanded_ == kMaxExpandedValues + 1) {
                Error(n, path, "the definition expands to more than " + std::to_string(kMaxExpandedValues) + " values");
            }
            return nullptr;
        }
        if (IsNullish(n)) {
            return nullptr;
        }
        if (n.IsScalar()) {
            const auto& s = n.Scalar();
            if (!IsPlain(n)) {
                return s;
            }
            if (s == "true") {  // the only spellings the typed reader accepts, too
                return true;
            }
            if (s == "false") {
                return false;
            }
            if (IsInteger(s)) {
                return std::stoll(s);
            }
            if (const auto d = ParseNumber(s)) {
                return *d;
            }
            return s;
        }
        if (n.IsSequence()) {
            Json arr = Json::array();
            for (std::size_t i = 0; i < n.size() && expanded_ <= kMaxExpandedValues; ++i) {
                arr.push_back(ToJson(n[i], Index(path, i), depth + 1));
            }
            return arr;
        }
        Json obj = Json::object();
        std::set<std::string> seen;
        for (const auto& kv : n) {
            if (expanded_ > kMaxExpandedValues) {
                break;
            }
            const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "";
            if (!seen.insert(key).second) {
                Error(kv.first, Join(path, key), "given twice");
                continue;
            }
            obj[key] = ToJson(kv.second, Join(path, key), depth + 1);
        }
        return obj;
    }

    /// A JSON object field (free-form), or `fallback` when absent.
    Json Object(const Fields& f, std::string_view key, const std::string& path, Json fallback = Json::object()) {
        const YAML::Node* n = f.Find(key);
        if (n == nullptr || IsNullish(*n)) {
            return fallback;
        }
        if (!n->IsMap()) {
            Error(*n, Join(path, key), "must be a mapping");
            return fallback;
        }
        return ToJson(*n, Join(path, key));
    }

    std::map<std::string, std::string> StringMap(const Fields& f, std::string_view key, const std::string& path) {
        std::map<std::string, std::string> out;
        const YAML::Node* n = f.Find(key);
        if (n == nullptr || IsNullish(*n)) {
            return out;
        }
        if (!n->IsMap()) {
            Error(*n, Join(path, key), "must be a mapping of names to text");
            return out;
        }
        for (const auto& kv : *n) {
            const std::string k = kv.first.Scalar();
            if (!kv.second.IsScalar() || IsNullish(kv.second)) {
                Error(kv.second, Join(Join(path, key), k), "must be text");
                continue;
            }
            if (!out.emplace(k, kv.second.Scalar()).second) {
                Error(kv.first, Join(Join(path, key), k), "given twice");
            }
        }
        return out;
    }

private:
    static std::string Fmt(double d) {
        std::string s = std::to_string(d);
        s.erase(s.find_last_not_of('0') + 1);
        if (!s.empty() && s.back() == '.') {
            s.pop_back();
        }
        return s;
    }

    static constexpr std::int64_t kMaxExpandedValues = 100'000;

    std::vector<SpecError>& errors_;
    std::int64_t expanded_ = 0;
};

/// Checks on the raw text, before yaml-cpp (whose parser recurses) sees it: valid UTF-8, bounded nesting.
/// Quotes count only where a scalar can start (so "it's" in plain text is not a quote), and comments are skipped.
std::optional<SpecError> PreCheck(std::string_view text) {
    if (const auto bad = core::FindInvalidUtf8(text)) {
        return SpecError{{}, "", "invalid UTF-8 at byte " + std::to_string(*bad)};
    }
    int depth = 0;
    int line = 1;
    std::size_t line_start = 0;
    char quote = 0;
    char previous = '\n';  // the last character outside quotes that is not a space
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '\n') {
            ++line;
            line_start = i + 1;
            previous = '\n';
            if (quote == '\'') {
                continue;  // single-quoted scalars may span lines
            }
            continue;
        }
        if (quote != 0) {
            if (c == '\\' && quote == '"') {
                ++i;
            } else if (c == quote) {
                quote = 0;
                previous = c;
            }
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r') {
            continue;
        }
        if (c == '#' && (i == line_start || text[i - 1] == ' ' || text[i - 1] == '\t')) {
            const auto end = text.find('\n', i);
            i = (end == std::string_view::npos ? text.size() : end) - 1;
            continue;
        }
        const bool scalar_start = previous == '\n' || previous == ':' || previous == '-' || previous == '[' ||
                                  previous == '{' || previous == ',' || previous == '?';
        if ((c == '"' || c == '\'') && scalar_start) {
            quote = c;
            continue;
        }
        if (c == '[' || c == '{') {
            if (++depth > 64) {
                return SpecError{{line, static_cast<int>(i - line_start) + 1}, "", "nested deeper than 64 levels"};
            }
        } else if (c == ']' || c == '}') {
            --depth;
        } else if (previous == '\n' && i - line_start > 512) {
            return SpecError{{line, static_cast<int>(i - line_start) + 1}, "", "indented deeper than 512 columns"};
        }
        previous = c;
    }
    return std::nullopt;
}

bool ValidSlug(const std::string& s) {
    static const std::regex kSlug("[a-z0-9][a-z0-9-]{0,63}");
    return std::regex_match(s, kSlug);
}

bool ValidName(const std::string& s) {
    static const std::regex kName("[A-Za-z_][A-Za-z0-9_-]{0,63}");
    return std::regex_match(s, kName);
}

void ReadModel(Reader& r, const YAML::Node& n, AgentSpec& a) {
    const std::string path = "model";
    const auto f = r.Map(
        n,
        path,
        {"provider",
         "name",
         "base_url",
         "api_key_env",
         "temperature",
         "max_tokens",
         "top_p",
         "stop",
         "timeout_s",
         "script"}
    );
    if (!f) {
        return;
    }
    ModelSpec& m = a.model;
    const auto provider = r.Enum(*f, "provider", path, {"openai", "anthropic", "openai_compatible", "mock"}, true);
    if (provider) {
        m.provider = *provider == "openai"              ? Provider::kOpenAi
                     : *provider == "anthropic"         ? Provider::kAnthropic
                     : *provider == "openai_compatible" ? Provider::kOpenAiCompatible
                                                        : Provider::kMock;
    }
    m.name = r.String(*f, "name", path, provider && *provider != "mock")
                 .value_or(provider && *provider == "mock" ? "mock" : "");
    m.base_url = r.String(*f, "base_url", path);
    if (m.base_url && m.base_url->rfind("http://", 0) != 0 && m.base_url->rfind("https://", 0) != 0) {
        r.Error(*f->Find("base_url"), "model.base_url", "must be an http:// or https:// URL");
    }
    if (provider && *provider == "openai_compatible" && !m.base_url) {
        r.Error(n, "model.base_url", "required for provider openai_compatible (e.g. http://127.0.0.1:11434/v1)");
    }
    m.api_key_env = r.String(*f, "api_key_env", path);
    if (m.api_key_env && !std::regex_match(*m.api_key_env, std::regex("[A-Za-z_][A-Za-z0-9_]*"))) {
        r.Error(
            *f->Find("api_key_env"), "model.api_key_env", "must be an environment variable name, e.g. OPENAI_API_KEY"
        );
    }
    m.temperature = r.Number(*f, "temperature", path, 0, 2);
    m.top_p = r.Number(*f, "top_p", path, 0, 1);
    m.max_tokens = r.Int(*f, "max_tokens", path, 1, 1'000'000);
    m.stop = r.Strings(*f, "stop", path, true);
    m.timeout_s = r.Number(*f, "timeout_s", path, 0.001, 3600).value_or(60);
    if (const YAML::Node* script = f->Find("script"); script != nullptr && !IsNullish(*script)) {
        if (m.provider != Provider::kMock) {
            r.Error(*script, "model.script", "only the mock provider takes a script");
        } else if (!script->IsSequence()) {
            r.Error(*script, "model.script", "must be a list of replies ({text: ...} or {tool_call: {name, args}})");
        } else {
            for (std::size_t i = 0; i < script->size(); ++i) {
                const std::string sp = Index("model.script", i);
                const auto sf = r.Map((*script)[i], sp, {"text", "tool_call"});
                if (!sf) {
                    continue;
                }
                MockStep step;
                step.text = r.String(*sf, "text", sp);
                if (const YAML::Node* tc = sf->Find("tool_call"); tc != nullptr && !IsNullish(*tc)) {
                    const auto tf = r.Map(*tc, sp + ".tool_call", {"name", "args"});
                    if (tf) {
                        step.tool_name = r.String(*tf, "name", sp + ".tool_call", true);
                        step.tool_args = r.Object(*tf, "args", sp + ".tool_call");
                    }
                }
                if (step.text.has_value() == step.tool_name.has_value()) {
                    r.Error((*script)[i], sp, "give exactly one of text or tool_call");
                }
                m.script.push_back(std::move(step));
            }
        }
    }
}

HttpCallSpec ReadHttp(Reader& r, const YAML::Node& n, const std::string& path, bool webhook) {
    HttpCallSpec h;
    const auto f = webhook ? r.Map(n, path, {"url", "headers", "timeout_s"})
                           : r.Map(n, path, {"method", "url", "headers", "body", "timeout_s"});
    if (!f) {
        return h;
    }
    h.method = webhook ? "POST" : r.Enum(*f, "method", path, {"GET", "POST", "PUT", "PATCH", "DELETE"}).value_or("GET");
    h.url = r.String(*f, "url", path, true).value_or("");
    if (!h.url.empty() && h.url.rfind("http://", 0) != 0 && h.url.rfind("https://", 0) != 0) {
        r.Error(*f->Find("url"), Join(path, "url"), "not a URL (must start with http:// or https://)");
    }
    h.headers = r.StringMap(*f, "headers", path);
    if (!webhook) {
        if (const YAML::Node* b = f->Find("body"); b != nullptr && !IsNullish(*b)) {
            h.body = r.ToJson(*b, Join(path, "body"));
        }
    }
    h.timeout_s = r.Number(*f, "timeout_s", path, 0.001, 600).value_or(10);
    return h;
}

void ReadTools(Reader& r, const YAML::Node& n, AgentSpec& a) {
    if (!n.IsSequence()) {
        r.Error(n, "tools", "must be a list");
        return;
    }
    for (std::size_t i = 0; i < n.size(); ++i) {
        const std::string path = Index("tools", i);
        const YAML::Node item = n[i];
        ToolSpec t;
        t.pos = Reader::Pos(item);
        if (item.IsMap() && item["use"]) {
            const auto f = r.Map(item, path, {"use", "agents", "description"});
            if (!f) {
                continue;
            }
            t.builtin =
                r.Enum(*f, "use", path, {"current_time", "calculator", "http_fetch", "ask_human", "call_agent"}, true)
                    .value_or("");
            t.name = t.builtin;
            t.kind = ToolKind::kBuiltin;
            t.description = r.String(*f, "description", path).value_or("");
            t.agents = r.Strings(*f, "agents", path);
            if (t.builtin == "call_agent" && t.agents.empty()) {
                r.Error(item, Join(path, "agents"), "required for call_agent: the slugs of the agents it may start");
            } else if (t.builtin != "call_agent" && f->Has("agents")) {
                r.Error(*f->Find("agents"), Join(path, "agents"), "only call_agent takes agents");
            }
            for (std::size_t k = 0; k < t.agents.size(); ++k) {
                if (!ValidSlug(t.agents[k])) {
                    r.Error(*f->Find("agents"), Index(Join(path, "agents"), k), "not an agent slug");
                } else if (t.agents[k] == a.slug) {
                    r.Error(
                        *f->Find("agents"), Index(Join(path, "agents"), k), "an agent cannot start itself as a child"
                    );
                }
            }
        } else {
            const auto f = r.Map(
                item, path, {"name", "description", "parameters", "http", "webhook", "requires_approval", "approval"}
            );
            if (!f) {
                continue;
            }
            t.name = r.String(*f, "name", path, true).value_or("");
            if (!t.name.empty() && !ValidName(t.name)) {
                r.Error(
                    *f->Find("name"),
                    Join(path, "name"),
                    "must be 1-64 of letters, digits, _ and -, starting with a letter or _"
                );
            }
            t.description = r.String(*f, "description", path).value_or("");
            t.parameters = r.Object(*f, "parameters", path, Json{{"type", "object"}, {"properties", Json::object()}});
            if (!t.parameters.is_object() || t.parameters.value("type", "") != "object") {
                r.Error(
                    f->Has("parameters") ? *f->Find("parameters") : item,
                    Join(path, "parameters"),
                    "must be a JSON Schema with type: object"
                );
            }
            const bool has_http = f->Has("http") && !IsNullish(*f->Find("http"));
            const bool has_webhook = f->Has("webhook") && !IsNullish(*f->Find("webhook"));
            if (has_http && has_webhook) {
                r.Error(*f->Find("webhook"), path, "give either http or webhook, not both");
            } else if (!has_http && !has_webhook) {
                r.Error(item, path, "needs http or webhook (or use: a built-in)");
            }
            if (has_http) {
                t.kind = ToolKind::kHttp;
                t.http = ReadHttp(r, *f->Find("http"), Join(path, "http"), false);
            } else if (has_webhook) {
                t.kind = ToolKind::kWebhook;
                t.http = ReadHttp(r, *f->Find("webhook"), Join(path, "webhook"), true);
            }
            t.requires_approval = r.Bool(*f, "requires_approval", path).value_or(false);
            if (const YAML::Node* ap = f->Find("approval"); ap != nullptr && !IsNullish(*ap)) {
                const auto af = r.Map(*ap, Join(path, "approval"), {"timeout_s", "on_timeout"});
                if (af) {
                    t.approval_timeout_s = r.Number(*af, "timeout_s", Join(path, "approval"), 1, 366.0 * 24 * 3600);
                    t.approval_on_timeout =
                        r.Enum(*af, "on_timeout", Join(path, "approval"), {"reject", "approve"}).value_or("reject");
                }
                if (!t.requires_approval) {
                    r.Error(*ap, Join(path, "approval"), "only meaningful with requires_approval: true");
                }
            }
        }
        for (const auto& other : a.tools) {
            if (!t.name.empty() && other.name == t.name) {
                r.Error(item, path, "a tool named '" + t.name + "' is already defined");
            }
        }
        a.tools.push_back(std::move(t));
    }
}

void ReadVariables(Reader& r, const YAML::Node& n, AgentSpec& a) {
    if (!n.IsMap()) {
        r.Error(n, "variables", "must be a mapping of variable names to {required, default, description}");
        return;
    }
    std::set<std::string> seen;
    for (const auto& kv : n) {
        const std::string key = kv.first.Scalar();
        const std::string path = Join("variables", key);
        if (!seen.insert(key).second) {
            r.Error(kv.first, path, "given twice");
            continue;
        }
        if (!std::regex_match(key, std::regex("[A-Za-z_][A-Za-z0-9_]*"))) {
            r.Error(kv.first, path, "a variable name is letters, digits and _, starting with a letter or _");
        }
        VariableSpec v;
        if (!IsNullish(kv.second)) {
            const auto f = r.Map(kv.second, path, {"required", "default", "description"});
            if (f) {
                v.required = r.Bool(*f, "required", path).value_or(false);
                v.default_value = r.String(*f, "default", path);
                v.description = r.String(*f, "description", path).value_or("");
                if (v.required && v.default_value) {
                    r.Error(kv.second, path, "a required variable has no default (a default makes it optional)");
                }
            }
        }
        a.variables[key] = std::move(v);
    }
}

void ReadSchedules(Reader& r, const YAML::Node& n, AgentSpec& a) {
    if (!n.IsSequence()) {
        r.Error(n, "schedules", "must be a list");
        return;
    }
    for (std::size_t i = 0; i < n.size(); ++i) {
        const std::string path = Index("schedules", i);
        const auto f =
            r.Map(n[i], path, {"cron", "timezone", "input", "prompt_variables", "enabled", "catch_up_s", "overlap"});
        if (!f) {
            continue;
        }
        ScheduleSpec s;
        s.pos = Reader::Pos(n[i]);
        s.cron = r.String(*f, "cron", path, true).value_or("");
        s.timezone = r.String(*f, "timezone", path).value_or("UTC");
        s.input = r.Object(*f, "input", path);
        s.prompt_variables = r.StringMap(*f, "prompt_variables", path);
        s.enabled = r.Bool(*f, "enabled", path).value_or(true);
        s.catch_up_s = r.Int(*f, "catch_up_s", path, 0, 365LL * 24 * 3600).value_or(300);
        s.overlap = r.Enum(*f, "overlap", path, {"skip", "allow"}).value_or("skip");
        a.schedules.push_back(std::move(s));
    }
}

void ReadNode(Reader& r, const std::string& name, const YAML::Node& n, GraphSpec& g) {
    const std::string path = "graph.nodes." + name;
    NodeSpec node;
    node.name = name;
    node.pos = Reader::Pos(n);
    if (!n.IsMap()) {
        r.Error(n, path, "must be a mapping with a type");
        return;
    }
    const YAML::Node type_node = n["type"];
    const std::string type = type_node && type_node.IsScalar() ? type_node.Scalar() : "";
    std::optional<Fields> f;
    if (type == "llm") {
        node.type = NodeType::kLlm;
        f = r.Map(n, path, {"type", "prompt", "tools", "output"});
        if (f) {
            node.prompt = r.String(*f, "prompt", path, true).value_or("");
            node.tools = r.Strings(*f, "tools", path);
        }
    } else if (type == "tool") {
        node.type = NodeType::kTool;
        f = r.Map(n, path, {"type", "tool", "args", "output"});
        if (f) {
            node.tool = r.String(*f, "tool", path, true).value_or("");
            node.args = r.Object(*f, "args", path);
        }
    } else if (type == "approval") {
        node.type = NodeType::kApproval;
        f = r.Map(n, path, {"type", "message", "on_reject", "timeout_s", "on_timeout"});
        if (f) {
            node.message = r.String(*f, "message", path, true).value_or("");
            node.on_reject = r.String(*f, "on_reject", path);
            node.timeout_s = r.Number(*f, "timeout_s", path, 1, 366.0 * 24 * 3600);
            node.on_timeout = r.Enum(*f, "on_timeout", path, {"reject", "approve"}).value_or("reject");
        }
    } else if (type == "input") {
        node.type = NodeType::kInput;
        f = r.Map(n, path, {"type", "question", "options", "output", "timeout_s", "default"});
        if (f) {
            node.question = r.String(*f, "question", path, true).value_or("");
            node.options = r.Strings(*f, "options", path);
            node.timeout_s = r.Number(*f, "timeout_s", path, 1, 366.0 * 24 * 3600);
            node.default_answer = r.String(*f, "default", path);
            if (node.default_answer && !node.options.empty() &&
                std::find(node.options.begin(), node.options.end(), *node.default_answer) == node.options.end()) {
                r.Error(*f->Find("default"), Join(path, "default"), "must be one of the options");
            }
        }
    } else if (type == "router") {
        node.type = NodeType::kRouter;
        f = r.Map(n, path, {"type", "routes"});
        if (f) {
            const YAML::Node* routes = f->Find("routes");
            if (routes == nullptr || !routes->IsSequence() || routes->size() == 0) {
                r.Error(routes != nullptr ? *routes : n, Join(path, "routes"), "required: a list of {when, to}");
            } else {
                for (std::size_t i = 0; i < routes->size(); ++i) {
                    const std::string rp = Index(Join(path, "routes"), i);
                    const auto rf = r.Map((*routes)[i], rp, {"when", "to"});
                    if (!rf) {
                        continue;
                    }
                    RouteSpec route;
                    route.pos = Reader::Pos((*routes)[i]);
                    route.when = r.String(*rf, "when", rp);
                    route.to = r.String(*rf, "to", rp, true).value_or("");
                    node.routes.push_back(std::move(route));
                }
            }
        }
    } else if (type == "agent") {
        node.type = NodeType::kAgent;
        f = r.Map(n, path, {"type", "agent", "input", "output"});
        if (f) {
            node.agent = r.String(*f, "agent", path, true).value_or("");
            if (!node.agent.empty() && !ValidSlug(node.agent)) {
                r.Error(*f->Find("agent"), Join(path, "agent"), "not an agent slug");
            }
            node.input = r.Object(*f, "input", path);
        }
    } else {
        r.Error(
            type_node ? type_node : n,
            Join(path, "type"),
            type.empty() ? "required: one of llm, tool, approval, input, agent, router"
                         : "must be one of llm, tool, approval, input, agent, router (got '" + type + "')"
        );
        return;
    }
    if (f) {
        node.output = r.String(*f, "output", path);
        if (node.output && !ValidName(*node.output)) {
            r.Error(*f->Find("output"), Join(path, "output"), "a state key is letters, digits, _ and -");
        }
    }
    g.nodes.push_back(std::move(node));
}

void ReadGraph(Reader& r, const YAML::Node& n, AgentSpec& a) {
    const auto f = r.Map(n, "graph", {"start", "nodes", "edges", "output"});
    if (!f) {
        return;
    }
    GraphSpec g;
    g.pos = Reader::Pos(n);
    g.start = r.String(*f, "start", "graph", true).value_or("");
    const YAML::Node* nodes = f->Find("nodes");
    if (nodes == nullptr || !nodes->IsMap() || nodes->size() == 0) {
        r.Error(nodes != nullptr ? *nodes : n, "graph.nodes", "required: a mapping of node names to nodes");
    } else {
        std::set<std::string> seen;
        for (const auto& kv : *nodes) {
            const std::string name = kv.first.Scalar();
            if (!seen.insert(name).second) {
                r.Error(kv.first, "graph.nodes." + name, "given twice");
                continue;
            }
            if (!ValidName(name)) {
                r.Error(kv.first, "graph.nodes." + name, "a node name is letters, digits, _ and -");
            }
            ReadNode(r, name, kv.second, g);
        }
    }
    if (const YAML::Node* edges = f->Find("edges"); edges != nullptr && !IsNullish(*edges)) {
        if (!edges->IsSequence()) {
            r.Error(*edges, "graph.edges", "must be a list of [from, to] pairs");
        } else {
            for (std::size_t i = 0; i < edges->size(); ++i) {
                const YAML::Node e = (*edges)[i];
                if (!e.IsSequence() || e.size() != 2 || !e[0].IsScalar() || !e[1].IsScalar()) {
                    r.Error(e, Index("graph.edges", i), "must be a [from, to] pair of node names");
                    continue;
                }
                g.edges.emplace_back(e[0].Scalar(), e[1].Scalar());
                g.edge_pos.push_back(Reader::Pos(e));
            }
        }
    }
    if (const YAML::Node* out = f->Find("output"); out != nullptr && !IsNullish(*out)) {
        if (!out->IsMap()) {
            r.Error(*out, "graph.output", "must be a mapping (the run's output object)");
        } else {
            g.output = r.ToJson(*out, "graph.output");
        }
    }
    a.graph = std::move(g);
}

void ReadAgent(Reader& r, const YAML::Node& root, AgentSpec& a) {
    const auto f = r.Map(
        root,
        "",
        {"slug",
         "name",
         "description",
         "runtime",
         "model",
         "instructions",
         "variables",
         "tools",
         "memory",
         "output_schema",
         "budget",
         "schedules",
         "graph"}
    );
    if (!f) {
        return;
    }
    a.slug = r.String(*f, "slug", "", true).value_or("");
    if (!a.slug.empty() && !ValidSlug(a.slug)) {
        r.Error(*f->Find("slug"), "slug", "must match [a-z0-9][a-z0-9-]{0,63} (lower-case letters, digits and -)");
    }
    a.name = r.String(*f, "name", "").value_or(a.slug);
    a.description = r.String(*f, "description", "").value_or("");
    a.hosted = r.Enum(*f, "runtime", "", {"hosted", "external"}).value_or("hosted") == "hosted";
    if (!a.hosted) {
        const std::set<std::string> external_keys{"slug", "name", "description", "runtime", "budget"};
        for (std::size_t i = 0; i < f->values.size(); ++i) {
            if (external_keys.count(f->values[i].first) == 0) {
                r.Error(
                    f->keys[i],
                    f->values[i].first,
                    "an external agent runs elsewhere: only slug, name, description, runtime and budget apply"
                );
            }
        }
    }
    if (const YAML::Node* n = f->Find("budget"); n != nullptr && !IsNullish(*n)) {
        const auto bf = r.Map(*n, "budget", {"max_steps", "max_cost_usd", "monthly_cost_usd"});
        if (bf) {
            a.budget.max_steps = r.Int(*bf, "max_steps", "budget", 1, 100'000);
            a.budget.max_cost_usd = r.Number(*bf, "max_cost_usd", "budget", 0, 1e9);
            a.budget.monthly_cost_usd = r.Number(*bf, "monthly_cost_usd", "budget", 0, 1e12);
        }
    }
    if (!a.hosted) {
        return;
    }
    if (const YAML::Node* n = f->Find("model"); n != nullptr && !IsNullish(*n)) {
        ReadModel(r, *n, a);
    } else {
        r.Error(root, "model", "required for a hosted agent (provider: openai | anthropic | openai_compatible | mock)");
    }
    a.instructions = r.String(*f, "instructions", "").value_or("");
    if (const YAML::Node* n = f->Find("instructions")) {
        a.instructions_pos = Reader::Pos(*n);
    }
    if (const YAML::Node* n = f->Find("variables"); n != nullptr && !IsNullish(*n)) {
        ReadVariables(r, *n, a);
    }
    if (const YAML::Node* n = f->Find("tools"); n != nullptr && !IsNullish(*n)) {
        ReadTools(r, *n, a);
    }
    if (const YAML::Node* n = f->Find("memory"); n != nullptr && !IsNullish(*n)) {
        const auto mf = r.Map(*n, "memory", {"history_messages", "user_memories"});
        if (mf) {
            a.memory.history_messages = r.Int(*mf, "history_messages", "memory", 0, 10'000).value_or(20);
            a.memory.user_memories = r.Bool(*mf, "user_memories", "memory").value_or(false);
        }
    }
    if (const YAML::Node* n = f->Find("output_schema"); n != nullptr && !IsNullish(*n)) {
        a.output_schema_pos = Reader::Pos(*n);
        if (!n->IsMap()) {
            r.Error(*n, "output_schema", "must be a JSON Schema (a mapping)");
        } else {
            a.output_schema = r.ToJson(*n, "output_schema");
        }
    }
    if (const YAML::Node* n = f->Find("schedules"); n != nullptr && !IsNullish(*n)) {
        ReadSchedules(r, *n, a);
    }
    if (const YAML::Node* n = f->Find("graph"); n != nullptr && !IsNullish(*n)) {
        ReadGraph(r, *n, a);
    }
}

}  // namespace

std::string FormatSpecError(const SpecError& error, std::string_view source_name) {
    std::string out(source_name);
    if (error.pos.line > 0) {
        out += ":" + std::to_string(error.pos.line) + ":" + std::to_string(error.pos.column);
    }
    out += ": ";
    if (!error.path.empty()) {
        out += error.path + ": ";
    }
    out += error.message;
    return out;
}

LoadedAgent LoadAgent(std::string_view text) {
    LoadedAgent out;
    if (auto problem = PreCheck(text)) {
        out.errors.push_back(std::move(*problem));
        return out;
    }
    YAML::Node root;
    try {
        root = YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
        out.errors.push_back({{e.mark.line + 1, e.mark.column + 1}, "", "not valid YAML: " + e.msg});
        return out;
    }
    Reader r(out.errors);
    if (!root.IsMap()) {
        out.errors.push_back({Reader::Pos(root), "", "an agent definition is a mapping (slug: ..., model: ...)"});
        return out;
    }
    out.document = r.ToJson(root, "");
    if (!out.errors.empty()) {
        return out;  // too large, too deep or ambiguous to read further
    }
    AgentSpec a;
    ReadAgent(r, root, a);
    if (out.errors.empty()) {
        CheckAgent(a, out.errors);
    }
    std::stable_sort(out.errors.begin(), out.errors.end(), [](const SpecError& x, const SpecError& y) {
        return std::tie(x.pos.line, x.pos.column) < std::tie(y.pos.line, y.pos.column);
    });
    // The document conversion and the typed reading may both see one problem (a key given twice): say it once.
    out.errors.erase(
        std::unique(
            out.errors.begin(),
            out.errors.end(),
            [](const SpecError& x, const SpecError& y) {
                return x.pos.line == y.pos.line && x.pos.column == y.pos.column && x.path == y.path &&
                       x.message == y.message;
            }
        ),
        out.errors.end()
    );
    if (out.errors.empty()) {
        out.spec = std::move(a);
    }
    return out;
}

Json LoadYamlDocument(std::string_view text, std::string_view source_name) {
    std::vector<SpecError> errors;
    Json out;
    if (auto problem = PreCheck(text)) {
        errors.push_back(std::move(*problem));
    } else {
        try {
            const YAML::Node root = YAML::Load(std::string(text));
            Reader r(errors);
            out = r.ToJson(root, "");
        } catch (const YAML::Exception& e) {
            errors.push_back({{e.mark.line + 1, e.mark.column + 1}, "", "not valid YAML: " + e.msg});
        }
    }
    if (!errors.empty()) {
        throw core::Error(core::ErrorCode::kValidation, FormatSpecError(errors.front(), source_name));
    }
    return out;
}

AgentSpec LoadAgentOrThrow(std::string_view text, std::string_view source_name, nlohmann::json* document) {
    auto loaded = LoadAgent(text);
    if (document != nullptr) {
        *document = loaded.document;
    }
    if (loaded.spec) {
        return std::move(*loaded.spec);
    }
    Json details = Json::array();
    for (const auto& e : loaded.errors) {
        details.push_back({{"line", e.pos.line}, {"column", e.pos.column}, {"field", e.path}, {"message", e.message}});
    }
    const std::string first = FormatSpecError(loaded.errors.front(), source_name);
    throw core::Error(
        core::ErrorCode::kValidation,
        loaded.errors.size() == 1 ? first : first + " (and " + std::to_string(loaded.errors.size() - 1) + " more)",
        Json{{"errors", details}}
    );
}

}  // namespace agentos::spec
