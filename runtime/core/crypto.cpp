#include "runtime/core/crypto.hpp"

#include <array>
#include <limits>
#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

namespace agentos::core {
namespace {

constexpr std::string_view kBase62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

std::array<std::uint32_t, 256> MakeCrcTable() {
    std::array<std::uint32_t, 256> table{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int k = 0; k < 8; ++k) {
            c = (c & 1U) != 0 ? 0xEDB88320U ^ (c >> 1) : c >> 1;
        }
        table[i] = c;
    }
    return table;
}

}  // namespace

std::string Sha256(std::string_view data) {
    std::string out(32, '\0');
    unsigned int len = 0;
    if (EVP_Digest(
            data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &len, EVP_sha256(), nullptr
        ) != 1 ||
        len != 32) {
        throw std::runtime_error("SHA-256 failed");
    }
    return out;
}

std::string HexEncode(std::string_view bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const char ch : bytes) {
        const auto b = static_cast<unsigned char>(ch);
        out.push_back(kHex[b >> 4]);
        out.push_back(kHex[b & 0x0F]);
    }
    return out;
}

void RandomBytes(std::uint8_t* out, std::size_t size) {
    if (size > static_cast<std::size_t>(std::numeric_limits<int>::max()) ||
        RAND_bytes(out, static_cast<int>(size)) != 1) {
        throw std::runtime_error("the system random generator failed");
    }
}

std::string RandomBase62(std::size_t length) {
    std::string out;
    out.reserve(length);
    std::array<std::uint8_t, 64> pool{};
    while (out.size() < length) {
        RandomBytes(pool.data(), pool.size());
        for (const std::uint8_t b : pool) {
            // 248 = 4 * 62: rejecting the top 8 values keeps every digit equally likely.
            if (b < 248 && out.size() < length) {
                out.push_back(kBase62[b % 62]);
            }
        }
    }
    return out;
}

std::string Base62Fixed(std::uint64_t value, std::size_t width) {
    std::string out(width, '0');
    for (std::size_t i = width; i > 0; --i) {
        out[i - 1] = kBase62[value % 62];
        value /= 62;
    }
    return out;
}

std::uint32_t Crc32(std::string_view data) {
    static const std::array<std::uint32_t, 256> kTable = MakeCrcTable();
    std::uint32_t c = 0xFFFFFFFFU;
    for (const char ch : data) {
        c = kTable[(c ^ static_cast<unsigned char>(ch)) & 0xFFU] ^ (c >> 8);
    }
    return c ^ 0xFFFFFFFFU;
}

bool ConstantTimeEqual(std::string_view a, std::string_view b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace agentos::core
