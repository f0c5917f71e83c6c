#include "runtime/core/ids.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <random>

#include "runtime/core/crypto.hpp"
#include "runtime/core/error.hpp"

namespace agentos::core {

std::string NewUuidV7() {
    // Ids are unique, not secret (every object is reached through a key): a per-thread generator seeded once from
    // the OS is enough, and costs nanoseconds where OpenSSL's RAND_bytes cost microseconds on every insert.
    thread_local std::mt19937_64 random = [] {
        std::array<std::uint8_t, 8> seed{};
        RandomBytes(seed.data(), seed.size());
        std::uint64_t v = 0;
        for (const auto byte : seed) {
            v = (v << 8) | byte;
        }
        return std::mt19937_64(v);
    }();
    std::array<std::uint8_t, 16> b{};
    for (std::size_t i = 0; i < b.size(); i += 8) {
        const std::uint64_t r = random();
        for (std::size_t k = 0; k < 8; ++k) {
            b[i + k] = static_cast<std::uint8_t>(r >> (8 * k));
        }
    }
    const auto ms = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count()
    );
    for (int i = 0; i < 6; ++i) {
        b[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(ms >> (8 * (5 - i)));
    }
    b[6] = static_cast<std::uint8_t>(0x70U | (b[6] & 0x0FU));
    b[8] = static_cast<std::uint8_t>(0x80U | (b[8] & 0x3FU));
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(36);
    for (std::size_t i = 0; i < b.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            out.push_back('-');
        }
        out.push_back(kHex[b[i] >> 4]);
        out.push_back(kHex[b[i] & 0x0F]);
    }
    return out;
}

bool IsUuid(std::string_view text) {
    if (text.size() != 36) {
        return false;
    }
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') {
                return false;
            }
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return true;
}

std::string RequireUuid(std::string_view field, std::string_view text) {
    if (!IsUuid(text)) {
        throw Error::Validation(field, "not a UUID (expected the form 01890a5d-ac96-774b-bcce-b302099a8057)");
    }
    std::string out(text);
    for (char& c : out) {
        if (c >= 'A' && c <= 'F') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return out;
}

}  // namespace agentos::core
