#include "runtime/spec/yaml_loader.hpp"

#include <gtest/gtest.h>

#include "runtime/core/error.hpp"

namespace agentos::spec {
namespace {

/// The errors of a definition, formatted as `agentos validate` prints them.
std::vector<std::string> Errors(const std::string& yaml) {
    std::vector<std::string> out;
    for (const auto& e : LoadAgent(yaml).errors) {
        out.push_back(FormatSpecError(e, "a.yaml"));
    }
    return out;
}

/// Expects exactly one error, containing `fragment`, at line:column when given.
void ExpectOneError(const std::string& yaml, const std::string& fragment, int line = 0, int column = 0) {
    const auto loaded = LoadAgent(yaml);
    ASSERT_EQ(loaded.errors.size(), 1U) << ::testing::PrintToString(Errors(yaml));
    const auto text = FormatSpecError(loaded.errors[0], "a.yaml");
    EXPECT_NE(text.find(fragment), std::string::npos) << text;
    if (line > 0) {
        EXPECT_EQ(loaded.errors[0].pos.line, line) << text;
        EXPECT_EQ(loaded.errors[0].pos.column, column) << text;
    }
}

const char* kFullExample = R"yaml(
slug: research-agent
name: Research agent
description: Answers questions with a web search
runtime: hosted
model:
  provider: openai
  name: gpt-4o-mini
  api_key_env: OPENAI_API_KEY
  temperature: 0.2
  max_tokens: 800
  timeout_s: 60
instructions: |
  You are a research assistant for {{COMPANY}}. Answer in a {{TONE}} tone.
variables:
  COMPANY: { required: true }
  TONE: { default: friendly }
tools:
  - name: get_weather
    description: Current weather for a city
    parameters:
      type: object
      properties: { city: { type: string } }
      required: [city]
    http: { method: GET, url: "https://api.example.com/weather?city={{args.city}}", timeout_s: 10 }
  - name: deploy
    description: Deploy the current build
    parameters: { type: object, properties: { env: { type: string } }, required: [env] }
    webhook: { url: "https://ops.example.com/deploy" }
    requires_approval: true
    approval: { timeout_s: 3600, on_timeout: reject }
  - use: current_time
  - use: call_agent
    agents: [summarizer]
memory:
  history_messages: 20
output_schema:
  type: object
  properties: { answer: { type: string } }
  required: [answer]
budget:
  max_steps: 25
  max_cost_usd: 0.50
  monthly_cost_usd: 10
schedules:
  - cron: "0 9 * * 1-5"
    timezone: Europe/Zurich
    input: { query: "daily report" }
    prompt_variables: { COMPANY: Acme }
)yaml";

TEST(YamlLoader, LoadsTheContractsFullExample) {
    const auto loaded = LoadAgent(kFullExample);
    ASSERT_TRUE(loaded.errors.empty()) << ::testing::PrintToString(Errors(kFullExample));
    const auto& a = *loaded.spec;
    EXPECT_EQ(a.slug, "research-agent");
    EXPECT_TRUE(a.hosted);
    EXPECT_EQ(a.model.provider, Provider::kOpenAi);
    EXPECT_EQ(a.model.name, "gpt-4o-mini");
    EXPECT_DOUBLE_EQ(*a.model.temperature, 0.2);
    EXPECT_EQ(*a.model.max_tokens, 800);
    EXPECT_TRUE(a.variables.at("COMPANY").required);
    EXPECT_EQ(*a.variables.at("TONE").default_value, "friendly");
    ASSERT_EQ(a.tools.size(), 4U);
    EXPECT_EQ(a.tools[0].kind, ToolKind::kHttp);
    EXPECT_EQ(a.tools[1].kind, ToolKind::kWebhook);
    EXPECT_TRUE(a.tools[1].requires_approval);
    EXPECT_EQ(*a.tools[1].approval_timeout_s, 3600);
    EXPECT_EQ(a.tools[2].builtin, "current_time");
    EXPECT_EQ(a.tools[3].agents, std::vector<std::string>{"summarizer"});
    EXPECT_EQ(a.output_schema["required"][0], "answer");
    EXPECT_EQ(*a.budget.max_steps, 25);
    EXPECT_DOUBLE_EQ(*a.budget.monthly_cost_usd, 10);
    ASSERT_EQ(a.schedules.size(), 1U);
    EXPECT_EQ(a.schedules[0].timezone, "Europe/Zurich");
    EXPECT_EQ(loaded.document["model"]["temperature"], 0.2);
    EXPECT_EQ(loaded.document["schedules"][0]["cron"], "0 9 * * 1-5");
}

const char* kGraph = R"yaml(
slug: planner
model: { provider: mock }
tools:
  - name: get_weather
    parameters: { type: object, properties: { city: { type: string } } }
    http: { url: "https://api.example.com/weather?city={{args.city}}" }
graph:
  start: plan
  nodes:
    plan:    { type: llm, prompt: "Plan a search for: {{input.query}}", output: plan }
    check:   { type: approval, message: "Run this plan? {{state.plan}}" , on_reject: give_up }
    region:  { type: input, question: "Which region?", options: [eu, us], output: region, timeout_s: 600, default: eu }
    route:   { type: router, routes: [ { when: "state.region == 'eu'", to: search }, { to: summary } ] }
    search:  { type: tool, tool: get_weather, args: { city: "Zurich" }, output: weather }
    summary: { type: agent, agent: summarizer, input: { text: "{{state.weather}}" }, output: summary }
    give_up: { type: llm, prompt: "Say politely that the plan was rejected.", output: summary }
  edges:
    - [plan, check]
    - [check, region]
    - [region, route]
    - [search, summary]
  output: { answer: "{{state.summary}}" }
)yaml";

