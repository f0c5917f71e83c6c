#include "tools/net_guard.hpp"

#include <array>
#include <string>

#include <gtest/gtest.h>

#include "runtime/core/error.hpp"

namespace agentos::tools {
namespace {

IpAddress Ip(std::string_view literal) {
    const auto ip = ParseIpLiteral(literal);
    EXPECT_TRUE(ip.has_value()) << literal;
    return ip.value_or(IpAddress{});
}

/// The message of the core::Error(kValidation) that ParseHttpUrl throws, or "" (and a test failure) when it does not.
std::string UrlErrorOf(std::string_view url) {
    try {
        const ParsedUrl parsed = ParseHttpUrl(url);
        ADD_FAILURE() << "'" << url << "' parsed, host " << parsed.host;
    } catch (const core::Error& e) {
        EXPECT_EQ(e.code(), core::ErrorCode::kValidation) << url;
        EXPECT_EQ(e.details().at("field"), "url") << url;
        return e.what();
    }
    return "";
}

// Every spelling here denotes an address an agent must not reach.
constexpr auto kForbiddenSpellings = std::to_array<std::string_view>({
    // unspecified
    "0",
    "0.0.0.0",
    "0x0",
    "00",
    "0.1.2.3",
    "[::]",
    "::",
    "[0:0:0:0:0:0:0:0]",
    // IPv4 loopback in every spelling inet_aton accepts
    "127.0.0.1",
    "127.1",
    "127.0.1",
    "2130706433",
    "0x7f000001",
    "0X7F000001",
    "0177.0.0.1",
    "0x7f.1",
    "017700000001",
    "127.000.000.001",
    "0x7f.0.0.0x1",
    "0177.0.0.01",
    "0x7f.0x0.0x0.0x1",
    "127.255.255.254",
    "127.0.0.1.",
    "127.65535",
    // IPv6 loopback and the IPv4-mapped / compatible spellings of IPv4 loopback
    "[::1]",
    "::1",
    "[0:0:0:0:0:0:0:1]",
    "[0000:0000:0000:0000:0000:0000:0000:0001]",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[0:0:0:0:0:ffff:127.0.0.1]",
    "[::FFFF:7F00:0001]",
    "[::127.0.0.1]",
    "[::7f00:1]",
    // cloud metadata, link-local
    "169.254.169.254",
    "0xa9fea9fe",
    "2852039166",
    "0251.0376.0251.0376",
    "169.254.43518",
    "0xa9.0xfe.0xa9.0xfe",
    "[::ffff:169.254.169.254]",
    "[::ffff:a9fe:a9fe]",
    "[64:ff9b::a9fe:a9fe]",
    "[64:ff9b::169.254.169.254]",
    "[2002:a9fe:a9fe::]",
    "[2002:a9fe:a9fe:1234::1]",
    "[2001:0:a9fe:a9fe::1]",
    "[fd00:ec2::254]",
    "[fe80::1]",
    "[FE80::1]",
    "fe80::a9fe:a9fe",
    "[febf:ffff::1]",
    // private, CGNAT
    "10.0.0.1",
    "10.255.255.255",
    "012.0.0.1",
    "167772161",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "192.168.0.0",
    "0xc0a80101",
    "192.168.257",
    "[::ffff:10.0.0.1]",
    "[64:ff9b::10.0.0.1]",
    "[2002:c0a8:101::]",
    "100.64.0.1",
    "100.127.255.255",
    "100.100.100.200",
    // IPv6 ULA, site-local
    "[fc00::1]",
    "[fd12:3456:789a::1]",
    "[fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]",
    "[fec0::1]",
    // multicast, broadcast, reserved
    "224.0.0.1",
    "239.255.255.250",
    "255.255.255.255",
    "4294967295",
    "240.0.0.1",
    "192.0.0.192",
    "198.18.0.1",
    "192.0.2.1",
    "[ff02::1]",
    "[ff05::1:3]",
    "[::8.8.8.8]",
    "[64:ff9b:1::a9fe:a9fe]",
    "[100::1]",
    "[2001:db8::1]",
    "[4000::1]",
    // Teredo with an obfuscated client address of 127.0.0.1
    "[2001:0:808:808:0:0:80ff:fffe]",
});

constexpr auto kPublicSpellings = std::to_array<std::string_view>({
    "8.8.8.8",
    "1.1.1.1",
    "134744072",
    "0x08080808",
    "0x8.0x8.0x8.0x8",
    "010.010.010.010",
    "8.8.2056",
    "172.32.0.1",
    "172.15.255.255",
    "100.128.0.1",
    "100.63.255.255",
    "169.253.255.255",
    "169.255.0.1",
    "192.169.0.1",
    "11.0.0.1",
    "126.255.255.255",
    "128.0.0.1",
    "223.255.255.255",
    "2606:4700::1111",
    "[2606:4700::1111]",
    "[2606:4700:4700::1001]",
    "[2a00:1450:4001:82a::200e]",
    "[::ffff:8.8.8.8]",
    "[::ffff:808:808]",
    "[64:ff9b::808:808]",
    "[64:ff9b::1.1.1.1]",
    "[2002:808:808::]",
    "[2001:0:808:808::f7f7:f7f7]",
});

TEST(NetGuard, EveryForbiddenSpellingIsAnIpLiteralThatIsForbidden) {
    ASSERT_GE(kForbiddenSpellings.size(), 40U);
    for (const auto spelling : kForbiddenSpellings) {
        const auto ip = ParseIpLiteral(spelling);
        ASSERT_TRUE(ip.has_value()) << spelling;
        EXPECT_TRUE(IsForbiddenAddress(*ip)) << spelling << " = " << FormatAddress(*ip);
    }
}

TEST(NetGuard, EveryForbiddenSpellingIsRefusedBeforeResolution) {
    const AddressPolicy policy;
    for (const auto spelling : kForbiddenSpellings) {
        const auto reason = policy.CheckLiteralOrName(spelling);
        ASSERT_TRUE(reason.has_value()) << spelling;
        EXPECT_FALSE(reason->empty()) << spelling;
    }
}

TEST(NetGuard, EveryForbiddenAddressIsRefusedAfterResolution) {
    const AddressPolicy policy;
    for (const auto spelling : kForbiddenSpellings) {
        EXPECT_TRUE(policy.Check("attacker.example", Ip(spelling)).has_value()) << spelling;
    }
}

TEST(NetGuard, PublicAddressesAreAllowed) {
    const AddressPolicy policy;
    for (const auto spelling : kPublicSpellings) {
        const auto ip = ParseIpLiteral(spelling);
        ASSERT_TRUE(ip.has_value()) << spelling;
        EXPECT_FALSE(IsForbiddenAddress(*ip)) << spelling << " = " << FormatAddress(*ip);
        EXPECT_EQ(policy.CheckLiteralOrName(spelling), std::nullopt) << spelling;
        EXPECT_EQ(policy.Check("example.com", *ip), std::nullopt) << spelling;
    }
}

TEST(NetGuard, RangeBoundariesAreExact) {
    EXPECT_TRUE(IsForbiddenAddress(Ip("10.0.0.0")));
    EXPECT_FALSE(IsForbiddenAddress(Ip("9.255.255.255")));
    EXPECT_FALSE(IsForbiddenAddress(Ip("11.0.0.0")));
    EXPECT_TRUE(IsForbiddenAddress(Ip("172.16.0.0")));
    EXPECT_FALSE(IsForbiddenAddress(Ip("172.32.0.0")));
    EXPECT_TRUE(IsForbiddenAddress(Ip("100.64.0.0")));
    EXPECT_FALSE(IsForbiddenAddress(Ip("100.128.0.0")));
    EXPECT_TRUE(IsForbiddenAddress(Ip("224.0.0.0")));
    EXPECT_FALSE(IsForbiddenAddress(Ip("223.255.255.255")));
    EXPECT_TRUE(IsForbiddenAddress(Ip("[fc00::]")));
    EXPECT_TRUE(IsForbiddenAddress(Ip("[fdff::]")));
    EXPECT_EQ(  // outside fc00::/7, but also outside global unicast 2000::/3
        AddressPolicy().CheckLiteralOrName("[fbff:ffff::1]"),
        "fbff:ffff::1 is a reserved address"
    );
    EXPECT_TRUE(IsForbiddenAddress(Ip("[febf::1]")));
    EXPECT_FALSE(IsForbiddenAddress(Ip("[2000::1]")));
    EXPECT_FALSE(IsForbiddenAddress(Ip("[3fff:ffff::1]")));
}

TEST(NetGuard, ReasonsNameTheAddressAndItsKind) {
    const AddressPolicy policy;
    EXPECT_EQ(policy.CheckLiteralOrName("169.254.169.254"), "169.254.169.254 is a link-local address");
    EXPECT_EQ(policy.CheckLiteralOrName("0x7f.1"), "127.0.0.1 is a loopback address");
    EXPECT_EQ(policy.CheckLiteralOrName("[::1]"), "::1 is a loopback address");
    EXPECT_EQ(policy.CheckLiteralOrName("0"), "0.0.0.0 is an unspecified address");
    EXPECT_EQ(policy.CheckLiteralOrName("[::]"), ":: is an unspecified address");
    EXPECT_EQ(policy.CheckLiteralOrName("10.0.0.1"), "10.0.0.1 is a private address");
    EXPECT_EQ(policy.CheckLiteralOrName("100.64.0.1"), "100.64.0.1 is a carrier-grade NAT address");
    EXPECT_EQ(policy.CheckLiteralOrName("[fc00::1]"), "fc00::1 is a unique local address");
    EXPECT_EQ(policy.CheckLiteralOrName("[fe80::1]"), "fe80::1 is a link-local address");
    EXPECT_EQ(policy.CheckLiteralOrName("[fd00:ec2::254]"), "fd00:ec2::254 is a cloud metadata address");
    EXPECT_EQ(policy.CheckLiteralOrName("224.0.0.1"), "224.0.0.1 is a multicast address");
    EXPECT_EQ(policy.CheckLiteralOrName("[ff02::1]"), "ff02::1 is a multicast address");
    EXPECT_EQ(policy.CheckLiteralOrName("255.255.255.255"), "255.255.255.255 is a broadcast address");
    EXPECT_EQ(policy.CheckLiteralOrName("240.0.0.1"), "240.0.0.1 is a reserved address");
    EXPECT_EQ(policy.CheckLiteralOrName("[::ffff:169.254.169.254]"), "169.254.169.254 is a link-local address");
    EXPECT_EQ(
        policy.CheckLiteralOrName("[2002:a9fe:a9fe::]"), "2002:a9fe:a9fe:: embeds 169.254.169.254, a link-local address"
    );
    EXPECT_EQ(
        policy.CheckLiteralOrName("[64:ff9b::a9fe:a9fe]"),
        "64:ff9b::a9fe:a9fe embeds 169.254.169.254, a link-local address"
    );
    EXPECT_EQ(policy.CheckLiteralOrName("[::7f00:1]"), "::7f00:1 embeds 127.0.0.1, a loopback address");
    EXPECT_EQ(policy.Check("db.internal", Ip("192.168.1.1")), "192.168.1.1 is a private address");
}

TEST(NetGuard, ParsesShortAndNumericIpv4Forms) {
    EXPECT_EQ(FormatAddress(Ip("1.2.3.4")), "1.2.3.4");
    EXPECT_EQ(FormatAddress(Ip("1.2.3")), "1.2.0.3");
    EXPECT_EQ(FormatAddress(Ip("1.2")), "1.0.0.2");
    EXPECT_EQ(FormatAddress(Ip("1.65535")), "1.0.255.255");
    EXPECT_EQ(FormatAddress(Ip("1.2.65535")), "1.2.255.255");
    EXPECT_EQ(FormatAddress(Ip("16909060")), "1.2.3.4");
    EXPECT_EQ(FormatAddress(Ip("0x01020304")), "1.2.3.4");
    EXPECT_EQ(FormatAddress(Ip("0100.0.0.1")), "64.0.0.1");
    EXPECT_EQ(FormatAddress(Ip("0x.0.0.1")), "0.0.0.1");
    EXPECT_EQ(FormatAddress(Ip("4294967295")), "255.255.255.255");
    EXPECT_EQ(FormatAddress(Ip("037777777777")), "255.255.255.255");
    EXPECT_EQ(FormatAddress(Ip("8.8.8.8.")), "8.8.8.8");
}

TEST(NetGuard, IpLiteralsMapIpv4IntoIpv6) {
    const IpAddress expected{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 127, 0, 0, 1};
    EXPECT_EQ(Ip("127.0.0.1"), expected);
    EXPECT_EQ(Ip("::ffff:127.0.0.1"), expected);
    EXPECT_EQ(Ip("[::ffff:7f00:1]"), expected);
}

TEST(NetGuard, RefusesInvalidIpv4Literals) {
    for (const std::string_view text : {
             "256.0.0.1",
             "1.2.3.256",
             "1.2.3.4.5",
             "1.256.65535",
             "1.16777216",
             "4294967296",
             "0x100000000",
             "99999999999999999999999",
             "08.0.0.1",
             "0x1g",
             "1..2",
             ".1.2.3",
             "1.2.3.4..",
             "",
             ".",
             "-1",
             "+1",
             "1.2.3.-4",
         }) {
        EXPECT_EQ(ParseIpLiteral(text), std::nullopt) << text;
    }
}

TEST(NetGuard, RefusesInvalidIpv6LiteralsAndZoneIds) {
    for (const std::string_view text : {
             "[fe80::1%eth0]",
             "fe80::1%25eth0",
             "[fe80::1%25]",
             "1::2::3",
             ":1::",
             "1:::",
             ":::",
             "1:2:3:4:5:6:7:8:9",
             "1:2:3:4:5:6:7",
             "1:2:3:4:5:6:7:8::",
             "::1:2:3:4:5:6:7:8",
             "12345::",
             "g::1",
             "1:",
             "[::1",
             "::1]",
             "[]",
             "::ffff:127.0.0.01",
             "::ffff:0177.0.0.1",
             "::ffff:1.2.3",
             "::ffff:1.2.3.4.5",
             "::ffff:256.0.0.1",
             "::1.2.3.4:5",
             "1:2:3:4:5:6:7:1.2.3.4",
         }) {
        EXPECT_EQ(ParseIpLiteral(text), std::nullopt) << text;
    }
}

TEST(NetGuard, AcceptsValidIpv6Spellings) {
    EXPECT_EQ(FormatAddress(Ip("1:2:3:4:5:6:7::")), "1:2:3:4:5:6:7:0");
    EXPECT_EQ(FormatAddress(Ip("::2:3:4:5:6:7:8")), "0:2:3:4:5:6:7:8");
    EXPECT_EQ(FormatAddress(Ip("1:2:3:4:5:6:1.2.3.4")), "1:2:3:4:5:6:102:304");
    EXPECT_EQ(FormatAddress(Ip("[2606:4700::1111]")), "2606:4700::1111");
    EXPECT_EQ(FormatAddress(Ip("2001:DB8::A")), "2001:db8::a");
    EXPECT_EQ(ParseIpLiteral("example.com"), std::nullopt);
    EXPECT_EQ(ParseIpLiteral("localhost"), std::nullopt);
    EXPECT_EQ(ParseIpLiteral("deadbeef"), std::nullopt);
}

TEST(NetGuard, FormatsIpv6AsRfc5952) {
    EXPECT_EQ(FormatAddress(Ip("::")), "::");
    EXPECT_EQ(FormatAddress(Ip("::1")), "::1");
    EXPECT_EQ(FormatAddress(Ip("1::")), "1::");
    EXPECT_EQ(FormatAddress(Ip("2001:0db8:0000:0000:0000:0000:0002:0001")), "2001:db8::2:1");
    EXPECT_EQ(FormatAddress(Ip("2001:db8:0:0:1:0:0:1")), "2001:db8::1:0:0:1");
    EXPECT_EQ(FormatAddress(Ip("2001:db8:0:1:1:1:1:1")), "2001:db8:0:1:1:1:1:1");
    EXPECT_EQ(FormatAddress(Ip("1:0:0:2:0:0:0:3")), "1:0:0:2::3");
    EXPECT_EQ(FormatAddress(Ip("0:0:1::")), "0:0:1::");
    EXPECT_EQ(FormatAddress(Ip("fe80:0:0:0:0:0:0:1")), "fe80::1");
    EXPECT_EQ(FormatAddress(Ip("::ffff:1.2.3.4")), "1.2.3.4");
    EXPECT_EQ(FormatAddress(Ip("abcd:ef01:2345:6789:abcd:ef01:2345:6789")), "abcd:ef01:2345:6789:abcd:ef01:2345:6789");
}

TEST(NetGuard, RefusesLocalAndMetadataNamesBeforeResolution) {
    const AddressPolicy policy;
    EXPECT_EQ(policy.CheckLiteralOrName("localhost"), "localhost is a loopback name");
    EXPECT_EQ(policy.CheckLiteralOrName("LocalHost."), "LocalHost. is a loopback name");
    EXPECT_TRUE(policy.CheckLiteralOrName("app.localhost"));
    EXPECT_TRUE(policy.CheckLiteralOrName("a.b.LOCALHOST"));
    EXPECT_EQ(
        policy.CheckLiteralOrName("metadata.google.internal"), "metadata.google.internal is a cloud metadata name"
    );
    EXPECT_TRUE(policy.CheckLiteralOrName("Metadata.Google.Internal."));
    EXPECT_EQ(policy.CheckLiteralOrName("notlocalhost"), std::nullopt);
    EXPECT_EQ(policy.CheckLiteralOrName("localhost.example.com"), std::nullopt);
}

TEST(NetGuard, RefusesHostsThatAreNeitherNamesNorLiterals) {
    const AddressPolicy policy;
    EXPECT_EQ(policy.CheckLiteralOrName("1.2.3.4.5"), "1.2.3.4.5 is not a valid IPv4 address");
    EXPECT_EQ(policy.CheckLiteralOrName("08.0.0.1"), "08.0.0.1 is not a valid IPv4 address");
    EXPECT_EQ(policy.CheckLiteralOrName("example.0x"), "example.0x is not a valid IPv4 address");
    EXPECT_EQ(policy.CheckLiteralOrName("fe80::1%eth0"), "fe80::1%eth0 is not a valid host name");
    EXPECT_EQ(policy.CheckLiteralOrName("[fe80::1%25eth0]"), "[fe80::1%25eth0] is not a valid host name");
    EXPECT_EQ(policy.CheckLiteralOrName("a b"), "a b is not a valid host name");
    EXPECT_EQ(policy.CheckLiteralOrName("a..b"), "a..b is not a valid host name");
    EXPECT_EQ(policy.CheckLiteralOrName("h\xC3\xA9.com"), "h??.com is not a valid host name");
    EXPECT_EQ(policy.CheckLiteralOrName(""), "empty host");
}

TEST(NetGuard, OrdinaryNamesAreLeftForTheCheckAfterResolution) {
    const AddressPolicy policy;
    EXPECT_EQ(policy.CheckLiteralOrName("example.com"), std::nullopt);
    EXPECT_EQ(policy.CheckLiteralOrName("API.GitHub.com"), std::nullopt);
    EXPECT_EQ(policy.CheckLiteralOrName("my_host.example.com."), std::nullopt);
    EXPECT_EQ(policy.CheckLiteralOrName("1password.com"), std::nullopt);
    EXPECT_EQ(policy.CheckLiteralOrName("0x7f.example.com"), std::nullopt);
    EXPECT_EQ(policy.Check("example.com", Ip("93.184.216.34")), std::nullopt);
    EXPECT_TRUE(policy.Check("example.com", Ip("127.0.0.1")));  // DNS rebinding to loopback
}

TEST(NetGuardAddressPolicy, AllowListMatchesExactlyAndCaseInsensitively) {
    const AddressPolicy policy({"Internal.Example.com", "[FD00::5]", "10.0.0.5."});
    EXPECT_TRUE(policy.HostAllowedByName("internal.example.com"));
    EXPECT_TRUE(policy.HostAllowedByName("INTERNAL.EXAMPLE.COM"));
    EXPECT_TRUE(policy.HostAllowedByName("internal.example.com."));
    EXPECT_TRUE(policy.HostAllowedByName("fd00::5"));
    EXPECT_TRUE(policy.HostAllowedByName("[fd00::5]"));
    EXPECT_TRUE(policy.HostAllowedByName("10.0.0.5"));
    EXPECT_FALSE(policy.HostAllowedByName("sub.internal.example.com"));
    EXPECT_FALSE(policy.HostAllowedByName("internal.example.com.evil.com"));
    EXPECT_FALSE(policy.HostAllowedByName("example.com"));
    EXPECT_FALSE(policy.HostAllowedByName("internal.example.co"));
    EXPECT_FALSE(policy.HostAllowedByName(""));
    EXPECT_FALSE(AddressPolicy().HostAllowedByName("localhost"));
}

TEST(NetGuardAddressPolicy, AllowListedHostsMayResolveToPrivateAddresses) {
    const AddressPolicy policy({"internal.example.com", "localhost", "metadata.google.internal"});
    EXPECT_EQ(policy.Check("internal.example.com", Ip("10.0.0.1")), std::nullopt);
    EXPECT_EQ(policy.Check("INTERNAL.example.com", Ip("192.168.1.1")), std::nullopt);
    EXPECT_EQ(policy.Check("localhost", Ip("127.0.0.1")), std::nullopt);
    EXPECT_EQ(policy.Check("localhost", Ip("::1")), std::nullopt);
    EXPECT_EQ(policy.CheckLiteralOrName("localhost"), std::nullopt);
    EXPECT_EQ(policy.CheckLiteralOrName("metadata.google.internal"), std::nullopt);
    EXPECT_EQ(policy.Check("metadata.google.internal", Ip("169.254.169.254")), std::nullopt);
    // Another name resolving to the same private address is still refused.
    EXPECT_EQ(policy.Check("other.example.com", Ip("10.0.0.1")), "10.0.0.1 is a private address");
    EXPECT_TRUE(policy.CheckLiteralOrName("app.localhost"));
}

TEST(NetGuardAddressPolicy, AllowListedLiteralsAreAllowedOnlyInTheirListedSpelling) {
    const AddressPolicy policy({"10.0.0.5", "fd00::5"});
    EXPECT_EQ(policy.CheckLiteralOrName("10.0.0.5"), std::nullopt);
    EXPECT_EQ(policy.CheckLiteralOrName("[fd00::5]"), std::nullopt);
    EXPECT_EQ(policy.Check("10.0.0.5", Ip("10.0.0.5")), std::nullopt);
    EXPECT_EQ(policy.CheckLiteralOrName("10.0.0.6"), "10.0.0.6 is a private address");
    EXPECT_TRUE(policy.CheckLiteralOrName("0xa000005"));
}

TEST(NetGuardUrl, ParsesHttpAndHttpsUrls) {
    const ParsedUrl a = ParseHttpUrl("https://Example.COM/path/to?q=1&r=2#frag");
    EXPECT_EQ(a.scheme, "https");
    EXPECT_EQ(a.host, "example.com");
    EXPECT_EQ(a.port, 443);
    EXPECT_EQ(a.target, "/path/to?q=1&r=2");

    const ParsedUrl b = ParseHttpUrl("HTTP://example.com");
    EXPECT_EQ(b.scheme, "http");
    EXPECT_EQ(b.port, 80);
    EXPECT_EQ(b.target, "/");

    const ParsedUrl c = ParseHttpUrl("http://example.com:8080?x=1");
    EXPECT_EQ(c.port, 8080);
    EXPECT_EQ(c.target, "/?x=1");

    const ParsedUrl d = ParseHttpUrl("  https://api.example.com:65535/v1  ");
    EXPECT_EQ(d.host, "api.example.com");
    EXPECT_EQ(d.port, 65535);
    EXPECT_EQ(d.target, "/v1");

    EXPECT_EQ(ParseHttpUrl("http://example.com#top").target, "/");
    EXPECT_EQ(ParseHttpUrl("http://example.com/").target, "/");
}

TEST(NetGuardUrl, ParsesIpv6LiteralsInBrackets) {
    const ParsedUrl a = ParseHttpUrl("http://[2606:4700::1111]:8443/x");
    EXPECT_EQ(a.host, "2606:4700::1111");
    EXPECT_EQ(a.port, 8443);
    EXPECT_EQ(a.target, "/x");

    const ParsedUrl b = ParseHttpUrl("https://[::FFFF:127.0.0.1]");
    EXPECT_EQ(b.host, "::ffff:127.0.0.1");
    EXPECT_EQ(b.port, 443);
    EXPECT_TRUE(AddressPolicy().CheckLiteralOrName(b.host));
}

TEST(NetGuardUrl, KeepsNumericHostsForThePolicyToJudge) {
    const AddressPolicy policy;
    for (const std::string_view url : {
             "http://0x7f.1/",
             "http://2130706433/",
             "http://0177.0.0.1:8080/",
             "http://127.0.0.1./",
             "http://LOCALHOST/admin",
             "http://169.254.169.254/latest/meta-data/",
             "http://[::1]/",
             "http://[fd00:ec2::254]/latest/meta-data/",
         }) {
        const ParsedUrl parsed = ParseHttpUrl(url);
        EXPECT_TRUE(policy.CheckLiteralOrName(parsed.host)) << url;
    }
}

TEST(NetGuardUrl, PercentEncodesSpacesAndNonAsciiInTheTarget) {
    EXPECT_EQ(ParseHttpUrl("https://de.wikipedia.org/wiki/K\xC3\xB6ln").target, "/wiki/K%C3%B6ln");
    EXPECT_EQ(ParseHttpUrl("https://example.com/search?q=a b").target, "/search?q=a%20b");
}

TEST(NetGuardUrl, RefusesOtherSchemesAndRelativeUrls) {
    EXPECT_EQ(UrlErrorOf("ftp://example.com/"), "url: scheme must be http or https");
    EXPECT_EQ(UrlErrorOf("file:///etc/passwd"), "url: scheme must be http or https");
    EXPECT_EQ(UrlErrorOf("gopher://127.0.0.1:6379/_"), "url: scheme must be http or https");
    EXPECT_EQ(UrlErrorOf("://example.com"), "url: scheme must be http or https");
    EXPECT_EQ(UrlErrorOf("example.com/path"), "url: not an absolute http or https URL");
    EXPECT_EQ(UrlErrorOf("/relative"), "url: not an absolute http or https URL");
    EXPECT_EQ(UrlErrorOf("http:example.com"), "url: not an absolute http or https URL");
    EXPECT_EQ(UrlErrorOf(""), "url: empty");
    EXPECT_EQ(UrlErrorOf("   "), "url: empty");
}

TEST(NetGuardUrl, RefusesUserinfo) {
    EXPECT_EQ(UrlErrorOf("http://user@example.com/"), "url: credentials (user@host) are not allowed");
    EXPECT_EQ(UrlErrorOf("http://user:pass@example.com/"), "url: credentials (user@host) are not allowed");
    EXPECT_EQ(UrlErrorOf("http://example.com@127.0.0.1/"), "url: credentials (user@host) are not allowed");
    EXPECT_EQ(UrlErrorOf("http://@example.com/"), "url: credentials (user@host) are not allowed");
    EXPECT_EQ(ParseHttpUrl("http://example.com/a@b").host, "example.com");
}

TEST(NetGuardUrl, RefusesBadHosts) {
    EXPECT_EQ(UrlErrorOf("http:///path"), "url: missing host");
    EXPECT_EQ(UrlErrorOf("http://:80/"), "url: missing host");
    EXPECT_EQ(UrlErrorOf("http://exa mple.com/"), "url: invalid character in host");
    EXPECT_EQ(UrlErrorOf("http://127.0.0.%31/"), "url: invalid character in host");
    EXPECT_EQ(UrlErrorOf("http://ex\xC3\xA4mple.com/"), "url: invalid character in host");
    EXPECT_EQ(UrlErrorOf("http://::1/"), "url: missing host");
    EXPECT_EQ(UrlErrorOf("http://[::1/"), "url: unterminated IPv6 literal");
    EXPECT_EQ(UrlErrorOf("http://[fe80::1%25eth0]/"), "url: IPv6 zone ids are not allowed");
    EXPECT_EQ(UrlErrorOf("http://[fe80::1%eth0]/"), "url: IPv6 zone ids are not allowed");
    EXPECT_EQ(UrlErrorOf("http://[example.com]/"), "url: invalid IPv6 literal");
    EXPECT_EQ(UrlErrorOf("http://[]/"), "url: invalid IPv6 literal");
    EXPECT_EQ(UrlErrorOf("http://[::1]x/"), "url: invalid port");
}

TEST(NetGuardUrl, RefusesBadPorts) {
    EXPECT_EQ(UrlErrorOf("http://example.com:/"), "url: invalid port");
    EXPECT_EQ(UrlErrorOf("http://example.com:0/"), "url: invalid port");
    EXPECT_EQ(UrlErrorOf("http://example.com:65536/"), "url: invalid port");
    EXPECT_EQ(UrlErrorOf("http://example.com:123456/"), "url: invalid port");
    EXPECT_EQ(UrlErrorOf("http://example.com:-1/"), "url: invalid port");
    EXPECT_EQ(UrlErrorOf("http://example.com:8o/"), "url: invalid port");
    EXPECT_EQ(UrlErrorOf("http://example.com:80:81/"), "url: invalid port");
    EXPECT_EQ(UrlErrorOf("http://[::1]:99999/"), "url: invalid port");
}

TEST(NetGuardUrl, RefusesControlCharactersAndBackslashes) {
    EXPECT_EQ(UrlErrorOf("http://example.com/\r\nHost: evil"), "url: contains control characters");
    EXPECT_EQ(UrlErrorOf("http://exam\tple.com/"), "url: contains control characters");
    EXPECT_EQ(UrlErrorOf(std::string_view("http://example.com/\0", 20)), "url: contains control characters");
    EXPECT_EQ(UrlErrorOf("http://example.com\\@127.0.0.1/"), "url: contains a backslash");
    EXPECT_EQ(UrlErrorOf("http://example.com/a\\b"), "url: contains a backslash");
}

TEST(NetGuardUrl, RefusesUrlsLongerThanTheLimit) {
    EXPECT_EQ(UrlErrorOf("http://example.com/" + std::string(9000, 'a')), "url: longer than 8192 characters");
}

}  // namespace
}  // namespace agentos::tools
