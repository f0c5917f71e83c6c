#pragma once
/// Bearer-key authentication. A key that is missing, malformed (bad checksum: refused without a query), unknown or
/// revoked gets the same 401, so the answer tells an attacker nothing about which.

#include "api/server/http_types.hpp"
#include "runtime/core/principal.hpp"
#include "runtime/net/asio.hpp"

namespace agentos::store {
class PgPool;
}  // namespace agentos::store

namespace agentos::api {

class Authenticator {
public:
    explicit Authenticator(store::PgPool& pool) : pool_(pool) {}

    /// The caller of `request`, or throws UNAUTHENTICATED.
    net::awaitable<core::Principal> Authenticate(const Request& request);

private:
    store::PgPool& pool_;
};

}  // namespace agentos::api
