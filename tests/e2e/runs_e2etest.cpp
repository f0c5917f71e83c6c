// Reading runs: filters, cursor pagination, one run with its children, the stored timeline, strict query strings.

#include "tests/support/api_fixture.hpp"

namespace agentos::testing {
namespace {

class RunsTest : public ApiTest {};

TEST_F(RunsTest, ListFiltersAndPaginatesNewestFirst) {
    std::vector<std::string> alpha;
    for (int i = 0; i < 5; ++i) {
        alpha.push_back(StartRun("alpha"));
    }
    const auto beta = StartRun("beta", {{"trigger_type", "scheduled"}});
    ASSERT_EQ(client().Post("/api/ingest/v1/run/complete", {{"run_id", alpha[1]}}, key_).status, 200);

    auto r = client().Get("/api/v1/runs?agent_id=alpha&limit=2", key_);
    ASSERT_EQ(r.status, 200) << r.body;
    auto page = r.Json()["data"];
    ASSERT_EQ(page["items"].size(), 2U);
    EXPECT_EQ(page["items"][0]["id"], alpha[4]);
    EXPECT_EQ(page["items"][1]["id"], alpha[3]);
    std::vector<std::string> seen{page["items"][0]["id"], page["items"][1]["id"]};
    while (!page["next_cursor"].is_null()) {
        page = client()
                   .Get("/api/v1/runs?agent_id=alpha&limit=2&cursor=" + page["next_cursor"].get<std::string>(), key_)
                   .Json()["data"];
        for (const auto& item : page["items"]) {
            seen.push_back(item["id"]);
        }
    }
    EXPECT_EQ(seen, (std::vector<std::string>{alpha[4], alpha[3], alpha[2], alpha[1], alpha[0]}));
    const auto exact = client().Get("/api/v1/runs?agent_id=alpha&limit=5", key_).Json()["data"];
    EXPECT_EQ(exact["items"].size(), 5U);
    EXPECT_TRUE(exact["next_cursor"].is_null()) << "a full last page has no next page";

    auto items = client().Get("/api/v1/runs?status=completed", key_).Json()["data"]["items"];
    ASSERT_EQ(items.size(), 1U);
    EXPECT_EQ(items[0]["id"], alpha[1]);
    items = client().Get("/api/v1/runs?trigger_type=scheduled", key_).Json()["data"]["items"];
    ASSERT_EQ(items.size(), 1U);
    EXPECT_EQ(items[0]["id"], beta);
    const auto beta_id = client().Get("/api/v1/agents/beta", key_).Json()["data"]["id"].get<std::string>();
    EXPECT_EQ(client().Get("/api/v1/runs?agent_id=" + beta_id, key_).Json()["data"]["items"].size(), 1U);
    EXPECT_EQ(client().Get("/api/v1/runs?status=running&agent_id=alpha", key_).Json()["data"]["items"].size(), 4U);
}

TEST_F(RunsTest, OneRunWithItsFields) {
    const auto run_id = StartRun("solo", {{"input", {{"q", "hi"}}}});
    const auto r = client().Get("/api/v1/runs/" + run_id, key_);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto run = r.Json()["data"];
    EXPECT_EQ(run["id"], run_id);
    EXPECT_EQ(run["status"], "running");
    EXPECT_EQ(run["agent_slug"], "solo");
    EXPECT_EQ(run["input"]["q"], "hi");
    EXPECT_EQ(run["source"], "ingest");
    EXPECT_TRUE(run["output"].is_null());
    EXPECT_TRUE(run["ended_at"].is_null());
    EXPECT_EQ(run["child_runs"], nlohmann::json::array());
    EXPECT_EQ(run["tasks"], nlohmann::json::array());
    EXPECT_EQ(run["created_at"].get<std::string>().size(), 24U);  // 2026-05-11T20:00:00.000Z
}

TEST_F(RunsTest, EventsPageBySequenceNumber) {
    const auto run_id = StartRun();
    nlohmann::json events = nlohmann::json::array();
    for (int i = 0; i < 9; ++i) {
        events.push_back({{"type", "e" + std::to_string(i)}});
    }
    ASSERT_EQ(client().Post("/api/ingest/v1/events", {{"run_id", run_id}, {"events", events}}, key_).status, 200);
    auto page = client().Get("/api/v1/runs/" + run_id + "/events?limit=4", key_).Json()["data"];
    std::vector<int> seqs;
    for (;;) {
        for (const auto& e : page["items"]) {
            seqs.push_back(e["sequence_number"]);
        }
        if (page["next_cursor"].is_null()) {
            break;
        }
        page =
            client()
                .Get("/api/v1/runs/" + run_id + "/events?limit=4&after=" + page["next_cursor"].get<std::string>(), key_)
                .Json()["data"];
    }
    EXPECT_EQ(seqs, (std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
    const auto exact = client().Get("/api/v1/runs/" + run_id + "/events?limit=10", key_).Json()["data"];
    EXPECT_TRUE(exact["next_cursor"].is_null());
}

TEST_F(RunsTest, BadQueriesAndIdsAre400) {
    const auto run_id = StartRun();
    ExpectError(
        client().Get("/api/v1/runs?status=done", key_), 400, "VALIDATION_ERROR", "status: must be one of queued"
    );
    ExpectError(
        client().Get("/api/v1/runs?limit=0", key_),
        400,
        "VALIDATION_ERROR",
        "limit: must be a whole number from 1 to 200"
    );
    ExpectError(client().Get("/api/v1/runs?limit=abc", key_), 400, "VALIDATION_ERROR", "limit");
    ExpectError(client().Get("/api/v1/runs?cursor=xyz", key_), 400, "VALIDATION_ERROR", "cursor: not a UUID");
    ExpectError(client().Get("/api/v1/runs?session_id=1", key_), 400, "VALIDATION_ERROR", "session_id: not a UUID");
    ExpectError(
        client().Get("/api/v1/runs?colour=red", key_), 400, "VALIDATION_ERROR", "colour: unknown query parameter"
    );
    ExpectError(
        client().Get("/api/v1/runs?status=running&status=failed", key_), 400, "VALIDATION_ERROR", "given more than once"
    );
    ExpectError(client().Get("/api/v1/runs?agent_id=nobody", key_), 404, "NOT_FOUND");
    ExpectError(
        client().Get("/api/v1/runs?trigger_type=cron", key_), 400, "VALIDATION_ERROR", "trigger_type: must be one of"
    );
    ExpectError(client().Get("/api/v1/runs/not-a-uuid", key_), 400, "VALIDATION_ERROR", "runId: not a UUID");
    ExpectError(client().Get("/api/v1/runs/018f0c7e-5b1a-7c3d-9e2f-0a1b2c3d4e5f", key_), 404, "NOT_FOUND");
    ExpectError(client().Get("/api/v1/runs/" + run_id + "/events?after=-1", key_), 400, "VALIDATION_ERROR", "after");
    ExpectError(
        client().Get("/api/v1/runs/" + run_id + "/events?after=1&cursor=2", key_),
        400,
        "VALIDATION_ERROR",
        "either after or cursor"
    );
    ExpectError(client().Get("/api/v1/runs?agent_id=%FF", key_), 400, "VALIDATION_ERROR", "invalid UTF-8");
}

}  // namespace
}  // namespace agentos::testing
