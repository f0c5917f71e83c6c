// Hosted agents end to end: YAML definitions invoked through the real server, models played by a fake OpenAI /
// Anthropic server, tools by a local HTTP server. Every node type, the agent loop, retries, budgets,
// output_schema, child runs and their totals, background runs, and the event timeline.

#include <algorithm>
#include <cstdlib>
#include <thread>

#include "tests/support/api_fixture.hpp"
#include "tests/support/fake_llm_server.hpp"
#include "tests/support/test_http_server.hpp"

namespace agentos::testing {
namespace {

using Json = nlohmann::json;
using std::chrono::milliseconds;

class InvokeTest : public ApiTest {
protected:
    void SetUp() override {
        setenv(
            "FAKE_LLM_KEY", "sk-test-not-a-real-key", 1
        );  // NOLINT(concurrency-mt-unsafe): before the server's threads use it
        ApiTest::SetUp();
    }

    /// Creates an agent from YAML; `{{LLM}}` in it becomes the fake server's base URL.
    void Define(std::string yaml) {
        for (auto p = yaml.find("{{LLM}}"); p != std::string::npos; p = yaml.find("{{LLM}}")) {
            yaml.replace(p, 7, llm_.base_url());
        }
        const auto r = client().Send(
            "POST", "/api/v1/agents", yaml, {{"Authorization", "Bearer " + key_}, {"Content-Type", "application/yaml"}}
        );
        ASSERT_EQ(r.status, 201) << r.body << "\n" << yaml;
    }

    HttpResult Invoke(const std::string& agent, const Json& body = Json::object()) {
        return client().Post("/api/v1/agents/" + agent + "/invoke", body, key_);
    }

    Json Events(const std::string& run_id) {
        return client().Get("/api/v1/runs/" + run_id + "/events?limit=1000", key_).Json()["data"]["items"];
    }

    Json Run(const std::string& run_id) { return client().Get("/api/v1/runs/" + run_id, key_).Json()["data"]; }

    static std::vector<std::string> Types(const Json& events) {
        std::vector<std::string> out;
        for (const auto& e : events) {
            out.push_back(e["type"]);
        }
        return out;
    }

