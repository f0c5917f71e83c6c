#include "api/app.hpp"

#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <spdlog/spdlog.h>

#include "api/handlers/services.hpp"
#include "api/middleware/auth.hpp"
#include "api/middleware/pipeline.hpp"
#include "api/middleware/rate_limit.hpp"
#include "api/middleware/stream_limit.hpp"
#include "api/server/router.hpp"
#include "runtime/agent_service.hpp"
#include "runtime/core/error.hpp"
#include "runtime/core/metrics.hpp"
#include "runtime/event_relay.hpp"
#include "runtime/events/live_hub.hpp"
#include "runtime/ingest_service.hpp"
#include "runtime/net/http_client.hpp"
#include "runtime/store/migrator.hpp"
#include "runtime/store/pg_listener.hpp"
#include "runtime/store/pg_pool.hpp"
#include "runtime/store/schedule_repo.hpp"
#include "scheduler/schedule_runner.hpp"
#include "scheduler/schedule_service.hpp"

namespace agentos::api {

void ParseListen(const std::string& listen, ServerOptions& options) {
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) {
        throw core::Error::Validation("--listen", "expected HOST:PORT, e.g. 127.0.0.1:8080 (got \"" + listen + "\")");
    }
    std::string host = listen.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    int port = -1;
    try {
        std::size_t used = 0;
        port = std::stoi(listen.substr(colon + 1), &used);
        if (used != listen.size() - colon - 1) {
            port = -1;
        }
    } catch (const std::exception&) {
        port = -1;
    }
    if (port < 0 || port > 65535) {
        throw core::Error::Validation("--listen", "the port must be a number from 0 to 65535 (got \"" + listen + "\")");
    }
    options.host = host;
    options.port = static_cast<std::uint16_t>(port);
}

struct App::Impl {
    AppConfig config;
    // Declared before the io_context, so destroyed after it: coroutine frames still suspended at the end (a run
    // that outlived the shutdown grace, a stream) are destroyed with the io_context, and their destructors reach
    // the hub.
    std::unique_ptr<events::LiveHub> hub;
    net::io_context ioc;
    std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
    std::vector<std::thread> threads;
    core::SystemClock clock;
    core::Metrics metrics;
    std::unique_ptr<store::PgPool> pool;
    std::unique_ptr<engine::IngestService> ingest;
    std::unique_ptr<engine::AgentService> agents;
    std::unique_ptr<outbound::HttpClient> http;
    std::unique_ptr<engine::EventRelay> relay;
    std::unique_ptr<StreamLimiter> streams;
    std::unique_ptr<engine::RunService> runs;
    std::unique_ptr<scheduler::ScheduleRunner> schedule_runner;
    std::unique_ptr<scheduler::ScheduleService> schedules;
    std::unique_ptr<Services> services;
    Router router;
    std::unique_ptr<Authenticator> auth;
    std::unique_ptr<RateLimiter> limiter;
    std::unique_ptr<Pipeline> pipeline;
    std::unique_ptr<HttpServer> server;
    std::unique_ptr<store::PgListener> listener;
    bool running = false;

    explicit Impl(AppConfig c) : config(std::move(c)), ioc(std::max(1, config.io_threads)) {}
};

App::App(AppConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}

App::~App() {
    Stop();
}

