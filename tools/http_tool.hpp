#pragma once
/// HttpTool: a tool defined in YAML with `http:` — one templated HTTP request per call. The URL's substituted values
/// are percent-encoded (an argument can never change the host), headers are templated text and the body a JSON
/// template. Also the response rules it shares with the webhook tool (detail::SendForTool). Immutable after
/// construction; concurrent calls are fine.

#include <chrono>
#include <cstddef>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/net/http_client.hpp"
#include "runtime/template/template.hpp"
#include "tools/tool.hpp"

namespace agentos::tools {

/// Longest response body the http and webhook tools read; a longer one is a tool error.
inline constexpr std::size_t kHttpToolMaxBodyBytes = std::size_t{5} << 20;

/// Longest text (non-JSON) body the model gets from the http and webhook tools.
inline constexpr std::size_t kHttpToolMaxTextBytes = std::size_t{64} << 10;

class HttpTool final : public Tool {
public:
    /// tool_spec.kind must be kHttp. Throws core::Error (kValidation) for a malformed template (the loader has
    /// already refused those).
    HttpTool(spec::ToolSpec tool_spec, outbound::HttpClient& http);

    const spec::ToolSpec& spec() const override { return spec_; }

    /// Renders url, headers and body with {args, input, variables}, sends with timeout_s. 2xx → the JSON body, or
    /// {"status", "body"} when it is not JSON; anything else, a transport failure or an absent template value → a
    /// tool error.
    net::awaitable<ToolOutcome> Call(nlohmann::json args, ToolCallContext context) override;

private:
    spec::ToolSpec spec_;
    outbound::HttpClient* http_;
    templating::Template url_;
    std::vector<std::pair<std::string, templating::Template>> headers_;
};

namespace detail {

/// The parsed header templates of an http or webhook spec; `field` is "http" or "webhook".
std::vector<std::pair<std::string, templating::Template>> ParseHeaders(
    const std::map<std::string, std::string>& headers, std::string_view field
);

/// Renders header templates; refuses names that are not HTTP tokens and values with line breaks or NULs (header
/// injection). Throws core::Error (kValidation) naming the header.
std::vector<std::pair<std::string, std::string>> RenderHeaders(
    const std::vector<std::pair<std::string, templating::Template>>& headers,
    const templating::TemplateScope& scope,
    std::string_view field
);

/// `text` without leading and trailing spaces, tabs, CR and LF.
std::string_view Trim(std::string_view text);

/// "1.5 s": a duration for messages.
std::string Seconds(std::chrono::milliseconds duration);

/// timeout_s as a duration (at least 1 ms).
std::chrono::milliseconds TimeoutOf(double timeout_s);

/// The URL without its query ("https://api.example.com/v1/x?key=…"): query strings often carry API keys, and error
/// messages reach the model.
std::string RedactUrl(std::string_view url);

/// At most `max_bytes` of `text`, cut on a character boundary, with every invalid UTF-8 byte replaced by U+FFFD (so
/// it can go into JSON). `truncated` (if given) tells whether anything was cut off.
std::string Utf8Prefix(
    std::string_view text, std::size_t max_bytes = std::numeric_limits<std::size_t>::max(), bool* truncated = nullptr
);

/// The http/webhook result rules for an answer: 2xx → the JSON body if it parses, else {"status", "body" (at most
/// kHttpToolMaxTextBytes)}; otherwise the error "HTTP <status>: <body excerpt>".
ToolOutcome OutcomeOf(const outbound::HttpResponse& response);

/// Sends and applies OutcomeOf; a transport failure, timeout or unusable URL is a tool error.
net::awaitable<ToolOutcome> SendForTool(outbound::HttpClient& http, outbound::HttpRequest request);

}  // namespace detail

}  // namespace agentos::tools