TEST(YamlLoader, LoadsTheContractsGraphExample) {
    const auto loaded = LoadAgent(kGraph);
    ASSERT_TRUE(loaded.errors.empty()) << ::testing::PrintToString(Errors(kGraph));
    const auto& g = *loaded.spec->graph;
    EXPECT_EQ(g.start, "plan");
    ASSERT_EQ(g.nodes.size(), 7U);
    EXPECT_EQ(g.Find("route")->type, NodeType::kRouter);
    EXPECT_EQ(g.Find("route")->routes.size(), 2U);
    EXPECT_FALSE(g.Find("route")->routes[1].when);
    EXPECT_EQ(g.Find("region")->options, (std::vector<std::string>{"eu", "us"}));
    EXPECT_EQ(*g.Find("region")->default_answer, "eu");
    EXPECT_EQ(*g.Find("check")->on_reject, "give_up");
    EXPECT_EQ(g.edges.size(), 4U);
    EXPECT_EQ(g.output["answer"], "{{state.summary}}");
}

TEST(YamlLoader, StructuralErrorsNameLineColumnAndField) {
    ExpectOneError("slug: a\nmodel: { provider: mock }\nmodle: x\n", "a.yaml:3:1: modle: unknown field", 3, 1);
    ExpectOneError(
        "slug: a\nmodel:\n  provider: mock\n  temprature: 1\n", "a.yaml:4:3: model.temprature: unknown field", 4, 3
    );
    ExpectOneError("model: { provider: mock }\n", "slug: required");
    ExpectOneError("slug: Bad_Slug\nmodel: { provider: mock }\n", "a.yaml:1:7: slug: must match", 1, 7);
    ExpectOneError(
        "slug: a\nmodel: { provider: gemini }\n",
        "model.provider: must be one of openai, anthropic, openai_compatible, mock (got 'gemini')"
    );
    ExpectOneError(
        "slug: a\nmodel: { provider: openai_compatible, name: llama3 }\n",
        "model.base_url: required for provider openai_compatible"
    );
    ExpectOneError("slug: a\nmodel: { provider: openai }\n", "model.name: required");
    ExpectOneError(
        "slug: a\nmodel: { provider: mock, temperature: 3 }\n", "model.temperature: must be between 0 and 2"
    );
    ExpectOneError(
        "slug: a\nmodel: { provider: mock, max_tokens: many }\n", "model.max_tokens: must be a whole number"
    );
    ExpectOneError("slug: a\n", "model: required for a hosted agent");
    ExpectOneError("slug: a\nslug: b\nmodel: { provider: mock }\n", "a.yaml:2:1: slug: given twice", 2, 1);
    ExpectOneError("slug: a\nmodel: [1, 2\n", "not valid YAML");
    ExpectOneError("- just\n- a list\n", "an agent definition is a mapping");
}

