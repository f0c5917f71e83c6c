// Server-managed sessions through the real server: the history the model is sent each turn, the window, tool calls
// kept with their results, one turn at a time (reject / enqueue, across two server processes), a paused turn holding
// its session, failed and cancelled turns, the sessions routes, and the bad input a user would send.

#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/api_fixture.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/sse_client.hpp"

namespace agentos::testing {
namespace {

using Json = nlohmann::json;
using std::chrono::milliseconds;

const char* kChat = R"yaml(
slug: chat
model: { provider: openai, name: gpt-4o-mini, base_url: "{{LLM}}", api_key_env: FAKE_LLM_KEY }
instructions: You are a friendly assistant.
)yaml";

const char* kShortMemory = R"yaml(
slug: short-memory
model: { provider: openai, name: gpt-4o-mini, base_url: "{{LLM}}", api_key_env: FAKE_LLM_KEY }
instructions: You remember little.
memory: { history_messages: 3 }
tools:
  - use: calculator
)yaml";

const char* kCalc = R"yaml(
slug: calc
model: { provider: openai, name: gpt-4o-mini, base_url: "{{LLM}}", api_key_env: FAKE_LLM_KEY }
instructions: You compute.
tools:
  - use: calculator
)yaml";

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

class SessionTest : public HostedApiTest {
protected:
    HttpResult Invoke(const std::string& agent, const Json& body, const std::string& key = "") {
        return client().Post("/api/v1/agents/" + agent + "/invoke", body, key.empty() ? key_ : key);
    }

    /// A turn that must complete; its answer's data.
    Json Turn(const std::string& agent, const std::string& message, const Json& extra = Json::object()) {
        Json body = {{"input", {{"message", message}}}};
        body.update(extra);
        const auto r = Invoke(agent, body);
        EXPECT_EQ(r.status, 200) << r.body;
        const auto data = r.Json()["data"];
        EXPECT_EQ(data["status"], "completed") << r.body;
        return data;
    }

    Json Session(const std::string& id) {
        const auto r = client().Get("/api/v1/sessions/" + id, key_);
        EXPECT_EQ(r.status, 200) << r.body;
        return r.Json()["data"];
    }

    /// The (role, content) pairs of the chat messages the fake LLM got in request `i`, the system prompt left out.
    std::vector<std::pair<std::string, std::string>> Sent(std::size_t i) {
        const auto requests = llm_.requests();
        EXPECT_LT(i, requests.size());
        std::vector<std::pair<std::string, std::string>> out;
        if (i >= requests.size()) {
            return out;
        }
        for (const auto& m : requests[i]["messages"]) {
            if (m["role"] == "system") {
                continue;
            }
            out.emplace_back(m["role"], m["content"].is_string() ? m["content"].get<std::string>() : "");
        }
        return out;
    }

    HttpResult Delete(const std::string& target) {
        return client().Send("DELETE", target, "", {{"Authorization", "Bearer " + key_}});
    }

    using Pairs = std::vector<std::pair<std::string, std::string>>;
};

TEST_F(SessionTest, AThreeTurnConversationSendsTheModelItsHistoryEachTurn) {
    Define(kChat);
    llm_.Push({.text = "Hello Ada."});
    llm_.Push({.text = "Your name is Ada."});
    llm_.Push({.text = "You asked my name once."});
    const auto first = Turn("chat", "My name is Ada.", {{"start_session", true}, {"external_user_id", "ada"}});
    ASSERT_TRUE(first["session_id"].is_string()) << first;
    const std::string session = first["session_id"];
    const auto second = Turn("chat", "What is my name?", {{"session_id", session}});
    EXPECT_EQ(second["session_id"], session);
    EXPECT_EQ(second["output"]["content"], "Your name is Ada.");
    Turn("chat", "How often did I ask?", {{"session_id", session}});

    EXPECT_EQ(Sent(0), (Pairs{{"user", "My name is Ada."}}));
    EXPECT_EQ(Sent(1), (Pairs{{"user", "My name is Ada."}, {"assistant", "Hello Ada."}, {"user", "What is my name?"}}));
    EXPECT_EQ(
        Sent(2),
        (Pairs{
            {"user", "My name is Ada."},
            {"assistant", "Hello Ada."},
            {"user", "What is my name?"},
            {"assistant", "Your name is Ada."},
            {"user", "How often did I ask?"}})
    );
    EXPECT_EQ(llm_.requests()[2]["messages"][0]["content"], "You are a friendly assistant.");

    const auto s = Session(session);
    EXPECT_EQ(s["agent_slug"], "chat");
    EXPECT_EQ(s["external_user_id"], "ada");
    EXPECT_EQ(s["message_count"], 6);
    EXPECT_TRUE(s["active_run_id"].is_null());
    ASSERT_EQ(s["messages"].size(), 6U);
    EXPECT_EQ(s["messages"][0]["role"], "user");
    EXPECT_EQ(s["messages"][0]["seq"], 1);
    EXPECT_EQ(s["messages"][0]["run_id"], first["run_id"]);
    EXPECT_EQ(s["messages"][5]["content"], "You asked my name once.");
    EXPECT_EQ(s["messages"][5]["status"], "complete");

    const auto runs = client().Get("/api/v1/sessions/" + session + "/runs", key_);
    ASSERT_EQ(runs.status, 200) << runs.body;
    EXPECT_EQ(runs.Json()["data"]["items"].size(), 3U);
    EXPECT_EQ(runs.Json()["data"]["items"][0]["session_id"], session);
}

