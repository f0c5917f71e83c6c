#include "tools/net_guard.hpp"

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <string>
#include <utility>

#include "runtime/core/error.hpp"

namespace agentos::tools {
namespace {

constexpr std::size_t kMaxUrlLength = 8192;

[[noreturn]] void FailUrl(std::string_view problem) {
    throw core::Error::Validation("url", problem);
}

char ToLower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string Lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), ToLower);
    return out;
}

bool IsDigit(char c) {
    return c >= '0' && c <= '9';
}

int HexValue(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/// Letters, digits, '-', '.', '_': everything a DNS name (or an IPv4 literal) can hold.
bool IsHostNameChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c) || c == '-' || c == '.' || c == '_';
}

/// Lower-case, without IPv6 brackets and without one trailing dot: the spelling the allow-list is compared in.
std::string NormalizeHost(std::string_view host) {
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    if (!host.empty() && host.back() == '.') {
        host.remove_suffix(1);
    }
    return Lower(host);
}

/// The host as it may appear in a message, which ends up in JSON and so must stay printable ASCII.
std::string Printable(std::string_view text) {
    std::string out;
    for (const char c : text.substr(0, 255)) {
        out.push_back(c >= ' ' && c < '\x7f' ? c : '?');
    }
    return out;
}

/// One part of an inet_aton / WHATWG IPv4 spelling: "0x…" is hex, "0…" is octal, anything else decimal.
std::optional<std::uint64_t> ParseIpv4Part(std::string_view part) {
    if (part.empty()) {
        return std::nullopt;
    }
    unsigned base = 10;
    if (part.size() >= 2 && part[0] == '0' && (part[1] == 'x' || part[1] == 'X')) {
        base = 16;
        part.remove_prefix(2);
    } else if (part.size() >= 2 && part[0] == '0') {
        base = 8;
        part.remove_prefix(1);
    }
    std::uint64_t value = 0;
    for (const char c : part) {
        const int digit = HexValue(c);
        if (digit < 0 || static_cast<unsigned>(digit) >= base) {
            return std::nullopt;
        }
        value = value * base + static_cast<std::uint64_t>(digit);
        if (value > 0xFFFFFFFFULL) {
            return std::nullopt;
        }
    }
    return value;
}

std::optional<std::uint32_t> ParseIpv4(std::string_view text) {
    if (!text.empty() && text.back() == '.') {
        text.remove_suffix(1);  // "127.0.0.1." is still a literal to a URL parser
    }
    if (text.empty()) {
        return std::nullopt;
    }
    std::array<std::uint64_t, 4> parts{};
    std::size_t count = 0;
    std::size_t start = 0;
    for (;;) {
        const std::size_t dot = text.find('.', start);
        if (count == parts.size()) {
            return std::nullopt;
        }
        const auto part = ParseIpv4Part(text.substr(start, dot == std::string_view::npos ? dot : dot - start));
        if (!part) {
            return std::nullopt;
        }
        parts[count++] = *part;
        if (dot == std::string_view::npos) {
            break;
        }
        start = dot + 1;
    }
    // "a.b.c.d", "a.b.c" (c is 16 bits), "a.b" (b is 24 bits), "a" (32 bits)
    std::uint64_t address = 0;
    for (std::size_t i = 0; i + 1 < count; ++i) {
        if (parts[i] > 0xFF) {
            return std::nullopt;
        }
        address |= parts[i] << (24 - 8 * i);
    }
    const std::uint64_t last_limit = (1ULL << (8 * (5 - count))) - 1;
    if (parts[count - 1] > last_limit) {
        return std::nullopt;
    }
    address |= parts[count - 1];
    return static_cast<std::uint32_t>(address);
}

/// The strict dotted quad allowed at the end of an IPv6 literal (decimal, no leading zeros, as inet_pton).
std::optional<std::uint32_t> ParseStrictDottedQuad(std::string_view text) {
    std::uint32_t address = 0;
    std::size_t start = 0;
    for (int i = 0; i < 4; ++i) {
        const std::size_t dot = text.find('.', start);
        if ((i < 3) == (dot == std::string_view::npos)) {
            return std::nullopt;
        }
        const std::string_view part = text.substr(start, i < 3 ? dot - start : std::string_view::npos);
        if (part.empty() || part.size() > 3 || (part.size() > 1 && part[0] == '0') ||
            !std::all_of(part.begin(), part.end(), IsDigit)) {
            return std::nullopt;
        }
        unsigned value = 0;
        for (const char c : part) {
            value = value * 10 + static_cast<unsigned>(c - '0');
        }
        if (value > 255) {
            return std::nullopt;
        }
        address = (address << 8) | value;
        start = dot + 1;
    }
    return address;
}