void App::Start() {
    Impl& m = *impl_;
    if (m.config.database_url.empty()) {
        throw core::Error::Validation("--database-url", "required (or set DATABASE_URL)");
    }
    if (m.config.apply_migrations) {
        store::Migrator().Apply(m.config.database_url);
    }
    m.pool = std::make_unique<store::PgPool>(m.config.database_url, m.config.db_pool_size);
    m.pool->TransactBlocking([](store::Tx&) {});  // fail fast when the database is unreachable
    m.ingest = std::make_unique<engine::IngestService>(*m.pool);
    m.agents = std::make_unique<engine::AgentService>(*m.pool);
    if (!m.config.agents_dir.empty()) {
        for (const auto& line : engine::AgentService::LoadDirectory(*m.pool, "default", m.config.agents_dir)) {
            spdlog::info("agent {}", line);
        }
    }
    outbound::HttpClientOptions http_options;
    http_options.ca_file = m.config.ca_file;
    m.http = std::make_unique<outbound::HttpClient>(http_options);
    m.hub = std::make_unique<events::LiveHub>(events::LiveHubOptions{
        m.config.streams.replay_bytes, m.config.streams.buffer_bytes});
    m.relay = std::make_unique<engine::EventRelay>(*m.pool, *m.hub);
    m.relay->Start(m.ioc);
    m.streams = std::make_unique<StreamLimiter>(m.config.streams.max_per_key);
    m.runs = std::make_unique<engine::RunService>(*m.pool, *m.agents, *m.http, m.clock, m.config.runs, m.hub.get());
    scheduler::ScheduleRunnerOptions schedule_options = m.config.schedules;
    schedule_options.server_id = m.runs->server_id();
    m.schedule_runner =
        std::make_unique<scheduler::ScheduleRunner>(*m.pool, *m.runs, m.clock, m.metrics, std::move(schedule_options));
    m.schedules = std::make_unique<scheduler::ScheduleService>(*m.pool, *m.runs, m.clock);
    m.services = std::make_unique<Services>(Services{
        *m.pool,
        *m.ingest,
        *m.agents,
        *m.runs,
        m.metrics,
        *m.hub,
        *m.relay,
        *m.streams,
        StreamOptions{m.config.streams.ping_interval},
        *m.schedules});
    AddAllRoutes(m.router, *m.services);
    m.auth = std::make_unique<Authenticator>(*m.pool);
    Authenticator* auth = m.auth.get();
    engine::RunService* runs = m.runs.get();
    engine::EventRelay* relay = m.relay.get();
    scheduler::ScheduleRunner* schedules = m.schedule_runner.get();
    m.listener = std::make_unique<store::PgListener>(
        m.config.database_url,
        std::vector<std::string>{
            store::kApiKeyChannel,
            engine::kRunQueueChannel,
            engine::kRunCancelChannel,
            engine::kEventsChannel,
            store::kScheduleChannel},
        [auth, runs, relay, schedules](const std::string& channel, const std::string& payload) {
            if (channel == engine::kEventsChannel) {
                relay->OnNotify(payload);
            } else if (channel == store::kScheduleChannel) {
                schedules->Wake();
            } else if (channel == engine::kRunQueueChannel) {
                runs->Wake();
            } else if (channel == engine::kRunCancelChannel) {
                runs->CancelLocal(payload);
            } else {
                auth->Forget(payload);
            }
        },
        [auth, runs, relay, schedules](bool listening) {
            auth->SetCaching(listening);
            relay->SetListening(listening);
            if (listening) {
                runs->Wake();       // anything queued while we were not listening
                schedules->Wake();  // any schedule changed meanwhile
            }
        }
    );
    m.listener->Start();
    m.limiter = std::make_unique<RateLimiter>(m.config.rate_limit_per_minute, m.clock);
    m.pipeline = std::make_unique<Pipeline>(m.router, *m.auth, *m.limiter, m.metrics);
    Pipeline* pipeline = m.pipeline.get();
    m.server = std::make_unique<HttpServer>(m.ioc, m.config.server, [pipeline](Request& req) {
        return pipeline->Handle(req);
    });
    m.server->Start();
    m.runs->Start(m.ioc);
    if (m.config.fire_schedules) {
        m.schedule_runner->Start(m.ioc);
    }
    m.work.emplace(m.ioc.get_executor());
    for (int i = 0; i < std::max(1, m.config.io_threads); ++i) {
        m.threads.emplace_back([&m] {
            for (;;) {
                try {
                    m.ioc.run();
                    return;
                } catch (const std::exception& e) {
                    spdlog::error("uncaught exception on an I/O thread: {}", e.what());
                }
            }
        });
    }
    m.running = true;
    spdlog::info("listening on http://{}:{}", m.config.server.host, m.server->port());
}

void App::Stop() {
    Impl& m = *impl_;
    if (!m.running) {
        return;
    }
    m.running = false;
    m.server->Shutdown(m.config.shutdown_grace);
    m.schedule_runner->Stop();
    m.runs->Stop();
    if (!m.runs->WaitIdle(m.config.shutdown_grace)) {
        // Their coroutines must end while the services they use exist: interrupted, they write nothing more.
        spdlog::warn(
            "runs still executing after the shutdown grace: interrupted; their leases let another server "
            "continue them"
        );
        m.runs->InterruptAll();
        if (!m.runs->WaitIdle(std::chrono::milliseconds(5000))) {
            spdlog::error("runs did not stop after an interrupt");
        }
    }
    m.listener->Stop();
    m.work.reset();
    m.ioc.stop();
    for (auto& t : m.threads) {
        t.join();
    }
    m.threads.clear();
    m.pool->Stop();
    spdlog::info("stopped");
}

std::uint16_t App::port() const {
    return impl_->server ? impl_->server->port() : 0;
}

std::string App::base_url() const {
    return "http://" + impl_->config.server.host + ":" + std::to_string(port());
}

store::PgPool& App::pool() {
    return *impl_->pool;
}

core::Metrics& App::metrics() {
    return impl_->metrics;
}

const Router& App::router() const {
    return impl_->router;
}

}  // namespace agentos::api
