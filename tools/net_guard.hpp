#pragma once
/// The address policy of the `http_fetch` tool (SSRF guard): URL parsing, every spelling of an IP literal, and the
/// verdict on a host before and after DNS resolution. Pure functions and an immutable policy; safe from any thread.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace agentos::tools {

/// An IPv6 address in network byte order; an IPv4 address is held IPv4-mapped (::ffff:a.b.c.d).
using IpAddress = std::array<std::uint8_t, 16>;

struct ParsedUrl {
    std::string scheme;  ///< "http" or "https"
    std::string host;    ///< lower-cased; an IPv6 literal without its brackets ("::1")
    std::uint16_t port;  ///< explicit, or 80 / 443 by scheme
    std::string target;  ///< path + query, "/" when empty; no fragment; spaces and non-ASCII bytes percent-encoded
};

/// Parses an absolute http(s) URL. Refuses other schemes, userinfo ("user@host"), IPv6 zone ids, bad ports, control
/// characters and backslashes. Throws core::Error(kValidation) "url: <what>".
ParsedUrl ParseHttpUrl(std::string_view url);

/// The address an IP literal denotes, in any spelling a resolver accepts: IPv4 as dotted quad, a single decimal, hex
/// or octal number, short forms ("127.1", "127.0.1") and mixes ("0x7f.0.0.01"); IPv6 with or without brackets,
/// including an embedded dotted quad ("::ffff:127.0.0.1"). Zone ids ("fe80::1%eth0") are refused. nullopt when the
/// host is not an IP literal (a host name, or an invalid literal).
std::optional<IpAddress> ParseIpLiteral(std::string_view host);

/// True for addresses an agent must not reach: unspecified, loopback, private, link-local, CGNAT, ULA, multicast,
/// broadcast, reserved, cloud metadata, and the IPv6 forms that embed a forbidden IPv4 address (mapped, compatible,
/// NAT64, 6to4, Teredo).
bool IsForbiddenAddress(const IpAddress& ip);

/// Dotted quad for an IPv4-mapped address, RFC 5952 text for every other one.
std::string FormatAddress(const IpAddress& ip);

class AddressPolicy {
public:
    /// allowed_private_hosts: host names (or literals) an operator lets agents reach even on private addresses.
    explicit AddressPolicy(std::vector<std::string> allowed_private_hosts = {});

    /// True when the host is in the allow-list (exact match, case-insensitive, ignoring brackets and a trailing dot).
    bool HostAllowedByName(std::string_view host) const;

    /// The verdict on the address `host` resolved to: nullopt = allowed; else the reason, e.g.
    /// "169.254.169.254 is a link-local address". Allow-listed hosts may resolve to any address.
    std::optional<std::string> Check(std::string_view host, const IpAddress& resolved) const;

    /// The verdict before resolution. For an IP literal in any spelling: its verdict. Refuses the names "localhost",
    /// "*.localhost" and "metadata.google.internal", and hosts that are neither a valid name nor a valid literal
    /// ("1.2.3.4.5", "fe80::1%eth0"), unless allow-listed. nullopt for other names, which must then be checked with
    /// Check() on every address they resolve to (connect to the checked address, do not resolve again).
    std::optional<std::string> CheckLiteralOrName(std::string_view host) const;

private:
    std::vector<std::string> allowed_private_hosts_;  ///< normalized: lower-case, no brackets, no trailing dot
};

}  // namespace agentos::tools