TEST_F(SessionTest, AStreamedTurnNamesItsSessionInTheFirstAndLastFrames) {
    Define(kChat);
    llm_.Push({.text = "Hi there."});
    const auto first = Turn("chat", "Hello.", {{"start_session", true}});
    const std::string session = first["session_id"];
    llm_.Push({.text = "Still here."});
    SseClient s(
        app_->port(),
        "POST",
        "/api/v1/agents/chat/invoke",
        key_,
        Json{{"input", {{"message", "Still there?"}}}, {"session_id", session}, {"stream", true}}.dump()
    );
    ASSERT_EQ(s.status(), 200);
    const auto run = s.Next();
    ASSERT_TRUE(run);
    EXPECT_EQ(run->event, "run");
    EXPECT_EQ(run->data["session_id"], session);
    std::optional<SseFrame> last;
    while (auto f = s.Next()) {
        last = f;
    }
    ASSERT_TRUE(last);
    EXPECT_EQ(last->event, "done");
    EXPECT_EQ(last->data["session_id"], session);
    EXPECT_EQ(Sent(1), (Pairs{{"user", "Hello."}, {"assistant", "Hi there."}, {"user", "Still there?"}}));
}

TEST_F(SessionTest, TheWindowIsTheLastMessagesFromAUserMessageAndNeverCutsAToolCallFromItsResult) {
    Define(kShortMemory);
    llm_.Push({.text = "One."});
    const auto first = Turn("short-memory", "Count one.", {{"start_session", true}});
    const std::string session = first["session_id"];
    // Turn 2 calls a tool: user, assistant(tool call), tool result, assistant.
    llm_.Push({.tool_calls = {{.id = "call_7", .name = "calculator", .arguments = {{"expression", "6*7"}}}}});
    llm_.Push({.text = "It is 42."});
    Turn("short-memory", "What is six times seven?", {{"session_id", session}});
    // Turn 3: the last 3 messages are [assistant(call), tool, assistant]; the window starts at a user message, so the
    // cut turn is left out whole.
    llm_.Push({.text = "Three."});
    Turn("short-memory", "Count three.", {{"session_id", session}});
    EXPECT_EQ(Sent(3), (Pairs{{"user", "Count three."}}));
    const auto fourth = llm_.requests()[3];
    for (const auto& m : fourth["messages"]) {
        EXPECT_NE(m["role"], "tool") << m;
    }
    // Turn 4: the last 3 are [assistant "It is 42.", user "Count three.", assistant "Three."] → from the user message.
    llm_.Push({.text = "Four."});
    Turn("short-memory", "Count four.", {{"session_id", session}});
    EXPECT_EQ(Sent(4), (Pairs{{"user", "Count three."}, {"assistant", "Three."}, {"user", "Count four."}}));
}

