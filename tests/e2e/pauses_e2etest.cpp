// Durable pauses through the real server: tool approvals and approval nodes, input nodes and ask_human, answers that
// resume the run (200, or 202 when it pauses again), one winner among concurrent answers, deadlines applied with
// nobody connected, cancel (of a running, a paused and a parent run), and the bad inputs of each route.

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <thread>

#include "tests/support/api_fixture.hpp"
#include "tests/support/fake_llm_server.hpp"
#include "tests/support/test_http_server.hpp"

namespace agentos::testing {
namespace {

using Json = nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

class PauseTest : public HostedApiTest {
protected:
    HttpResult Invoke(const std::string& agent, const Json& body = Json::object()) {
        return client().Post("/api/v1/agents/" + agent + "/invoke", body, key_);
    }

    HttpResult Resolve(const std::string& id, const Json& body, const std::string& key = "") {
        return client().Post("/api/v1/approvals/" + id + "/resolve", body, key.empty() ? key_ : key);
    }

    HttpResult Respond(const std::string& id, const Json& body, const std::string& key = "") {
        return client().Post("/api/v1/input-requests/" + id + "/respond", body, key.empty() ? key_ : key);
    }

    Json Events(const std::string& run_id) {
        return client().Get("/api/v1/runs/" + run_id + "/events?limit=1000", key_).Json()["data"]["items"];
    }

    Json WaitFor(const std::string& run_id, const std::string& status) {
        return WaitForRunStatus(client(), key_, run_id, status);
    }

