#pragma once
/// PgPool: a fixed set of Postgres connections, each used by one thread of a dedicated pool, so blocking libpqxx
/// calls never run on an I/O thread. Coroutines `co_await Transact(...)`; CLI code calls TransactBlocking.
/// Thread-safe.

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "runtime/net/asio.hpp"

namespace agentos::store {

class Tx;

struct PoolStats {
    std::size_t size = 0;
    std::size_t in_use = 0;
    std::size_t idle = 0;
    std::size_t waiting = 0;  ///< transactions queued for a free connection
};

class PgPool {
public:
    PgPool(std::string dsn, std::size_t size);
    ~PgPool();
    PgPool(const PgPool&) = delete;
    PgPool& operator=(const PgPool&) = delete;

    /// Runs `fn` in one read-committed transaction on a pool thread and commits when it returns. A serialization
    /// failure or deadlock re-runs `fn` (up to 3 attempts), so `fn` must only touch the database and its own
    /// outputs. Errors come back as core::Error: lost connection → UNAVAILABLE, bad data → VALIDATION_ERROR.
    net::awaitable<void> Transact(std::function<void(Tx&)> fn);

    /// Like Transact, but without BEGIN/COMMIT: each statement commits on its own. For operations that are one
    /// statement (an atomic CTE) or plain reads; it saves two round trips on the hot paths (auth, event append).
    net::awaitable<void> Autocommit(std::function<void(Tx&)> fn);

    /// The same as Transact (Autocommit) on the calling thread's behalf, blocking it. Never call from an I/O thread.
    void TransactBlocking(const std::function<void(Tx&)>& fn);
    void AutocommitBlocking(const std::function<void(Tx&)>& fn);

    /// SELECT 1 on a pool connection; throws UNAVAILABLE when the database cannot be reached.
    net::awaitable<void> Ping();

    PoolStats Stats() const;

    const std::string& dsn() const;

    /// Waits for running transactions and closes the connections; later calls fail with UNAVAILABLE.
    void Stop();

private:
    net::awaitable<void> Submit(std::function<void(Tx&)> fn, bool autocommit);
    void RunBlocking(const std::function<void(Tx&)>& fn, bool autocommit);

    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// Adds connect_timeout (seconds) to a DSN (URI or key=value form) unless it already has one.
std::string WithConnectTimeout(const std::string& dsn, int seconds);

}  // namespace agentos::store