TEST_F(SessionTest, AToolCallAndItsResultAreKeptInTheSessionAndSentTogether) {
    Define(kCalc);
    llm_.Push({.tool_calls = {{.id = "call_9", .name = "calculator", .arguments = {{"expression", "6*7"}}}}});
    llm_.Push({.text = "It is 42."});
    const auto first = Turn("calc", "What is six times seven?", {{"start_session", true}});
    const std::string session = first["session_id"];
    llm_.Push({.text = "I said 42."});
    Turn("calc", "What did you say?", {{"session_id", session}});
    const auto messages = llm_.requests()[2]["messages"];
    ASSERT_EQ(messages.size(), 6U) << messages.dump(2);  // system, user, assistant(call), tool, assistant, user
    EXPECT_EQ(messages[2]["role"], "assistant");
    ASSERT_EQ(messages[2]["tool_calls"].size(), 1U) << messages.dump(2);
    EXPECT_EQ(messages[2]["tool_calls"][0]["id"], "call_9");
    EXPECT_EQ(messages[2]["tool_calls"][0]["function"]["name"], "calculator");
    EXPECT_EQ(messages[3]["role"], "tool");
    EXPECT_EQ(messages[3]["tool_call_id"], "call_9");
    EXPECT_NE(messages[3]["content"].get<std::string>().find("42"), std::string::npos) << messages[3];
    EXPECT_EQ(messages[4]["content"], "It is 42.");

    const auto s = Session(session);
    ASSERT_EQ(s["messages"].size(), 6U);
    EXPECT_EQ(s["messages"][1]["tool_calls"][0]["name"], "calculator");
    EXPECT_EQ(s["messages"][2]["role"], "tool");
    EXPECT_EQ(s["messages"][2]["tool_call_id"], "call_9");
    EXPECT_EQ(s["messages"][2]["tool_name"], "calculator");
}

TEST_F(SessionTest, ASessionRunsOneTurnAtATimeAcrossTwoServersRejectingOrQueueing) {
    Define(kChat);
    ServerProcess b(app_->dsn());  // a second server process on the same database
    HttpClient on_b(b.port());

    llm_.Push({.text = "Hello."});
    const std::string session = Turn("chat", "Hi.", {{"start_session", true}})["session_id"];
    llm_.Push({.text = "A slow answer.", .delay = milliseconds(1500)});
    auto slow = std::async(std::launch::async, [&] {
        HttpClient c(app_->port());
        return c.Post(
            "/api/v1/agents/chat/invoke", Json{{"input", {{"message", "Slow one."}}}, {"session_id", session}}, key_
        );
    });
    // Wait until the slow turn holds the session.
    for (int i = 0; i < 200 && Session(session)["active_run_id"].is_null(); ++i) {
        std::this_thread::sleep_for(milliseconds(10));
    }
    const std::string holder = Session(session)["active_run_id"];

    const Json turn = {{"input", {{"message", "Me too."}}}, {"session_id", session}};
    const auto refused = on_b.Post("/api/v1/agents/chat/invoke", turn, key_);
    ExpectError(refused, 409, "CONFLICT", "busy");
    EXPECT_EQ(refused.Header("retry-after").value_or(""), "1");
    EXPECT_EQ(refused.Json()["error"]["details"]["active_run_id"], holder);

    llm_.Push({.text = "Queued answer."});
    Json queued_turn = turn;
    queued_turn["multitask_strategy"] = "enqueue";
    const auto queued = on_b.Post("/api/v1/agents/chat/invoke", queued_turn, key_);
    ASSERT_EQ(queued.status, 202) << queued.body;
    EXPECT_EQ(queued.Json()["data"]["status"], "queued");
    EXPECT_EQ(queued.Json()["data"]["session_id"], session);
    const std::string queued_id = queued.Json()["data"]["run_id"];

    const auto slow_answer = slow.get();
    ASSERT_EQ(slow_answer.status, 200) << slow_answer.body;
    const auto done = WaitForRunStatus(client(), key_, queued_id, "completed");
    ASSERT_EQ(done["status"], "completed") << done;
    const auto holder_run = Run(holder);
    EXPECT_GE(done["started_at"].get<std::string>(), holder_run["ended_at"].get<std::string>());
    // The queued turn saw the slow one's answer: turns follow each other.
    EXPECT_EQ(
        Sent(2),
        (Pairs{
            {"user", "Hi."},
            {"assistant", "Hello."},
            {"user", "Slow one."},
            {"assistant", "A slow answer."},
            {"user", "Me too."}})
    );
    EXPECT_TRUE(Session(session)["active_run_id"].is_null());
    EXPECT_EQ(Session(session)["message_count"], 6);
}

