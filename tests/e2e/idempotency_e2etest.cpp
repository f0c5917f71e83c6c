// Idempotency-Key on invoke, resolve, respond and cancel through the real server: a retry gets the first answer
// (even while the first request is still running) and nothing runs twice; the same key with another body is 409;
// keys are per workspace; a malformed key is refused.

#include <thread>

#include "tests/support/api_fixture.hpp"
#include "tests/support/fake_llm_server.hpp"
#include "tests/support/test_http_server.hpp"

namespace agentos::testing {
namespace {

using Json = nlohmann::json;
using std::chrono::milliseconds;

class IdempotencyTest : public HostedApiTest {
protected:
    void SetUp() override {
        HostedApiTest::SetUp();
        const std::string yaml = R"yaml(
slug: deployer
model: { provider: openai, name: gpt-4o-mini, base_url: "{{LLM}}", api_key_env: FAKE_LLM_KEY }
tools:
  - name: deploy
    parameters: { type: object, properties: { env: { type: string } }, required: [env] }
    webhook: { url: "{{HOOK}}" }
    requires_approval: true
  - use: ask_human
)yaml";
        Define(yaml);
    }

    HttpResult Post(
        const std::string& path, const Json& body, const std::string& idempotency_key, HttpClient* c = nullptr
    ) {
        return (c != nullptr ? *c : client())
            .Send(
                "POST",
                path,
                body.dump(),
                {{"Authorization", "Bearer " + key_},
                 {"Content-Type", "application/json"},
                 {"Idempotency-Key", idempotency_key}}
            );
    }
};

TEST_F(IdempotencyTest, ARetriedInvokeGetsTheFirstAnswerAndStartsNoSecondRun) {
    llm_.Push({.text = "once"});
    const Json body = {{"input", {{"message", "hi"}}}};
    const auto first = Post("/api/v1/agents/deployer/invoke", body, "key-1");
    ASSERT_EQ(first.status, 200) << first.body;
    const auto again = Post("/api/v1/agents/deployer/invoke", body, "key-1");
    ASSERT_EQ(again.status, 200) << again.body;
    EXPECT_EQ(again.Json()["data"]["run_id"], first.Json()["data"]["run_id"]);
    EXPECT_EQ(again.Json()["data"]["output"]["content"], "once");
    EXPECT_EQ(again.Header("idempotent-replayed"), "true");
    EXPECT_EQ(llm_.request_count(), 1U);
    EXPECT_EQ(client().Get("/api/v1/runs", key_).Json()["data"]["items"].size(), 1U);

    // The same key for another request is a conflict; another key is another run.
    ExpectError(
        Post("/api/v1/agents/deployer/invoke", {{"input", {{"message", "other"}}}}, "key-1"),
        409,
        "CONFLICT",
        "another request"
    );
    llm_.Push({.text = "twice"});
    EXPECT_EQ(Post("/api/v1/agents/deployer/invoke", body, "key-2").Json()["data"]["output"]["content"], "twice");
    // Another key of the same workspace never gets this key's answer.
    const auto second_key = app_->WorkspaceKey("default");
    const auto other_holder = client().Send(
        "POST",
        "/api/v1/agents/deployer/invoke",
        body.dump(),
        {{"Authorization", "Bearer " + second_key}, {"Idempotency-Key", "key-1"}}
    );
    ExpectError(other_holder, 409, "CONFLICT", "another request");
    // Keys are per workspace.
    const auto other = app_->WorkspaceKey("other");
    const auto r = client().Send(
        "POST",
        "/api/v1/agents/deployer/invoke",
        body.dump(),
        {{"Authorization", "Bearer " + other}, {"Idempotency-Key", "key-1"}}
    );
    ExpectError(r, 404, "NOT_FOUND");  // no such agent there, and the key did not answer for the first workspace
}

TEST_F(IdempotencyTest, ARetryWhileTheFirstIsStillRunningWaitsForItsAnswer) {
    llm_.Push({.text = "slow answer", .delay = milliseconds(800)});
    const Json body = {{"input", {{"message", "hi"}}}};
    HttpResult first;
    std::thread t([&] {
        HttpClient c(app_->port());
        first = Post("/api/v1/agents/deployer/invoke", body, "slow-key", &c);
    });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (llm_.request_count() == 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(milliseconds(5));
    }
    const auto again = Post("/api/v1/agents/deployer/invoke", body, "slow-key");
    t.join();
    ASSERT_EQ(first.status, 200) << first.body;
    ASSERT_EQ(again.status, 200) << again.body;
    EXPECT_EQ(again.Json()["data"]["run_id"], first.Json()["data"]["run_id"]);
    EXPECT_EQ(again.Json()["data"]["output"]["content"], "slow answer");
    EXPECT_EQ(llm_.request_count(), 1U);
}

TEST_F(IdempotencyTest, RetriedResolveRespondAndCancelAnswerAsTheFirstDid) {
    llm_.Push({.tool_calls = {{.id = "c1", .name = "deploy", .arguments = {{"env", "prod"}}}}});
    llm_.Push({.tool_calls = {{.id = "c2", .name = "ask_human", .arguments = {{"question", "Why?"}}}}});
    auto r = Post("/api/v1/agents/deployer/invoke", Json::object(), "inv");
    ASSERT_EQ(r.status, 202) << r.body;
    const std::string run_id = r.Json()["data"]["run_id"];
    const std::string approval = r.Json()["data"]["awaiting_approval"]["approval_id"];

    const auto resolved = Post("/api/v1/approvals/" + approval + "/resolve", {{"decision", "approve"}}, "res");
    ASSERT_EQ(resolved.status, 202) << resolved.body;  // paused again, on ask_human
    const auto replay = Post("/api/v1/approvals/" + approval + "/resolve", {{"decision", "approve"}}, "res");
    EXPECT_EQ(replay.status, 202) << replay.body;
    EXPECT_EQ(replay.body, resolved.body);
    EXPECT_EQ(hook_.request_count(), 1U);
    // Without the key, a second answer is the usual conflict.
    ExpectError(
        client().Post("/api/v1/approvals/" + approval + "/resolve", {{"decision", "approve"}}, key_), 409, "CONFLICT"
    );

    const std::string request = resolved.Json()["data"]["awaiting_input"]["request_id"];
    llm_.Push({.text = "because"});
    const auto responded = Post("/api/v1/input-requests/" + request + "/respond", {{"response", "tests"}}, "rsp");
    ASSERT_EQ(responded.status, 200) << responded.body;
    const auto responded_again = Post("/api/v1/input-requests/" + request + "/respond", {{"response", "tests"}}, "rsp");
    EXPECT_EQ(responded_again.status, 200);
    EXPECT_EQ(responded_again.body, responded.body);
    EXPECT_EQ(llm_.request_count(), 3U);

    // Cancel of a paused run, retried.
    llm_.Push({.tool_calls = {{.id = "c3", .name = "deploy", .arguments = {{"env", "dev"}}}}});
    r = Post("/api/v1/agents/deployer/invoke", Json::object(), "inv-2");
    ASSERT_EQ(r.status, 202) << r.body;
    const std::string second = r.Json()["data"]["run_id"];
    const auto cancelled = Post("/api/v1/runs/" + second + "/cancel", Json::object(), "cnl");
    ASSERT_EQ(cancelled.status, 200) << cancelled.body;
    const auto cancelled_again = Post("/api/v1/runs/" + second + "/cancel", Json::object(), "cnl");
    EXPECT_EQ(cancelled_again.status, 200) << cancelled_again.body;
    EXPECT_EQ(cancelled_again.Json()["data"]["status"], "cancelled");
    ExpectError(Post("/api/v1/runs/" + second + "/cancel", Json::object(), "cnl-2"), 409, "CONFLICT");
    ExpectError(Post("/api/v1/runs/" + run_id + "/cancel", Json::object(), "cnl"), 409, "CONFLICT", "another request");
}

TEST_F(IdempotencyTest, AMalformedKeyIsRefused) {
    ExpectError(
        Post("/api/v1/agents/deployer/invoke", Json::object(), std::string(256, 'k')),
        400,
        "VALIDATION_ERROR",
        "Idempotency-Key"
    );
    ExpectError(Post("/api/v1/agents/deployer/invoke", Json::object(), "has space"), 400, "VALIDATION_ERROR");
    EXPECT_EQ(llm_.request_count(), 0U);
    EXPECT_TRUE(client().Get("/api/v1/runs", key_).Json()["data"]["items"].empty());
}

TEST_F(IdempotencyTest, AFailedFirstAttemptCanBeRetriedWithTheSameKey) {
    const std::string unknown = "0190a0a0-0000-7000-8000-000000000000";
    ExpectError(Post("/api/v1/approvals/" + unknown + "/resolve", {{"decision", "approve"}}, "k"), 404, "NOT_FOUND");
    ExpectError(Post("/api/v1/approvals/" + unknown + "/resolve", {{"decision", "approve"}}, "k"), 404, "NOT_FOUND");
}

}  // namespace
}  // namespace agentos::testing