TEST(YamlLoader, ToolErrors) {
    const std::string head = "slug: a\nmodel: { provider: mock }\ntools:\n";
    ExpectOneError(
        head + "  - name: t\n    http: { url: 'https://x.example' }\n    webhook: { url: 'https://y.example' }\n",
        "tools[0]: give either http or webhook, not both"
    );
    ExpectOneError(head + "  - name: t\n", "tools[0]: needs http or webhook");
    ExpectOneError(head + "  - name: t\n    http: { url: 'ftp://x' }\n", "tools[0].http.url: not a URL");
    ExpectOneError(
        head + "  - use: teleport\n",
        "tools[0].use: must be one of current_time, calculator, http_fetch, ask_human, call_agent"
    );
    ExpectOneError(head + "  - use: call_agent\n", "tools[0].agents: required for call_agent");
    ExpectOneError(head + "  - use: calculator\n  - use: calculator\n", "a tool named 'calculator' is already defined");
    ExpectOneError(
        head +
            "  - name: t\n    parameters: { type: object, properties: { city: { type: string } } }\n    http: { url: "
            "'https://x.example/{{args.town}}' }\n",
        "{{args.town}} names an argument that parameters.properties does not declare"
    );
    ExpectOneError(
        head + "  - name: t\n    http: { url: 'https://x.example/{{CITY}}' }\n",
        "{{CITY}} names a prompt variable the agent does not declare"
    );
    ExpectOneError(
        head + "  - name: t\n    http: { url: 'https://x.example', method: FETCH }\n",
        "tools[0].http.method: must be one of GET, POST, PUT, PATCH, DELETE"
    );
    ExpectOneError(
        head + "  - name: t\n    http: { url: 'https://x.example' }\n    approval: { timeout_s: 5 }\n",
        "tools[0].approval: only meaningful with requires_approval: true"
    );
    ExpectOneError(
        head + "  - name: 'bad name'\n    http: { url: 'https://x.example' }\n",
        "tools[0].name: must be 1-64 of letters"
    );
}

TEST(YamlLoader, VariableAndTemplateErrors) {
    ExpectOneError(
        "slug: a\nmodel: { provider: mock }\ninstructions: 'Hi {{NAME}}'\n",
        "{{NAME}} names a prompt variable the agent does not declare"
    );
    ExpectOneError(
        "slug: a\nmodel: { provider: mock }\ninstructions: 'Hi {{state.x}}'\n", "there is no graph state here"
    );
    ExpectOneError("slug: a\nmodel: { provider: mock }\ninstructions: 'Hi {{NAME'\n", "instructions");
    ExpectOneError(
        "slug: a\nmodel: { provider: mock }\nvariables: { X: { required: true, default: y } }\n",
        "variables.X: a required variable has no default"
    );
}