std::optional<IpAddress> ParseIpv6(std::string_view text) {
    if (text.size() < 2 || text.find('%') != std::string_view::npos) {
        return std::nullopt;  // zone ids are refused: they select an interface, i.e. a local network
    }
    std::array<std::uint16_t, 8> head{};
    std::array<std::uint16_t, 8> tail{};
    std::size_t head_count = 0;
    std::size_t tail_count = 0;
    bool compressed = false;
    std::size_t i = 0;
    if (text.substr(0, 2) == "::") {
        compressed = true;
        i = 2;
    } else if (text.front() == ':') {
        return std::nullopt;
    }
    auto push = [&](std::uint16_t group) {
        auto& groups = compressed ? tail : head;
        auto& count = compressed ? tail_count : head_count;
        if (head_count + tail_count >= 8) {
            return false;
        }
        groups[count++] = group;
        return true;
    };
    while (i < text.size()) {
        const std::size_t colon = text.find(':', i);
        const std::string_view token = text.substr(i, colon == std::string_view::npos ? colon : colon - i);
        if (token.find('.') != std::string_view::npos) {
            const auto v4 = ParseStrictDottedQuad(token);
            if (colon != std::string_view::npos || !v4 || !push(static_cast<std::uint16_t>(*v4 >> 16)) ||
                !push(static_cast<std::uint16_t>(*v4 & 0xFFFF))) {
                return std::nullopt;
            }
            break;
        }
        if (token.empty() || token.size() > 4) {
            return std::nullopt;
        }
        unsigned group = 0;
        for (const char c : token) {
            const int digit = HexValue(c);
            if (digit < 0) {
                return std::nullopt;
            }
            group = group * 16 + static_cast<unsigned>(digit);
        }
        if (!push(static_cast<std::uint16_t>(group))) {
            return std::nullopt;
        }
        if (colon == std::string_view::npos) {
            break;
        }
        if (colon + 1 < text.size() && text[colon + 1] == ':') {
            if (compressed) {
                return std::nullopt;  // a second "::"
            }
            compressed = true;
            i = colon + 2;
        } else {
            i = colon + 1;
            if (i == text.size()) {
                return std::nullopt;  // a trailing single ':'
            }
        }
    }
    const std::size_t total = head_count + tail_count;
    if (compressed ? total > 7 : total != 8) {
        return std::nullopt;
    }
    std::array<std::uint16_t, 8> groups{};
    std::copy_n(head.begin(), head_count, groups.begin());
    std::copy_n(tail.begin(), tail_count, groups.begin() + static_cast<std::ptrdiff_t>(8 - tail_count));
    IpAddress address{};
    for (std::size_t g = 0; g < 8; ++g) {
        address[2 * g] = static_cast<std::uint8_t>(groups[g] >> 8);
        address[2 * g + 1] = static_cast<std::uint8_t>(groups[g] & 0xFF);
    }
    return address;
}

IpAddress MapIpv4(std::uint32_t v4) {
    IpAddress address{};
    address[10] = 0xFF;
    address[11] = 0xFF;
    for (std::size_t i = 0; i < 4; ++i) {
        address[12 + i] = static_cast<std::uint8_t>(v4 >> (24 - 8 * i));
    }
    return address;
}

std::uint32_t ReadIpv4(const IpAddress& ip, std::size_t offset) {
    std::uint32_t v4 = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        v4 = (v4 << 8) | ip[offset + i];
    }
    return v4;
}

bool HasPrefix(const IpAddress& ip, std::initializer_list<std::uint8_t> prefix, unsigned bits) {
    unsigned checked = 0;
    std::size_t i = 0;
    for (const std::uint8_t byte : prefix) {
        const unsigned take = std::min(8U, bits - checked);
        const auto mask = static_cast<std::uint8_t>(0xFF00U >> take);
        if ((ip[i] & mask) != (byte & mask)) {
            return false;
        }
        checked += take;
        ++i;
        if (checked == bits) {
            break;
        }
    }
    return true;
}

bool IsIpv4Mapped(const IpAddress& ip) {
    return HasPrefix(ip, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF}, 96);
}

bool InIpv4Net(std::uint32_t v4, std::uint32_t network, unsigned bits) {
    const std::uint32_t mask = bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits);
    return (v4 & mask) == network;
}

