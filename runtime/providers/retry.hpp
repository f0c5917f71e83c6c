#pragma once
/// The retry loop the HTTP providers share: send, and on a transport failure or a retryable status (408, 409, 429,
/// 5xx gateway errors, 529) wait — Retry-After when the provider sent one, else exponential backoff with jitter —
/// and try again, up to RetryPolicy::max_retries times. Waiting uses a timer on the calling coroutine's executor.
/// Every message it builds names the provider and has the API key scrubbed out.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "runtime/net/asio.hpp"
#include "runtime/net/http_client.hpp"
#include "runtime/net/sse_parser.hpp"
#include "runtime/providers/llm_provider.hpp"

namespace agentos::providers {

/// Whether an HTTP status is worth another attempt (408, 409, 429, 500, 502, 503, 504, 529).
bool IsRetryableStatus(int status);

/// The wait before retry `retry` (0-based): base_delay * 2^retry, times `jitter_factor` (0.75 … 1.25), capped at
/// max_delay.
std::chrono::milliseconds BackoffDelay(const RetryPolicy& policy, int retry, double jitter_factor);

/// A random jitter factor, uniform in [0.75, 1.25].
double RandomJitterFactor();

/// The wait the provider asked for: `retry-after-ms`, or `Retry-After` in seconds (fractions accepted); nullopt
/// when absent, negative, or an HTTP date.
std::optional<std::chrono::milliseconds> RetryAfter(const outbound::HttpResponse& response);

/// The provider's own error message from an error body: error.message (OpenAI and Anthropic shapes), else a
/// string "error" or "message", else the start of the body.
std::string ErrorMessageFromBody(const std::string& body);

/// `text` with every occurrence of `secret` replaced by "***" (nothing when `secret` is empty).
std::string Redact(std::string text, const std::string& secret);

/// Waits `delay` on the calling coroutine's executor (never blocks a thread).
net::awaitable<void> SleepFor(std::chrono::milliseconds delay);

struct RetryCall {
    std::string provider;  ///< as messages name it: "openai", "anthropic", "openai_compatible"
    std::string secret;    ///< the API key, scrubbed from every message; may be empty
    RetryPolicy policy;
};

/// Sends `request` until a 2xx answer, which it returns. Throws ProviderError at once for a status that retrying
/// cannot fix ("anthropic: HTTP 401: invalid x-api-key"), a response over the size limit, or an unusable URL, and
/// when the attempts are spent ("openai: HTTP 429 after 4 attempts: …", "openai: no answer after 4 attempts: …").
net::awaitable<outbound::HttpResponse> SendWithRetry(
    outbound::HttpClient* http, outbound::HttpRequest request, RetryCall call
);

/// SendWithRetry for a streamed answer: a 2xx body goes to `on_body` as it arrives (HttpClient::SendStreaming).
/// Failures before the first byte of a 2xx body are retried as SendWithRetry does; once a 2xx body has started,
/// a broken stream (transport error, timeout) is a ProviderError at once ("openai: the stream broke off: …"):
/// what `on_body` passed on cannot be taken back. An exception from `on_body` propagates as it is.
net::awaitable<outbound::HttpResponse> SendStreamingWithRetry(
    outbound::HttpClient* http, outbound::HttpRequest request, RetryCall call, outbound::BodySink on_body
);

/// SendStreamingWithRetry for an SSE answer: each event, parsed as its bytes arrive, goes to `on_event`.
net::awaitable<void> SendSseWithRetry(
    outbound::HttpClient* http,
    outbound::HttpRequest request,
    RetryCall call,
    std::function<void(const outbound::SseEvent&)> on_event
);

// --- plumbing the HTTP providers share ----------------------------------------------------------------------------

/// `base_url` (or `default_base` when unset), without trailing slashes, followed by `path` ("/chat/completions").
std::string JoinUrl(const std::optional<std::string>& base_url, std::string_view default_base, std::string_view path);

/// The per-attempt deadline: model.timeout_s (at least 1 ms).
std::chrono::milliseconds RequestTimeout(const spec::ModelSpec& model);

/// `body` as JSON; a body that is not a JSON object fails with ProviderError "<provider>: response is not JSON: …".
nlohmann::json ParseResponseBody(const std::string& provider, const std::string& body);

/// `value` as JSON text; invalid UTF-8 is replaced rather than thrown on.
std::string DumpJson(const nlohmann::json& value);

/// usage[field] as a whole number of tokens; 0 when usage is not an object or the field is missing or not an integer.
std::int64_t TokenCount(const nlohmann::json& usage, const char* field);

}  // namespace agentos::providers
