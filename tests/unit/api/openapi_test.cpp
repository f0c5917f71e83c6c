// The OpenAPI document served at /openapi.json must describe exactly the routes the server has.

#include <set>

#include <gtest/gtest.h>

#include "api/handlers/services.hpp"
#include "api/middleware/stream_limit.hpp"
#include "api/server/router.hpp"
#include "runtime/agent_service.hpp"
#include "runtime/core/embedded_file.hpp"
#include "runtime/core/metrics.hpp"
#include "runtime/event_relay.hpp"
#include "runtime/events/live_hub.hpp"
#include "runtime/ingest_service.hpp"
#include "runtime/net/http_client.hpp"
#include "runtime/run_service.hpp"
#include "runtime/store/pg_pool.hpp"
#include "scheduler/schedule_service.hpp"

namespace agentos::api {
namespace {

/// "/api/v1/runs/:runId" → "/api/v1/runs/{runId}"
std::string OpenApiPath(const std::string& pattern) {
    std::string out;
    std::size_t i = 0;
    while (i < pattern.size()) {
        if (pattern[i] == ':') {
            const auto end = pattern.find('/', i);
            out += "{" + pattern.substr(i + 1, end == std::string::npos ? std::string::npos : end - i - 1) + "}";
            i = end == std::string::npos ? pattern.size() : end;
        } else {
            out.push_back(pattern[i++]);
        }
    }
    return out;
}

std::string Lower(std::string s) {
    for (char& c : s) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return s;
}

TEST(OpenApi, DocumentsEveryRouteAndNothingElse) {
    store::PgPool pool("host=127.0.0.1 port=1 dbname=none", 1);  // never connected: the handlers do not run
    engine::IngestService ingest(pool);
    engine::AgentService agents(pool);
    outbound::HttpClient http;
    core::SystemClock clock;
    engine::RunService runs(pool, agents, http, clock, {});
    core::Metrics metrics;
    events::LiveHub hub;
    engine::EventRelay relay(pool, hub);
    StreamLimiter streams(20);
    scheduler::ScheduleService schedules(pool, runs, clock);
    Services services{pool, ingest, agents, runs, metrics, hub, relay, streams, {}, schedules};
    Router router;
    AddAllRoutes(router, services);

    const auto doc = nlohmann::json::parse(core::EmbeddedOpenApi().front().content);
    EXPECT_EQ(doc["openapi"], "3.1.0");
    std::set<std::string> served;
    for (const auto& route : router.routes()) {
        const auto path = OpenApiPath(route.pattern);
        const auto method = Lower(route.method);
        served.insert(method + " " + path);
        ASSERT_TRUE(doc["paths"].contains(path)) << "missing from api/openapi.json: " << route.method << " " << path;
        const auto& op = doc["paths"][path];
        ASSERT_TRUE(op.contains(method)) << "missing from api/openapi.json: " << route.method << " " << path;
        EXPECT_TRUE(op[method].contains("responses")) << path;
        EXPECT_TRUE(op[method].contains("operationId")) << path;
        if (!route.options.authenticated) {
            EXPECT_EQ(op[method]["security"], nlohmann::json::array()) << path << " needs no key";
        }
    }
    for (const auto& [path, ops] : doc["paths"].items()) {
        for (const auto& [method, _] : ops.items()) {
            if (method == "parameters") {
                continue;
            }
            EXPECT_TRUE(served.count(method + " " + path)) << "documented but not served: " << method << " " << path;
        }
    }
}

}  // namespace
}  // namespace agentos::api
