// Keys and tenancy: one 401 for every bad key, workspace isolation, agent-key scoping, and the per-key rate limit.

#include "api/commands.hpp"
#include "runtime/core/api_key.hpp"
#include "tests/support/api_fixture.hpp"

namespace agentos::testing {
namespace {

class AuthTest : public ApiTest {};

TEST_F(AuthTest, EveryBadKeyGetsTheSame401) {
    const auto valid = app_->WorkspaceKey();
    std::string garbled = valid;
    garbled[10] = garbled[10] == 'a' ? 'b' : 'a';
    const auto unknown = core::GenerateApiKey(core::KeyKind::kWorkspace).key;  // well-formed, never stored
    const auto revoked = app_->WorkspaceKey();
    ASSERT_EQ(api::RunKeysRevoke(app_->dsn(), revoked), 0);

    std::string first_body;
    for (const auto& header : std::vector<std::string>{
             "",
             "Bearer",
             "Bearer ",
             "Basic " + valid,
             "Bearer " + garbled,
             "Bearer " + unknown,
             "Bearer " + revoked,
             "Token " + valid}) {
        SCOPED_TRACE(header);
        Headers h;
        if (!header.empty()) {
            h.emplace_back("Authorization", header);
        }
        const auto r = client().Send("GET", "/api/v1/runs", "", h);
        ExpectError(r, 401, "UNAUTHENTICATED");
        const auto error = r.Json()["error"];
        if (first_body.empty()) {
            first_body = error.dump();
        }
        EXPECT_EQ(error.dump(), first_body);  // nothing tells the caller which check failed
    }
    EXPECT_EQ(client().Get("/api/v1/runs", valid).status, 200);
    EXPECT_EQ(client().Send("GET", "/api/v1/runs", "", {{"Authorization", "bearer " + valid}}).status, 200);
}

TEST_F(AuthTest, ARevokedKeyStopsWorkingAtOnceEvenWhenTheServerCachedIt) {
    const auto key = app_->WorkspaceKey();
    for (int i = 0; i < 3; ++i) {
        ASSERT_EQ(client().Get("/api/v1/runs", key).status, 200);  // now cached by the server
    }
    ASSERT_EQ(api::RunKeysRevoke(app_->dsn(), core::ParseApiKey(key)->prefix), 0);  // another connection, as the CLI
    // The revocation travels by NOTIFY; allow it the moment it takes to arrive, then it must hold.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    int status = 200;
    while (status == 200 && std::chrono::steady_clock::now() < deadline) {
        status = client().Get("/api/v1/runs", key).status;
    }
    EXPECT_EQ(status, 401);
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(client().Get("/api/v1/runs", key).status, 401);
    }
    EXPECT_EQ(client().Get("/api/v1/runs", key_).status, 200);
}

TEST_F(AuthTest, AnotherWorkspacesObjectsAreNotFound) {
    const auto run_id = StartRun("mine");
    const auto other_key = app_->WorkspaceKey("other-workspace");
    ExpectError(client().Get("/api/v1/runs/" + run_id, other_key), 404, "NOT_FOUND");
    ExpectError(client().Get("/api/v1/runs/" + run_id + "/events", other_key), 404, "NOT_FOUND");
    ExpectError(client().Get("/api/v1/agents/mine", other_key), 404, "NOT_FOUND");
    ExpectError(
        client().Post("/api/ingest/v1/events", {{"run_id", run_id}, {"events", {{{"type", "x"}}}}}, other_key),
        404,
        "NOT_FOUND"
    );
    ExpectError(client().Post("/api/ingest/v1/run/complete", {{"run_id", run_id}}, other_key), 404, "NOT_FOUND");
    EXPECT_EQ(client().Get("/api/v1/runs", other_key).Json()["data"]["items"].size(), 0U);
    EXPECT_EQ(client().Get("/api/v1/agents", other_key).Json()["data"]["items"].size(), 0U);
    // And nothing was written to the run.
    EXPECT_EQ(client().Get("/api/v1/runs/" + run_id, key_).Json()["data"]["event_count"], 1);
}

TEST_F(AuthTest, AnAgentKeyOnlyReachesItsAgent) {
    const auto mine = StartRun("alpha");
    const auto theirs = StartRun("beta");
    const auto alpha_key = app_->AgentKey("default", "alpha");
    EXPECT_EQ(client().Get("/api/v1/runs/" + mine, alpha_key).status, 200);
    ExpectError(client().Get("/api/v1/runs/" + theirs, alpha_key), 403, "FORBIDDEN");
    ExpectError(client().Get("/api/v1/runs/" + theirs + "/events", alpha_key), 403, "FORBIDDEN");
    ExpectError(client().Get("/api/v1/agents/beta", alpha_key), 403, "FORBIDDEN");
    ExpectError(client().Get("/api/v1/runs?agent_id=beta", alpha_key), 403, "FORBIDDEN");
    ExpectError(
        client().Post("/api/ingest/v1/events", {{"run_id", theirs}, {"events", {{{"type", "x"}}}}}, alpha_key),
        403,
        "FORBIDDEN"
    );
    ExpectError(client().Post("/api/ingest/v1/run/start", {{"agent_id", "beta"}}, alpha_key), 403, "FORBIDDEN");
    const auto list = client().Get("/api/v1/runs", alpha_key).Json()["data"]["items"];
    ASSERT_EQ(list.size(), 1U);
    EXPECT_EQ(list[0]["id"], mine);
    const auto agents = client().Get("/api/v1/agents", alpha_key).Json()["data"]["items"];
    ASSERT_EQ(agents.size(), 1U);
    EXPECT_EQ(agents[0]["slug"], "alpha");
}

class RateLimitTest : public ApiTest {
protected:
    TestAppOptions Options() override {
        TestAppOptions o;
        o.rate_limit_per_minute = 5;
        return o;
    }
};

TEST_F(RateLimitTest, OverTheLimitIs429WithRetryAfterAndOtherKeysAreUnaffected) {
    for (int i = 0; i < 5; ++i) {
        const auto r = client().Get("/api/v1/runs", key_);
        ASSERT_EQ(r.status, 200) << i;
        EXPECT_EQ(r.Header("x-ratelimit-limit"), "5");
        EXPECT_EQ(r.Header("x-ratelimit-remaining"), std::to_string(4 - i));
        EXPECT_TRUE(r.Header("x-ratelimit-reset").has_value());
    }
    const auto limited = client().Get("/api/v1/runs", key_);
    ExpectError(limited, 429, "RATE_LIMITED", "over 5 requests per minute");
    ASSERT_TRUE(limited.Header("retry-after").has_value());
    EXPECT_GE(std::stoi(*limited.Header("retry-after")), 1);
    EXPECT_EQ(limited.Header("x-ratelimit-remaining"), "0");
    EXPECT_EQ(client().Get("/api/v1/runs", app_->WorkspaceKey()).status, 200);
    EXPECT_EQ(client().Get("/health").status, 200);  // the public routes are not limited
}

}  // namespace
}  // namespace agentos::testing