constexpr std::uint32_t Ipv4(std::uint32_t a, std::uint32_t b, std::uint32_t c, std::uint32_t d) {
    return (a << 24) | (b << 16) | (c << 8) | d;
}

/// The kind of a forbidden IPv4 address, with its article ("a loopback address"); nullopt when public.
std::optional<std::string_view> ClassifyIpv4(std::uint32_t v4) {
    struct Range {
        std::uint32_t network;
        unsigned bits;
        std::string_view kind;
    };

    static constexpr std::array<Range, 16> kRanges{{
        {Ipv4(0, 0, 0, 0), 8, "an unspecified address"},
        {Ipv4(127, 0, 0, 0), 8, "a loopback address"},
        {Ipv4(10, 0, 0, 0), 8, "a private address"},
        {Ipv4(172, 16, 0, 0), 12, "a private address"},
        {Ipv4(192, 168, 0, 0), 16, "a private address"},
        {Ipv4(169, 254, 0, 0), 16, "a link-local address"},
        {Ipv4(100, 64, 0, 0), 10, "a carrier-grade NAT address"},
        {Ipv4(192, 0, 0, 0), 24, "a reserved address"},     // IETF protocol assignments
        {Ipv4(192, 0, 2, 0), 24, "a reserved address"},     // TEST-NET-1
        {Ipv4(198, 51, 100, 0), 24, "a reserved address"},  // TEST-NET-2
        {Ipv4(203, 0, 113, 0), 24, "a reserved address"},   // TEST-NET-3
        {Ipv4(198, 18, 0, 0), 15, "a reserved address"},    // benchmarking
        {Ipv4(224, 0, 0, 0), 4, "a multicast address"},
        {Ipv4(255, 255, 255, 255), 32, "a broadcast address"},
        {Ipv4(240, 0, 0, 0), 4, "a reserved address"},
        {Ipv4(192, 88, 99, 0), 24, "a reserved address"},  // deprecated 6to4 relay anycast
    }};
    for (const auto& range : kRanges) {
        if (InIpv4Net(v4, range.network, range.bits)) {
            return range.kind;
        }
    }
    return std::nullopt;
}

std::string FormatIpv4(std::uint32_t v4) {
    return std::to_string(v4 >> 24) + "." + std::to_string((v4 >> 16) & 0xFF) + "." + std::to_string((v4 >> 8) & 0xFF) +
           "." + std::to_string(v4 & 0xFF);
}

/// "<address> is <kind>", or "<address> embeds <v4>, <kind>"; nullopt when the address is allowed.
std::optional<std::string> Reason(const IpAddress& ip) {
    const std::string text = FormatAddress(ip);
    auto is = [&](std::string_view kind) {
        return std::optional<std::string>(text + " is " + std::string(kind));
    };
    auto embedded = [&](std::uint32_t v4) -> std::optional<std::string> {
        if (const auto kind = ClassifyIpv4(v4)) {
            return text + " embeds " + FormatIpv4(v4) + ", " + std::string(*kind);
        }
        return std::nullopt;
    };

    if (IsIpv4Mapped(ip)) {
        if (const auto kind = ClassifyIpv4(ReadIpv4(ip, 12))) {
            return is(*kind);
        }
        return std::nullopt;
    }
    if (HasPrefix(ip, {0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0}, 96)) {
        return embedded(ReadIpv4(ip, 12));  // NAT64 well-known prefix
    }
    if (HasPrefix(ip, {0x00, 0x64, 0xFF, 0x9B, 0x00, 0x01}, 48)) {
        return is("a local-use NAT64 address");
    }
    if (HasPrefix(ip, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 128)) {
        return is("an unspecified address");
    }
    if (HasPrefix(ip, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128)) {
        return is("a loopback address");
    }
    if (HasPrefix(ip, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 96)) {
        if (auto reason = embedded(ReadIpv4(ip, 12))) {
            return reason;  // deprecated IPv4-compatible form
        }
        return is("a reserved address");
    }
    if (HasPrefix(ip, {0x20, 0x02}, 16)) {
        return embedded(ReadIpv4(ip, 2));  // 6to4
    }
    if (HasPrefix(ip, {0x20, 0x01, 0x00, 0x00}, 32)) {
        // Teredo: the server's IPv4 address in bits 32-63, the client's inverted in the last 32 bits.
        if (auto reason = embedded(ReadIpv4(ip, 4))) {
            return reason;
        }
        return embedded(~ReadIpv4(ip, 12));
    }
    if (HasPrefix(ip, {0x20, 0x01, 0x0D, 0xB8}, 32)) {
        return is("a reserved address");  // documentation
    }
    if (HasPrefix(ip, {0xFD, 0x00, 0x0E, 0xC2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54}, 128)) {
        return is("a cloud metadata address");  // AWS IMDS over IPv6
    }
    if (HasPrefix(ip, {0xFC}, 7)) {
        return is("a unique local address");
    }
    if (HasPrefix(ip, {0xFE, 0x80}, 10)) {
        return is("a link-local address");
    }
    if (HasPrefix(ip, {0xFE, 0xC0}, 10)) {
        return is("a site-local address");
    }
    if (HasPrefix(ip, {0xFF}, 8)) {
        return is("a multicast address");
    }
    if (!HasPrefix(ip, {0x20}, 3)) {
        return is("a reserved address");  // outside global unicast 2000::/3
    }
    return std::nullopt;
}

