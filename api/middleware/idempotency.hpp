#pragma once
/// Idempotency-Key on the routes that start or change runs (invoke, resolve, respond, cancel): a retry with the same
/// key and the same request (method, target and body) gets the first answer again, even while the first is still
/// being answered, and nothing runs twice; the same key with another request is 409 CONFLICT. Keys are per
/// workspace and kept 24 hours.

#include <functional>

#include "api/server/http_types.hpp"
#include "runtime/net/asio.hpp"

namespace agentos::store {
class PgPool;
}  // namespace agentos::store

namespace agentos::api {

/// Answers `req` with `handler` at most once per Idempotency-Key (the header is optional: without it, `handler`).
net::awaitable<Response> Idempotent(
    store::PgPool& pool, const Request& req, std::function<net::awaitable<Response>()> handler
);

}  // namespace agentos::api
