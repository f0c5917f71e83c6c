// The v1 ingest API through the real server: start, events, complete/fail, tasks, and the bad inputs a user sends.

#include <algorithm>
#include <thread>

#include "tests/support/api_fixture.hpp"

namespace agentos::testing {
namespace {

class IngestTest : public ApiTest {};

nlohmann::json Events(const std::string& run_id, nlohmann::json events) {
    return {{"run_id", run_id}, {"events", std::move(events)}};
}

TEST_F(IngestTest, ARunIsOneOrderedTimelineFromStartToComplete) {
    const auto agent_id = AgentId("invoicer");
    auto r = client().Post(
        "/api/ingest/v1/run/start",
        {{"agent_id", agent_id},
         {"trigger_type", "webhook"},
         {"input", {{"invoiceId", "INV-001"}}},
         {"external_run_id", "job_8f2a"}},
        key_
    );
    ASSERT_EQ(r.status, 201) << r.body;
    const std::string run_id = r.Json()["data"]["run_id"];

    r = client().Post(
        "/api/ingest/v1/events",
        Events(
            run_id,
            {{{"type", "invoice.fetched"}, {"payload", {{"rows", 42}}}},
             {{"type", "step.completed"}, {"level", "warn"}, {"occurred_at", "2026-05-11T20:00:00.000Z"}}}
        ),
        key_
    );
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["data"]["accepted"], 2);
    EXPECT_EQ(r.Json()["data"]["first_sequence_number"], 2);
    EXPECT_EQ(r.Json()["data"]["last_sequence_number"], 3);

    r = client().Post("/api/ingest/v1/run/complete", {{"run_id", run_id}, {"output", {{"total", 99.5}}}}, key_);
    ASSERT_EQ(r.status, 200) << r.body;
    auto run = r.Json()["data"];
    EXPECT_EQ(run["status"], "completed");
    EXPECT_EQ(run["output"]["total"], 99.5);
    EXPECT_EQ(run["external_run_id"], "job_8f2a");
    EXPECT_EQ(run["trigger_type"], "webhook");
    EXPECT_EQ(run["event_count"], 4);

    r = client().Get("/api/v1/runs/" + run_id + "/events", key_);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto items = r.Json()["data"]["items"];
    ASSERT_EQ(items.size(), 4U);
    const std::vector<std::string> types{"run_start", "invoice.fetched", "step.completed", "run_end"};
    for (std::size_t i = 0; i < items.size(); ++i) {
        EXPECT_EQ(items[i]["sequence_number"], i + 1);
        EXPECT_EQ(items[i]["type"], types[i]);
    }
    EXPECT_EQ(items[0]["payload"]["input"]["invoiceId"], "INV-001");
    EXPECT_EQ(items[1]["payload"]["rows"], 42);
    EXPECT_EQ(items[1]["level"], "info");
    EXPECT_EQ(items[2]["level"], "warn");
    EXPECT_EQ(items[2]["occurred_at"], "2026-05-11T20:00:00.000Z");
    EXPECT_EQ(items[3]["payload"]["output"]["total"], 99.5);

    r = client().Get("/api/v1/runs/" + run_id + "/events?after=2", key_);
    EXPECT_EQ(r.Json()["data"]["items"].size(), 2U);
    EXPECT_EQ(r.Json()["data"]["items"][0]["sequence_number"], 3);
}

TEST_F(IngestTest, ARunClosesExactlyOnce) {
    const auto run_id = StartRun();
    auto r = client().Post(
        "/api/ingest/v1/run/fail",
        {{"run_id", run_id}, {"error_message", "boom"}, {"error_detail", {{"step", "fetch"}}}},
        key_
    );
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["data"]["status"], "failed");
    EXPECT_EQ(r.Json()["data"]["error_message"], "boom");
    EXPECT_EQ(r.Json()["data"]["error_detail"]["step"], "fetch");

