#pragma once
/// The request pipeline every request goes through, in order: request id → route → auth → rate limit → handler,
/// with errors mapped to the envelope and metrics recorded. Thread-safe; one instance serves every connection.

#include "api/server/http_types.hpp"
#include "runtime/net/asio.hpp"

namespace agentos::core {
class Metrics;
}  // namespace agentos::core

namespace agentos::api {

class Router;
class Authenticator;
class RateLimiter;

class Pipeline {
public:
    Pipeline(const Router& router, Authenticator& auth, RateLimiter& limiter, core::Metrics& metrics);

    /// Never throws: every failure becomes an error response.
    net::awaitable<Response> Handle(Request& request);

private:
    net::awaitable<Response> Dispatch(Request& request, Response& headers_out);

    const Router& router_;
    Authenticator& auth_;
    RateLimiter& limiter_;
    core::Metrics& metrics_;
};

/// The incoming X-Request-Id when it is sane (1–128 of [A-Za-z0-9._:-]), else a new UUID.
std::string ChooseRequestId(const Request& request);

}  // namespace agentos::api