TEST(YamlLoader, GraphErrors) {
    const std::string head = "slug: a\nmodel: { provider: mock }\ngraph:\n  start: one\n  nodes:\n";
    ExpectOneError(
        head + "    one: { type: llm, prompt: hi }\n  edges: [[one, two]]\n",
        "graph.edges[0]: 'two' is not a node of the graph"
    );
    ExpectOneError(
        head + "    one: { type: llm, prompt: hi }\n    two: { type: llm, prompt: hi }\n",
        "graph.nodes.two: unreachable"
    );
    ExpectOneError(
        head +
            "    one: { type: tool, tool: calculator }\n    two: { type: tool, tool: calculator }\n  edges: [[one, "
            "two], [two, "
            "one]]\ntools:\n  - use: calculator\n",
        "cycle without an llm or router node to end it: one → two"
    );
    ExpectOneError(
        head + "    one: { type: robot }\n",
        "graph.nodes.one.type: must be one of llm, tool, approval, input, agent, router (got 'robot')"
    );
    ExpectOneError(
        head + "    one: { type: llm, prompt: '{{state.nothing}}' }\n", "names state.nothing, which no node produces"
    );
    ExpectOneError(
        head + "    one: { type: router, routes: [ { when: \"state.x ==\", to: one } ] }\n",
        "graph.nodes.one.routes[0].when"
    );
    ExpectOneError(
        head + "    one: { type: router, routes: [ { to: one }, { when: 'true', to: one } ] }\n",
        "the default route (no when) must come last"
    );
    ExpectOneError(
        head + "    one: { type: llm, prompt: hi, tools: [nope] }\n",
        "graph.nodes.one.tools: 'nope' is not one of the agent's tools"
    );
    ExpectOneError(head + "    one: { type: llm, prompt: hi, colour: red }\n", "graph.nodes.one.colour: unknown field");
    ExpectOneError(
        "slug: a\nmodel: { provider: mock }\ngraph:\n  start: zero\n  nodes:\n    one: { type: llm, prompt: hi }\n",
        "graph.start: 'zero' is not a node"
    );
    ExpectOneError(
        head +
            "    one: { type: llm, prompt: hi }\n    two: { type: llm, prompt: hi }\n    three: { type: llm, prompt: "
            "hi }\n  edges: [[one, two], [one, three]]\n",
        "'one' already has an outgoing edge; branch with a router node"
    );
}

TEST(YamlLoader, ACycleThroughAnLlmNodeIsAllowed) {
    const auto loaded = LoadAgent(
        "slug: a\nmodel: { provider: mock }\ngraph:\n  start: one\n  nodes:\n    one: { type: llm, prompt: hi }\n    "
        "two: { type: llm, prompt: hi }\n  edges: [[one, two], [two, one]]\n"
    );
    EXPECT_TRUE(loaded.errors.empty()) << loaded.errors.front().message;
}

TEST(YamlLoader, ScheduleErrors) {
    const std::string head = "slug: a\nmodel: { provider: mock }\nschedules:\n";
    ExpectOneError(head + "  - cron: '61 * * * *'\n", "schedules[0].cron: minute field: '61' is out of range 0-59");
    ExpectOneError(
        head + "  - cron: '* * * * *'\n    timezone: Mars/Olympus\n", "schedules[0].timezone: unknown time zone"
    );
    ExpectOneError(head + "  - cron: '* * * * *'\n    catch_up_s: -1\n", "schedules[0].catch_up_s: must be between 0");
    ExpectOneError(head + "  - cron: '* * * * *'\n    input: [1]\n", "schedules[0].input: must be a mapping");
}

TEST(YamlLoader, MockScriptAndOutputSchema) {
    ExpectOneError(
        "slug: a\nmodel: { provider: mock, script: [ { tool_call: { name: deploy } } ] }\n",
        "model.script[0].tool_call.name: 'deploy' is not one of the agent's tools"
    );
    ExpectOneError(
        "slug: a\nmodel: { provider: mock, script: [ { text: a, tool_call: { name: x } } ] }\n",
        "give exactly one of text or tool_call"
    );
    ExpectOneError(
        "slug: a\nmodel: { provider: openai, name: m, script: [ { text: a } ] }\n",
        "model.script: only the mock provider takes a script"
    );
    ExpectOneError(
        "slug: a\nmodel: { provider: mock }\noutput_schema: { type: array }\n",
        "output_schema.type: the output is a JSON object"
    );
    ExpectOneError(
        "slug: a\nmodel: { provider: mock }\noutput_schema: { type: object, properties: { a: { type: nonsense } } }\n",
        "output_schema: not a usable JSON Schema"
    );
}