/// WHATWG's "ends in a number": such a host is an IPv4 literal or invalid, never a name for DNS.
bool EndsInNumber(std::string_view host) {
    const std::size_t dot = host.rfind('.');
    const std::string_view last = dot == std::string_view::npos ? host : host.substr(dot + 1);
    if (last.empty()) {
        return false;
    }
    if (std::all_of(last.begin(), last.end(), IsDigit)) {
        return true;
    }
    return last.size() >= 2 && last[0] == '0' && last[1] == 'x' &&
           std::all_of(last.begin() + 2, last.end(), [](char c) { return HexValue(c) >= 0; });
}

std::string PercentEncodeTarget(std::string_view target) {
    static constexpr std::string_view kHex = "0123456789ABCDEF";
    std::string out;
    out.reserve(target.size());
    for (const char c : target) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte == ' ' || byte >= 0x80) {
            out.push_back('%');
            out.push_back(kHex[byte >> 4]);
            out.push_back(kHex[byte & 0x0F]);
        } else {
            out.push_back(c);
        }
    }
    return out;
}

}  // namespace

ParsedUrl ParseHttpUrl(std::string_view url) {
    auto is_space = [](char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
    };
    while (!url.empty() && is_space(url.front())) {
        url.remove_prefix(1);
    }
    while (!url.empty() && is_space(url.back())) {
        url.remove_suffix(1);
    }
    if (url.empty()) {
        FailUrl("empty");
    }
    if (url.size() > kMaxUrlLength) {
        FailUrl("longer than " + std::to_string(kMaxUrlLength) + " characters");
    }
    for (const char c : url) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7F) {
            FailUrl("contains control characters");
        }
        if (c == '\\') {
            FailUrl("contains a backslash");
        }
    }
    const std::size_t scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) {
        FailUrl("not an absolute http or https URL");
    }
    ParsedUrl parsed;
    parsed.scheme = Lower(url.substr(0, scheme_end));
    if (parsed.scheme == "http") {
        parsed.port = 80;
    } else if (parsed.scheme == "https") {
        parsed.port = 443;
    } else {
        FailUrl("scheme must be http or https");
    }

    const std::string_view rest = url.substr(scheme_end + 3);
    const std::size_t authority_end = rest.find_first_of("/?#");
    const std::string_view authority = rest.substr(0, authority_end);
    if (authority.find('@') != std::string_view::npos) {
        FailUrl("credentials (user@host) are not allowed");
    }
    if (authority.empty()) {
        FailUrl("missing host");
    }

    std::string_view host;
    std::string_view after_host;
    if (authority.front() == '[') {
        const std::size_t close = authority.find(']');
        if (close == std::string_view::npos) {
            FailUrl("unterminated IPv6 literal");
        }
        host = authority.substr(1, close - 1);
        after_host = authority.substr(close + 1);
        if (host.find('%') != std::string_view::npos) {
            FailUrl("IPv6 zone ids are not allowed");
        }
        if (!ParseIpv6(host)) {
            FailUrl("invalid IPv6 literal");
        }
    } else {
        const std::size_t colon = authority.find(':');
        host = authority.substr(0, colon);
        after_host = colon == std::string_view::npos ? std::string_view() : authority.substr(colon);
        if (host.empty()) {
            FailUrl("missing host");
        }
        if (!std::all_of(host.begin(), host.end(), IsHostNameChar)) {
            FailUrl("invalid character in host");
        }
    }
    if (!after_host.empty()) {
        const std::string_view port = after_host.substr(1);
        if (after_host.front() != ':' || port.empty() || port.size() > 5 ||
            !std::all_of(port.begin(), port.end(), IsDigit)) {
            FailUrl("invalid port");
        }
        unsigned value = 0;
        for (const char c : port) {
            value = value * 10 + static_cast<unsigned>(c - '0');
        }
        if (value == 0 || value > 65535) {
            FailUrl("invalid port");
        }
        parsed.port = static_cast<std::uint16_t>(value);
    }
    parsed.host = Lower(host);

    std::string_view target = authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
    target = target.substr(0, target.find('#'));
    parsed.target = PercentEncodeTarget(target);
    if (parsed.target.empty() || parsed.target.front() == '?') {
        parsed.target.insert(0, "/");
    }
    return parsed;
}