    FakeLlmServer llm_;
};

const char* kOpenAiAgent = R"yaml(
slug: helper
model: { provider: openai, name: gpt-4o-mini, base_url: "{{LLM}}", api_key_env: FAKE_LLM_KEY }
instructions: "You help {{COMPANY}}."
variables:
  COMPANY: { required: true }
  TONE: { default: friendly }
)yaml";

TEST_F(InvokeTest, AgentLoopAnswersAndRecordsTheTimeline) {
    Define(kOpenAiAgent);
    llm_.Push({.text = "Hello from the model", .prompt_tokens = 1000, .completion_tokens = 500});
    auto r = Invoke("helper", {{"input", {{"message", "Hi there"}}}, {"prompt_variables", {{"COMPANY", "Acme"}}}});
    ASSERT_EQ(r.status, 200) << r.body;
    const auto data = r.Json()["data"];
    EXPECT_EQ(data["status"], "completed");
    EXPECT_EQ(data["output"]["content"], "Hello from the model");
    EXPECT_TRUE(data["session_id"].is_null());
    const std::string run_id = data["run_id"];

    // What the model was sent.
    ASSERT_EQ(llm_.request_count(), 1U);
    const auto sent = llm_.requests()[0];
    EXPECT_EQ(sent["model"], "gpt-4o-mini");
    EXPECT_EQ(sent["messages"][0]["role"], "system");
    EXPECT_EQ(sent["messages"][0]["content"], "You help Acme.");
    EXPECT_EQ(sent["messages"][1]["content"], "Hi there");
    EXPECT_EQ(llm_.raw_requests()[0].Header("authorization"), "Bearer sk-test-not-a-real-key");

    const auto run = Run(run_id);
    EXPECT_EQ(run["status"], "completed");
    EXPECT_EQ(run["source"], "hosted");
    EXPECT_EQ(run["agent_version"], 1);
    EXPECT_EQ(run["trigger_type"], "manual");
    EXPECT_EQ(run["prompt_tokens"], 1000);
    EXPECT_EQ(run["completion_tokens"], 500);
    EXPECT_EQ(run["model"], "gpt-4o-mini");
    EXPECT_NEAR(run["cost_usd"].get<double>(), 1000 * 0.15e-6 + 500 * 0.60e-6, 1e-9);  // gpt-4o-mini prices

    const auto events = Events(run_id);
    EXPECT_EQ(Types(events), (std::vector<std::string>{"run_start", "step", "step", "run_end"}));
    EXPECT_EQ(events[0]["payload"]["framework"], "agentos");
    EXPECT_EQ(events[0]["payload"]["agent_version"], 1);
    EXPECT_EQ(events[0]["payload"]["input"]["message"], "Hi there");
    EXPECT_EQ(events[1]["payload"]["phase"], "start");
    EXPECT_EQ(events[2]["payload"]["phase"], "end");
    EXPECT_EQ(events[2]["payload"]["node_type"], "llm");
    EXPECT_EQ(events[2]["payload"]["output"]["text"], "Hello from the model");
    EXPECT_EQ(events[2]["payload"]["output"]["prompt_tokens"], 1000);
    EXPECT_EQ(events[3]["payload"]["output"]["content"], "Hello from the model");
    EXPECT_EQ(events[3]["payload"]["total_tokens"], 1500);
    EXPECT_EQ(events[3]["payload"]["model"], "gpt-4o-mini");
}

TEST_F(InvokeTest, ToolCallsRunAndTheirResultsGoBackToTheModel) {
    TestHttpServer weather([](const RecordedRequest& req) {
        return TestResponse{.body = Json{{"city", req.target}, {"temp_c", 12}}.dump()};
    });
    Define(
        R"yaml(
slug: weather
model: { provider: openai, name: gpt-4o-mini, base_url: "{{LLM}}", api_key_env: FAKE_LLM_KEY }
tools:
  - name: get_weather
    description: Weather for a city
    parameters: { type: object, properties: { city: { type: string } }, required: [city] }
    http: { url: ")yaml" +
        weather.url("/weather?city={{args.city}}") + R"yaml(" }
  - use: calculator
)yaml"
    );
    llm_.Push(
        {.tool_calls =
             {{"call_1", "get_weather", {{"city", "Zürich & co/../x"}}},
              {"call_2", "calculator", {{"expression", "12*9/5+32"}}}}}
    );
    llm_.Push({.text = "It is 12°C (53.6°F) in Zurich."});
    const auto r = Invoke("weather", {{"input", {{"query", "Weather in Zurich?"}}}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["data"]["output"]["content"], "It is 12°C (53.6°F) in Zurich.");
    // The argument stayed inside the query string.
    ASSERT_EQ(weather.request_count(), 1U);
    EXPECT_EQ(weather.requests()[0].target, "/weather?city=Z%C3%BCrich%20%26%20co%2F..%2Fx");
    // The second model call saw both tool results.
    ASSERT_EQ(llm_.request_count(), 2U);
    const auto messages = llm_.requests()[1]["messages"];
    ASSERT_GE(messages.size(), 4U);
    EXPECT_EQ(messages[messages.size() - 3]["tool_calls"].size(), 2U);
    EXPECT_EQ(messages[messages.size() - 2]["role"], "tool");
    EXPECT_EQ(messages[messages.size() - 2]["tool_call_id"], "call_1");
    EXPECT_NE(messages[messages.size() - 2]["content"].get<std::string>().find("\"temp_c\":12"), std::string::npos);
    EXPECT_EQ(messages[messages.size() - 1]["tool_call_id"], "call_2");
    EXPECT_NE(messages[messages.size() - 1]["content"].get<std::string>().find("53.6"), std::string::npos);
    // The tools were offered to the model in OpenAI's shape.
    EXPECT_EQ(llm_.requests()[0]["tools"][0]["function"]["name"], "get_weather");

    const auto events = Events(r.Json()["data"]["run_id"]);
    EXPECT_EQ(
        Types(events),
        (std::vector<std::string>{
            "run_start", "step", "step", "tool_call", "tool_call", "tool_call", "tool_call", "step", "step", "run_end"})
    );
    EXPECT_EQ(events[3]["payload"]["tool_name"], "get_weather");
    EXPECT_EQ(events[3]["payload"]["phase"], "start");
    EXPECT_EQ(events[4]["payload"]["phase"], "end");
    EXPECT_TRUE(events[4]["payload"].contains("duration_ms"));
    EXPECT_NE(events[4]["payload"]["output_preview"].get<std::string>().find("temp_c"), std::string::npos);
}

TEST_F(InvokeTest, AToolErrorIsAResultForTheModelNotACrash) {
    TestHttpServer broken([](const RecordedRequest&) {
        return TestResponse{.status = 503, .body = "down for maintenance"};
    });
    Define(
        R"yaml(
slug: fragile
model: { provider: openai, name: gpt-4o-mini, base_url: "{{LLM}}", api_key_env: FAKE_LLM_KEY }
tools:
  - name: lookup
    parameters: { type: object, properties: { q: { type: string } }, required: [q] }
    http: { url: ")yaml" +
        broken.url("/lookup") + R"yaml(" }
)yaml"
    );
    llm_.Push(
        {.tool_calls =
             {{"c1", "lookup", {{"q", "x"}}}, {"c2", "lookup", {{"wrong", 1}}}, {"c3", "nope", Json::object()}}}
    );
    llm_.Push({.text = "Sorry, the lookup service is down."});
    const auto r = Invoke("fragile", {{"input", {{"message", "look it up"}}}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["data"]["status"], "completed");
    const auto messages = llm_.requests()[1]["messages"];
    const auto n = messages.size();
    EXPECT_NE(messages[n - 3]["content"].get<std::string>().find("HTTP 503"), std::string::npos) << messages[n - 3];
    EXPECT_NE(messages[n - 2]["content"].get<std::string>().find("invalid arguments"), std::string::npos)
        << messages[n - 2];
    EXPECT_NE(messages[n - 1]["content"].get<std::string>().find("no tool named 'nope'"), std::string::npos)
        << messages[n - 1];
}

TEST_F(InvokeTest, AnthropicAgentsSpeakTheMessagesApi) {
    Define(R"yaml(
slug: claude
model: { provider: anthropic, name: claude-3-5-haiku-latest, base_url: "{{LLM}}", api_key_env: FAKE_LLM_KEY }
instructions: Be brief.
tools:
  - use: calculator
)yaml");
    llm_.Push({.tool_calls = {{"toolu_1", "calculator", {{"expression", "2+2"}}}}});
    llm_.Push({.text = "Four.", .prompt_tokens = 100, .completion_tokens = 10});
    const auto r = Invoke("claude", {{"input", {{"message", "2+2?"}}}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["data"]["output"]["content"], "Four.");
    const auto first = llm_.requests()[0];
    EXPECT_EQ(first["system"], "Be brief.");
    EXPECT_EQ(first["tools"][0]["name"], "calculator");
    EXPECT_TRUE(first["tools"][0].contains("input_schema"));
    EXPECT_EQ(llm_.raw_requests()[0].Header("x-api-key"), "sk-test-not-a-real-key");
    const auto second = llm_.requests()[1]["messages"];
    EXPECT_EQ(second.back()["role"], "user");
    EXPECT_EQ(second.back()["content"][0]["type"], "tool_result");
    EXPECT_EQ(second.back()["content"][0]["tool_use_id"], "toolu_1");
}

TEST_F(InvokeTest, RetriesOn429And500ThenGivesUpWithAClearError) {
    Define(kOpenAiAgent);
    llm_.Push({.status = 429, .retry_after_s = 0});
    llm_.Push({.status = 500});
    llm_.Push({.text = "made it"});
    auto r = Invoke("helper", {{"prompt_variables", {{"COMPANY", "Acme"}}}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["data"]["status"], "completed");
    EXPECT_EQ(llm_.request_count(), 3U);

    for (int i = 0; i < 4; ++i) {
        llm_.Push({.text = "overloaded", .status = 503});
    }
    r = Invoke("helper", {{"prompt_variables", {{"COMPANY", "Acme"}}}});
    ASSERT_EQ(r.status, 200) << r.body;
    const auto data = r.Json()["data"];
    EXPECT_EQ(data["status"], "failed");
    EXPECT_EQ(data["error_type"], "ProviderError");
    EXPECT_NE(data["error_message"].get<std::string>().find("503"), std::string::npos) << data;
    EXPECT_EQ(data["error_message"].get<std::string>().find("sk-test"), std::string::npos) << "no key in errors";
    const auto events = Events(data["run_id"]);
    EXPECT_EQ(events.back()["type"], "error");
    EXPECT_EQ(events.back()["payload"]["error_type"], "ProviderError");
    EXPECT_EQ(Run(data["run_id"])["status"], "failed");
}

TEST_F(InvokeTest, BudgetsStopARunWithAClearError) {
    Define(R"yaml(
slug: looper
model:
  provider: mock
  script:
    - tool_call: { name: calculator, args: { expression: "1+1" } }
tools:
  - use: calculator
budget: { max_steps: 5 }
)yaml");
    auto r = Invoke("looper");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["data"]["status"], "failed");
    EXPECT_EQ(r.Json()["data"]["error_type"], "BudgetExceeded");
    EXPECT_NE(r.Json()["data"]["error_message"].get<std::string>().find("max_steps (5)"), std::string::npos);

    Define(R"yaml(
slug: spender
model: { provider: openai, name: gpt-4o, base_url: "{{LLM}}", api_key_env: FAKE_LLM_KEY }
budget: { max_cost_usd: 0.01 }
)yaml");
    llm_.Push({.text = "expensive", .prompt_tokens = 10000, .completion_tokens = 0});  // 10k * $2.50/M = $0.025
    r = Invoke("spender");
    EXPECT_EQ(r.Json()["data"]["status"], "failed");
    EXPECT_NE(
        r.Json()["data"]["error_message"].get<std::string>().find("max_cost_usd ($0.0100) passed"), std::string::npos
    ) << r.body;
}

TEST_F(InvokeTest, OutputSchemaIsEnforcedWithOneReask) {
    Define(R"yaml(
slug: extractor
model: { provider: openai, name: gpt-4o-mini, base_url: "{{LLM}}", api_key_env: FAKE_LLM_KEY }
output_schema:
  type: object
  properties: { name: { type: string } }
  required: [name]
)yaml");
    llm_.Push({.text = "Sure! The name is Ada."});
    llm_.Push({.text = R"({"name": "Ada Lovelace"})"});
    auto r = Invoke("extractor", {{"input", {{"message", "Ada Lovelace wrote the first program"}}}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["data"]["output"], (Json{{"name", "Ada Lovelace"}}));
    EXPECT_EQ(llm_.requests()[0]["response_format"]["type"], "json_object");
    const auto reask = llm_.requests()[1]["messages"].back();
    EXPECT_EQ(reask["role"], "user");
    EXPECT_NE(reask["content"].get<std::string>().find("does not match"), std::string::npos);

    llm_.Push({.text = "no"});
    llm_.Push({.text = R"({"nom": 1})"});
    r = Invoke("extractor", {{"input", {{"message", "x"}}}});
    EXPECT_EQ(r.Json()["data"]["status"], "failed");
    EXPECT_EQ(r.Json()["data"]["error_type"], "OutputSchemaError");
}

TEST_F(InvokeTest, GraphWithRouterToolAndChildAgentRollsUpTotals) {
    TestHttpServer api([](const RecordedRequest&) { return TestResponse{.body = R"({"temp_c": 7})"}; });
    Define(R"yaml(
slug: summarizer
model: { provider: openai, name: gpt-4o-mini, base_url: "{{LLM}}", api_key_env: FAKE_LLM_KEY }
instructions: Summarize.
)yaml");
    Define(
        R"yaml(
slug: planner
model: { provider: openai, name: gpt-4o-mini, base_url: "{{LLM}}", api_key_env: FAKE_LLM_KEY }
tools:
  - name: get_weather
    parameters: { type: object, properties: { city: { type: string } }, required: [city] }
    http: { url: ")yaml" +
        api.url("/w?city={{args.city}}") + R"yaml(" }
graph:
  start: plan
  nodes:
    plan: { type: llm, prompt: "Plan for {{input.query}}", output: plan }
    route:
      type: router
      routes:
        - { when: "input.region == 'eu' && exists(state.plan)", to: search }
        - { to: done }
    search: { type: tool, tool: get_weather, args: { city: "{{input.city}}" }, output: weather }
    summary: { type: agent, agent: summarizer, input: { message: "{{state.weather}}" }, output: summary }
    done: { type: llm, prompt: "Say done", output: summary }
  edges:
    - [plan, route]
    - [search, summary]
  output: { answer: "{{state.summary}}", plan: "{{state.plan}}" }
)yaml"
    );
    llm_.Push({.text = "the plan", .prompt_tokens = 100, .completion_tokens = 20});       // plan
    llm_.Push({.text = "cold, 7 degrees", .prompt_tokens = 50, .completion_tokens = 5});  // the child's model call
    const auto r = Invoke("planner", {{"input", {{"query", "weather"}, {"region", "eu"}, {"city", "Bern"}}}});
    ASSERT_EQ(r.status, 200) << r.body;
    const auto data = r.Json()["data"];
    EXPECT_EQ(data["status"], "completed") << data;
    EXPECT_EQ(data["output"]["answer"]["content"], "cold, 7 degrees");  // a whole {{ref}} keeps the child's object
    EXPECT_EQ(data["output"]["plan"], "the plan");
    EXPECT_EQ(api.requests()[0].target, "/w?city=Bern");
    const std::string run_id = data["run_id"];

    const auto run = Run(run_id);
    ASSERT_EQ(run["child_runs"].size(), 1U);
    const auto child_id = run["child_runs"][0]["id"].get<std::string>();
    EXPECT_EQ(run["child_runs"][0]["agent_slug"], "summarizer");
    EXPECT_EQ(run["prompt_tokens"], 150);  // the child's 50 rolled up into the parent
    EXPECT_EQ(run["completion_tokens"], 25);
    const auto child = Run(child_id);
    EXPECT_EQ(child["parent_run_id"], run_id);
    EXPECT_EQ(child["trigger_type"], "agent");
    EXPECT_EQ(child["input"]["message"], (Json{{"temp_c", 7}}));  // a whole {{ref}} keeps the tool's object
    EXPECT_EQ(llm_.requests()[1]["messages"].back()["content"], R"({"temp_c":7})");  // the child's user message
    EXPECT_EQ(child["prompt_tokens"], 50);

    const auto tree = client().Get("/api/v1/runs/" + run_id + "/tree", key_);
    ASSERT_EQ(tree.status, 200) << tree.body;
    EXPECT_EQ(tree.Json()["data"]["run"]["children"].size(), 1U);
    EXPECT_EQ(tree.Json()["data"]["run"]["children"][0]["id"], child_id);
    EXPECT_EQ(tree.Json()["data"]["totals"]["runs"], 2);
    EXPECT_EQ(tree.Json()["data"]["totals"]["prompt_tokens"], 150);

    // Each node left its step events.
    std::vector<std::string> nodes;
    for (const auto& e : Events(run_id)) {
        if (e["type"] == "step" && e["payload"]["phase"] == "end") {
            nodes.push_back(e["payload"]["node_name"]);
        }
    }
    EXPECT_EQ(nodes, (std::vector<std::string>{"plan", "route", "search", "summary"}));

    // The other branch.
    llm_.Push({.text = "plan b"});
    llm_.Push({.text = "done!"});
    const auto other = Invoke("planner", {{"input", {{"query", "q"}, {"region", "us"}}}});
    EXPECT_EQ(other.Json()["data"]["output"]["answer"], "done!");
}

TEST_F(InvokeTest, CallAgentStartsAChildAndAnAncestorCannotBeCalledAgain) {
    Define(R"yaml(
slug: echo
model: { provider: mock }
)yaml");
    Define(R"yaml(
slug: boss
model:
  provider: mock
  script:
    - tool_call: { name: call_agent, args: { agent: echo, input: { message: "ping" } } }
    - text: "child said it"
tools:
  - use: call_agent
    agents: [echo]
)yaml");
    const auto r = Invoke("boss");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["data"]["output"]["content"], "child said it");
    const auto run = Run(r.Json()["data"]["run_id"]);
    ASSERT_EQ(run["child_runs"].size(), 1U);
    EXPECT_EQ(Run(run["child_runs"][0]["id"])["output"]["content"], "ping");
}

TEST_F(InvokeTest, BackgroundRunsAreQueuedAndFinishedByAWorker) {
    Define(kOpenAiAgent);
    llm_.Push({.text = "later", .delay = milliseconds(200)});
    const auto r = Invoke("helper", {{"background", true}, {"prompt_variables", {{"COMPANY", "Acme"}}}});
    ASSERT_EQ(r.status, 202) << r.body;
    EXPECT_EQ(r.Json()["data"]["status"], "queued");
    const std::string run_id = r.Json()["data"]["run_id"];
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    Json run;
    do {
        run = Run(run_id);
    } while (run["status"] != "completed" && std::chrono::steady_clock::now() < deadline);
    EXPECT_EQ(run["status"], "completed");
    EXPECT_EQ(run["output"]["content"], "later");
}

TEST_F(InvokeTest, AClientThatHangsUpDoesNotStopTheRun) {
    Define(kOpenAiAgent);
    llm_.Push({.text = "finished anyway", .delay = milliseconds(500)});
    {
        RawConnection c(app_->port());
        const std::string body = R"({"prompt_variables": {"COMPANY": "Acme"}})";
        c.Send(
            "POST /api/v1/agents/helper/invoke HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key_ +
            "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body
        );
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (llm_.request_count() == 0 && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::yield();
        }
    }  // the client is gone while the model is still answering
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    Json items;
    do {
        items = client().Get("/api/v1/runs?status=completed", key_).Json()["data"]["items"];
    } while (items.empty() && std::chrono::steady_clock::now() < deadline);
    ASSERT_EQ(items.size(), 1U);
    EXPECT_EQ(items[0]["output"]["content"], "finished anyway");
}

TEST_F(InvokeTest, TheMockProviderRunsWithoutANetwork) {
    Define("slug: parrot\nmodel: { provider: mock }\n");
    const auto r = Invoke("parrot", {{"input", {{"message", "polly wants a cracker"}}}});
    EXPECT_EQ(r.Json()["data"]["output"]["content"], "polly wants a cracker");
}

TEST_F(InvokeTest, HistoryPrecedesTheMessage) {
    Define(kOpenAiAgent);
    llm_.Push({.text = "ok"});
    const auto r = Invoke(
        "helper",
        {{"prompt_variables", {{"COMPANY", "Acme"}}},
         {"input", {{"message", "and now?"}}},
         {"history", {{{"role", "user"}, {"content", "first"}}, {{"role", "assistant"}, {"content", "second"}}}}}
    );
    ASSERT_EQ(r.status, 200) << r.body;
    const auto messages = llm_.requests()[0]["messages"];
    ASSERT_EQ(messages.size(), 4U);
    EXPECT_EQ(messages[1]["content"], "first");
    EXPECT_EQ(messages[2]["role"], "assistant");
    EXPECT_EQ(messages[3]["content"], "and now?");
}

TEST_F(InvokeTest, OverTheMonthlyBudgetRunsGoOnWithABudgetWarning) {
    Define(R"yaml(
slug: pricey
model: { provider: openai, name: gpt-4o, base_url: "{{LLM}}", api_key_env: FAKE_LLM_KEY }
budget: { monthly_cost_usd: 0.01 }
)yaml");
    llm_.Push({.text = "cheap", .prompt_tokens = 100, .completion_tokens = 0});  // $0.00025
    auto r = Invoke("pricey");
    EXPECT_TRUE(Run(r.Json()["data"]["run_id"])["budget_warning"].is_null());
    llm_.Push({.text = "dear", .prompt_tokens = 10000, .completion_tokens = 0});  // $0.025: over the month's $0.01
    r = Invoke("pricey");
    EXPECT_EQ(r.Json()["data"]["status"], "completed") << r.body;  // the run still goes
    EXPECT_EQ(Run(r.Json()["data"]["run_id"])["budget_warning"], "Agent 'pricey' has exceeded its budget of $0.01");
    llm_.Push({.text = "again"});
    r = Invoke("pricey");
    EXPECT_EQ(Run(r.Json()["data"]["run_id"])["budget_warning"], "Agent 'pricey' has exceeded its budget of $0.01");
}

TEST_F(InvokeTest, ChildRunsCannotCallTheirAncestorsAndNestingIsCapped) {
    Define(R"yaml(
slug: ping
model:
  provider: mock
  script:
    - tool_call: { name: call_agent, args: { agent: pong, input: { message: "from ping" } } }
    - text: "ping done"
tools:
  - use: call_agent
    agents: [pong]
)yaml");
    Define(R"yaml(
slug: pong
model:
  provider: mock
  script:
    - tool_call: { name: call_agent, args: { agent: ping, input: { message: "from pong" } } }
    - text: "pong done"
tools:
  - use: call_agent
    agents: [ping]
)yaml");
    const auto r = Invoke("ping");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["data"]["output"]["content"], "ping done");
    const auto run = Run(r.Json()["data"]["run_id"]);
    ASSERT_EQ(run["child_runs"].size(), 1U);  // pong, and no grandchild
    const std::string pong = run["child_runs"][0]["id"];
    EXPECT_TRUE(Run(pong)["child_runs"].empty());
    // pong's call of ping came back to pong's model as a tool error, not a crash and not a run.
    bool refused = false;
    for (const auto& e : Events(pong)) {
        if (e["type"] == "tool_call" && e["payload"]["phase"] == "end") {
            refused = e["payload"].dump().find("own ancestor") != std::string::npos;
        }
    }
    EXPECT_TRUE(refused) << Events(pong);

