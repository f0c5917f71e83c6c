// Durability through the real `agentos serve` process: a paused run survives a restart and completes when resolved
// on the new server; a server killed with SIGKILL during a model call or a tool call leaves runs that another
// server takes over when their lease expires and finishes from the last checkpoint (a webhook called again carries
// the same Idempotency-Key); a server that lost its lease writes nothing more.

#include <csignal>
#include <fstream>
#include <regex>
#include <thread>

#include "tests/support/api_fixture.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/fake_llm_server.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/test_http_server.hpp"

namespace agentos::testing {
namespace {

using Json = nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

/// One `agentos serve` process on the test database (its config gives a short lease, so recovery is quick).
using Server = ServerProcess;

class RecoveryTest : public ::testing::Test {
protected:
    void SetUp() override {
        AGENTOS_REQUIRE_PG();
        dsn_ = TestCluster::Get().NewDatabase();
        config_ = "/tmp/agentos-recovery-" + std::to_string(::getpid()) + "-" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".yaml";
        std::ofstream(config_) << "runs:\n  lease_seconds: 2\nprovider_retry:\n  max_retries: 0\n";
        const auto [code, out] = RunAgentos({"keys", "create", "--workspace", "default", "--database-url", dsn_});
        ASSERT_EQ(code, 0) << out;
        std::smatch m;
        ASSERT_TRUE(std::regex_search(out, m, std::regex("(aos_ws_[0-9A-Za-z]{36})"))) << out;
        key_ = m[1];
    }

    void TearDown() override { std::remove(config_.c_str()); }

    void Define(Server& server, const std::string& yaml) {
        auto client = server.Client();
        DefineAgent(client, key_, yaml, {{"{{LLM}}", llm_.base_url()}, {"{{HOOK}}", hook_.url("/deploy")}});
    }

    Json WaitFor(Server& server, const std::string& run_id, const std::string& status) {
        auto client = server.Client();
        return WaitForRunStatus(client, key_, run_id, status);
    }

    void WaitUntil(const std::function<bool()>& done) {
        const auto deadline = std::chrono::steady_clock::now() + seconds(15);
        while (!done() && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(milliseconds(10));
        }
        ASSERT_TRUE(done());
    }

    /// A background run of the deployer on `server`, waiting inside a model call that answers only after a minute.
    /// Empty when the invoke was refused (the failure is recorded).
    std::string RunWaitingOnTheModel(Server& server);

    /// A second server on the same database, the model now answering at once, finishes `run_id`. Returns its
    /// events; the run's completion and output are checked here.
    Json FinishedByASecondServer(const std::string& run_id);

    Json Events(Server& server, const std::string& run_id) {
        return server.Client().Get("/api/v1/runs/" + run_id + "/events?limit=1000", key_).Json()["data"]["items"];
    }