std::optional<IpAddress> ParseIpLiteral(std::string_view host) {
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        return ParseIpv6(host.substr(1, host.size() - 2));
    }
    if (host.find(':') != std::string_view::npos) {
        return ParseIpv6(host);
    }
    if (const auto v4 = ParseIpv4(host)) {
        return MapIpv4(*v4);
    }
    return std::nullopt;
}

bool IsForbiddenAddress(const IpAddress& ip) {
    return Reason(ip).has_value();
}

std::string FormatAddress(const IpAddress& ip) {
    if (IsIpv4Mapped(ip)) {
        return FormatIpv4(ReadIpv4(ip, 12));
    }
    std::array<unsigned, 8> groups{};
    for (std::size_t g = 0; g < 8; ++g) {
        groups[g] = (static_cast<unsigned>(ip[2 * g]) << 8) | ip[2 * g + 1];
    }
    // RFC 5952: compress the longest run (the first on a tie) of two or more zero groups.
    std::size_t best_start = 8;
    std::size_t best_length = 1;
    for (std::size_t g = 0; g < 8;) {
        if (groups[g] != 0) {
            ++g;
            continue;
        }
        std::size_t end = g;
        while (end < 8 && groups[end] == 0) {
            ++end;
        }
        if (end - g > best_length) {
            best_start = g;
            best_length = end - g;
        }
        g = end;
    }
    static constexpr std::string_view kHex = "0123456789abcdef";
    std::string out;
    for (std::size_t g = 0; g < 8; ++g) {
        if (g == best_start) {
            out += "::";
            g += best_length - 1;
            continue;
        }
        if (!out.empty() && out.back() != ':') {
            out.push_back(':');
        }
        bool leading = true;
        for (int shift = 12; shift >= 0; shift -= 4) {
            const unsigned nibble = (groups[g] >> shift) & 0xF;
            if (nibble != 0 || !leading || shift == 0) {
                out.push_back(kHex[nibble]);
                leading = false;
            }
        }
    }
    return out;
}

AddressPolicy::AddressPolicy(std::vector<std::string> allowed_private_hosts)
    : allowed_private_hosts_(std::move(allowed_private_hosts)) {
    for (auto& host : allowed_private_hosts_) {
        host = NormalizeHost(host);
    }
}

bool AddressPolicy::HostAllowedByName(std::string_view host) const {
    const std::string normalized = NormalizeHost(host);
    if (normalized.empty()) {
        return false;
    }
    return std::find(allowed_private_hosts_.begin(), allowed_private_hosts_.end(), normalized) !=
           allowed_private_hosts_.end();
}

std::optional<std::string> AddressPolicy::Check(std::string_view host, const IpAddress& resolved) const {
    if (HostAllowedByName(host)) {
        return std::nullopt;
    }
    return Reason(resolved);
}

std::optional<std::string> AddressPolicy::CheckLiteralOrName(std::string_view host) const {
    if (HostAllowedByName(host)) {
        return std::nullopt;
    }
    if (const auto ip = ParseIpLiteral(host)) {
        return Reason(*ip);
    }
    const std::string name = NormalizeHost(host);
    if (name.empty()) {
        return "empty host";
    }
    if (!std::all_of(name.begin(), name.end(), IsHostNameChar) || name.front() == '.' ||
        name.find("..") != std::string::npos) {
        return Printable(host) + " is not a valid host name";
    }
    if (EndsInNumber(name)) {
        return Printable(host) + " is not a valid IPv4 address";
    }
    if (name == "localhost" || name.ends_with(".localhost")) {
        return Printable(host) + " is a loopback name";
    }
    if (name == "metadata.google.internal") {
        return Printable(host) + " is a cloud metadata name";
    }
    return std::nullopt;
}

}  // namespace agentos::tools