    // parent_run_id nests invokes too; the depth is capped (5 by default) with a clear error.
    Define("slug: leaf\nmodel: { provider: mock }\n");
    std::string parent;
    for (int depth = 0; depth <= 5; ++depth) {
        Json body = Json::object();
        if (!parent.empty()) {
            body["parent_run_id"] = parent;
        }
        const auto leaf = Invoke("leaf", body);
        ASSERT_EQ(leaf.status, 200) << depth << leaf.body;
        parent = leaf.Json()["data"]["run_id"];
    }
    ExpectError(Invoke("leaf", {{"parent_run_id", parent}}), 400, "VALIDATION_ERROR", "nest at most 5 deep");
}

TEST_F(InvokeTest, AFailedChildFailsItsAgentNode) {
    Define(R"yaml(
slug: fragile
model: { provider: openai, name: gpt-4o-mini, base_url: "{{LLM}}", api_key_env: FAKE_LLM_KEY }
)yaml");
    Define(R"yaml(
slug: manager
model: { provider: mock }
graph:
  start: delegate
  nodes:
    delegate: { type: agent, agent: fragile, input: { message: "{{input.task}}" }, output: result }
)yaml");
    llm_.Push({.text = "bad request", .status = 400});
    const auto r = Invoke("manager", {{"input", {{"task", "x"}}}});
    ASSERT_EQ(r.status, 200) << r.body;
    const auto data = r.Json()["data"];
    EXPECT_EQ(data["status"], "failed");
    EXPECT_EQ(data["error_type"], "ChildRunFailed");
    EXPECT_NE(data["error_message"].get<std::string>().find("of agent fragile failed"), std::string::npos) << data;
    const auto run = Run(data["run_id"]);
    ASSERT_EQ(run["child_runs"].size(), 1U);
    EXPECT_EQ(run["child_runs"][0]["status"], "failed");
}