TEST_F(SessionTest, ManyConcurrentEnqueuedTurnsRunOneAfterAnotherOnTwoServers) {
    Define(kChat);
    ServerProcess b(app_->dsn());
    llm_.SetDefault({.text = "ok", .delay = milliseconds(30)});
    const std::string session = Turn("chat", "Start.", {{"start_session", true}})["session_id"];
    constexpr int kTurns = 8;
    std::vector<std::future<HttpResult>> turns;
    for (int i = 0; i < kTurns; ++i) {
        const std::uint16_t port = i % 2 == 0 ? app_->port() : b.port();
        turns.push_back(std::async(std::launch::async, [&, port, i] {
            HttpClient c(port);
            return c.Post(
                "/api/v1/agents/chat/invoke",
                Json{
                    {"input", {{"message", "turn " + std::to_string(i)}}},
                    {"session_id", session},
                    {"multitask_strategy", "enqueue"}},
                key_
            );
        }));
    }
    std::vector<std::string> ids;
    for (auto& t : turns) {
        const auto r = t.get();
        ASSERT_TRUE(r.status == 200 || r.status == 202) << r.body;
        ids.push_back(r.Json()["data"]["run_id"]);
    }
    std::vector<std::pair<std::string, std::string>> spans;
    for (const auto& id : ids) {
        const auto run = WaitForRunStatus(client(), key_, id, "completed");
        ASSERT_EQ(run["status"], "completed") << run;
        spans.emplace_back(run["started_at"], run["ended_at"]);
    }
    std::sort(spans.begin(), spans.end());
    for (std::size_t i = 1; i < spans.size(); ++i) {
        EXPECT_GE(spans[i].first, spans[i - 1].second) << "turn " << i << " overlaps the one before";
    }
    const auto s = Session(session);
    EXPECT_EQ(s["message_count"], 2 + 2 * kTurns);
    EXPECT_TRUE(s["active_run_id"].is_null());
}

TEST_F(SessionTest, APausedTurnHoldsItsSessionUntilItIsResolved) {
    Define(kDeployer);
    llm_.Push({.tool_calls = {{.id = "call_1", .name = "deploy", .arguments = {{"env", "prod"}}}}});
    llm_.Push({.text = "Deployed."});
    const auto paused = Invoke("deployer", {{"input", {{"message", "ship it"}}}, {"start_session", true}});
    ASSERT_EQ(paused.status, 202) << paused.body;
    const std::string session = paused.Json()["data"]["session_id"];
    const std::string run_id = paused.Json()["data"]["run_id"];
    EXPECT_EQ(Session(session)["active_run_id"], run_id);
    ExpectError(
        Invoke("deployer", {{"input", {{"message", "and again"}}}, {"session_id", session}}), 409, "CONFLICT", "busy"
    );
    const std::string approval = paused.Json()["data"]["awaiting_approval"]["approval_id"];
    const auto resolved = client().Post("/api/v1/approvals/" + approval + "/resolve", {{"decision", "approve"}}, key_);
    ASSERT_EQ(resolved.status, 200) << resolved.body;
    EXPECT_EQ(resolved.Json()["data"]["session_id"], session);
    EXPECT_TRUE(Session(session)["active_run_id"].is_null());
    llm_.Push({.text = "Again."});
    Turn("deployer", "and again", {{"session_id", session}});
    EXPECT_EQ(Session(session)["message_count"], 6);  // user, call, result, answer; user, answer
}

TEST_F(SessionTest, AFailedOrCancelledTurnLeavesItsUserMessageAndAMarkerNeverAHalfAnswer) {
    Define(kChat);
    llm_.Push({.text = "bad request", .status = 400});
    const auto failed = Invoke("chat", {{"input", {{"message", "Break."}}}, {"start_session", true}});
    ASSERT_EQ(failed.status, 200) << failed.body;
    EXPECT_EQ(failed.Json()["data"]["status"], "failed");
    const std::string session = failed.Json()["data"]["session_id"];
    auto s = Session(session);
    ASSERT_EQ(s["messages"].size(), 2U) << s;
    EXPECT_EQ(s["messages"][0]["content"], "Break.");
    EXPECT_EQ(s["messages"][1]["status"], "failed");
    EXPECT_TRUE(s["messages"][1]["content"].is_null());
    EXPECT_TRUE(s["active_run_id"].is_null());

    // A cancelled turn, cut while the model streams: its streamed text is not kept.
    llm_.Push({.text = "half of an answer that never ends", .chunk_delay = milliseconds(300)});
    SseClient stream(
        app_->port(),
        "POST",
        "/api/v1/agents/chat/invoke",
        key_,
        Json{{"input", {{"message", "Ramble."}}}, {"session_id", session}, {"stream", true}}.dump()
    );
    const auto run = stream.Next();
    ASSERT_TRUE(run);
    const std::string run_id = run->data["run_id"];
    ASSERT_EQ(client().Post("/api/v1/runs/" + run_id + "/cancel", Json::object(), key_).status, 200);
    s = Session(session);
    ASSERT_EQ(s["messages"].size(), 4U) << s;
    EXPECT_EQ(s["messages"][2]["content"], "Ramble.");
    EXPECT_EQ(s["messages"][3]["status"], "cancelled");
    EXPECT_TRUE(s["messages"][3]["content"].is_null());
    EXPECT_TRUE(s["active_run_id"].is_null());

    // The next turn's model sees the unanswered user messages, not the markers.
    llm_.Push({.text = "Sorry about that."});
    Turn("chat", "Hello?", {{"session_id", session}});
    EXPECT_EQ(Sent(2), (Pairs{{"user", "Break."}, {"user", "Ramble."}, {"user", "Hello?"}}));
}

