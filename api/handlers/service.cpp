// Service routes: health (liveness and database reachability), the OpenAPI document, Prometheus metrics.

#include <spdlog/spdlog.h>

#include "api/handlers/services.hpp"
#include "api/server/router.hpp"
#include "runtime/core/embedded_file.hpp"
#include "runtime/core/error.hpp"
#include "runtime/core/metrics.hpp"
#include "runtime/store/pg_pool.hpp"

namespace agentos::api {
namespace {

net::awaitable<Response> Health(Services& s, Request&) {
    try {
        co_await s.pool.Ping();
    } catch (const core::Error& e) {
        spdlog::warn("health: database unreachable: {}", e.what());
        throw core::Error(core::ErrorCode::kUnavailable, "the database is unreachable");
    }
    co_return Response::Data({{"status", "ok"}, {"database", "ok"}});
}

net::awaitable<Response> OpenApi(Services&, Request&) {
    co_return Response::Text(std::string(core::EmbeddedOpenApi().front().content), "application/json");
}

net::awaitable<Response> Metrics(Services& s, Request&) {
    const auto stats = s.pool.Stats();
    s.metrics.Set("agentos_db_pool_connections", {{"state", "in_use"}}, static_cast<double>(stats.in_use));
    s.metrics.Set("agentos_db_pool_connections", {{"state", "idle"}}, static_cast<double>(stats.idle));
    s.metrics.Set("agentos_db_pool_waiting", {}, static_cast<double>(stats.waiting));
    co_return Response::Text(s.metrics.Render(), "text/plain; version=0.0.4; charset=utf-8");
}

}  // namespace

void AddServiceRoutes(Router& router, Services& s) {
    s.metrics.DescribeGauge("agentos_db_pool_connections", "Database pool connections by state.");
    s.metrics.DescribeGauge("agentos_db_pool_waiting", "Transactions waiting for a database connection.");
    router.Add("GET", "/health", [&s](Request& req) { return Health(s, req); }, {.authenticated = false});
    router.Add("GET", "/openapi.json", [&s](Request& req) { return OpenApi(s, req); }, {.authenticated = false});
    router.Add("GET", "/metrics", [&s](Request& req) { return Metrics(s, req); });
}

void AddAllRoutes(Router& router, Services& s) {
    AddServiceRoutes(router, s);
    AddIngestRoutes(router, s);
    AddLegacyIngestRoutes(router, s);
    AddRunRoutes(router, s);
    AddAgentRoutes(router, s);
    AddInvokeRoutes(router, s);
    AddPauseRoutes(router, s);
    AddStreamRoutes(router, s);
    AddSessionRoutes(router, s);
    AddMemoryRoutes(router, s);
    AddScheduleRoutes(router, s);
}

}  // namespace agentos::api
