// The legacy single endpoint POST /api/ingest: its status effects, agent auto-registration, usage capture and
// budget warning, exactly as the seed documents them.

#include "tests/support/api_fixture.hpp"

namespace agentos::testing {
namespace {

class LegacyIngestTest : public ApiTest {
protected:
    HttpResult Ingest(const nlohmann::json& body, const std::string& key = "") {
        return client().Post("/api/ingest", body, key.empty() ? key_ : key);
    }

    nlohmann::json RunBySdkId(const std::string& sdk_run_id) {
        const auto items = client().Get("/api/v1/runs", key_).Json()["data"]["items"];
        for (const auto& r : items) {
            if (r["external_run_id"] == sdk_run_id) {
                return r;
            }
        }
        ADD_FAILURE() << "no run for " << sdk_run_id;
        return nullptr;
    }
};

TEST_F(LegacyIngestTest, StatusFollowsTheEventsAndRunEndCapturesUsage) {
    auto r = Ingest(
        {{"event_type", "run_start"},
         {"sdk_run_id", "run_a1b2c3"},
         {"agent_name", "research-agent"},
         {"payload", {{"framework", "langgraph"}, {"input", {{"query", "What is the weather in Zurich?"}}}}}}
    );
    ASSERT_EQ(r.status, 200) << r.body;
    auto j = r.Json();
    EXPECT_EQ(j["status"], "ok");
    EXPECT_TRUE(j["event_id"].is_number_integer());
    EXPECT_FALSE(j.contains("data"));  // the legacy body is not the envelope
    const auto first_event_id = j["event_id"].get<std::int64_t>();
    EXPECT_EQ(RunBySdkId("run_a1b2c3")["status"], "running");
    EXPECT_EQ(RunBySdkId("run_a1b2c3")["input"]["query"], "What is the weather in Zurich?");

    r = Ingest(
        {{"event_type", "step"},
         {"sdk_run_id", "run_a1b2c3"},
         {"payload", {{"node_name", "search_web"}, {"phase", "end"}, {"duration_ms", 890}}}}
    );
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_GT(r.Json()["event_id"].get<std::int64_t>(), first_event_id);
    r = Ingest(
        {{"event_type", "tool_call"},
         {"sdk_run_id", "run_a1b2c3"},
         {"payload", {{"tool_name", "web_search"}, {"phase", "end"}}}}
    );
    ASSERT_EQ(r.status, 200) << r.body;

    r = Ingest(
        {{"event_type", "human_input_requested"},
         {"sdk_run_id", "run_a1b2c3"},
         {"payload", {{"question", "Deploy?"}, {"channel", "slack"}}}}
    );
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(RunBySdkId("run_a1b2c3")["status"], "awaiting_input");
    r = Ingest(
        {{"event_type", "human_input_received"},
         {"sdk_run_id", "run_a1b2c3"},
         {"payload", {{"response", "yes"}, {"responded_by", "tobias"}}}}
    );
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(RunBySdkId("run_a1b2c3")["status"], "running");

    r = Ingest(
        {{"event_type", "run_end"},
         {"sdk_run_id", "run_a1b2c3"},
         {"payload",
          {{"output", {{"answer", "It is 12°C and cloudy."}}},
           {"prompt_tokens", 150},
           {"completion_tokens", 45},
           {"total_tokens", 195},
           {"cost_usd", 0.0023},
           {"model", "gpt-4"}}}}
    );
    ASSERT_EQ(r.status, 200) << r.body;
    const auto run = RunBySdkId("run_a1b2c3");
    EXPECT_EQ(run["status"], "completed");
    EXPECT_EQ(run["output"]["answer"], "It is 12°C and cloudy.");
    EXPECT_EQ(run["prompt_tokens"], 150);
    EXPECT_EQ(run["completion_tokens"], 45);
    EXPECT_EQ(run["total_tokens"], 195);
    EXPECT_DOUBLE_EQ(run["cost_usd"].get<double>(), 0.0023);
    EXPECT_EQ(run["model"], "gpt-4");
    EXPECT_EQ(run["source"], "legacy");

    const auto events =
        client().Get("/api/v1/runs/" + run["id"].get<std::string>() + "/events", key_).Json()["data"]["items"];
    ASSERT_EQ(events.size(), 6U);
    EXPECT_EQ(events[0]["type"], "run_start");
    EXPECT_EQ(events[0]["payload"]["framework"], "langgraph");
    EXPECT_EQ(events[5]["type"], "run_end");

    // A terminal run never changes again.
    ExpectError(
        Ingest({{"event_type", "error"}, {"sdk_run_id", "run_a1b2c3"}, {"payload", {{"error_message", "late"}}}}),
        409,
        "CONFLICT"
    );
    ExpectError(
        Ingest({{"event_type", "run_end"}, {"sdk_run_id", "run_a1b2c3"}, {"payload", nlohmann::json::object()}}),
        409,
        "CONFLICT"
    );
    EXPECT_EQ(RunBySdkId("run_a1b2c3")["status"], "completed");
}

TEST_F(LegacyIngestTest, ErrorFailsTheRunWithItsMessage) {
    ASSERT_EQ(
        Ingest({{"event_type", "run_start"},
                {"sdk_run_id", "r-err"},
                {"agent_name", "bot"},
                {"payload", nlohmann::json::object()}}
        ).status,
        200
    );
    const auto r = Ingest(
        {{"event_type", "error"},
         {"sdk_run_id", "r-err"},
         {"payload",
          {{"error_type", "ValueError"}, {"error_message", "API rate limit exceeded"}, {"traceback", "Traceback ..."}}}}
    );
    ASSERT_EQ(r.status, 200) << r.body;
    const auto run = RunBySdkId("r-err");
    EXPECT_EQ(run["status"], "failed");
    EXPECT_EQ(run["error_message"], "API rate limit exceeded");
    EXPECT_EQ(run["error_detail"]["error_type"], "ValueError");
}

TEST_F(LegacyIngestTest, RunStartRegistersTheAgentOnceBySlug) {
    ASSERT_EQ(
        Ingest({{"event_type", "run_start"},
                {"sdk_run_id", "a"},
                {"agent_name", "Research Agent"},
                {"payload", nlohmann::json::object()}}
        ).status,
        200
    );
    ASSERT_EQ(
        Ingest({{"event_type", "run_start"},
                {"sdk_run_id", "b"},
                {"agent_name", "research agent"},
                {"payload", nlohmann::json::object()}}
        ).status,
        200
    );
    const auto agents = client().Get("/api/v1/agents", key_).Json()["data"]["items"];
    ASSERT_EQ(agents.size(), 1U);
    EXPECT_EQ(agents[0]["slug"], "research-agent");
    EXPECT_EQ(agents[0]["name"], "Research Agent");
    EXPECT_EQ(agents[0]["runtime"], "external");
    EXPECT_EQ(agents[0]["source"], "ingest");
    ExpectError(
        Ingest(
            {{"event_type", "run_start"},
             {"sdk_run_id", "a"},
             {"agent_name", "Research Agent"},
             {"payload", nlohmann::json::object()}}
        ),
        409,
        "CONFLICT",
        "sdk_run_id 'a' already has a run"
    );
}

TEST_F(LegacyIngestTest, AnAgentKeyReportsForItsOwnAgentOnly) {
    const auto agent_key = app_->AgentKey("default", "scoped");
    auto r =
        Ingest({{"event_type", "run_start"}, {"sdk_run_id", "s1"}, {"payload", nlohmann::json::object()}}, agent_key);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(RunBySdkId("s1")["agent_slug"], "scoped");
    ExpectError(
        Ingest(
            {{"event_type", "run_start"},
             {"sdk_run_id", "s2"},
             {"agent_name", "someone-else"},
             {"payload", nlohmann::json::object()}},
            agent_key
        ),
        403,
        "FORBIDDEN"
    );
    // A run of another agent cannot be written with this key.
    ASSERT_EQ(
        Ingest({{"event_type", "run_start"},
                {"sdk_run_id", "o1"},
                {"agent_name", "other"},
                {"payload", nlohmann::json::object()}}
        ).status,
        200
    );
    ExpectError(
        Ingest({{"event_type", "step"}, {"sdk_run_id", "o1"}, {"payload", nlohmann::json::object()}}, agent_key),
        403,
        "FORBIDDEN"
    );
}

TEST_F(LegacyIngestTest, BudgetWarningOnceTheMonthsSpendPassesTheBudget) {
    ASSERT_EQ(
        Ingest({{"event_type", "run_start"},
                {"sdk_run_id", "b1"},
                {"agent_name", "my-agent"},
                {"payload", nlohmann::json::object()}}
        ).status,
        200
    );
    // Budgets come from agent definitions; set one directly for this ingest-only agent.
    app_->Sql("UPDATE agents SET monthly_budget_usd = 10 WHERE slug = 'my-agent'");
    auto r = Ingest({{"event_type", "run_end"}, {"sdk_run_id", "b1"}, {"payload", {{"cost_usd", 6.0}}}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_FALSE(r.Json().contains("budget_warning")) << r.body;
    ASSERT_EQ(
        Ingest({{"event_type", "run_start"},
                {"sdk_run_id", "b2"},
                {"agent_name", "my-agent"},
                {"payload", nlohmann::json::object()}}
        ).status,
        200
    );
    r = Ingest({{"event_type", "run_end"}, {"sdk_run_id", "b2"}, {"payload", {{"cost_usd", 5.0}}}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["budget_warning"], "Agent 'my-agent' has exceeded its budget of $10.00");
    EXPECT_EQ(RunBySdkId("b2")["budget_warning"], "Agent 'my-agent' has exceeded its budget of $10.00");
    // Runs still go, with the warning.
    r = Ingest(
        {{"event_type", "run_start"},
         {"sdk_run_id", "b3"},
         {"agent_name", "my-agent"},
         {"payload", nlohmann::json::object()}}
    );
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(r.Json().contains("budget_warning"));
}

TEST_F(LegacyIngestTest, BadInputIsA400NamingTheField) {
    ASSERT_EQ(
        Ingest({{"event_type", "run_start"},
                {"sdk_run_id", "ok"},
                {"agent_name", "bot"},
                {"payload", nlohmann::json::object()}}
        ).status,
        200
    );

    struct Case {
        nlohmann::json body;
        std::string fragment;
    };

    const std::vector<Case> cases = {
        {{{"sdk_run_id", "ok"}, {"payload", nlohmann::json::object()}}, "event_type: required"},
        {{{"event_type", "finish"}, {"sdk_run_id", "ok"}, {"payload", nlohmann::json::object()}},
         "event_type: must be one of run_start"},
        {{{"event_type", "step"}, {"payload", nlohmann::json::object()}}, "sdk_run_id: required"},
        {{{"event_type", "step"}, {"sdk_run_id", "ok"}}, "payload: required"},
        {{{"event_type", "step"}, {"sdk_run_id", "ok"}, {"payload", "x"}}, "payload: must be a JSON object"},
        {{{"event_type", "step"},
          {"sdk_run_id", "ok"},
          {"payload", nlohmann::json::object()},
          {"occurred_at", "2026-04-02 10:00"}},
         "occurred_at: not an ISO-8601 time"},
        {{{"event_type", "step"}, {"sdk_run_id", "ok"}, {"payload", nlohmann::json::object()}, {"run_id", "x"}},
         "run_id: unknown field"},
        {{{"event_type", "run_start"}, {"sdk_run_id", "new"}, {"payload", nlohmann::json::object()}},
         "agent_name: required"},
        {{{"event_type", "run_start"},
          {"sdk_run_id", "new"},
          {"agent_name", "!!!"},
          {"payload", nlohmann::json::object()}},
         "agent_name: must contain"},
        {{{"event_type", "run_end"}, {"sdk_run_id", "ok"}, {"payload", {{"prompt_tokens", -1}}}},
         "payload.prompt_tokens: must be a non-negative integer"},
        {{{"event_type", "run_end"}, {"sdk_run_id", "ok"}, {"payload", {{"cost_usd", "cheap"}}}},
         "payload.cost_usd: must be a non-negative number"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.body.dump());
        ExpectError(Ingest(c.body), 400, "VALIDATION_ERROR", c.fragment);
    }
    ExpectError(
        Ingest({{"event_type", "step"}, {"sdk_run_id", "never-started"}, {"payload", nlohmann::json::object()}}),
        404,
        "NOT_FOUND",
        "send its run_start event first"
    );
    // Nothing of it was stored: the run has only its run_start, still running.
    const auto run = RunBySdkId("ok");
    EXPECT_EQ(run["event_count"], 1);
    EXPECT_EQ(run["status"], "running");
}

}  // namespace
}  // namespace agentos::testing
