#include "runtime/core/api_key.hpp"

#include "runtime/core/crypto.hpp"

namespace agentos::core {
namespace {

constexpr std::size_t kRandomChars = 30;
constexpr std::size_t kChecksumChars = 6;
constexpr std::size_t kPrefixRandomChars = 8;

bool IsBase62(char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

}  // namespace

std::string_view KeyKindPrefix(KeyKind kind) {
    return kind == KeyKind::kAgent ? "aos_agent_" : "aos_ws_";
}

GeneratedKey GenerateApiKey(KeyKind kind) {
    std::string body(KeyKindPrefix(kind));
    body += RandomBase62(kRandomChars);
    GeneratedKey out;
    out.key = body + Base62Fixed(Crc32(body), kChecksumChars);
    out.prefix = body.substr(0, KeyKindPrefix(kind).size() + kPrefixRandomChars);
    out.hash = Sha256(out.key);
    return out;
}

std::optional<ParsedKey> ParseApiKey(std::string_view key) {
    for (const KeyKind kind : {KeyKind::kWorkspace, KeyKind::kAgent}) {
        const std::string_view head = KeyKindPrefix(kind);
        if (key.substr(0, head.size()) != head || key.size() != head.size() + kRandomChars + kChecksumChars) {
            continue;
        }
        const std::string_view rest = key.substr(head.size());
        for (const char c : rest) {
            if (!IsBase62(c)) {
                return std::nullopt;
            }
        }
        const std::string_view body = key.substr(0, key.size() - kChecksumChars);
        if (Base62Fixed(Crc32(body), kChecksumChars) != key.substr(body.size())) {
            return std::nullopt;
        }
        return ParsedKey{kind, std::string(key.substr(0, head.size() + kPrefixRandomChars))};
    }
    return std::nullopt;
}

}  // namespace agentos::core