    ExpectError(
        client().Post("/api/ingest/v1/run/complete", {{"run_id", run_id}}, key_), 409, "CONFLICT", "already failed"
    );
    ExpectError(
        client().Post("/api/ingest/v1/run/fail", {{"run_id", run_id}, {"error_message", "again"}}, key_),
        409,
        "CONFLICT"
    );
    ExpectError(
        client().Post("/api/ingest/v1/events", Events(run_id, {{{"type", "late"}}}), key_),
        409,
        "CONFLICT",
        "accepts no more events"
    );

    r = client().Get("/api/v1/runs/" + run_id + "/events", key_);
    const auto items = r.Json()["data"]["items"];
    ASSERT_EQ(items.size(), 2U);
    EXPECT_EQ(items[1]["type"], "error");
    EXPECT_EQ(items[1]["level"], "error");
    EXPECT_EQ(items[1]["payload"]["error_message"], "boom");
}

TEST_F(IngestTest, ConcurrentCompletesLetOneWin) {
    const auto run_id = StartRun();
    std::vector<std::thread> threads;
    std::vector<int> statuses(6);
    for (std::size_t i = 0; i < statuses.size(); ++i) {
        threads.emplace_back([&, i] {
            HttpClient c(app_->port());
            statuses[i] =
                c.Post("/api/ingest/v1/run/complete", {{"run_id", run_id}, {"output", {{"by", i}}}}, key_).status;
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 200), 1);
    EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 409), 5);
    const auto events = client().Get("/api/v1/runs/" + run_id + "/events", key_).Json()["data"]["items"];
    EXPECT_EQ(events.size(), 2U);  // run_start and one run_end
}

