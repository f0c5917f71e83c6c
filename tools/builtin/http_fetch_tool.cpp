#include "tools/builtin/http_fetch_tool.hpp"

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/core/error.hpp"
#include "tools/builtin/calculator.hpp"
#include "tools/http_tool.hpp"

namespace agentos::tools {
namespace {

using SteadyClock = std::chrono::steady_clock;

/// Why a fetch stopped; the message is what the model sees.
class FetchError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A URL that passed the policy: what to send, and the checked address to connect to.
struct CheckedHop {
    std::string url;
    std::string connect_address;
};

bool IsRedirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

bool IsHexDigit(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/// The target with every character a strict URL parser refuses percent-encoded; '%' stays only before two hex
/// digits. ParseHttpUrl has already encoded spaces and non-ASCII bytes and dropped the fragment.
std::string StrictTarget(std::string_view target) {
    static constexpr std::string_view kAllowed = "-._~!$&'()*+,;=:@/?";
    static constexpr std::string_view kHex = "0123456789ABCDEF";
    std::string out;
    out.reserve(target.size());
    for (std::size_t i = 0; i < target.size(); ++i) {
        const char c = target[i];
        const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                           kAllowed.find(c) != std::string_view::npos;
        const bool escape = c == '%' && i + 2 < target.size() && IsHexDigit(target[i + 1]) && IsHexDigit(target[i + 2]);
        if (plain || escape) {
            out.push_back(c);
        } else {
            const auto byte = static_cast<unsigned char>(c);
            out.push_back('%');
            out.push_back(kHex[byte >> 4]);
            out.push_back(kHex[byte & 0x0F]);
        }
    }
    return out;
}

/// scheme://host[:port], the port only when it is not the scheme's default.
std::string Origin(const ParsedUrl& url) {
    const bool ipv6 = url.host.find(':') != std::string::npos;
    std::string out = url.scheme + "://" + (ipv6 ? "[" + url.host + "]" : url.host);
    if (url.port != (url.scheme == "https" ? 443 : 80)) {
        out += ":" + std::to_string(url.port);
    }
    return out;
}

/// A redirect's Location against the URL that answered (absolute, scheme-relative, absolute-path, query-only and
/// relative-path references).
std::string ResolveLocation(const std::string& base, std::string_view location) {
    location = detail::Trim(location);
    const std::size_t special = location.find_first_of(":/?#");
    if (special != std::string_view::npos && special > 0 && location[special] == ':') {
        return std::string(location);  // has a scheme
    }
    const std::size_t scheme_end = base.find("://");
    const std::size_t path_start = base.find('/', scheme_end + 3);  // hop URLs always have a path
    const std::string origin = base.substr(0, path_start);
    const std::string path_and_query = base.substr(path_start);
    const std::string path = path_and_query.substr(0, path_and_query.find('?'));
    if (location.empty() || location.front() == '#') {
        return base;
    }
    if (location.starts_with("//")) {
        return base.substr(0, scheme_end + 1) + std::string(location);
    }
    if (location.front() == '/') {
        return origin + std::string(location);
    }
    if (location.front() == '?') {
        return origin + path + std::string(location);
    }
    return origin + path.substr(0, path.rfind('/') + 1) + std::string(location);
}

std::string Bytes(std::size_t bytes) {
    constexpr std::size_t kMiB = std::size_t{1} << 20;
    if (bytes % kMiB == 0) {
        return std::to_string(bytes / kMiB) + " MiB";
    }
    return std::to_string(bytes) + " bytes";
}

std::chrono::milliseconds Remaining(SteadyClock::time_point deadline) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
}

/// `refused` prefixes every refusal: "refused: " for the first URL, "refused redirect to <url>: " after that.
ParsedUrl ParseOrRefuse(const std::string& url, const std::string& refused, bool redirect) {
    try {
        return ParseHttpUrl(url);
    } catch (const core::Error& e) {
        throw FetchError(redirect ? refused + e.what() : std::string(e.what()));
    }
}

/// Parses and checks one hop; connects only to what passed. Throws FetchError.
net::awaitable<CheckedHop> CheckHop(
    std::string url,
    bool redirect,
    outbound::HttpClient& http,
    const AddressPolicy& policy,
    SteadyClock::time_point deadline,
    HttpFetchLimits limits
) {
    const std::string refused =
        redirect ? "refused redirect to " + detail::Utf8Prefix(url, 300) + ": " : std::string("refused: ");
    const ParsedUrl parsed = ParseOrRefuse(url, refused, redirect);
    if (const auto reason = policy.CheckLiteralOrName(parsed.host)) {
        throw FetchError(refused + *reason);
    }
    CheckedHop hop{Origin(parsed) + StrictTarget(parsed.target), ""};
    if (const auto literal = ParseIpLiteral(parsed.host)) {
        hop.connect_address = FormatAddress(*literal);
        co_return hop;
    }
    std::vector<std::string> addresses;
    std::optional<std::string> failure;
    try {
        addresses = co_await http.Resolve(parsed.host, parsed.port);
    } catch (const outbound::TransportError& e) {
        failure = e.what();
    }
    if (failure) {
        throw FetchError(*failure);
    }
    if (Remaining(deadline).count() <= 0) {
        throw FetchError("timed out after " + detail::Seconds(limits.timeout));
    }
    if (addresses.empty()) {
        throw FetchError("cannot resolve " + parsed.host + ": no addresses");
    }
    std::optional<IpAddress> first;
    for (const auto& text : addresses) {
        const auto ip = ParseIpLiteral(text);
        if (!ip) {
            throw FetchError(refused + parsed.host + " resolves to " + text + ", which cannot be checked");
        }
        if (const auto reason = policy.Check(parsed.host, *ip)) {
            throw FetchError(refused + parsed.host + " resolves to a forbidden address (" + *reason + ")");
        }
        if (!first) {
            first = ip;
        }
    }
    hop.connect_address = FormatAddress(*first);
    co_return hop;
}

/// The whole fetch, redirects included. Throws FetchError.
net::awaitable<ToolOutcome> Fetch(
    std::string url, outbound::HttpClient& http, const AddressPolicy& policy, HttpFetchLimits limits
) {
    const auto deadline = SteadyClock::now() + limits.timeout;
    const std::string timed_out = "timed out after " + detail::Seconds(limits.timeout);
    for (int redirects = 0;; ++redirects) {
        const CheckedHop hop = co_await CheckHop(url, redirects > 0, http, policy, deadline, limits);
        outbound::HttpRequest request;
        request.method = "GET";
        request.url = hop.url;
        request.connect_address = hop.connect_address;
        request.headers = {{"Accept", "text/html,application/xhtml+xml,application/json,text/plain;q=0.9,*/*;q=0.8"}};
        request.timeout = Remaining(deadline);
        request.max_body_bytes = limits.max_body_bytes;
        if (request.timeout.count() <= 0) {
            throw FetchError(timed_out);
        }
        outbound::HttpResponse response;
        std::optional<std::string> failure;
        try {
            response = co_await http.Send(std::move(request));
        } catch (const outbound::TransportError& e) {
            switch (e.kind()) {
                case outbound::TransportError::Kind::kTimeout:
                    failure = timed_out;
                    break;
                case outbound::TransportError::Kind::kTooLarge:
                    failure = "the response body is larger than " + Bytes(limits.max_body_bytes);
                    break;
                case outbound::TransportError::Kind::kConnect:
                case outbound::TransportError::Kind::kTls:
                case outbound::TransportError::Kind::kProtocol:
                    failure = e.what();
                    break;
            }
        } catch (const core::Error& e) {
            failure = e.what();
        }
        if (failure) {
            throw FetchError(*failure);
        }
        if (IsRedirect(response.status)) {
            const auto location = response.Header("location");
            if (location && !detail::Trim(*location).empty()) {
                if (redirects >= limits.max_redirects) {
                    throw FetchError("too many redirects (more than " + std::to_string(limits.max_redirects) + ")");
                }
                url = ResolveLocation(hop.url, *location);
                continue;
            }
        }
        bool truncated = false;
        nlohmann::json output{
            {"status", response.status},
            {"content_type", detail::Utf8Prefix(response.Header("content-type").value_or(""), 1000)},
            {"body", detail::Utf8Prefix(response.body, limits.max_text_bytes, &truncated)},
            {"url", hop.url},
        };
        if (truncated) {
            output["truncated"] = true;
        }
        co_return ToolOutcome{std::move(output), false};
    }
}

}  // namespace

HttpFetchTool::HttpFetchTool(
    spec::ToolSpec tool_spec, outbound::HttpClient& http, AddressPolicy policy, HttpFetchLimits limits
)
    : spec_(std::move(tool_spec)), http_(&http), policy_(std::move(policy)), limits_(limits) {
    if (spec_.description.empty()) {
        spec_.description =
            "Fetches a public web page or file with HTTP GET (following up to 5 redirects) and returns its status, "
            "content type and text. Private, loopback and cloud-metadata addresses are refused.";
    }
    spec_.parameters = {
        {"type", "object"},
        {"properties", {{"url", {{"type", "string"}, {"description", "An absolute http:// or https:// URL"}}}}},
        {"required", nlohmann::json::array({"url"})},
    };
}

net::awaitable<ToolOutcome> HttpFetchTool::Call(nlohmann::json args, ToolCallContext /*context*/) {
    if (!args.is_object() || !args.contains("url") || !args["url"].is_string()) {
        co_return ToolOutcome::Error("url: required, a string");
    }
    // Assigned inside the try and returned after it: see detail::SendForTool about g++ 12.
    ToolOutcome outcome;
    std::string failure;
    try {
        outcome = co_await Fetch(args["url"].get<std::string>(), *http_, policy_, limits_);
    } catch (const FetchError& e) {
        failure = e.what();
    }
    if (!failure.empty()) {
        co_return ToolOutcome::Error(failure);
    }
    co_return outcome;
}

}  // namespace agentos::tools