    static std::vector<std::string> Types(const Json& events) {
        std::vector<std::string> out;
        for (const auto& e : events) {
            out.push_back(e["type"]);
        }
        return out;
    }
};

const char* kDeployer = R"yaml(
slug: deployer
model: { provider: openai, name: gpt-4o-mini, base_url: "{{LLM}}", api_key_env: FAKE_LLM_KEY }
tools:
  - name: deploy
    description: Deploy the build
    parameters: { type: object, properties: { env: { type: string } }, required: [env] }
    webhook: { url: "{{HOOK}}" }
    requires_approval: true
)yaml";

TEST_F(PauseTest, AToolApprovalPausesTheRunAndApprovingRunsExactlyTheStoredCall) {
    Define(kDeployer);
    llm_.Push({.tool_calls = {{.id = "call_1", .name = "deploy", .arguments = {{"env", "prod"}}}}});
    llm_.Push({.text = "Deployed to prod."});
    auto r = Invoke("deployer", {{"input", {{"message", "ship it"}}}});
    ASSERT_EQ(r.status, 202) << r.body;
    auto data = r.Json()["data"];
    const std::string run_id = data["run_id"];
    EXPECT_EQ(data["status"], "awaiting_approval");
    EXPECT_TRUE(data["output"].is_null());
    const std::string approval_id = data["awaiting_approval"]["approval_id"];
    EXPECT_EQ(data["awaiting_approval"]["tool_name"], "deploy");
    EXPECT_NE(data["awaiting_approval"]["message"].get<std::string>().find("deploy"), std::string::npos);
    EXPECT_EQ(hook_.request_count(), 0U);  // nothing runs before the approval

    // The pause is visible: the run, the list, the count, the approval itself.
    const auto run = Run(run_id);
    EXPECT_EQ(run["status"], "awaiting_approval");
    EXPECT_EQ(run["pending_approval"]["approval_id"], approval_id);
    EXPECT_TRUE(run["pending_input"].is_null());
    const auto list = client().Get("/api/v1/approvals?status=pending", key_).Json()["data"]["items"];
    ASSERT_EQ(list.size(), 1U);
    EXPECT_EQ(list[0]["id"], approval_id);
    EXPECT_EQ(list[0]["arguments"], (Json{{"env", "prod"}}));
    EXPECT_EQ(list[0]["tool_call_id"], "call_1");
    EXPECT_EQ(list[0]["arguments_hash"].get<std::string>().size(), 64U);
    EXPECT_EQ(client().Get("/api/v1/approvals/count?status=pending", key_).Json()["data"]["count"], 1);
    EXPECT_EQ(client().Get("/api/v1/approvals/" + approval_id, key_).Json()["data"]["status"], "pending");

    r = Resolve(approval_id, {{"decision", "approve"}, {"responded_by", "ops@example.com"}});
    ASSERT_EQ(r.status, 200) << r.body;
    data = r.Json()["data"];
    EXPECT_EQ(data["run_id"], run_id);
    EXPECT_EQ(data["status"], "completed");
    EXPECT_EQ(data["output"]["content"], "Deployed to prod.");

    ASSERT_EQ(hook_.request_count(), 1U);
    const auto call = hook_.requests()[0];
    EXPECT_EQ(Json::parse(call.body)["args"], (Json{{"env", "prod"}}));
    EXPECT_EQ(call.Header("idempotency-key"), run_id + ":call_1");
    // The model got the tool's result with its call.
    ASSERT_EQ(llm_.request_count(), 2U);
    const auto sent = llm_.requests()[1]["messages"];
    EXPECT_EQ(sent.back()["role"], "tool");
    EXPECT_EQ(sent.back()["tool_call_id"], "call_1");

    const auto events = Events(run_id);
    EXPECT_EQ(
        Types(events),
        (std::vector<std::string>{
            "run_start",
            "step",
            "step",
            "human_input_requested",
            "human_input_received",
            "tool_call",
            "tool_call",
            "step",
            "step",
            "run_end"})
    );
    EXPECT_EQ(events[3]["payload"]["kind"], "approval");
    EXPECT_EQ(events[3]["payload"]["approval_id"], approval_id);
    EXPECT_EQ(events[3]["payload"]["context"]["tool_name"], "deploy");
    EXPECT_EQ(events[4]["payload"]["response"], "approve");
    EXPECT_EQ(events[4]["payload"]["responded_by"], "ops@example.com");
    EXPECT_EQ(events[5]["payload"]["approval_id"], approval_id);
    for (std::size_t i = 0; i < events.size(); ++i) {
        EXPECT_EQ(events[i]["sequence_number"], static_cast<int>(i + 1));
    }

    const auto approval = client().Get("/api/v1/approvals/" + approval_id, key_).Json()["data"];
    EXPECT_EQ(approval["status"], "approved");
    EXPECT_EQ(approval["decision"], "approve");
    EXPECT_FALSE(approval["resolved_at"].is_null());
    // Answered once: the second answer is a conflict, and nothing runs again.
    ExpectError(Resolve(approval_id, {{"decision", "approve"}}), 409, "CONFLICT", "already approved");
    ExpectError(Resolve(approval_id, {{"decision", "reject"}}), 409, "CONFLICT");
    EXPECT_EQ(hook_.request_count(), 1U);
    EXPECT_EQ(client().Get("/api/v1/approvals/count?status=pending", key_).Json()["data"]["count"], 0);
}

TEST_F(PauseTest, ARejectedToolCallIsReportedToTheModel) {
    Define(kDeployer);
    llm_.Push({.tool_calls = {{.id = "call_1", .name = "deploy", .arguments = {{"env", "prod"}}}}});
    llm_.Push({.text = "Understood, not deploying."});
    const auto r = Invoke("deployer");
    ASSERT_EQ(r.status, 202) << r.body;
    const std::string approval_id = r.Json()["data"]["awaiting_approval"]["approval_id"];
    const auto resolved = Resolve(approval_id, {{"decision", "reject"}, {"comment", "not on a Friday"}});
    ASSERT_EQ(resolved.status, 200) << resolved.body;
    EXPECT_EQ(resolved.Json()["data"]["output"]["content"], "Understood, not deploying.");
    EXPECT_EQ(hook_.request_count(), 0U);
    const auto tool_message = llm_.requests()[1]["messages"].back();
    EXPECT_EQ(tool_message["role"], "tool");
    EXPECT_NE(tool_message["content"].get<std::string>().find("rejected"), std::string::npos) << tool_message;
    EXPECT_NE(tool_message["content"].get<std::string>().find("not on a Friday"), std::string::npos);
    EXPECT_EQ(client().Get("/api/v1/approvals/" + approval_id, key_).Json()["data"]["status"], "rejected");
}

TEST_F(PauseTest, SeveralApprovalsInOneModelTurnPauseOneAfterTheOther) {
    Define(kDeployer);
    llm_.Push(
        {.tool_calls =
             {{.id = "call_a", .name = "deploy", .arguments = {{"env", "staging"}}},
              {.id = "call_b", .name = "deploy", .arguments = {{"env", "prod"}}}}}
    );
    llm_.Push({.text = "Both deployed."});
    auto r = Invoke("deployer");
    ASSERT_EQ(r.status, 202) << r.body;
    const std::string first = r.Json()["data"]["awaiting_approval"]["approval_id"];
    r = Resolve(first, {{"decision", "approve"}});
    ASSERT_EQ(r.status, 202) << r.body;  // paused again, for the second call
    const std::string second = r.Json()["data"]["awaiting_approval"]["approval_id"];
    EXPECT_NE(first, second);
    EXPECT_EQ(client().Get("/api/v1/approvals/" + second, key_).Json()["data"]["tool_call_id"], "call_b");
    ASSERT_EQ(hook_.request_count(), 1U);
    EXPECT_EQ(Json::parse(hook_.requests()[0].body)["args"]["env"], "staging");
    r = Resolve(second, {{"decision", "approve"}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["data"]["output"]["content"], "Both deployed.");
    ASSERT_EQ(hook_.request_count(), 2U);
    EXPECT_EQ(Json::parse(hook_.requests()[1].body)["args"]["env"], "prod");
    ASSERT_EQ(llm_.request_count(), 2U);  // the model was asked once more, with both results
    const auto messages = llm_.requests()[1]["messages"];
    EXPECT_EQ(messages[messages.size() - 2]["tool_call_id"], "call_a");
    EXPECT_EQ(messages[messages.size() - 1]["tool_call_id"], "call_b");
}

TEST_F(PauseTest, AnApprovalNeverCoversALaterTurnThatReusesTheCallId) {
    Define(kDeployer);
    // Some models (local servers) send the same call id every turn.
    llm_.Push({.tool_calls = {{.id = "call_0", .name = "deploy", .arguments = {{"env", "staging"}}}}});
    llm_.Push({.tool_calls = {{.id = "call_0", .name = "deploy", .arguments = {{"env", "prod"}}}}});
    llm_.Push({.text = "done"});
    auto r = Invoke("deployer");
    ASSERT_EQ(r.status, 202) << r.body;
    r = Resolve(r.Json()["data"]["awaiting_approval"]["approval_id"], {{"decision", "approve"}});
    ASSERT_EQ(r.status, 202) << r.body;  // the second turn's call waits for its own approval
    EXPECT_EQ(r.Json()["data"]["status"], "awaiting_approval");
    ASSERT_EQ(hook_.request_count(), 1U);
    EXPECT_EQ(Json::parse(hook_.requests()[0].body)["args"]["env"], "staging");
    const std::string second = r.Json()["data"]["awaiting_approval"]["approval_id"];
    EXPECT_EQ(client().Get("/api/v1/approvals/" + second, key_).Json()["data"]["arguments"]["env"], "prod");
    r = Resolve(second, {{"decision", "reject"}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(hook_.request_count(), 1U);  // prod was never deployed
}

TEST_F(PauseTest, TwoCallsOfOneTurnWithTheSameIdEachNeedTheirOwnApproval) {
    Define(kDeployer);
    llm_.Push(
        {.tool_calls =
             {{.id = "dup", .name = "deploy", .arguments = {{"env", "staging"}}},
              {.id = "dup", .name = "deploy", .arguments = {{"env", "prod"}}}}}
    );
    llm_.Push({.text = "done"});
    auto r = Invoke("deployer");
    ASSERT_EQ(r.status, 202) << r.body;
    r = Resolve(r.Json()["data"]["awaiting_approval"]["approval_id"], {{"decision", "approve"}});
    ASSERT_EQ(r.status, 202) << r.body;  // not approved by the first call's answer
    const std::string second = r.Json()["data"]["awaiting_approval"]["approval_id"];
    EXPECT_EQ(client().Get("/api/v1/approvals/" + second, key_).Json()["data"]["arguments"]["env"], "prod");
    r = Resolve(second, {{"decision", "reject"}});
    ASSERT_EQ(r.status, 200) << r.body;
    ASSERT_EQ(hook_.request_count(), 1U);
    EXPECT_EQ(Json::parse(hook_.requests()[0].body)["args"]["env"], "staging");
}

TEST_F(PauseTest, ARunClosedThroughIngestEndsItsPendingPause) {
    Define(kDeployer);
    llm_.Push({.tool_calls = {{.id = "call_1", .name = "deploy", .arguments = {{"env", "prod"}}}}});
    const auto r = Invoke("deployer");
    ASSERT_EQ(r.status, 202) << r.body;
    const std::string run_id = r.Json()["data"]["run_id"];
    const std::string approval_id = r.Json()["data"]["awaiting_approval"]["approval_id"];
    const auto failed =
        client().Post("/api/ingest/v1/run/fail", {{"run_id", run_id}, {"error_message", "given up"}}, key_);
    ASSERT_EQ(failed.status, 200) << failed.body;
    EXPECT_EQ(client().Get("/api/v1/approvals/" + approval_id, key_).Json()["data"]["status"], "cancelled");
    ExpectError(Resolve(approval_id, {{"decision", "approve"}}), 409, "CONFLICT");
    EXPECT_EQ(hook_.request_count(), 0U);
}

TEST_F(PauseTest, AChildRunThatPausesIsEndedAndFailsItsParentsNode) {
    Define(R"yaml(
slug: careful-child
model: { provider: mock }
graph:
  start: check
  nodes:
    check: { type: approval, message: "May I?" }
)yaml");
    Define(R"yaml(
slug: hasty-parent
model: { provider: mock }
graph:
  start: delegate
  nodes:
    delegate: { type: agent, agent: careful-child, input: { message: "go" } }
)yaml");
    const auto r = Invoke("hasty-parent");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["data"]["status"], "failed");
    EXPECT_EQ(r.Json()["data"]["error_type"], "ChildRunFailed");
    const auto children = Run(r.Json()["data"]["run_id"])["child_runs"];
    ASSERT_EQ(children.size(), 1U);
    EXPECT_EQ(children[0]["status"], "cancelled");
    EXPECT_EQ(client().Get("/api/v1/approvals/count?status=pending", key_).Json()["data"]["count"], 0);
}

TEST_F(PauseTest, ConcurrentResolutionsHaveExactlyOneWinner) {
    Define(kDeployer);
    llm_.Push({.tool_calls = {{.id = "call_1", .name = "deploy", .arguments = {{"env", "prod"}}}}});
    llm_.Push({.text = "done"});
    const auto r = Invoke("deployer");
    ASSERT_EQ(r.status, 202) << r.body;
    const std::string approval_id = r.Json()["data"]["awaiting_approval"]["approval_id"];
    std::atomic<int> won{0};
    std::atomic<int> conflicts{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i) {
        threads.emplace_back([&, i] {
            HttpClient c(app_->port());
            const auto res = c.Post(
                "/api/v1/approvals/" + approval_id + "/resolve", {{"decision", i % 2 ? "approve" : "reject"}}, key_
            );
            if (res.status == 200) {
                ++won;
            } else if (res.status == 409) {
                ++conflicts;
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(won.load(), 1);
    EXPECT_EQ(conflicts.load(), 7);
    EXPECT_LE(hook_.request_count(), 1U);  // approved or rejected once: the tool ran at most once
    EXPECT_EQ(llm_.request_count(), 2U);
    EXPECT_EQ(Run(r.Json()["data"]["run_id"])["status"], "completed");
}

const char* kReviewGraph = R"yaml(
slug: review
model:
  provider: mock
  script:
    - text: "a plan"
graph:
  start: plan
  nodes:
    plan:    { type: llm, prompt: "Plan for {{input.query}}", output: plan }
    check:   { type: approval, message: "Run this plan? {{state.plan}}", on_reject: give_up }
    region:  { type: input, question: "Which region?", options: [eu, us], output: region }
    route:   { type: router, routes: [ { when: "state.region == 'eu'", to: eu_done }, { to: us_done } ] }
    eu_done: { type: tool, tool: calculator, args: { expression: "1+1" }, output: sum }
    us_done: { type: tool, tool: calculator, args: { expression: "2+2" }, output: sum }
    give_up: { type: tool, tool: calculator, args: { expression: "0" }, output: sum }
  edges:
    - [plan, check]
    - [check, region]
    - [region, route]
  output: { region: "{{state.region}}", sum: "{{state.sum.text}}" }
tools:
  - use: calculator
)yaml";

TEST_F(PauseTest, TwoPausesInOneRunResumeInTurn) {
    Define(kReviewGraph);
    auto r = Invoke("review", {{"input", {{"query", "weather"}}}});
    ASSERT_EQ(r.status, 202) << r.body;
    const std::string run_id = r.Json()["data"]["run_id"];
    const std::string approval_id = r.Json()["data"]["awaiting_approval"]["approval_id"];
    EXPECT_EQ(r.Json()["data"]["awaiting_approval"]["message"], "Run this plan? a plan");
    EXPECT_FALSE(r.Json()["data"]["awaiting_approval"].contains("tool_name"));

    r = Resolve(approval_id, {{"decision", "approve"}});
    ASSERT_EQ(r.status, 202) << r.body;
    auto data = r.Json()["data"];
    EXPECT_EQ(data["status"], "awaiting_input");
    EXPECT_EQ(data["awaiting_input"]["question"], "Which region?");
    EXPECT_EQ(data["awaiting_input"]["options"], (Json{"eu", "us"}));
    const std::string request_id = data["awaiting_input"]["request_id"];
    EXPECT_EQ(Run(run_id)["pending_input"]["request_id"], request_id);
    const auto inputs = client().Get("/api/v1/input-requests?status=pending", key_).Json()["data"]["items"];
    ASSERT_EQ(inputs.size(), 1U);
    EXPECT_EQ(inputs[0]["question"], "Which region?");

    // An answer that is not an offered option changes nothing.
    auto bad = Respond(request_id, {{"response", "asia"}});
    ExpectError(bad, 400, "VALIDATION_ERROR", "one of the offered options");
    EXPECT_EQ(bad.Json()["error"]["details"]["options"], (Json{"eu", "us"}));
    EXPECT_EQ(Run(run_id)["status"], "awaiting_input");

    r = Respond(request_id, {{"response", "eu"}, {"responded_by", "ana"}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["data"]["output"], (Json{{"region", "eu"}, {"sum", "2"}}));
    ExpectError(Respond(request_id, {{"response", "us"}}), 409, "CONFLICT", "already answered");

    const auto types = Types(Events(run_id));
    EXPECT_EQ(std::count(types.begin(), types.end(), "human_input_requested"), 2);
    EXPECT_EQ(std::count(types.begin(), types.end(), "human_input_received"), 2);
    EXPECT_EQ(types.back(), "run_end");
    // A pause node's step starts once and ends once.
    int check_steps = 0;
    for (const auto& e : Events(run_id)) {
        if (e["type"] == "step" && e["payload"]["node_name"] == "check") {
            ++check_steps;
        }
    }
    EXPECT_EQ(check_steps, 2);
}

TEST_F(PauseTest, ARejectedApprovalNodeTakesOnRejectOrFailsTheRun) {
    Define(R"yaml(
slug: gentle
model: { provider: mock }
graph:
  start: check
  nodes:
    check:   { type: approval, message: "Go?", on_reject: give_up }
    go:      { type: tool, tool: calculator, args: { expression: "1+1" }, output: sum }
    give_up: { type: tool, tool: calculator, args: { expression: "0" }, output: sum }
  edges: [[check, go]]
  output: { sum: "{{state.sum.text}}" }
tools:
  - use: calculator
)yaml");
    auto r = Invoke("gentle");
    ASSERT_EQ(r.status, 202) << r.body;
    r = Resolve(r.Json()["data"]["awaiting_approval"]["approval_id"], {{"decision", "reject"}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["data"]["status"], "completed") << r.body;
    EXPECT_EQ(r.Json()["data"]["output"], (Json{{"sum", "0"}}));  // the give_up node

    Define(R"yaml(
slug: strict
model: { provider: mock }
graph:
  start: check
  nodes:
    check: { type: approval, message: "Go?" }
    done:  { type: tool, tool: calculator, args: { expression: "1" } }
  edges: [[check, done]]
tools:
  - use: calculator
)yaml");
    r = Invoke("strict");
    ASSERT_EQ(r.status, 202) << r.body;
    r = Resolve(r.Json()["data"]["awaiting_approval"]["approval_id"], {{"decision", "reject"}, {"comment", "no"}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["data"]["status"], "failed");
    EXPECT_EQ(r.Json()["data"]["error_type"], "ApprovalRejected");
    EXPECT_NE(r.Json()["data"]["error_message"].get<std::string>().find("no"), std::string::npos);
}

TEST_F(PauseTest, AskHumanPausesForAnAnswerThatBecomesTheToolResult) {
    Define(R"yaml(
slug: asker
model: { provider: openai, name: gpt-4o-mini, base_url: "{{LLM}}", api_key_env: FAKE_LLM_KEY }
tools:
  - use: ask_human
)yaml");
    llm_.Push({.tool_calls = {{.id = "call_q", .name = "ask_human", .arguments = {{"question", "Which city?"}}}}});
    llm_.Push({.text = "Zurich it is."});
    auto r = Invoke("asker", {{"input", {{"message", "weather please"}}}});
    ASSERT_EQ(r.status, 202) << r.body;
    const auto data = r.Json()["data"];
    EXPECT_EQ(data["status"], "awaiting_input");
    EXPECT_EQ(data["awaiting_input"]["question"], "Which city?");
    EXPECT_FALSE(data["awaiting_input"].contains("options"));  // only when the agent offered choices
    // The model saw ask_human with its schema.
    const auto tools = llm_.requests()[0]["tools"];
    ASSERT_EQ(tools.size(), 1U);
    EXPECT_EQ(tools[0]["function"]["name"], "ask_human");
    EXPECT_EQ(tools[0]["function"]["parameters"]["required"], (Json{"question"}));

    r = Respond(data["awaiting_input"]["request_id"], {{"response", "Zurich"}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["data"]["output"]["content"], "Zurich it is.");
    const auto tool_message = llm_.requests()[1]["messages"].back();
    EXPECT_EQ(tool_message["role"], "tool");
    EXPECT_EQ(tool_message["content"], "Zurich");
}

TEST_F(PauseTest, DeadlinesApplyTheirPolicyWithNobodyConnected) {
    Define(R"yaml(
slug: timed
model: { provider: mock }
graph:
  start: check
  nodes:
    check:  { type: approval, message: "Go?", timeout_s: 1, on_timeout: approve }
    region: { type: input, question: "Region?", options: [eu, us], timeout_s: 1, default: us, output: region }
  edges: [[check, region]]
  output: { region: "{{state.region}}" }
)yaml");
    const auto r = Invoke("timed");
    ASSERT_EQ(r.status, 202) << r.body;
    const std::string run_id = r.Json()["data"]["run_id"];
    const std::string approval_id = r.Json()["data"]["awaiting_approval"]["approval_id"];
    EXPECT_FALSE(client().Get("/api/v1/approvals/" + approval_id, key_).Json()["data"]["timeout_at"].is_null());
    const auto run = WaitFor(run_id, "completed");
    ASSERT_EQ(run["status"], "completed") << run;
    EXPECT_EQ(run["output"], (Json{{"region", "us"}}));  // approved by the deadline, then the default answer
    const auto approval = client().Get("/api/v1/approvals/" + approval_id, key_).Json()["data"];
    EXPECT_EQ(approval["status"], "expired");
    EXPECT_EQ(approval["decision"], "approve");
    EXPECT_EQ(approval["responded_by"], "timeout");
    int timed_out = 0;
    for (const auto& e : Events(run_id)) {
        if (e["type"] == "human_input_received") {
            EXPECT_EQ(e["payload"]["timed_out"], true);
            EXPECT_EQ(e["payload"]["responded_by"], "timeout");
            ++timed_out;
        }
    }
    EXPECT_EQ(timed_out, 2);
    ExpectError(Resolve(approval_id, {{"decision", "reject"}}), 409, "CONFLICT", "already expired");

    // Rejection by default, and an input without a default fails the run.
    Define(R"yaml(
slug: timed-out
model: { provider: mock }
graph:
  start: region
  nodes:
    region: { type: input, question: "Region?", timeout_s: 1 }
)yaml");
    const auto r2 = Invoke("timed-out");
    ASSERT_EQ(r2.status, 202) << r2.body;
    const auto failed = WaitFor(r2.Json()["data"]["run_id"], "failed");
    EXPECT_EQ(failed["status"], "failed") << failed;
    EXPECT_EQ(failed["error_detail"]["error_type"], "InputTimeout");
}

TEST_F(PauseTest, ADeadlineRacingResolvesHasOneWinner) {
    Define(R"yaml(
slug: racer
model:
  provider: mock
  script:
    - tool_call: { name: deploy, args: { env: prod } }
    - text: "done"
tools:
  - name: deploy
    parameters: { type: object, properties: { env: { type: string } }, required: [env] }
    webhook: { url: "{{HOOK}}" }
    requires_approval: true
    approval: { timeout_s: 1, on_timeout: approve }
)yaml");
    const auto r = Invoke("racer");
    ASSERT_EQ(r.status, 202) << r.body;
    const std::string run_id = r.Json()["data"]["run_id"];
    const std::string approval_id = r.Json()["data"]["awaiting_approval"]["approval_id"];
    std::this_thread::sleep_for(milliseconds(950));  // resolves from just before to just after the deadline
    std::atomic<int> won{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i) {
        threads.emplace_back([&, i] {
            std::this_thread::sleep_for(milliseconds(15 * i));
            HttpClient c(app_->port());
            if (c.Post("/api/v1/approvals/" + approval_id + "/resolve", {{"decision", "approve"}}, key_).status ==
                200) {
                ++won;
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_LE(won.load(), 1);
    EXPECT_EQ(WaitFor(run_id, "completed")["status"], "completed");
    int answers = 0;
    for (const auto& e : Events(run_id)) {
        answers += e["type"] == "human_input_received" ? 1 : 0;
    }
    EXPECT_EQ(answers, 1);  // the deadline or one resolve: never both
    EXPECT_EQ(hook_.request_count(), 1U);
    const auto approval = client().Get("/api/v1/approvals/" + approval_id, key_).Json()["data"];
    EXPECT_EQ(approval["status"], won.load() == 1 ? "approved" : "expired");
}

TEST_F(PauseTest, ACancelRightAfterABackgroundInvokeStopsTheRunBeforeItStarts) {
    Define(kDeployer);
    llm_.SetDefault({.text = "should not run", .delay = milliseconds(200)});
    const auto r = Invoke("deployer", {{"background", true}});
    ASSERT_EQ(r.status, 202) << r.body;
    const std::string run_id = r.Json()["data"]["run_id"];
    const auto cancelled = client().Post("/api/v1/runs/" + run_id + "/cancel", Json::object(), key_);
    ASSERT_EQ(cancelled.status, 200) << cancelled.body;
    std::this_thread::sleep_for(milliseconds(600));
    const auto run = Run(run_id);
    EXPECT_EQ(run["status"], "cancelled");
    EXPECT_TRUE(run["output"].is_null());
    EXPECT_EQ(Events(run_id).back()["payload"]["error_type"], "Cancelled");
}

TEST_F(PauseTest, CancelStopsARunDuringItsModelCall) {
    Define(kDeployer);
    llm_.Push({.text = "too late", .delay = milliseconds(5000)});
    const auto r = Invoke("deployer", {{"background", true}});
    ASSERT_EQ(r.status, 202) << r.body;
    const std::string run_id = r.Json()["data"]["run_id"];
    const auto deadline = std::chrono::steady_clock::now() + seconds(10);
    while (llm_.request_count() == 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(milliseconds(10));
    }
    ASSERT_EQ(llm_.request_count(), 1U);
    const auto started = std::chrono::steady_clock::now();
    const auto cancelled = client().Post("/api/v1/runs/" + run_id + "/cancel", Json::object(), key_);
    ASSERT_EQ(cancelled.status, 200) << cancelled.body;
    EXPECT_EQ(cancelled.Json()["data"]["status"], "cancelled");
    EXPECT_EQ(cancelled.Json()["data"]["id"], run_id);
    // Nothing more is written: the timeline ends with the cancel, and stays so after the model would have answered.
    std::this_thread::sleep_for(milliseconds(300));
    const auto events = Events(run_id);
    EXPECT_EQ(events.back()["type"], "error");
    EXPECT_EQ(events.back()["payload"]["error_type"], "Cancelled");
    EXPECT_EQ(Run(run_id)["status"], "cancelled");
    EXPECT_LT(std::chrono::steady_clock::now() - started, seconds(3));
    ExpectError(
        client().Post("/api/v1/runs/" + run_id + "/cancel", Json::object(), key_), 409, "CONFLICT", "already cancelled"
    );
}

TEST_F(PauseTest, ASynchronousInvokeThatIsCancelledAnswersCancelled) {
    Define(kDeployer);
    llm_.Push({.text = "too late", .delay = milliseconds(5000)});
    std::string run_id;
    std::thread canceller([&] {
        HttpClient c(app_->port());
        const auto deadline = std::chrono::steady_clock::now() + seconds(10);
        Json items;
        while (std::chrono::steady_clock::now() < deadline) {
            items = c.Get("/api/v1/runs?status=running", key_).Json()["data"]["items"];
            if (!items.empty() && llm_.request_count() == 1) {
                break;
            }
            std::this_thread::sleep_for(milliseconds(10));
        }
        ASSERT_FALSE(items.empty());
        run_id = items[0]["id"];
        EXPECT_EQ(c.Post("/api/v1/runs/" + run_id + "/cancel", Json::object(), key_).status, 200);
    });
    const auto r = Invoke("deployer");
    canceller.join();
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["data"]["status"], "cancelled");
    EXPECT_EQ(r.Json()["data"]["run_id"], run_id);
}

TEST_F(PauseTest, CancellingAPausedRunEndsItsPauses) {
    Define(kDeployer);
    llm_.Push({.tool_calls = {{.id = "call_1", .name = "deploy", .arguments = {{"env", "prod"}}}}});
    const auto r = Invoke("deployer");
    ASSERT_EQ(r.status, 202) << r.body;
    const std::string run_id = r.Json()["data"]["run_id"];
    const std::string approval_id = r.Json()["data"]["awaiting_approval"]["approval_id"];
    const auto cancelled = client().PostRaw("/api/v1/runs/" + run_id + "/cancel", "", key_);
    ASSERT_EQ(cancelled.status, 200) << cancelled.body;
    EXPECT_EQ(client().Get("/api/v1/approvals/" + approval_id, key_).Json()["data"]["status"], "cancelled");
    ExpectError(Resolve(approval_id, {{"decision", "approve"}}), 409, "CONFLICT", "already cancelled");
    EXPECT_EQ(hook_.request_count(), 0U);
    EXPECT_TRUE(Run(run_id)["pending_approval"].is_null());
}

TEST_F(PauseTest, CancellingAParentCancelsItsRunningChild) {
    Define(R"yaml(
slug: slow-child
model: { provider: openai, name: gpt-4o-mini, base_url: "{{LLM}}", api_key_env: FAKE_LLM_KEY }
)yaml");
    Define(R"yaml(
slug: parent
model: { provider: mock }
graph:
  start: delegate
  nodes:
    delegate: { type: agent, agent: slow-child, input: { message: "work" }, output: result }
)yaml");
    llm_.Push({.text = "child done", .delay = milliseconds(5000)});
    const auto r = Invoke("parent", {{"background", true}});
    ASSERT_EQ(r.status, 202) << r.body;
    const std::string parent_id = r.Json()["data"]["run_id"];
    const auto deadline = std::chrono::steady_clock::now() + seconds(10);
    while (llm_.request_count() == 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(milliseconds(10));
    }
    ASSERT_EQ(llm_.request_count(), 1U);
    const auto children = Run(parent_id)["child_runs"];
    ASSERT_EQ(children.size(), 1U);
    const std::string child_id = children[0]["id"];
    ASSERT_EQ(client().PostRaw("/api/v1/runs/" + parent_id + "/cancel", "", key_).status, 200);
    EXPECT_EQ(Run(child_id)["status"], "cancelled");
    std::this_thread::sleep_for(milliseconds(300));
    EXPECT_EQ(Run(parent_id)["status"], "cancelled");
    EXPECT_EQ(Events(child_id).back()["payload"]["error_type"], "Cancelled");
    EXPECT_EQ(Events(parent_id).back()["payload"]["error_type"], "Cancelled");
}

TEST_F(PauseTest, BadAnswersAreRefusedAndChangeNothing) {
    Define(kDeployer);
    llm_.Push({.tool_calls = {{.id = "call_1", .name = "deploy", .arguments = {{"env", "prod"}}}}});
    const auto r = Invoke("deployer");
    ASSERT_EQ(r.status, 202) << r.body;
    const std::string run_id = r.Json()["data"]["run_id"];
    const std::string approval_id = r.Json()["data"]["awaiting_approval"]["approval_id"];
    const std::string unknown = "0190a0a0-0000-7000-8000-000000000000";

    ExpectError(Resolve(unknown, {{"decision", "approve"}}), 404, "NOT_FOUND");
    ExpectError(Resolve("not-a-uuid", {{"decision", "approve"}}), 400, "VALIDATION_ERROR", "approvalId");
    ExpectError(Resolve(approval_id, {{"decision", "maybe"}}), 400, "VALIDATION_ERROR", "decision");
    ExpectError(Resolve(approval_id, Json::object()), 400, "VALIDATION_ERROR", "decision");
    ExpectError(Resolve(approval_id, {{"decision", "approve"}, {"comentt", "typo"}}), 400, "VALIDATION_ERROR");
    ExpectError(Resolve(approval_id, {{"decision", "approve"}, {"stream", "yes"}}), 400, "VALIDATION_ERROR", "stream");
    // An input request's route does not answer approvals, and the other way round.
    ExpectError(Respond(approval_id, {{"response", "yes"}}), 404, "NOT_FOUND");
    ExpectError(Respond(approval_id, {{"response", 42}}), 400, "VALIDATION_ERROR", "response");
    ExpectError(Respond(approval_id, Json::object()), 400, "VALIDATION_ERROR", "response");
    // Another workspace sees nothing; another agent's key may not answer.
    const auto other_key = app_->WorkspaceKey("other");
    ExpectError(Resolve(approval_id, {{"decision", "approve"}}, other_key), 404, "NOT_FOUND");
    ExpectError(client().Get("/api/v1/approvals/" + approval_id, other_key), 404, "NOT_FOUND");
    EXPECT_TRUE(client().Get("/api/v1/approvals", other_key).Json()["data"]["items"].empty());
    const auto agent_key = app_->AgentKey("default", "someone-else");
    ExpectError(Resolve(approval_id, {{"decision", "approve"}}, agent_key), 403, "FORBIDDEN");
    ExpectError(client().Get("/api/v1/approvals?status=bogus", key_), 400, "VALIDATION_ERROR", "status");
    ExpectError(client().Get("/api/v1/approvals/count?status=answered", key_), 400, "VALIDATION_ERROR", "status");
    ExpectError(client().Get("/api/v1/approvals?agent_id=nobody", key_), 404, "NOT_FOUND", "nobody");
    ExpectError(client().Get("/api/v1/approvals?run_id=42", key_), 400, "VALIDATION_ERROR", "run_id");
    ExpectError(client().Get("/api/v1/approvals?limit=0", key_), 400, "VALIDATION_ERROR", "limit");
    ExpectError(client().Get("/api/v1/approvals?sort=new", key_), 400, "VALIDATION_ERROR");
    ExpectError(client().Get("/api/v1/approvals/not-a-uuid", key_), 400, "VALIDATION_ERROR", "approvalId");
    ExpectError(client().Get("/api/v1/input-requests?status=approved", key_), 400, "VALIDATION_ERROR", "status");
    ExpectError(client().Get("/api/v1/input-requests/" + approval_id, key_), 404, "NOT_FOUND");
    ExpectError(client().Get("/api/v1/approvals?agent_id=deployer", agent_key), 403, "FORBIDDEN");
    // Cancel: unknown, malformed, with fields.
    ExpectError(client().PostRaw("/api/v1/runs/" + unknown + "/cancel", "", key_), 404, "NOT_FOUND");
    ExpectError(client().PostRaw("/api/v1/runs/x/cancel", "", key_), 400, "VALIDATION_ERROR", "runId");
    ExpectError(client().Post("/api/v1/runs/" + run_id + "/cancel", {{"reason", "x"}}, key_), 400, "VALIDATION_ERROR");

    // Nothing changed: still paused, still answerable by the right key.
    EXPECT_EQ(Run(run_id)["status"], "awaiting_approval");
    EXPECT_EQ(hook_.request_count(), 0U);
    const auto agent_own = app_->AgentKey("default", "deployer");
    llm_.Push({.text = "ok"});
    EXPECT_EQ(Resolve(approval_id, {{"decision", "approve"}}, agent_own).status, 200);
}

}  // namespace
}  // namespace agentos::testing