TEST_F(IngestTest, ConcurrentBatchesOverHttpHaveNoGaps) {
    const auto run_id = StartRun();
    std::vector<std::thread> threads;
    for (int t = 0; t < 6; ++t) {
        threads.emplace_back([&, t] {
            HttpClient c(app_->port());
            for (int b = 0; b < 10; ++b) {
                nlohmann::json events = nlohmann::json::array();
                for (int e = 0; e < 3; ++e) {
                    events.push_back({{"type", "tick"}, {"payload", {{"t", t}, {"b", b}, {"e", e}}}});
                }
                EXPECT_EQ(c.Post("/api/ingest/v1/events", Events(run_id, events), key_).status, 200);
            }
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    const auto items = client().Get("/api/v1/runs/" + run_id + "/events?limit=1000", key_).Json()["data"]["items"];
    ASSERT_EQ(items.size(), 1U + 6 * 10 * 3);
    for (std::size_t i = 0; i < items.size(); ++i) {
        ASSERT_EQ(items[i]["sequence_number"], i + 1);
    }
}

TEST_F(IngestTest, TasksAreUpsertedByTheirId) {
    const auto run_id = StartRun();
    const std::string task_id = "018f0c7e-5b1a-7c3d-9e2f-0a1b2c3d4e5f";
    auto r = client().Post(
        "/api/ingest/v1/tasks",
        {{"run_id", run_id},
         {"task",
          {{"id", task_id}, {"name", "parse-pdf"}, {"status", "running"}, {"input", {{"file", "report.pdf"}}}}}},
        key_
    );
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["data"]["status"], "running");
    r = client().Post(
        "/api/ingest/v1/tasks",
        {{"run_id", run_id},
         {"task", {{"id", task_id}, {"name", "parse-pdf"}, {"status", "completed"}, {"output", {{"pages", 3}}}}}},
        key_
    );
    ASSERT_EQ(r.status, 200) << r.body;
    const auto task = r.Json()["data"];
    EXPECT_EQ(task["status"], "completed");
    EXPECT_EQ(task["input"]["file"], "report.pdf");  // kept from the first call
    EXPECT_EQ(task["output"]["pages"], 3);

    // A finished task keeps its status; the same status again is an idempotent retry.
    ExpectError(
        client().Post(
            "/api/ingest/v1/tasks",
            {{"run_id", run_id}, {"task", {{"id", task_id}, {"name", "parse-pdf"}, {"status", "failed"}}}},
            key_
        ),
        409,
        "CONFLICT",
        "already ended as completed"
    );
    EXPECT_EQ(
        client()
            .Post(
                "/api/ingest/v1/tasks",
                {{"run_id", run_id}, {"task", {{"id", task_id}, {"name", "parse-pdf"}, {"status", "completed"}}}},
                key_
            )
            .status,
        200
    );
    // The same task id under another run is refused.
    const auto other = StartRun();
    ExpectError(
        client().Post(
            "/api/ingest/v1/tasks",
            {{"run_id", other}, {"task", {{"id", task_id}, {"name", "x"}, {"status", "running"}}}},
            key_
        ),
        409,
        "CONFLICT",
        "belongs to another run"
    );
    const auto detail = client().Get("/api/v1/runs/" + run_id, key_).Json()["data"];
    ASSERT_EQ(detail["tasks"].size(), 1U);
    EXPECT_EQ(detail["tasks"][0]["id"], task_id);
}

TEST_F(IngestTest, AgentIdMayBeTheSlugAndDefaultsToTheAgentKeysAgent) {
    AgentId("by-slug");
    auto r = client().Post("/api/ingest/v1/run/start", {{"agent_id", "by-slug"}}, key_);
    ASSERT_EQ(r.status, 201) << r.body;
    const auto agent_key = app_->AgentKey("default", "by-slug");
    r = client().Post("/api/ingest/v1/run/start", nlohmann::json::object(), agent_key);
    ASSERT_EQ(r.status, 201) << r.body;
    const std::string run_id = r.Json()["data"]["run_id"];
    EXPECT_EQ(client().Get("/api/v1/runs/" + run_id, key_).Json()["data"]["agent_slug"], "by-slug");
    ExpectError(
        client().Post("/api/ingest/v1/run/start", nlohmann::json::object(), key_),
        400,
        "VALIDATION_ERROR",
        "agent_id: required"
    );
}

TEST_F(IngestTest, BadInputIsA400NamingTheFieldAndStoresNothing) {
    const auto run_id = StartRun();

    struct Case {
        std::string path;
        std::string body;
        std::string fragment;
    };

    const std::string run = "\"run_id\": \"" + run_id + "\"";
    const std::vector<Case> cases = {
        {"/api/ingest/v1/events", "not json", "body: malformed JSON"},
        {"/api/ingest/v1/events", "[]", "body: must be a JSON object"},
        {"/api/ingest/v1/events", "{" + run + ", \"events\": {}}", "events: must be an array"},
        {"/api/ingest/v1/events", "{" + run + ", \"events\": []}", "events: must not be empty"},
        {"/api/ingest/v1/events", "{" + run + "}", "events: required"},
        {"/api/ingest/v1/events", "{" + run + ", \"events\": [{\"payload\": {}}]}", "events[0].type: required"},
        {"/api/ingest/v1/events", "{" + run + ", \"events\": [{\"type\": \"\"}]}", "events[0].type: must not be empty"},
        {"/api/ingest/v1/events", "{" + run + ", \"events\": [{\"type\": 7}]}", "events[0].type: must be a string"},
        {"/api/ingest/v1/events",
         "{" + run + ", \"events\": [{\"type\": \"a\"}, {\"type\": \"b\", \"level\": \"fatal\"}]}",
         "events[1].level: must be one of debug, info, warn, error"},
        {"/api/ingest/v1/events",
         "{" + run + ", \"events\": [{\"type\": \"a\", \"occurred_at\": \"yesterday\"}]}",
         "events[0].occurred_at: not an ISO-8601 time"},
        {"/api/ingest/v1/events",
         "{" + run + ", \"events\": [{\"type\": \"a\", \"occurred_at\": \"2026-02-30T00:00:00Z\"}]}",
         "events[0].occurred_at"},
        {"/api/ingest/v1/events",
         "{" + run + ", \"events\": [{\"type\": \"a\", \"payload\": [1]}]}",
         "events[0].payload: must be a JSON object"},
        {"/api/ingest/v1/events",
         "{" + run + ", \"events\": [{\"type\": \"a\", \"colour\": \"red\"}]}",
         "events[0].colour: unknown field"},
        {"/api/ingest/v1/events",
         "{" + run + ", \"events\": [{\"type\": \"a\"}], \"extra\": 1}",
         "extra: unknown field"},
        {"/api/ingest/v1/events", "{\"run_id\": \"123\", \"events\": [{\"type\": \"a\"}]}", "run_id: not a UUID"},
        {"/api/ingest/v1/events", "{\"run_id\": 5, \"events\": [{\"type\": \"a\"}]}", "run_id: must be a string"},
        {"/api/ingest/v1/run/start",
         "{\"agent_id\": \"bot\", \"trigger_type\": \"cron\"}",
         "trigger_type: must be one of manual, scheduled, webhook, sdk"},
        {"/api/ingest/v1/run/start", "{\"agent_id\": \"Not A Slug!\"}", "agent_id: not a UUID or an agent slug"},
        {"/api/ingest/v1/run/start", "{\"agent_id\": \"bot\", \"input\": \"text\"}", "input: must be a JSON object"},
        {"/api/ingest/v1/run/start",
         "{\"agent_id\": \"bot\", \"external_run_id\": \"" + std::string(300, 'x') + "\"}",
         "external_run_id: longer than 255"},
        {"/api/ingest/v1/run/complete", "{" + run + ", \"output\": 5}", "output: must be a JSON object"},
        {"/api/ingest/v1/run/fail", "{" + run + "}", "error_message: required"},
        {"/api/ingest/v1/run/fail",
         "{" + run + ", \"error_message\": \"x\", \"error_detail\": \"y\"}",
         "error_detail: must be a JSON object"},
        {"/api/ingest/v1/tasks", "{" + run + "}", "task: required"},
        {"/api/ingest/v1/tasks",
         "{" + run + ", \"task\": {\"id\": \"t1\", \"name\": \"n\", \"status\": \"running\"}}",
         "task.id: not a UUID"},
        {"/api/ingest/v1/tasks",
         "{" + run +
             ", \"task\": {\"id\": \"018f0c7e-5b1a-7c3d-9e2f-0a1b2c3d4e5f\", \"name\": \"n\", \"status\": \"done\"}}",
         "task.status: must be one of pending, running, completed, failed, skipped"},
        {"/api/ingest/v1/tasks",
         "{" + run + ", \"task\": {\"id\": \"018f0c7e-5b1a-7c3d-9e2f-0a1b2c3d4e5f\", \"status\": \"running\"}}",
         "task.name: required"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.path + " " + c.body.substr(0, 120));
        ExpectError(client().PostRaw(c.path, c.body, key_), 400, "VALIDATION_ERROR", c.fragment);
    }
    // Nothing was stored by any of them.
    const auto stored = client().Get("/api/v1/runs/" + run_id, key_).Json()["data"];
    EXPECT_EQ(stored["event_count"], 1);
    EXPECT_EQ(stored["status"], "running");
    EXPECT_EQ(stored["tasks"].size(), 0U);
    EXPECT_EQ(client().Get("/api/v1/runs", key_).Json()["data"]["items"].size(), 1U);
}

TEST_F(IngestTest, UnknownRunsAndAgentsAreNotFound) {
    const std::string missing = "018f0c7e-5b1a-7c3d-9e2f-0a1b2c3d4e5f";
    ExpectError(
        client().Post("/api/ingest/v1/events", Events(missing, {{{"type", "a"}}}), key_),
        404,
        "NOT_FOUND",
        "run " + missing
    );
    ExpectError(client().Post("/api/ingest/v1/run/complete", {{"run_id", missing}}, key_), 404, "NOT_FOUND");
    ExpectError(
        client().Post("/api/ingest/v1/run/start", {{"agent_id", "nobody"}}, key_), 404, "NOT_FOUND", "agent nobody"
    );
    ExpectError(
        client().Post(
            "/api/ingest/v1/tasks",
            {{"run_id", missing}, {"task", {{"id", missing}, {"name", "n"}, {"status", "running"}}}},
            key_
        ),
        404,
        "NOT_FOUND"
    );
}

}  // namespace
}  // namespace agentos::testing
