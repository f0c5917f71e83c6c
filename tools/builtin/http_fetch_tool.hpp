#pragma once
/// The `http_fetch` built-in: GET a URL the model chose, behind the SSRF guard of net_guard.hpp. Every hop (the URL
/// and each redirect, at most five) is parsed with ParseHttpUrl, refused by name or literal with
/// AddressPolicy::CheckLiteralOrName, resolved once, every resolved address checked with AddressPolicy::Check, and the
/// request connects to that checked address (so DNS cannot answer differently between the check and the connect).
/// Immutable after construction; concurrent calls are fine.

#include <chrono>
#include <cstddef>

#include <nlohmann/json.hpp>

#include "runtime/net/http_client.hpp"
#include "tools/net_guard.hpp"
#include "tools/tool.hpp"

namespace agentos::tools {

struct HttpFetchLimits {
    std::chrono::milliseconds timeout{10'000};          ///< the whole fetch, redirects included
    std::size_t max_body_bytes = std::size_t{5} << 20;  ///< a longer response body is a tool error
    std::size_t max_text_bytes = 100'000;               ///< the body the model gets is cut here
    int max_redirects = 5;
};

class HttpFetchTool final : public Tool {
public:
    /// Fills in a default description (when empty) and the parameters {url: string}.
    HttpFetchTool(
        spec::ToolSpec tool_spec, outbound::HttpClient& http, AddressPolicy policy, HttpFetchLimits limits = {}
    );

    const spec::ToolSpec& spec() const override { return spec_; }

    /// {"url": "https://example.com/"} → {"status", "content_type", "body" (text, cut at max_text_bytes, with
    /// "truncated": true then), "url" (the final one, after redirects)}. Any status is a result; a refusal (with its
    /// reason), too many redirects, a body over the limit, a timeout or a connection failure is a tool error.
    net::awaitable<ToolOutcome> Call(nlohmann::json args, ToolCallContext context) override;

private:
    spec::ToolSpec spec_;
    outbound::HttpClient* http_;
    AddressPolicy policy_;
    HttpFetchLimits limits_;
};

}  // namespace agentos::tools
