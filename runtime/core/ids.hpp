#pragma once
/// UUIDs: time-ordered v7 generation and strict parsing. Ids travel as canonical lower-case strings.

#include <string>
#include <string_view>

namespace agentos::core {

/// A new RFC 9562 version-7 UUID (48-bit Unix milliseconds, then randomness), lower-case canonical form.
std::string NewUuidV7();

/// True for the canonical 8-4-4-4-12 hex form, either case.
bool IsUuid(std::string_view text);

/// Returns the lower-cased UUID, or throws VALIDATION_ERROR "<field>: not a UUID".
std::string RequireUuid(std::string_view field, std::string_view text);

}  // namespace agentos::core