TEST_F(InvokeTest, WorkersOfAnyServerShareTheQueueAndRunEachRunOnce) {
    Define(kOpenAiAgent);
    // A front server that only queues, and a second worker server beside the fixture's: the runs can only finish
    // by a worker of another server claiming them.
    TestAppOptions front_options;
    front_options.database_url = app_->dsn();
    front_options.runs.max_background = 0;
    TestApp front(front_options);
    TestAppOptions worker_options;
    worker_options.database_url = app_->dsn();
    TestApp worker(worker_options);
    HttpClient front_client(front.port());
    constexpr int kRuns = 30;
    for (int i = 0; i < kRuns; ++i) {
        llm_.Push({.text = "done " + std::to_string(i), .delay = milliseconds(20)});
    }
    std::vector<std::string> ids;
    for (int i = 0; i < kRuns; ++i) {
        const auto r = front_client.Post(
            "/api/v1/agents/helper/invoke", {{"background", true}, {"prompt_variables", {{"COMPANY", "Acme"}}}}, key_
        );
        ASSERT_EQ(r.status, 202) << r.body;
        ids.push_back(r.Json()["data"]["run_id"]);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    std::size_t completed = 0;
    while (completed < ids.size() && std::chrono::steady_clock::now() < deadline) {
        completed = client().Get("/api/v1/runs?status=completed&limit=100", key_).Json()["data"]["items"].size();
        std::this_thread::sleep_for(milliseconds(20));
    }
    ASSERT_EQ(completed, ids.size());
    EXPECT_EQ(llm_.request_count(), static_cast<std::size_t>(kRuns));  // no run was executed twice
    for (const auto& id : ids) {
        const auto types = Types(Events(id));
        EXPECT_EQ(std::count(types.begin(), types.end(), "run_end"), 1) << id;
        EXPECT_EQ(std::count(types.begin(), types.end(), "run_start"), 1) << id;
    }
}

TEST_F(InvokeTest, AServerStoppedAtOnceShutsDownCleanly) {
    // The worker loop claims queued runs as soon as a server starts; a stop at that moment must not leave a
    // suspended database call that touches the stopped pool (seen under ASan as a use after free).
    TestAppOptions options;
    options.database_url = app_->dsn();
    for (int i = 0; i < 10; ++i) {
        TestApp server(options);
        server.Stop();
    }
    EXPECT_EQ(client().Get("/health").status, 200);
}

TEST_F(InvokeTest, BadInvokesAre4xxAndCreateNoRun) {
    Define(kOpenAiAgent);
    Define(R"yaml(
slug: structured
model: { provider: mock }
output_schema: { type: object, properties: { a: { type: string } } }
)yaml");
    ASSERT_EQ(
        client()
            .Post(
                "/api/ingest",
                {{"event_type", "run_start"},
                 {"sdk_run_id", "x"},
                 {"agent_name", "outside"},
                 {"payload", Json::object()}},
                key_
            )
            .status,
        200
    );
    ASSERT_EQ(client().Post("/api/v1/agents/structured/pause", Json::object(), key_).status, 200);
    const auto runs_before = client().Get("/api/v1/runs", key_).Json()["data"]["items"].size();
    const Json company = {{"COMPANY", "Acme"}};
    ExpectError(Invoke("nobody"), 404, "NOT_FOUND", "agent nobody");
    ExpectError(Invoke("structured"), 400, "VALIDATION_ERROR", "paused");
    ExpectError(Invoke("outside"), 400, "VALIDATION_ERROR", "external");
    ExpectError(Invoke("helper"), 400, "VALIDATION_ERROR", "prompt_variables: missing required COMPANY");
    auto r = Invoke("helper", {{"prompt_variables", {{"COMPANY", "A"}, {"COLOUR", "red"}, {"SIZE", "xl"}}}});
    ExpectError(r, 400, "VALIDATION_ERROR", "does not declare COLOUR, SIZE");
    EXPECT_EQ(r.Json()["error"]["details"]["undeclared"], (Json{"COLOUR", "SIZE"}));
    ExpectError(
        Invoke("helper", {{"prompt_variables", {{"COMPANY", 5}}}}),
        400,
        "VALIDATION_ERROR",
        "prompt_variables.COMPANY: must be a string"
    );
    ExpectError(
        Invoke(
            "helper",
            {{"prompt_variables", company},
             {"history", Json::array()},
             {"session_id", "018f0c7e-5b1a-7c3d-9e2f-0a1b2c3d4e5f"}}
        ),
        400,
        "VALIDATION_ERROR",
        "exclude each other"
    );
    ExpectError(
        Invoke("helper", {{"prompt_variables", company}, {"external_user_id", "u1"}}),
        400,
        "VALIDATION_ERROR",
        "external_user_id"
    );
    ExpectError(
        Invoke("helper", {{"prompt_variables", company}, {"history", {{{"role", "robot"}, {"content", "x"}}}}}),
        400,
        "VALIDATION_ERROR",
        "history[0].role"
    );
    ExpectError(
        Invoke("helper", {{"prompt_variables", company}, {"history", {{{"role", "user"}}}}}),
        400,
        "VALIDATION_ERROR",
        "history[0].content: required"
    );
    ExpectError(
        Invoke("helper", {{"prompt_variables", company}, {"input", "text"}}),
        400,
        "VALIDATION_ERROR",
        "input: must be a JSON object"
    );
    ExpectError(
        Invoke("helper", {{"prompt_variables", company}, {"parent_run_id", "nope"}}),
        400,
        "VALIDATION_ERROR",
        "parent_run_id: not a UUID"
    );
    ExpectError(
        Invoke("helper", {{"prompt_variables", company}, {"parent_run_id", "018f0c7e-5b1a-7c3d-9e2f-0a1b2c3d4e5f"}}),
        404,
        "NOT_FOUND",
        "parent run"
    );
    ExpectError(
        Invoke("helper", {{"prompt_variables", company}, {"multitask_strategy", "queue"}}),
        400,
        "VALIDATION_ERROR",
        "multitask_strategy"
    );
    ExpectError(
        Invoke("helper", {{"prompt_variables", company}, {"colour", 1}}),
        400,
        "VALIDATION_ERROR",
        "colour: unknown field"
    );
    ASSERT_EQ(client().Post("/api/v1/agents/structured/activate", Json::object(), key_).status, 200);
    ExpectError(
        Invoke("structured", {{"stream", true}}),
        400,
        "VALIDATION_ERROR",
        "stream: agent structured has an output_schema"
    );
    ExpectError(
        Invoke("helper", {{"prompt_variables", company}, {"stream", "yes"}}),  // streaming is served: a bool
        400,
        "VALIDATION_ERROR",
        "stream"
    );
    // A parent run of another workspace is not found either.
    const auto other_key = app_->WorkspaceKey("other");
    const auto theirs = client()
                            .Post("/api/ingest/v1/run/start", {{"agent_id", "outside"}}, key_)
                            .Json()["data"]["run_id"]
                            .get<std::string>();
    ExpectError(
        client().Post(
            "/api/v1/agents/helper/invoke", {{"prompt_variables", company}, {"parent_run_id", theirs}}, other_key
        ),
        404,
        "NOT_FOUND"
    );
    // An agent key may link its run only under its own agent's runs.
    ExpectError(
        client().Post(
            "/api/v1/agents/helper/invoke",
            {{"prompt_variables", company}, {"parent_run_id", theirs}},
            app_->AgentKey("default", "helper")
        ),
        403,
        "FORBIDDEN"
    );
    EXPECT_EQ(
        client().Get("/api/v1/runs", key_).Json()["data"]["items"].size(), runs_before + 1
    );  // only the ingest run above
    EXPECT_EQ(llm_.request_count(), 0U);
}

}  // namespace
}  // namespace agentos::testing