TEST(YamlLoader, ExternalAgentsTakeOnlyTheirFew) {
    const auto ok = LoadAgent("slug: ext\nruntime: external\nbudget: { monthly_cost_usd: 5 }\n");
    ASSERT_TRUE(ok.errors.empty());
    EXPECT_FALSE(ok.spec->hosted);
    ExpectOneError(
        "slug: ext\nruntime: external\nmodel: { provider: mock }\n", "model: an external agent runs elsewhere"
    );
}

TEST(YamlLoader, JsonIsAcceptedToo) {
    const auto loaded = LoadAgent(
        R"({"slug": "j", "model": {"provider": "mock", "script": [{"text": "hi"}]}, "budget": {"max_steps": 3}})"
    );
    ASSERT_TRUE(loaded.errors.empty());
    EXPECT_EQ(loaded.spec->model.script[0].text, "hi");
    EXPECT_EQ(*loaded.spec->budget.max_steps, 3);
    ExpectOneError(R"({"slug": "j", "model": {"provider": "mock"}, "extra": 1})", "a.yaml:1:46: extra: unknown field");
}

TEST(YamlLoader, QuotedScalarsStayStrings) {
    const auto loaded = LoadAgent(
        "slug: a\nmodel: { provider: mock }\ngraph:\n  start: t\n  nodes:\n    t: { type: tool, tool: calculator, "
        "args: { n: '42', m: 42, b: true, z: ~ } }\ntools:\n  - use: calculator\n"
    );
    ASSERT_TRUE(loaded.errors.empty()) << FormatSpecError(loaded.errors.front(), "a");
    const auto& args = loaded.spec->graph->nodes[0].args;
    EXPECT_EQ(args["n"], "42");
    EXPECT_EQ(args["m"], 42);
    EXPECT_EQ(args["b"], true);
    EXPECT_TRUE(args["z"].is_null());
}

TEST(YamlLoader, HostileDocumentsAreRefusedNotExpanded) {
    // Nine levels of nine aliases each would expand to 387 million values.
    std::string laughs =
        "slug: a\nmodel: { provider: mock }\ngraph:\n  start: t\n  nodes:\n    t:\n      type: tool\n      tool: "
        "calculator\n      args:\n        l0: &l0 [lol]\n";
    for (int i = 1; i < 10; ++i) {
        laughs += "        l" + std::to_string(i) + ": &l" + std::to_string(i) + " [";
        for (int k = 0; k < 9; ++k) {
            laughs += std::string(k == 0 ? "" : ", ") + "*l" + std::to_string(i - 1);
        }
        laughs += "]\n";
    }
    ExpectOneError(laughs, "expands to more than 100000 values");
    ExpectOneError(
        "slug: a\nx: " + std::string(10000, '[') + std::string(10000, ']') + "\n",
        "a.yaml:2:68: nested deeper than 64 levels",
        2,
        68
    );
    ExpectOneError("slug: a\nname: \"caf\xC3\"\n", "invalid UTF-8 at byte 18");
}

TEST(YamlLoader, OrThrowListsEveryError) {
    try {
        LoadAgentOrThrow("slug: A\nmodel: { provider: x }\nfoo: 1\n", "bad.yaml");
        FAIL();
    } catch (const core::Error& e) {
        EXPECT_EQ(e.code(), core::ErrorCode::kValidation);
        EXPECT_NE(std::string(e.what()).find("bad.yaml:1:7: slug: must match"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("(and 2 more)"), std::string::npos) << e.what();
        EXPECT_EQ(e.details()["errors"].size(), 3U);
        EXPECT_EQ(e.details()["errors"][2]["field"], "foo");
        EXPECT_EQ(e.details()["errors"][2]["line"], 3);
    }
}

}  // namespace
}  // namespace agentos::spec

