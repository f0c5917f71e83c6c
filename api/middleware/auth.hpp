#pragma once
/// Bearer-key authentication. A key that is missing, malformed (bad checksum: refused without a query), unknown or
/// revoked gets the same 401, so the answer tells an attacker nothing about which.
///
/// Looked-up keys are cached for a minute, but only while revocations are being heard (App wires a PgListener to
/// Forget/SetCaching): `agentos keys revoke` announces the prefix with NOTIFY, so every server drops it at once.
/// Thread-safe.
///
/// A browser's WebSocket cannot send an Authorization header, so a WebSocket upgrade may carry its key as a
/// subprotocol instead: `new WebSocket(url, ["agentos", "bearer." + key])`. The handshake answers `agentos`.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "api/server/http_types.hpp"
#include "runtime/core/principal.hpp"
#include "runtime/net/asio.hpp"
#include "runtime/store/api_key_repo.hpp"

namespace agentos::store {
class PgPool;
}  // namespace agentos::store

namespace agentos::api {

/// `Upgrade: websocket` (any case).
bool IsWebSocketUpgrade(const Request& request);

/// The subprotocols a WebSocket upgrade offers (Sec-WebSocket-Protocol, comma-separated), in order.
std::vector<std::string> OfferedSubprotocols(const Request& request);

/// The subprotocol the handshake selects: `agentos` if offered (a browser refuses a handshake that selects none of
/// what it offered), else none.
std::optional<std::string> SelectedSubprotocol(const Request& request);

class Authenticator {
public:
    explicit Authenticator(store::PgPool& pool) : pool_(pool) {}

    /// The caller of `request`, or throws UNAUTHENTICATED.
    net::awaitable<core::Principal> Authenticate(const Request& request);

    /// A key with this prefix was revoked: drop any cached copy.
    void Forget(const std::string& prefix);

    /// Caching is on only while revocations are heard; turning it either way empties the cache.
    void SetCaching(bool on);

private:
    std::optional<store::ApiKeyRecord> Cached(const std::string& prefix);
    void Remember(const store::ApiKeyRecord& record, std::uint64_t generation);

    struct Entry {
        store::ApiKeyRecord record;
        std::chrono::steady_clock::time_point expires;
    };

    store::PgPool& pool_;
    std::mutex mutex_;
    std::unordered_map<std::string, Entry> cache_;
    std::uint64_t generation_ = 0;  ///< bumped by every forget, so a lookup racing a revocation is not cached
    bool caching_ = false;
};

}  // namespace agentos::api
