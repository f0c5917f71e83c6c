#pragma once
/// App: the composition root. Builds the pool, services, routes and HTTP server in order, runs the io_context
/// threads, and stops them in reverse order. Start/Stop are called from the main thread (or a test).

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "api/server/http_server.hpp"
#include "runtime/run_service.hpp"
#include "scheduler/schedule_runner.hpp"

namespace agentos::core {
class Metrics;
}  // namespace agentos::core

namespace agentos::store {
class PgPool;
}  // namespace agentos::store

namespace agentos::api {

class Router;

/// Live streams (SSE / WebSocket).
struct StreamConfig {
    int max_per_key = 20;                             ///< open at once per API key on this server; then 429
    std::chrono::milliseconds ping_interval{15'000};  ///< `: ping` on a quiet stream
    std::size_t buffer_bytes = 1 << 20;               ///< per stream: what may queue for a slow reader before it is cut
    std::size_t replay_bytes = 256 * 1024;  ///< per run: the chunks of the LLM call in flight, for late joiners
};

struct AppConfig {
    ServerOptions server;
    std::string database_url;
    std::size_t db_pool_size = 8;
    int io_threads = 2;
    int rate_limit_per_minute = 200;  ///< per key; 0 turns the limit off
    bool apply_migrations = true;
    std::string agents_dir;          ///< YAML agent definitions loaded into the default workspace at start; empty: none
    engine::RunServiceOptions runs;  ///< hosted runs: mock fallback, retries, prices, http_fetch allow-list …
    scheduler::ScheduleRunnerOptions schedules;  ///< the firing loop (its server_id is the run service's)
    bool fire_schedules = true;                  ///< run the firing loop on this server
    std::string ca_file;                         ///< extra trust anchors for outbound HTTPS (PEM); tests use a local CA
    std::chrono::milliseconds shutdown_grace{10'000};
    StreamConfig streams;
};

/// Parses "HOST:PORT" into `options`; throws core::Error (kValidation) naming --listen.
void ParseListen(const std::string& listen, ServerOptions& options);

class App {
public:
    explicit App(AppConfig config);
    ~App();
    App(const App&) = delete;
    App& operator=(const App&) = delete;

    /// Migrates (unless told not to), connects, binds and starts serving. Throws core::Error on failure.
    void Start();

    /// Graceful: stop accepting, let requests in flight finish, then stop the threads and close the pool.
    void Stop();

    std::uint16_t port() const;
    std::string base_url() const;  ///< "http://127.0.0.1:PORT"

    store::PgPool& pool();
    core::Metrics& metrics();
    const Router& router() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace agentos::api
