#pragma once
/// Small cryptographic helpers over OpenSSL: SHA-256, secure random bytes, constant-time comparison, base62.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace agentos::core {

/// SHA-256 of the input as 32 raw bytes.
std::string Sha256(std::string_view data);

/// Lower-case hex of the input bytes.
std::string HexEncode(std::string_view bytes);

/// Fills `out` with cryptographically secure random bytes (OpenSSL RAND_bytes); throws on failure.
void RandomBytes(std::uint8_t* out, std::size_t size);

/// `length` random characters from [0-9A-Za-z], without modulo bias.
std::string RandomBase62(std::size_t length);

/// Encodes `value` as exactly `width` base62 digits (most significant first).
std::string Base62Fixed(std::uint64_t value, std::size_t width);

/// CRC-32 (IEEE) of the input.
std::uint32_t Crc32(std::string_view data);

/// Equality in time that depends only on the lengths, not on where the inputs differ.
bool ConstantTimeEqual(std::string_view a, std::string_view b);

}  // namespace agentos::core