TEST_F(SessionTest, ACancelledWaitingTurnLeavesNothingAndTheNextWaitingTurnGetsTheSession) {
    Define(kDeployer);
    llm_.Push({.tool_calls = {{.id = "call_1", .name = "deploy", .arguments = {{"env", "prod"}}}}});
    const auto paused = Invoke("deployer", {{"input", {{"message", "ship it"}}}, {"start_session", true}});
    ASSERT_EQ(paused.status, 202) << paused.body;
    const std::string session = paused.Json()["data"]["session_id"];
    const std::string holder = paused.Json()["data"]["run_id"];
    const Json wait = {{"session_id", session}, {"multitask_strategy", "enqueue"}};
    Json first = wait;
    first["input"] = {{"message", "first waiting"}};
    Json second = wait;
    second["input"] = {{"message", "second waiting"}};
    const auto a = Invoke("deployer", first);
    const auto b = Invoke("deployer", second);
    ASSERT_EQ(a.status, 202) << a.body;
    ASSERT_EQ(b.status, 202) << b.body;
    const std::string a_id = a.Json()["data"]["run_id"];
    const std::string b_id = b.Json()["data"]["run_id"];
    // The first waiting turn is cancelled before it starts: it leaves no message and the holder keeps the session.
    ASSERT_EQ(client().Post("/api/v1/runs/" + a_id + "/cancel", Json::object(), key_).status, 200);
    auto s = Session(session);
    EXPECT_EQ(s["active_run_id"], holder);
    EXPECT_EQ(s["message_count"], 0);
    // The holder ends (cancelled while paused): the session passes to the other waiting turn, which runs.
    llm_.Push({.text = "Second done."});
    ASSERT_EQ(client().Post("/api/v1/runs/" + holder + "/cancel", Json::object(), key_).status, 200);
    const auto done = WaitForRunStatus(client(), key_, b_id, "completed");
    EXPECT_EQ(done["status"], "completed") << done;
    s = Session(session);
    EXPECT_TRUE(s["active_run_id"].is_null());
    ASSERT_EQ(s["messages"].size(), 4U) << s;  // the cancelled holder: user + marker; the second: user + answer
    EXPECT_EQ(s["messages"][0]["content"], "ship it");
    EXPECT_EQ(s["messages"][1]["status"], "cancelled");
    EXPECT_EQ(s["messages"][2]["content"], "second waiting");
    EXPECT_EQ(s["messages"][3]["content"], "Second done.");
    EXPECT_EQ(Run(a_id)["status"], "cancelled");
}

const char* kRememberer = R"yaml(
slug: rememberer
model: { provider: openai, name: gpt-4o-mini, base_url: "{{LLM}}", api_key_env: FAKE_LLM_KEY }
instructions: You know your users.
memory: { user_memories: true }
)yaml";

