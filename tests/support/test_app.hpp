#pragma once
/// A real AgentOS server for one test: the App on 127.0.0.1 (any free port) against a fresh database, with
/// helpers to make keys and to reach it over real HTTP.

#include <memory>
#include <string>

#include "api/app.hpp"
#include "tests/support/http_client.hpp"

namespace agentos::testing {

struct TestAppOptions {
    int rate_limit_per_minute = 0;  ///< off unless a test is about it
    std::size_t db_pool_size = 4;
    int io_threads = 2;
    api::ServerOptions server;                    ///< host/port are overridden with 127.0.0.1:0
    std::string database_url;                     ///< empty: a fresh migrated database
    std::string agents_dir;                       ///< agent YAML files loaded at start
    engine::RunServiceOptions runs = FastRuns();  ///< hosted runs: retries fast enough for tests
    api::StreamConfig streams;                    ///< live streams: per-key limit, ping, buffers

    static engine::RunServiceOptions FastRuns() {
        engine::RunServiceOptions o;
        o.retry.base_delay = std::chrono::milliseconds(10);
        o.retry.max_delay = std::chrono::milliseconds(200);
        o.http_fetch_allowed_hosts = {"127.0.0.1"};
        return o;
    }
};

class TestApp {
public:
    explicit TestApp(TestAppOptions options = {});
    ~TestApp();

    api::App& app() { return *app_; }

    std::uint16_t port() const { return app_->port(); }

    const std::string& dsn() const { return dsn_; }

    HttpClient Client() const { return HttpClient(port()); }

    /// A workspace key of `workspace` (created when missing).
    std::string WorkspaceKey(const std::string& workspace = "default");

    /// An agent key for `agent_slug` in `workspace` (both created when missing).
    std::string AgentKey(const std::string& workspace, const std::string& agent_slug);

    /// Runs SQL directly against the test database (test set-up only).
    void Sql(const std::string& sql);

    void Stop();

private:
    std::string dsn_;
    std::unique_ptr<api::App> app_;
};

}  // namespace agentos::testing
