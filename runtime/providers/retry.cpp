#include "runtime/providers/retry.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "runtime/core/error.hpp"

namespace agentos::providers {
namespace {

constexpr std::size_t kMaxBodyInMessage = 300;

std::string Attempts(int n) {
    return std::to_string(n) + (n == 1 ? " attempt" : " attempts");
}

std::optional<double> ParseSeconds(const std::string& text) {
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string::npos) {
        return std::nullopt;
    }
    const auto last = text.find_last_not_of(" \t");
    const std::string trimmed = text.substr(first, last - first + 1);
    if (trimmed.find_first_not_of("0123456789.") != std::string::npos) {
        return std::nullopt;  // an HTTP date, or garbage
    }
    try {
        std::size_t used = 0;
        const double value = std::stod(trimmed, &used);
        if (used != trimmed.size() || !std::isfinite(value) || value < 0) {
            return std::nullopt;
        }
        return value;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

std::chrono::milliseconds Millis(double ms) {
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(std::min(ms, 1e12))));
}

}  // namespace

bool IsRetryableStatus(int status) {
    switch (status) {
        case 408:
        case 409:
        case 429:
        case 500:
        case 502:
        case 503:
        case 504:
        case 529:
            return true;
        default:
            return false;
    }
}

std::chrono::milliseconds BackoffDelay(const RetryPolicy& policy, int retry, double jitter_factor) {
    const double base = static_cast<double>(policy.base_delay.count());
    const double max = static_cast<double>(policy.max_delay.count());
    const double exponential = base * std::pow(2.0, std::clamp(retry, 0, 62));
    const double jittered = std::min(exponential, max) * std::clamp(jitter_factor, 0.75, 1.25);
    return Millis(std::clamp(jittered, 0.0, max));
}

double RandomJitterFactor() {
    thread_local std::mt19937_64 engine{std::random_device{}()};
    std::uniform_real_distribution<double> distribution(0.75, 1.25);
    return distribution(engine);
}

std::optional<std::chrono::milliseconds> RetryAfter(const outbound::HttpResponse& response) {
    if (const auto ms = response.Header("retry-after-ms")) {
        if (const auto value = ParseSeconds(*ms)) {
            return Millis(*value);
        }
    }
    if (const auto seconds = response.Header("retry-after")) {
        if (const auto value = ParseSeconds(*seconds)) {
            return Millis(*value * 1000);
        }
    }
    return std::nullopt;
}

std::string ErrorMessageFromBody(const std::string& body) {
    const auto json = nlohmann::json::parse(body, nullptr, false);
    if (json.is_object()) {
        if (const auto error = json.find("error"); error != json.end()) {
            if (error->is_object()) {
                if (const auto message = error->find("message"); message != error->end() && message->is_string()) {
                    return message->get<std::string>();
                }
            } else if (error->is_string()) {
                return error->get<std::string>();
            }
        }
        if (const auto message = json.find("message"); message != json.end() && message->is_string()) {
            return message->get<std::string>();
        }
    }
    if (body.empty()) {
        return "(no body)";
    }
    return body.size() > kMaxBodyInMessage ? body.substr(0, kMaxBodyInMessage) + "..." : body;
}

std::string Redact(std::string text, const std::string& secret) {
    if (secret.empty()) {
        return text;
    }
    for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 3)) {
        text.replace(at, secret.size(), "***");
    }
    return text;
}

net::awaitable<void> SleepFor(std::chrono::milliseconds delay) {
    net::steady_timer timer(co_await net::this_coro::executor, delay);
    co_await timer.async_wait(net::use_awaitable);
}

