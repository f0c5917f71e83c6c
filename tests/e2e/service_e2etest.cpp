// Service routes: health (and its 503 when the database goes away), metrics, and the served OpenAPI document.

#include <filesystem>

#include <unistd.h>

#include "runtime/store/embedded_cluster.hpp"
#include "tests/support/api_fixture.hpp"

namespace agentos::testing {
namespace {

class ServiceTest : public ApiTest {};

TEST_F(ServiceTest, HealthNeedsNoKey) {
    const auto r = client().Get("/health");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["data"]["status"], "ok");
    EXPECT_EQ(r.Json()["data"]["database"], "ok");
}

TEST_F(ServiceTest, OpenApiIsServedWithoutAKey) {
    const auto r = client().Get("/openapi.json");
    ASSERT_EQ(r.status, 200);
    const auto doc = r.Json();
    EXPECT_EQ(doc["openapi"], "3.1.0");
    EXPECT_TRUE(doc["paths"].contains("/api/ingest/v1/events"));
}

TEST_F(ServiceTest, MetricsCountRequestsByRouteAndStatusAndShowThePool) {
    client().Get("/health");
    client().Get("/api/v1/runs", key_);
    client().Get("/api/v1/runs/not-a-uuid", key_);
    ExpectError(client().Get("/metrics"), 401, "UNAUTHENTICATED");
    const auto r = client().Get("/metrics", key_);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.Header("content-type")->rfind("text/plain", 0), 0U);
    const auto& text = r.body;
    EXPECT_NE(
        text.find(R"(agentos_http_requests_total{route="/health",method="GET",status="200"} 1)"), std::string::npos
    ) << text;
    EXPECT_NE(
        text.find(R"(agentos_http_requests_total{route="/api/v1/runs/:runId",method="GET",status="400"} 1)"),
        std::string::npos
    );
    EXPECT_NE(
        text.find(R"(agentos_http_request_duration_seconds_bucket{route="/api/v1/runs",le="+Inf"} 1)"),
        std::string::npos
    );
    EXPECT_NE(text.find(R"(agentos_db_pool_connections{state="idle"})"), std::string::npos);
    EXPECT_NE(text.find(R"(agentos_db_pool_connections{state="in_use"})"), std::string::npos);
}

TEST(ServiceHealth, Is503WhenTheDatabaseIsGone) {
    AGENTOS_REQUIRE_PG();
    // A cluster of its own, so it can be stopped under the running server.
    const auto dir = std::filesystem::path("/tmp") / ("agentos-health-" + std::to_string(getpid()));
    store::EmbeddedCluster cluster({dir, false, "agentos"});
    cluster.Start();
    {
        TestAppOptions o;
        o.database_url = cluster.Dsn();
        TestApp app(o);
        HttpClient c(app.port());
        const auto key = app.WorkspaceKey();
        EXPECT_EQ(c.Get("/health").status, 200);
        EXPECT_EQ(c.Get("/api/v1/runs", key).status, 200);
        cluster.Stop(true);
        const auto r = c.Get("/health");
        ExpectError(r, 503, "UNAVAILABLE", "database");
        const auto key_less = c.Get("/api/v1/runs");
        EXPECT_EQ(key_less.status, 401);  // a missing key is refused before any query
        ExpectError(c.Get("/api/v1/runs", key), 503, "UNAVAILABLE");
    }
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace agentos::testing
