#include "api/middleware/pipeline.hpp"

#include <chrono>

#include <spdlog/spdlog.h>

#include "api/middleware/auth.hpp"
#include "api/middleware/error_mapping.hpp"
#include "api/middleware/rate_limit.hpp"
#include "api/server/router.hpp"
#include "runtime/core/error.hpp"
#include "runtime/core/ids.hpp"
#include "runtime/core/json_body.hpp"
#include "runtime/core/metrics.hpp"

namespace agentos::api {
namespace {

bool SaneRequestId(std::string_view id) {
    if (id.empty() || id.size() > 128) {
        return false;
    }
    for (const char c : id) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                        c == '_' || c == '.' || c == ':';
        if (!ok) {
            return false;
        }
    }
    return true;
}

void SplitTarget(Request& request) {
    const auto q = request.target.find('?');
    const std::string raw_path = request.target.substr(0, q);
    request.path = PercentDecode(raw_path, false).value_or(raw_path);
    if (q != std::string::npos) {
        request.query = ParseQuery(std::string_view(request.target).substr(q + 1));
    }
}

/// Query strings are not covered by the body's UTF-8 check; refuse bad bytes before they reach a message or SQL.
void CheckQueryUtf8(const Request& request) {
    for (const auto& [k, v] : request.query) {
        if (core::FindInvalidUtf8(k) || core::FindInvalidUtf8(v)) {
            throw core::Error::Validation("query", "invalid UTF-8 in a query parameter");
        }
    }
    for (const auto& [k, v] : request.path_params) {
        if (core::FindInvalidUtf8(v)) {
            throw core::Error::Validation(k, "invalid UTF-8 in the path");
        }
    }
}

/// Bounded label values: a client inventing methods must not grow the metrics without limit.
std::string MethodLabel(const std::string& method) {
    for (const char* known : {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}) {
        if (method == known) {
            return method;
        }
    }
    return "OTHER";
}

}  // namespace

std::string ChooseRequestId(const Request& request) {
    const auto incoming = request.Header("x-request-id");
    if (incoming && SaneRequestId(*incoming)) {
        return std::string(*incoming);
    }
    return core::NewUuidV7();
}

Pipeline::Pipeline(const Router& router, Authenticator& auth, RateLimiter& limiter, core::Metrics& metrics)
    : router_(router), auth_(auth), limiter_(limiter), metrics_(metrics) {
    metrics_.DescribeCounter("agentos_http_requests_total", "HTTP requests by route, method and status.");
    metrics_.DescribeHistogram(
        "agentos_http_request_duration_seconds",
        "HTTP request latency by route, from the full request to the response being ready.",
        {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
    );
}

net::awaitable<Response> Pipeline::Dispatch(Request& request, Response& headers_out) {
    SplitTarget(request);
    const auto raw_path = request.target.substr(0, request.target.find('?'));
    auto match = router_.Match(request.method, raw_path);
    if (match.route == nullptr) {
        if (!match.allowed_methods.empty()) {
            std::string allow;
            for (const auto& m : match.allowed_methods) {
                allow.append(allow.empty() ? "" : ", ").append(m);
            }
            headers_out.SetHeader("Allow", allow);
            request.route = "method_not_allowed";
            throw core::Error(
                core::ErrorCode::kMethodNotAllowed,
                request.method + " is not allowed on " + request.path + " (allowed: " + allow + ")"
            );
        }
        request.route = "not_found";
        throw core::Error(core::ErrorCode::kNotFound, "no route for " + request.method + " " + request.path);
    }
    request.route = match.route->pattern;
    request.path_params = std::move(match.params);
    if (match.route->options.authenticated) {
        request.principal = co_await auth_.Authenticate(request);
        if (limiter_.enabled()) {
            const auto d = limiter_.Check(request.principal->key_id);
            headers_out.SetHeader("X-RateLimit-Limit", std::to_string(d.limit));
            headers_out.SetHeader("X-RateLimit-Remaining", std::to_string(d.remaining));
            headers_out.SetHeader("X-RateLimit-Reset", std::to_string(d.reset_s));
            if (!d.allowed) {
                headers_out.SetHeader("Retry-After", std::to_string(d.retry_after_s));
                throw core::Error(
                    core::ErrorCode::kRateLimited,
                    "over " + std::to_string(d.limit) + " requests per minute for this key; retry in " +
                        std::to_string(d.retry_after_s) + " s"
                );
            }
        }
    }
    CheckQueryUtf8(request);
    co_return co_await match.route->handler(request);
}

net::awaitable<Response> Pipeline::Handle(Request& request) {
    const auto started = std::chrono::steady_clock::now();
    request.request_id = ChooseRequestId(request);
    Response headers;  // headers decided before the handler ran (rate limit, Allow), kept on every outcome
    Response response;
    try {
        response = co_await Dispatch(request, headers);
    } catch (const core::Error& e) {
        response = ErrorResponse(e);
        if (e.code() == core::ErrorCode::kInternal) {
            spdlog::error("request {} {} {}: {}", request.request_id, request.method, request.path, e.what());
        }
    } catch (const std::exception& e) {
        spdlog::error("request {} {} {} failed: {}", request.request_id, request.method, request.path, e.what());
        response = ErrorResponse(
            core::Error(core::ErrorCode::kInternal, "internal error; quote request id " + request.request_id)
        );
    }
    for (auto& [name, value] : headers.headers) {
        response.SetHeader(name, value);
    }
    response.SetHeader("X-Request-Id", request.request_id);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const std::string route = request.route.empty() ? "unmatched" : request.route;
    metrics_.Add(
        "agentos_http_requests_total",
        {{"route", route}, {"method", MethodLabel(request.method)}, {"status", std::to_string(response.status)}}
    );
    metrics_.Observe("agentos_http_request_duration_seconds", {{"route", route}}, seconds);
    co_return response;
}

}  // namespace agentos::api