TEST_F(SessionTest, AnAgentWithUserMemoriesSeesTheUsersMemoriesAndStoresNewOnesWithRemember) {
    Define(kRememberer);
    ASSERT_EQ(
        client().Post("/api/v1/memories", {{"external_user_id", "ada"}, {"memory", "Speaks German"}}, key_).status, 201
    );
    ASSERT_EQ(
        client().Post("/api/v1/memories", {{"external_user_id", "bob"}, {"memory", "Hates mornings"}}, key_).status, 201
    );
    llm_.Push(
        {.tool_calls =
             {{.id = "call_r",
               .name = "remember",
               .arguments = {{"memory", "Likes green tea"}, {"topics", {"drinks"}}}}}}
    );
    llm_.Push({.text = "Noted."});
    const auto first = Turn("rememberer", "I like green tea.", {{"start_session", true}, {"external_user_id", "ada"}});
    const auto requests = llm_.requests();
    ASSERT_GE(requests.size(), 2U);
    const std::string system = requests[0]["messages"][0]["content"];
    EXPECT_NE(system.find("You know your users."), std::string::npos) << system;
    EXPECT_NE(system.find("Speaks German"), std::string::npos) << system;
    EXPECT_EQ(system.find("Hates mornings"), std::string::npos) << system;  // another user's
    bool offered = false;
    for (const auto& t : requests[0]["tools"]) {
        offered = offered || t["function"]["name"] == "remember";
    }
    EXPECT_TRUE(offered) << requests[0].dump(2);
    const auto stored = client().Get("/api/v1/memories?external_user_id=ada&q=tea", key_).Json()["data"]["items"];
    ASSERT_EQ(stored.size(), 1U) << stored;
    EXPECT_EQ(stored[0]["memory"], "Likes green tea");
    EXPECT_EQ(stored[0]["topics"], (Json{"drinks"}));
    EXPECT_EQ(stored[0]["run_id"], first["run_id"]);
    EXPECT_EQ(stored[0]["agent_id"], Run(first["run_id"])["agent_id"]);

    // A later conversation of the same user starts knowing it; a run with no user gets neither memories nor the tool.
    llm_.Push({.text = "Tea it is."});
    Turn("rememberer", "What should I drink?", {{"start_session", true}, {"external_user_id", "ada"}});
    const std::string later = llm_.requests()[2]["messages"][0]["content"];
    EXPECT_NE(later.find("Likes green tea"), std::string::npos) << later;
    EXPECT_NE(later.find("Speaks German"), std::string::npos) << later;
    llm_.Push({.text = "Hello stranger."});
    Turn("rememberer", "Hi.", {{"start_session", true}});
    const auto anonymous = llm_.requests()[3];
    EXPECT_EQ(anonymous["messages"][0]["content"], "You know your users.");
    EXPECT_FALSE(anonymous.contains("tools") && !anonymous["tools"].empty()) << anonymous.dump(2);
}

TEST_F(SessionTest, DeletingASessionKeepsItsRunsAndRefusesWhileATurnIsActive) {
    Define(kDeployer);
    llm_.Push({.tool_calls = {{.id = "call_1", .name = "deploy", .arguments = {{"env", "prod"}}}}});
    const auto paused = Invoke("deployer", {{"input", {{"message", "ship it"}}}, {"start_session", true}});
    ASSERT_EQ(paused.status, 202) << paused.body;
    const std::string session = paused.Json()["data"]["session_id"];
    const std::string run_id = paused.Json()["data"]["run_id"];
    ExpectError(Delete("/api/v1/sessions/" + session), 409, "CONFLICT", "in progress");
    ASSERT_EQ(client().Post("/api/v1/runs/" + run_id + "/cancel", Json::object(), key_).status, 200);
    const auto deleted = Delete("/api/v1/sessions/" + session);
    ASSERT_EQ(deleted.status, 200) << deleted.body;
    EXPECT_EQ(deleted.Json()["data"]["deleted"], true);
    ExpectError(client().Get("/api/v1/sessions/" + session, key_), 404, "NOT_FOUND", "session");
    ExpectError(Delete("/api/v1/sessions/" + session), 404, "NOT_FOUND", "session");
    EXPECT_EQ(Run(run_id)["session_id"], session);  // kept for the record
    const auto listed = client().Get("/api/v1/runs?session_id=" + session, key_);
    EXPECT_EQ(listed.Json()["data"]["items"].size(), 1U) << listed.body;
    ExpectError(
        Invoke("deployer", {{"input", {{"message", "again"}}}, {"session_id", session}}), 404, "NOT_FOUND", "session"
    );
}