namespace {

void DiscardBody(std::string_view /*bytes*/) {}

/// SendWithRetry and SendStreamingWithRetry; `on_body` empty: the whole body is read.
net::awaitable<outbound::HttpResponse> RetryLoop(
    outbound::HttpClient* http, outbound::HttpRequest request, RetryCall call, outbound::BodySink on_body
) {
    // Whether a 2xx body began to arrive: from then on nothing is retried. The sink lives in this frame, which
    // outlives every SendStreaming call below.
    bool started = false;
    outbound::BodySink marking;
    if (on_body) {
        marking = [&started, &on_body](std::string_view bytes) {
            started = true;
            on_body(bytes);
        };
    }
    const int attempts = 1 + std::max(0, call.policy.max_retries);
    for (int attempt = 1;; ++attempt) {
        std::optional<outbound::HttpResponse> response;
        std::string transport_failure;
        try {
            if (marking) {
                response = co_await http->SendStreaming(request, marking);
            } else {
                response = co_await http->Send(request);
            }
        } catch (const outbound::TransportError& e) {
            if (started) {
                throw ProviderError(call.provider + ": the stream broke off: " + Redact(e.what(), call.secret));
            }
            if (e.kind() == outbound::TransportError::Kind::kTooLarge) {
                throw ProviderError(call.provider + ": " + Redact(e.what(), call.secret));
            }
            transport_failure = Redact(e.what(), call.secret);
        } catch (const core::Error& e) {
            throw ProviderError(call.provider + ": " + Redact(e.what(), call.secret));
        }

        std::optional<std::chrono::milliseconds> asked;
        std::string failure;  // what went wrong, for the log and the final message
        if (response) {
            if (response->status >= 200 && response->status < 300) {
                co_return std::move(*response);
            }
            const std::string message = Redact(ErrorMessageFromBody(response->body), call.secret);
            const std::string status = "HTTP " + std::to_string(response->status);
            if (!IsRetryableStatus(response->status)) {
                throw ProviderError(call.provider + ": " + status + ": " + message);
            }
            if (attempt >= attempts) {
                throw ProviderError(call.provider + ": " + status + " after " + Attempts(attempt) + ": " + message);
            }
            asked = RetryAfter(*response);
            failure = status + ": " + message;
        } else {
            if (attempt >= attempts) {
                throw ProviderError(
                    call.provider + ": no answer after " + Attempts(attempt) + ": " + transport_failure
                );
            }
            failure = transport_failure;
        }

        const auto delay = asked ? std::min(*asked, call.policy.max_delay)
                                 : BackoffDelay(call.policy, attempt - 1, RandomJitterFactor());
        spdlog::info("{}: {}; retry {} of {} in {} ms", call.provider, failure, attempt, attempts - 1, delay.count());
        co_await SleepFor(delay);
    }
}

}  // namespace

net::awaitable<outbound::HttpResponse> SendWithRetry(
    outbound::HttpClient* http, outbound::HttpRequest request, RetryCall call
) {
    auto loop = RetryLoop(http, std::move(request), std::move(call), {});
    co_return co_await std::move(loop);
}

net::awaitable<outbound::HttpResponse> SendStreamingWithRetry(
    outbound::HttpClient* http, outbound::HttpRequest request, RetryCall call, outbound::BodySink on_body
) {
    if (!on_body) {
        on_body = DiscardBody;  // an empty sink would mean SendWithRetry's whole-body read
    }
    auto loop = RetryLoop(http, std::move(request), std::move(call), std::move(on_body));
    co_return co_await std::move(loop);
}

std::string JoinUrl(const std::optional<std::string>& base_url, std::string_view default_base, std::string_view path) {
    std::string url = base_url && !base_url->empty() ? *base_url : std::string(default_base);
    while (!url.empty() && url.back() == '/') {
        url.pop_back();
    }
    url += path;
    return url;
}

std::chrono::milliseconds RequestTimeout(const spec::ModelSpec& model) {
    return std::max(std::chrono::milliseconds(1), Millis(model.timeout_s * 1000));
}

nlohmann::json ParseResponseBody(const std::string& provider, const std::string& body) {
    auto json = nlohmann::json::parse(body, nullptr, false);
    if (!json.is_object()) {
        const std::string start = body.size() > kMaxBodyInMessage ? body.substr(0, kMaxBodyInMessage) + "..." : body;
        throw ProviderError(provider + ": response is not a JSON object: " + start);
    }
    return json;
}

std::int64_t TokenCount(const nlohmann::json& usage, const char* field) {
    if (!usage.is_object()) {
        return 0;
    }
    const auto it = usage.find(field);
    return it != usage.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

std::string DumpJson(const nlohmann::json& value) {
    return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

net::awaitable<void> SendSseWithRetry(
    outbound::HttpClient* http,
    outbound::HttpRequest request,
    RetryCall call,
    std::function<void(const outbound::SseEvent&)> on_event
) {
    outbound::SseParser sse;  // in this frame, which outlives the send that feeds it
    auto send =
        SendStreamingWithRetry(http, std::move(request), std::move(call), [&sse, &on_event](std::string_view bytes) {
            sse.Feed(bytes, on_event);
        });
    co_await std::move(send);
}

}  // namespace agentos::providers
