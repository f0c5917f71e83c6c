#pragma once
/// API key format: "aos_ws_" or "aos_agent_", then 30 random base62 characters, then a 6-character base62 CRC-32
/// of everything before it. The checksum lets a mistyped or garbled key be refused without a database query.
/// The public prefix (kind + first 8 random characters) identifies a key in lists and for revocation.

#include <optional>
#include <string>
#include <string_view>

#include "runtime/core/principal.hpp"

namespace agentos::core {

struct GeneratedKey {
    std::string key;     ///< shown once, never stored
    std::string prefix;  ///< e.g. "aos_ws_Ab3dE9xQ"
    std::string hash;    ///< SHA-256 of key, 32 raw bytes
};

struct ParsedKey {
    KeyKind kind = KeyKind::kWorkspace;
    std::string prefix;
};

GeneratedKey GenerateApiKey(KeyKind kind);

/// The kind and prefix of a well-formed key with a valid checksum; nullopt otherwise.
std::optional<ParsedKey> ParseApiKey(std::string_view key);

/// "aos_ws_" / "aos_agent_".
std::string_view KeyKindPrefix(KeyKind kind);

}  // namespace agentos::core