    std::string dsn_;
    std::string config_;
    std::string key_;
    FakeLlmServer llm_;
    TestHttpServer hook_{[](const RecordedRequest&) {
        return TestResponse{.body = R"({"deployed": true})"};
    }};
};

const char* kDeployer = R"yaml(
slug: deployer
model: { provider: openai, name: gpt-4o-mini, base_url: "{{LLM}}", api_key_env: FAKE_LLM_KEY }
tools:
  - name: deploy
    parameters: { type: object, properties: { env: { type: string } }, required: [env] }
    webhook: { url: "{{HOOK}}", timeout_s: 30 }
    requires_approval: true
)yaml";

TEST_F(RecoveryTest, APausedRunSurvivesARestartAndCompletesWhenResolved) {
    std::string run_id;
    std::string approval_id;
    {
        Server first(dsn_, config_);
        Define(first, kDeployer);
        llm_.Push({.tool_calls = {{.id = "call_1", .name = "deploy", .arguments = {{"env", "prod"}}}}});
        const auto r = first.Client().Post("/api/v1/agents/deployer/invoke", Json::object(), key_);
        ASSERT_EQ(r.status, 202) << r.body;
        run_id = r.Json()["data"]["run_id"];
        approval_id = r.Json()["data"]["awaiting_approval"]["approval_id"];
        EXPECT_EQ(first.Stop(SIGTERM), 0) << first.Output();
    }
    Server second(dsn_, config_);
    llm_.Push({.text = "Deployed after the restart."});
    const auto r =
        second.Client().Post("/api/v1/approvals/" + approval_id + "/resolve", {{"decision", "approve"}}, key_);
    ASSERT_EQ(r.status, 200) << r.body << second.Output();
    EXPECT_EQ(r.Json()["data"]["run_id"], run_id);
    EXPECT_EQ(r.Json()["data"]["output"]["content"], "Deployed after the restart.");
    ASSERT_EQ(hook_.request_count(), 1U);
    EXPECT_EQ(hook_.requests()[0].Header("idempotency-key"), run_id + ":call_1");
    // The second model call carried the whole conversation from the checkpoint.
    ASSERT_EQ(llm_.request_count(), 2U);
    const auto messages = llm_.requests()[1]["messages"];
    EXPECT_EQ(messages[messages.size() - 2]["tool_calls"][0]["id"], "call_1");
    EXPECT_EQ(messages.back()["role"], "tool");
}

std::string RecoveryTest::RunWaitingOnTheModel(Server& server) {
    Define(server, kDeployer);
    llm_.Push({.text = "never delivered", .delay = milliseconds(60000)});
    const auto r = server.Client().Post("/api/v1/agents/deployer/invoke", {{"background", true}}, key_);
    if (r.status != 202) {
        ADD_FAILURE() << "invoke: " << r.status << " " << r.body;
        return "";
    }
    WaitUntil([&] { return llm_.request_count() == 1; });
    return r.Json()["data"]["run_id"];
}

Json RecoveryTest::FinishedByASecondServer(const std::string& run_id) {
    llm_.SetDefault({.text = "finished by the second server"});
    Server second(dsn_, config_);
    const auto run = WaitFor(second, run_id, "completed");
    EXPECT_EQ(run["status"], "completed") << run << second.Output();
    EXPECT_EQ(run["output"]["content"], "finished by the second server");
    return Events(second, run_id);
}

TEST_F(RecoveryTest, ARunWhoseServerIsKilledDuringAModelCallIsFinishedByAnother) {
    auto first = std::make_unique<Server>(dsn_, config_);
    const std::string run_id = RunWaitingOnTheModel(*first);
    ASSERT_FALSE(run_id.empty());
    const auto killed = std::chrono::steady_clock::now();
    first->Stop(SIGKILL);
    first.reset();

    const auto events = FinishedByASecondServer(run_id);
    EXPECT_LT(std::chrono::steady_clock::now() - killed, seconds(2 + 5 + 10));  // lease + recovery + start-up slack
    bool recovered = false;
    for (const auto& e : events) {
        if (e["type"] == "run_recovered") {
            recovered = true;
            EXPECT_EQ(e["payload"]["recovery_count"], 1);
        }
    }
    EXPECT_TRUE(recovered);
}

// SIGTERM while a model call is in flight: the server waits its shutdown grace (10 s), then interrupts the run
// (nothing is written: it stays running), exits 0 with no sanitizer report, and another server finishes the run.
TEST_F(RecoveryTest, AServerStoppedDuringALongModelCallExitsCleanlyAndLeavesTheRunToAnother) {
    auto first = std::make_unique<Server>(dsn_, config_);
    const std::string run_id = RunWaitingOnTheModel(*first);
    ASSERT_FALSE(run_id.empty());
    EXPECT_EQ(first->Stop(SIGTERM), 0) << first->Output();
    const std::string out = first->Output();
    EXPECT_NE(out.find("interrupted"), std::string::npos) << out;
    EXPECT_EQ(out.find("Sanitizer"), std::string::npos) << out;
    first.reset();

    for (const auto& e : FinishedByASecondServer(run_id)) {
        EXPECT_NE(e["type"], "error") << "the interrupted call was not recorded as a failure: " << e;
    }
}

TEST_F(RecoveryTest, ARunWhoseServerIsKilledDuringAToolCallRunsTheCallAgainWithTheSameKey) {
    auto first = std::make_unique<Server>(dsn_, config_);
    Define(*first, R"yaml(
slug: hooker
model: { provider: openai, name: gpt-4o-mini, base_url: "{{LLM}}", api_key_env: FAKE_LLM_KEY }
tools:
  - name: deploy
    parameters: { type: object, properties: { env: { type: string } }, required: [env] }
    webhook: { url: "{{HOOK}}", timeout_s: 30 }
)yaml");
    std::atomic<int> calls{0};
    hook_.SetHandler([&](const RecordedRequest&) {
        // The first call is slow: the first server dies while it waits.
        const auto delay = ++calls == 1 ? milliseconds(3000) : milliseconds(0);
        return TestResponse{.body = R"({"deployed": true})", .delay = delay};
    });
    llm_.Push({.tool_calls = {{.id = "call_7", .name = "deploy", .arguments = {{"env", "prod"}}}}});
    llm_.SetDefault({.text = "deployed"});
    const auto r = first->Client().Post("/api/v1/agents/hooker/invoke", {{"background", true}}, key_);
    ASSERT_EQ(r.status, 202) << r.body;
    const std::string run_id = r.Json()["data"]["run_id"];
    WaitUntil([&] { return calls.load() == 1; });
    first->Stop(SIGKILL);
    first.reset();

    Server second(dsn_, config_);
    const auto run = WaitFor(second, run_id, "completed");
    ASSERT_EQ(run["status"], "completed") << run << second.Output();
    EXPECT_EQ(run["output"]["content"], "deployed");
    const auto requests = hook_.requests();
    ASSERT_GE(requests.size(), 2U);  // at least once: the call in flight ran again
    EXPECT_EQ(requests[0].Header("idempotency-key"), run_id + ":call_7");
    EXPECT_EQ(requests.back().Header("idempotency-key"), run_id + ":call_7");
}

TEST_F(RecoveryTest, ARunRecoveredTooOftenFails) {
    std::ofstream(config_) << "runs:\n  lease_seconds: 1\n  max_recoveries: 1\nprovider_retry:\n  max_retries: 0\n";
    llm_.SetDefault({.text = "slow", .delay = milliseconds(60000)});
    std::string run_id;
    for (int i = 0; i < 2; ++i) {  // started once, recovered once: both servers die in the model call
        Server s(dsn_, config_);
        if (i == 0) {
            Define(s, kDeployer);
            const auto r = s.Client().Post("/api/v1/agents/deployer/invoke", {{"background", true}}, key_);
            ASSERT_EQ(r.status, 202) << r.body;
            run_id = r.Json()["data"]["run_id"];
        }
        const auto want = static_cast<std::size_t>(i + 1);
        WaitUntil([&] { return llm_.request_count() >= want; });
        s.Stop(SIGKILL);
    }
    Server last(dsn_, config_);
    const auto run = WaitFor(last, run_id, "failed");
    ASSERT_EQ(run["status"], "failed") << run << last.Output();
    EXPECT_EQ(run["error_detail"]["error_type"], "recovery_exhausted");
}

TEST_F(RecoveryTest, AServerThatLostItsLeaseWritesNothingMore) {
    Server stale(dsn_, config_);
    Define(stale, kDeployer);
    // The first server's model call answers after 1 s, but that server is frozen for 5 s meanwhile; its lease (2 s)
    // passes to the second server, whose own call takes 4 s: when the first thaws, the run is held by another term.
    llm_.Push({.text = "from the stale server", .delay = milliseconds(1000)});
    llm_.Push({.text = "from the new holder", .delay = milliseconds(4000)});
    const auto r = stale.Client().Post("/api/v1/agents/deployer/invoke", {{"background", true}}, key_);
    ASSERT_EQ(r.status, 202) << r.body;
    const std::string run_id = r.Json()["data"]["run_id"];
    WaitUntil([&] { return llm_.request_count() == 1; });
    stale.Signal(SIGSTOP);
    Server holder(dsn_, config_);
    WaitUntil([&] { return llm_.request_count() == 2; });  // taken over: the node runs again on the holder
    stale.Signal(SIGCONT);
    const auto run = WaitFor(holder, run_id, "completed");
    ASSERT_EQ(run["status"], "completed") << run << holder.Output();
    EXPECT_EQ(run["output"]["content"], "from the new holder");
    int ends = 0;
    for (const auto& e : Events(holder, run_id)) {
        ends += e["type"] == "run_end" ? 1 : 0;
    }
    EXPECT_EQ(ends, 1);
    EXPECT_EQ(stale.Stop(SIGTERM), 0) << stale.Output();
}

}  // namespace
}  // namespace agentos::testing
