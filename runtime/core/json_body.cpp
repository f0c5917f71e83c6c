#include "runtime/core/json_body.hpp"

#include <algorithm>
#include <cmath>

#include "runtime/core/error.hpp"

namespace agentos::core {
namespace {

/// Deepest nesting of arrays/objects, stopping early once `limit` is passed. Strings are skipped so that
/// brackets inside them do not count.
int NestingDepth(std::string_view text, int limit) {
    int depth = 0;
    int deepest = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            deepest = std::max(deepest, ++depth);
            if (deepest > limit) {
                return deepest;
            }
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return deepest;
}

}  // namespace

std::optional<std::size_t> FindInvalidUtf8(std::string_view text) {
    const auto* s = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t n = text.size();
    std::size_t i = 0;
    while (i < n) {
        const unsigned char c = s[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len = 0;
        unsigned int cp = 0;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            cp = c & 0x1FU;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            cp = c & 0x0FU;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            cp = c & 0x07U;
        } else {
            return i;
        }
        if (i + len > n) {
            return i;
        }
        for (std::size_t k = 1; k < len; ++k) {
            if ((s[i + k] & 0xC0U) != 0x80U) {
                return i;
            }
            cp = (cp << 6) | (s[i + k] & 0x3FU);
        }
        const bool overlong = (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
        const bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
        if (overlong || surrogate || cp > 0x10FFFF) {
            return i;
        }
        i += len;
    }
    return std::nullopt;
}

nlohmann::json ParseJsonBody(std::string_view body) {
    if (body.empty()) {
        throw Error::Validation("body", "a JSON object is required");
    }
    if (const auto bad = FindInvalidUtf8(body)) {
        throw Error::Validation("body", "invalid UTF-8 at byte " + std::to_string(*bad));
    }
    if (NestingDepth(body, kMaxJsonDepth) > kMaxJsonDepth) {
        throw Error::Validation("body", "JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    }
    try {
        return nlohmann::json::parse(body);
    } catch (const nlohmann::json::parse_error& e) {
        throw Error::Validation("body", "malformed JSON at byte " + std::to_string(std::min(e.byte, body.size())));
    }
}

std::string ElementPath(std::string_view path, std::size_t index) {
    std::string out(path);
    out.append("[").append(std::to_string(index)).append("]");
    return out;
}

std::string_view JsonTypeName(const nlohmann::json& value) {
    switch (value.type()) {
        case nlohmann::json::value_t::null:
            return "null";
        case nlohmann::json::value_t::object:
            return "an object";
        case nlohmann::json::value_t::array:
            return "an array";
        case nlohmann::json::value_t::string:
            return "a string";
        case nlohmann::json::value_t::boolean:
            return "a boolean";
        case nlohmann::json::value_t::number_integer:
        case nlohmann::json::value_t::number_unsigned:
        case nlohmann::json::value_t::number_float:
            return "a number";
        default:
            return "an unsupported value";
    }
}

ObjectReader::ObjectReader(const nlohmann::json& value, std::string path) : value_(value), path_(std::move(path)) {
    if (!value_.is_object()) {
        throw Error::Validation(
            path_.empty() ? "body" : path_, std::string("must be a JSON object, not ").append(JsonTypeName(value_))
        );
    }
}

std::string ObjectReader::Path(std::string_view key) const {
    if (path_.empty()) {
        return std::string(key);
    }
    std::string out = path_;
    out.append(".").append(key);
    return out;
}

const nlohmann::json* ObjectReader::Optional(std::string_view key) {
    known_.emplace_back(key);
    const auto it = value_.find(key);
    if (it == value_.end() || it->is_null()) {
        return nullptr;
    }
    return &*it;
}

const nlohmann::json& ObjectReader::Required(std::string_view key) {
    const nlohmann::json* v = Optional(key);
    if (v == nullptr) {
        throw Error::Validation(Path(key), "required");
    }
    return *v;
}

std::string ObjectReader::String(std::string_view key) {
    const nlohmann::json& v = Required(key);
    if (!v.is_string()) {
        throw Error::Validation(Path(key), std::string("must be a string, not ").append(JsonTypeName(v)));
    }
    auto s = v.get<std::string>();
    if (s.empty()) {
        throw Error::Validation(Path(key), "must not be empty");
    }
    return s;
}

std::optional<std::string> ObjectReader::OptString(std::string_view key) {
    const nlohmann::json* v = Optional(key);
    if (v == nullptr) {
        return std::nullopt;
    }
    if (!v->is_string()) {
        throw Error::Validation(Path(key), std::string("must be a string, not ").append(JsonTypeName(*v)));
    }
    return v->get<std::string>();
}

std::optional<bool> ObjectReader::OptBool(std::string_view key) {
    const nlohmann::json* v = Optional(key);
    if (v == nullptr) {
        return std::nullopt;
    }
    if (!v->is_boolean()) {
        throw Error::Validation(Path(key), std::string("must be true or false, not ").append(JsonTypeName(*v)));
    }
    return v->get<bool>();
}

std::optional<double> ObjectReader::OptNumber(std::string_view key) {
    const nlohmann::json* v = Optional(key);
    if (v == nullptr) {
        return std::nullopt;
    }
    if (!v->is_number()) {
        throw Error::Validation(Path(key), std::string("must be a number, not ").append(JsonTypeName(*v)));
    }
    const double d = v->get<double>();
    if (!std::isfinite(d)) {
        throw Error::Validation(Path(key), "must be a finite number");
    }
    return d;
}

std::optional<std::int64_t> ObjectReader::OptInt(std::string_view key, std::int64_t min, std::int64_t max) {
    const nlohmann::json* v = Optional(key);
    if (v == nullptr) {
        return std::nullopt;
    }
    if (!v->is_number_integer()) {
        throw Error::Validation(Path(key), std::string("must be an integer, not ").append(JsonTypeName(*v)));
    }
    if (v->is_number_unsigned() && v->get<std::uint64_t>() > static_cast<std::uint64_t>(max)) {
        throw Error::Validation(Path(key), "must be at most " + std::to_string(max));
    }
    const auto i = v->get<std::int64_t>();
    if (i < min || i > max) {
        throw Error::Validation(Path(key), "must be between " + std::to_string(min) + " and " + std::to_string(max));
    }
    return i;
}

std::optional<nlohmann::json> ObjectReader::OptObject(std::string_view key) {
    const nlohmann::json* v = Optional(key);
    if (v == nullptr) {
        return std::nullopt;
    }
    if (!v->is_object()) {
        throw Error::Validation(Path(key), std::string("must be a JSON object, not ").append(JsonTypeName(*v)));
    }
    return *v;
}

const nlohmann::json& ObjectReader::Array(std::string_view key) {
    const nlohmann::json& v = Required(key);
    if (!v.is_array()) {
        throw Error::Validation(Path(key), std::string("must be an array, not ").append(JsonTypeName(v)));
    }
    return v;
}

std::string ObjectReader::CheckEnum(
    std::string_view key, std::string value, std::initializer_list<std::string_view> allowed
) const {
    if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) {
        return value;
    }
    std::string list;
    for (const auto a : allowed) {
        list.append(list.empty() ? "" : ", ").append(a);
    }
    throw Error::Validation(Path(key), "must be one of " + list + " (got \"" + value + "\")");
}

std::string ObjectReader::Enum(std::string_view key, std::initializer_list<std::string_view> allowed) {
    return CheckEnum(key, String(key), allowed);
}

std::optional<std::string> ObjectReader::OptEnum(
    std::string_view key, std::initializer_list<std::string_view> allowed
) {
    auto v = OptString(key);
    if (!v) {
        return std::nullopt;
    }
    return CheckEnum(key, std::move(*v), allowed);
}

void ObjectReader::Finish() const {
    std::vector<std::string> unknown;
    for (const auto& [key, _] : value_.items()) {
        if (std::find(known_.begin(), known_.end(), key) == known_.end()) {
            unknown.push_back(Path(key));
        }
    }
    if (unknown.empty()) {
        return;
    }
    std::string allowed;
    for (const auto& k : known_) {
        allowed.append(allowed.empty() ? "" : ", ").append(k);
    }
    std::string message = unknown.front() + ": unknown field";
    if (unknown.size() > 1) {
        message = std::to_string(unknown.size()) + " unknown fields: ";
        for (std::size_t i = 0; i < unknown.size(); ++i) {
            message.append(i == 0 ? "" : ", ").append(unknown[i]);
        }
    }
    message.append(" (allowed here: ").append(allowed).append(")");
    throw Error(
        ErrorCode::kValidation, message, nlohmann::json{{"field", unknown.front()}, {"unknown_fields", unknown}}
    );
}

std::size_t CharCount(std::string_view text) {
    return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U;  // every byte that does not continue a sequence
    }));
}

std::string_view TrimSpace(std::string_view text) {
    constexpr std::string_view kSpace = " \t\n\r\f\v";
    const auto first = text.find_first_not_of(kSpace);
    if (first == std::string_view::npos) {
        return {};
    }
    return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

void CheckText(std::string_view field, std::string_view text, std::size_t max_chars) {
    if (TrimSpace(text).empty()) {
        throw Error::Validation(field, "must not be empty");
    }
    if (CharCount(text) > max_chars) {
        throw Error::Validation(field, "at most " + std::to_string(max_chars) + " characters");
    }
}

}  // namespace agentos::core