TEST_F(SessionTest, SessionsAreListedByAgentAndUserRenamedAndScopedToTheirAgentAndWorkspace) {
    Define(kChat);
    Define(kCalc);
    const auto created = client().Post(
        "/api/v1/sessions", {{"agent_id", "chat"}, {"external_user_id", "bob"}, {"name", "Bob's chat"}}, key_
    );
    ASSERT_EQ(created.status, 201) << created.body;
    const std::string bob = created.Json()["data"]["id"];
    EXPECT_EQ(created.Json()["data"]["name"], "Bob's chat");
    EXPECT_EQ(created.Json()["data"]["message_count"], 0);
    llm_.SetDefault({.text = "ok"});
    const std::string ada = Turn("chat", "Hi.", {{"start_session", true}, {"external_user_id", "ada"}})["session_id"];
    const std::string calc = Turn("calc", "Hi.", {{"start_session", true}, {"external_user_id", "ada"}})["session_id"];
    // Bob's session was opened through the API: its first turn uses it.
    Turn("chat", "Hello from Bob.", {{"session_id", bob}});
    EXPECT_EQ(Session(bob)["message_count"], 2);

    auto ids = [&](const std::string& query) {
        const auto r = client().Get("/api/v1/sessions" + query, key_);
        EXPECT_EQ(r.status, 200) << r.body;
        std::vector<std::string> out;
        const auto body = r.Json();
        for (const auto& s : body["data"]["items"]) {
            out.push_back(s["id"]);
        }
        return out;
    };
    EXPECT_EQ(ids(""), (std::vector<std::string>{calc, ada, bob}));
    EXPECT_EQ(ids("?agent_id=chat"), (std::vector<std::string>{ada, bob}));
    EXPECT_EQ(ids("?external_user_id=ada"), (std::vector<std::string>{calc, ada}));
    EXPECT_EQ(ids("?agent_id=chat&external_user_id=ada"), (std::vector<std::string>{ada}));
    const auto page = client().Get("/api/v1/sessions?limit=2", key_).Json()["data"];
    ASSERT_EQ(page["items"].size(), 2U);
    EXPECT_EQ(ids("?limit=2&cursor=" + page["next_cursor"].get<std::string>()), (std::vector<std::string>{bob}));

    const auto renamed = client().Send(
        "PATCH",
        "/api/v1/sessions/" + ada,
        R"({"name": "Ada's questions"})",
        {{"Authorization", "Bearer " + key_}, {"Content-Type", "application/json"}}
    );
    ASSERT_EQ(renamed.status, 200) << renamed.body;
    EXPECT_EQ(Session(ada)["name"], "Ada's questions");

    // An agent key sees its agent's sessions only.
    const std::string chat_key = app_->AgentKey("default", "chat");
    const auto own = client().Get("/api/v1/sessions", chat_key);
    ASSERT_EQ(own.status, 200) << own.body;
    EXPECT_EQ(own.Json()["data"]["items"].size(), 2U);
    ExpectError(client().Get("/api/v1/sessions/" + calc, chat_key), 403, "FORBIDDEN");
    // Another workspace sees none of them.
    const std::string other = app_->WorkspaceKey("elsewhere");
    ExpectError(client().Get("/api/v1/sessions/" + ada, other), 404, "NOT_FOUND", "session");
    EXPECT_EQ(client().Get("/api/v1/sessions", other).Json()["data"]["items"].size(), 0U);
}

