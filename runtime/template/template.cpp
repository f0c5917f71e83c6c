#include "runtime/template/template.hpp"

#include <cstddef>
#include <string>
#include <utility>

#include "runtime/core/error.hpp"

namespace agentos::templating {
namespace {

constexpr std::string_view kOpen = "{{";
constexpr std::string_view kClose = "}}";

bool IsSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool IsAlpha(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

bool IsDigit(char c) {
    return c >= '0' && c <= '9';
}

std::string_view Trim(std::string_view text) {
    while (!text.empty() && IsSpace(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && IsSpace(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

bool IsAllSpace(std::string_view text) {
    return Trim(text).empty();
}

/// [A-Za-z_][A-Za-z0-9_]*
bool IsVariableName(std::string_view name) {
    if (name.empty() || !IsAlpha(name.front())) {
        return false;
    }
    for (const char c : name) {
        if (!IsAlpha(c) && !IsDigit(c)) {
            return false;
        }
    }
    return true;
}

/// [A-Za-z_][A-Za-z0-9_-]* or all digits.
bool IsPathSegment(std::string_view name) {
    if (name.empty()) {
        return false;
    }
    if (IsDigit(name.front())) {
        for (const char c : name) {
            if (!IsDigit(c)) {
                return false;
            }
        }
        return true;
    }
    if (!IsAlpha(name.front())) {
        return false;
    }
    for (const char c : name) {
        if (!IsAlpha(c) && !IsDigit(c) && c != '-') {
            return false;
        }
    }
    return true;
}

std::vector<std::string> SplitDots(std::string_view text) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
        const std::size_t dot = text.find('.', start);
        if (dot == std::string_view::npos) {
            parts.emplace_back(text.substr(start));
            return parts;
        }
        parts.emplace_back(text.substr(start, dot - start));
        start = dot + 1;
    }
}

/// Parses the trimmed inside of "{{ ... }}"; `offset` is where the "{{" starts, for the message.
TemplateRef ParseRef(std::string_view inner, std::string_view field, std::size_t offset) {
    auto invalid = [&] {
        return core::Error::Validation(
            field,
            "'{{" + std::string(inner) + "}}' at " + std::to_string(offset) +
                " is not a reference (use input.x, state.x, args.x or a variable name)"
        );
    };
    std::vector<std::string> parts = SplitDots(inner);
    const std::string& root = parts.front();
    TemplateRef ref{RefKind::kVariable, {}, std::string(inner)};
    if (root == "input") {
        ref.kind = RefKind::kInput;
    } else if (root == "state") {
        ref.kind = RefKind::kState;
    } else if (root == "args") {
        ref.kind = RefKind::kArgs;
    } else {
        if (parts.size() != 1 || !IsVariableName(root)) {
            throw invalid();
        }
        ref.path = std::move(parts);
        return ref;
    }
    for (std::size_t i = 1; i < parts.size(); ++i) {
        if (!IsPathSegment(parts[i])) {
            throw invalid();
        }
        ref.path.push_back(std::move(parts[i]));
    }
    return ref;
}

std::string_view RootName(RefKind kind) {
    switch (kind) {
        case RefKind::kInput:
            return "input";
        case RefKind::kState:
            return "state";
        case RefKind::kArgs:
            return "args";
        case RefKind::kVariable:
            break;
    }
    return "variables";
}

const nlohmann::json* RootOf(RefKind kind, const TemplateScope& scope) {
    switch (kind) {
        case RefKind::kInput:
            return scope.input;
        case RefKind::kState:
            return scope.state;
        case RefKind::kArgs:
            return scope.args;
        case RefKind::kVariable:
            break;
    }
    return nullptr;
}

/// Walks object keys, and array indexes for all-digit segments; nullptr when absent.
const nlohmann::json* Walk(const nlohmann::json* node, const std::vector<std::string>& path) {
    for (const std::string& segment : path) {
        if (node->is_object()) {
            const auto it = node->find(segment);
            if (it == node->end()) {
                return nullptr;
            }
            node = &*it;
        } else if (node->is_array() && !segment.empty() && IsDigit(segment.front())) {
            if (segment.size() > 18) {
                return nullptr;
            }
            const std::size_t index = std::stoull(segment);
            if (index >= node->size()) {
                return nullptr;
            }
            node = &(*node)[index];
        } else {
            return nullptr;
        }
    }
    return node;
}

/// The value a ref names: either a JSON node of the scope or the string of a variable (held in `holder`).
const nlohmann::json& Resolve(
    const TemplateRef& ref, const TemplateScope& scope, std::string_view field, nlohmann::json& holder
) {
    const std::string shown = "{{" + ref.text + "}}";
    if (ref.kind == RefKind::kVariable) {
        if (scope.variables == nullptr) {
            throw core::Error::Validation(field, shown + " names a prompt variable, and none are available here");
        }
        const auto it = scope.variables->find(ref.path.front());
        if (it == scope.variables->end()) {
            throw core::Error::Validation(field, shown + " names a prompt variable that is not set");
        }
        holder = it->second;
        return holder;
    }
    const nlohmann::json* root = RootOf(ref.kind, scope);
    if (root == nullptr) {
        throw core::Error::Validation(
            field, shown + " cannot be used here (no " + std::string(RootName(ref.kind)) + ")"
        );
    }
    const nlohmann::json* found = Walk(root, ref.path);
    if (found == nullptr) {
        throw core::Error::Validation(field, shown + " names something absent");
    }
    return *found;
}

std::string ToText(const nlohmann::json& value) {
    if (value.is_string()) {
        return value.get<std::string>();
    }
    return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string KeyPath(std::string_view field, const std::string& key) {
    if (field.empty()) {
        return key;
    }
    std::string path(field);
    path.append(".").append(key);
    return path;
}

std::string IndexPath(std::string_view field, std::size_t index) {
    std::string path(field);
    path.append("[").append(std::to_string(index)).append("]");
    return path;
}

void CollectInto(const nlohmann::json& value, std::string_view field, std::vector<TemplateRef>& out) {
    if (value.is_string()) {
        const Template parsed = Template::Parse(value.get_ref<const std::string&>(), field);
        out.insert(out.end(), parsed.refs().begin(), parsed.refs().end());
    } else if (value.is_object()) {
        for (const auto& [key, item] : value.items()) {
            CollectInto(item, KeyPath(field, key), out);
        }
    } else if (value.is_array()) {
        for (std::size_t i = 0; i < value.size(); ++i) {
            CollectInto(value[i], IndexPath(field, i), out);
        }
    }
}

}  // namespace

Template Template::Parse(std::string_view text, std::string_view field) {
    Template result;
    result.field_ = std::string(field);
    std::size_t pos = 0;
    while (true) {
        const std::size_t open = text.find(kOpen, pos);
        if (open == std::string_view::npos) {
            result.literals_.emplace_back(text.substr(pos));
            return result;
        }
        const std::size_t close = text.find(kClose, open + kOpen.size());
        if (close == std::string_view::npos) {
            throw core::Error::Validation(field, "unclosed '{{' at " + std::to_string(open));
        }
        const std::string_view inner = Trim(text.substr(open + kOpen.size(), close - open - kOpen.size()));
        if (inner.empty()) {
            throw core::Error::Validation(field, "empty '{{}}' at " + std::to_string(open));
        }
        result.literals_.emplace_back(text.substr(pos, open - pos));
        result.refs_.push_back(ParseRef(inner, field, open));
        pos = close + kClose.size();
    }
}

bool Template::IsSingleRef() const {
    return refs_.size() == 1 && IsAllSpace(literals_[0]) && IsAllSpace(literals_[1]);
}

std::string Template::Render(const TemplateScope& scope, Escape escape) const {
    std::string out = literals_.front();
    nlohmann::json holder;
    for (std::size_t i = 0; i < refs_.size(); ++i) {
        const std::string value = ToText(Resolve(refs_[i], scope, field_, holder));
        out += escape == Escape::kUrl ? UrlEncode(value) : value;
        out += literals_[i + 1];
    }
    return out;
}

nlohmann::json Template::RenderValue(const TemplateScope& scope) const {
    if (IsSingleRef()) {
        nlohmann::json holder;
        return Resolve(refs_.front(), scope, field_, holder);
    }
    return Render(scope);
}

nlohmann::json RenderJson(const nlohmann::json& value, const TemplateScope& scope, std::string_view field) {
    if (value.is_string()) {
        return Template::Parse(value.get_ref<const std::string&>(), field).RenderValue(scope);
    }
    if (value.is_object()) {
        nlohmann::json out = nlohmann::json::object();
        for (const auto& [key, item] : value.items()) {
            out[key] = RenderJson(item, scope, KeyPath(field, key));
        }
        return out;
    }
    if (value.is_array()) {
        nlohmann::json out = nlohmann::json::array();
        for (std::size_t i = 0; i < value.size(); ++i) {
            out.push_back(RenderJson(value[i], scope, IndexPath(field, i)));
        }
        return out;
    }
    return value;
}

std::vector<TemplateRef> CollectRefs(const nlohmann::json& value, std::string_view field) {
    std::vector<TemplateRef> out;
    CollectInto(value, field, out);
    return out;
}

std::string UrlEncode(std::string_view text) {
    constexpr std::string_view kHex = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        if (IsAlpha(c) || IsDigit(c) || c == '-' || c == '.' || c == '~') {
            out += c;
        } else {
            const auto byte = static_cast<unsigned char>(c);
            out += '%';
            out += kHex[byte >> 4U];
            out += kHex[byte & 0x0FU];
        }
    }
    return out;
}

}  // namespace agentos::templating