namespace agentos::spec {
namespace {

TEST(YamlLoader, AnApostropheInPlainTextDoesNotHideDeepNesting) {
    const auto loaded = LoadAgent(
        "slug: a\ndescription: it's fine # isn't it\nx: " + std::string(100, '[') + std::string(100, ']') + "\n"
    );
    ASSERT_EQ(loaded.errors.size(), 1U);
    EXPECT_NE(loaded.errors[0].message.find("nested deeper than 64"), std::string::npos) << loaded.errors[0].message;
    EXPECT_EQ(loaded.errors[0].pos.line, 3);
}

TEST(YamlLoader, OnlyLowerCaseTrueAndFalseAreBooleans) {
    const auto loaded = LoadAgent(
        "slug: a\nmodel: { provider: mock }\ntools:\n  - use: calculator\ngraph:\n  start: t\n  nodes:\n    t: { type: "
        "tool, tool: calculator, args: { a: True, b: true } }\n"
    );
    ASSERT_TRUE(loaded.errors.empty());
    EXPECT_EQ(loaded.spec->graph->nodes[0].args["a"], "True");
    EXPECT_EQ(loaded.spec->graph->nodes[0].args["b"], true);
}

TEST(YamlLoader, CallAgentCannotListTheAgentItself) {
    const auto loaded =
        LoadAgent("slug: a\nmodel: { provider: mock }\ntools:\n  - use: call_agent\n    agents: [b, a]\n");
    ASSERT_EQ(loaded.errors.size(), 1U);
    EXPECT_EQ(loaded.errors[0].path, "tools[0].agents[1]");
}

}  // namespace
}  // namespace agentos::spec

namespace agentos::spec {
namespace {

TEST(YamlLoader, UserMemoriesIsABooleanOffByDefault) {
    const std::string plain = "slug: a\nmodel: { provider: mock }\nmemory: { history_messages: 5 }\n";
    const auto off = LoadAgent(plain);
    ASSERT_TRUE(off.errors.empty()) << ::testing::PrintToString(Errors(plain));
    EXPECT_FALSE(off.spec->memory.user_memories);
    EXPECT_EQ(off.spec->memory.history_messages, 5);
    const auto on = LoadAgent("slug: a\nmodel: { provider: mock }\nmemory:\n  user_memories: true\n");
    ASSERT_TRUE(on.errors.empty());
    EXPECT_TRUE(on.spec->memory.user_memories);
    EXPECT_EQ(on.spec->memory.history_messages, 20);
    const auto json = LoadAgent(R"({"slug": "j", "model": {"provider": "mock"}, "memory": {"user_memories": true}})");
    ASSERT_TRUE(json.errors.empty());
    EXPECT_TRUE(json.spec->memory.user_memories);

    ExpectOneError(
        "slug: a\nmodel: { provider: mock }\nmemory:\n  user_memories: yes\n",
        "a.yaml:4:18: memory.user_memories: must be true or false",
        4,
        18
    );
    ExpectOneError("slug: a\nmodel: { provider: mock }\nmemory: { user_memories: 1 }\n", "memory.user_memories");
    ExpectOneError(
        R"({"slug": "j", "model": {"provider": "mock"}, "memory": {"user_memories": "true"}})",
        "memory.user_memories: must be true or false"
    );
    ExpectOneError(
        "slug: a\nmodel: { provider: mock }\nmemory: { user_memory: true }\n",
        "memory.user_memory: unknown field (allowed here: history_messages, user_memories)"
    );
}

}  // namespace
}  // namespace agentos::spec