TEST_F(SessionTest, BadSessionInputGetsAClear4xx) {
    Define(kChat);
    Define(kCalc);
    llm_.SetDefault({.text = "ok"});
    const std::string session =
        Turn("chat", "Hi.", {{"start_session", true}, {"external_user_id", "ada"}})["session_id"];
    const Json msg = {{"message", "x"}};
    ExpectError(
        Invoke("chat", {{"input", msg}, {"session_id", "018f0c7e-5b1a-7c3d-9e2f-0a1b2c3d4e5f"}}),
        404,
        "NOT_FOUND",
        "session"
    );
    ExpectError(
        Invoke("chat", {{"input", msg}, {"session_id", session}}, app_->WorkspaceKey("elsewhere")), 404, "NOT_FOUND"
    );
    ExpectError(Invoke("calc", {{"input", msg}, {"session_id", session}}), 400, "VALIDATION_ERROR", "session_id");
    ExpectError(
        Invoke("chat", {{"input", msg}, {"session_id", session}, {"external_user_id", "bob"}}),
        400,
        "VALIDATION_ERROR",
        "external_user_id"
    );
    ExpectError(
        Invoke("chat", {{"input", msg}, {"external_user_id", "ada"}}), 400, "VALIDATION_ERROR", "external_user_id"
    );
    ExpectError(
        Invoke("chat", {{"input", msg}, {"session_id", session}, {"history", Json::array()}}),
        400,
        "VALIDATION_ERROR",
        "history"
    );
    ExpectError(
        Invoke("chat", {{"input", msg}, {"start_session", true}, {"history", {{{"role", "user"}, {"content", "x"}}}}}),
        400,
        "VALIDATION_ERROR",
        "history"
    );
    ExpectError(
        Invoke("chat", {{"input", msg}, {"history", {{{"role", "bot"}, {"content", "x"}}}}}),
        400,
        "VALIDATION_ERROR",
        "history[0].role"
    );
    ExpectError(
        Invoke("chat", {{"input", msg}, {"history", {{{"role", "user"}}}}}),
        400,
        "VALIDATION_ERROR",
        "history[0].content"
    );
    ExpectError(
        Invoke("chat", {{"input", msg}, {"session_id", session}, {"multitask_strategy", "interrupt"}}),
        400,
        "VALIDATION_ERROR",
        "multitask_strategy"
    );
    ExpectError(
        Invoke("chat", {{"input", msg}, {"multitask_strategy", "enqueue"}}),
        400,
        "VALIDATION_ERROR",
        "multitask_strategy"
    );
    ExpectError(
        Invoke("chat", {{"input", msg}, {"session_id", "nope"}}), 400, "VALIDATION_ERROR", "session_id: not a UUID"
    );
    ExpectError(Invoke("chat", {{"input", msg}, {"session_id", 5}}), 400, "VALIDATION_ERROR", "session_id");
    ExpectError(Invoke("chat", {{"input", msg}, {"start_session", "yes"}}), 400, "VALIDATION_ERROR", "start_session");
    ExpectError(
        Invoke("chat", {{"input", msg}, {"start_session", true}, {"session_id", session}}),
        400,
        "VALIDATION_ERROR",
        "start_session"
    );
    ExpectError(
        Invoke("chat", {{"input", msg}, {"start_session", true}, {"external_user_id", ""}}),
        400,
        "VALIDATION_ERROR",
        "external_user_id"
    );
    // The sessions routes.
    ExpectError(client().Post("/api/v1/sessions", Json::object(), key_), 400, "VALIDATION_ERROR", "agent_id");
    ExpectError(client().Post("/api/v1/sessions", {{"agent_id", "nobody"}}, key_), 404, "NOT_FOUND");
    ExpectError(
        client().Post("/api/v1/sessions", {{"agent_id", "chat"}, {"name", 5}}, key_), 400, "VALIDATION_ERROR", "name"
    );
    ExpectError(
        client().Post("/api/v1/sessions", {{"agent_id", "chat"}, {"colour", 1}}, key_),
        400,
        "VALIDATION_ERROR",
        "colour"
    );
    ExpectError(client().Get("/api/v1/sessions/nope", key_), 400, "VALIDATION_ERROR", "sessionId");
    ExpectError(client().Get("/api/v1/sessions?agent_id=nobody", key_), 404, "NOT_FOUND");
    ExpectError(client().Get("/api/v1/sessions?cursor=x", key_), 400, "VALIDATION_ERROR", "cursor");
    ExpectError(client().Get("/api/v1/sessions?sort=asc", key_), 400, "VALIDATION_ERROR", "sort");
    ExpectError(
        client().Get("/api/v1/sessions/" + session + "?messages=5000", key_), 400, "VALIDATION_ERROR", "messages"
    );
    const auto patch = [&](const std::string& body) {
        return client().Send(
            "PATCH",
            "/api/v1/sessions/" + session,
            body,
            {{"Authorization", "Bearer " + key_}, {"Content-Type", "application/json"}}
        );
    };
    ExpectError(patch(R"({"name": "   "})"), 400, "VALIDATION_ERROR", "name: must not be empty");
    ExpectError(patch(R"({"name": 7})"), 400, "VALIDATION_ERROR", "name: must be a string");
    ExpectError(
        client().Post("/api/v1/sessions", {{"agent_id", "chat"}, {"external_user_id", std::string(201, 'u')}}, key_),
        400,
        "VALIDATION_ERROR",
        "external_user_id: at most 200 characters"
    );
    ExpectError(
        Invoke("chat", {{"input", msg}, {"start_session", true}, {"external_user_id", "  "}}),
        400,
        "VALIDATION_ERROR",
        "external_user_id: must not be empty"
    );
    ExpectError(
        client().Get("/api/v1/sessions/018f0c7e-5b1a-7c3d-9e2f-0a1b2c3d4e5f/runs", key_), 404, "NOT_FOUND", "session"
    );
    ExpectError(
        client().Get("/api/v1/sessions/" + session + "/runs?cursor=x", key_), 400, "VALIDATION_ERROR", "cursor"
    );
    ExpectError(patch("{}"), 400, "VALIDATION_ERROR", "name");
    ExpectError(patch(R"({"name": ""})"), 400, "VALIDATION_ERROR", "name");
    ExpectError(patch(R"({"name": "x", "topic": 1})"), 400, "VALIDATION_ERROR", "topic");
    ExpectError(client().Get("/api/v1/sessions", ""), 401, "UNAUTHENTICATED");
}

}  // namespace
}  // namespace agentos::testing
