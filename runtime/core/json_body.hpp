#pragma once
/// Strict JSON input: body parsing with a nesting limit and UTF-8 check, and an object reader that names the
/// field in every error and refuses unknown fields. Every failure is a VALIDATION_ERROR, never a 500.

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace agentos::core {

inline constexpr int kMaxJsonDepth = 64;

/// Index of the first byte that is not part of well-formed UTF-8 (RFC 3629), or nullopt when all is well.
std::optional<std::size_t> FindInvalidUtf8(std::string_view text);

/// Parses a request body as JSON. Refuses invalid UTF-8, nesting deeper than kMaxJsonDepth, and malformed JSON,
/// each with a message naming the byte offset.
nlohmann::json ParseJsonBody(std::string_view body);

/// Reads one JSON object field by field. Each getter records the key as known; Finish() refuses any other key.
/// A JSON null is treated as an absent field.
class ObjectReader {
public:
    /// `path` prefixes field names in errors ("" for the body, "events[2]" for an element).
    ObjectReader(const nlohmann::json& value, std::string path);

    /// "<path>.<key>" (or "<key>" at the top level).
    std::string Path(std::string_view key) const;

    /// The raw value, or nullptr when absent or null.
    const nlohmann::json* Optional(std::string_view key);

    const nlohmann::json& Required(std::string_view key);

    std::string String(std::string_view key);  ///< required, non-empty string
    std::optional<std::string> OptString(std::string_view key);
    std::optional<bool> OptBool(std::string_view key);
    std::optional<double> OptNumber(std::string_view key);  ///< a finite number
    std::optional<std::int64_t> OptInt(std::string_view key, std::int64_t min, std::int64_t max);
    std::optional<nlohmann::json> OptObject(std::string_view key);
    const nlohmann::json& Array(std::string_view key);  ///< required array

    /// A required/optional string that must be one of `allowed`.
    std::string Enum(std::string_view key, std::initializer_list<std::string_view> allowed);
    std::optional<std::string> OptEnum(std::string_view key, std::initializer_list<std::string_view> allowed);

    /// Throws VALIDATION_ERROR naming every field that no getter asked for.
    void Finish() const;

private:
    std::string CheckEnum(std::string_view key, std::string value, std::initializer_list<std::string_view> allowed)
        const;

    const nlohmann::json& value_;
    std::string path_;
    std::vector<std::string> known_;
};

/// Characters (Unicode code points) of valid UTF-8 text: the limits users are told count these, not bytes.
std::size_t CharCount(std::string_view text);

/// `text` without leading and trailing white space.
std::string_view TrimSpace(std::string_view text);

/// VALIDATION_ERROR naming `field` when `text` is empty or only white space ("must not be empty"), or longer than
/// `max_chars` characters ("at most N characters").
void CheckText(std::string_view field, std::string_view text, std::size_t max_chars);

/// "<path>[<index>]".
std::string ElementPath(std::string_view path, std::size_t index);

/// A JSON type name for messages: "a string", "an object", ...
std::string_view JsonTypeName(const nlohmann::json& value);

}  // namespace agentos::core
