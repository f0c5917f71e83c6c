// The LLM providers against FakeLlmServer: the exact OpenAI and Anthropic wire formats, parsing of text, tool calls,
// usage and cost, streaming (deltas as they arrive, tool calls from pieces, the same result as the JSON answer, a
// stream that breaks off), the mock's script and echo, retries (429 with Retry-After, 5xx, hang-up, timeout) and
// giving up, errors that are not retried, missing keys and the mock fallback. No Postgres: each test runs its
// coroutines on a local io_context.

#include <chrono>
#include <exception>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "runtime/core/error.hpp"
#include "runtime/net/http_client.hpp"
#include "runtime/providers/llm_provider.hpp"
#include "runtime/providers/mock_provider.hpp"
#include "runtime/providers/retry.hpp"
#include "runtime/spec/json_schema.hpp"
#include "tests/support/fake_llm_server.hpp"

namespace agentos::testing {
namespace {

using nlohmann::json;
using providers::ChatMessage;
using providers::ChatRequest;
using providers::ChatResult;
using providers::ProviderError;
using providers::Role;
using providers::ToolCall;
using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr const char* kOpenAiKey = "sk-test-openai-0123456789";
constexpr const char* kAnthropicKey = "sk-ant-test-0123456789";

/// Runs `task` on `ioc` to completion and returns its value or rethrows its exception.
template <class T>
T RunCo(net::io_context& ioc, net::awaitable<T> task) {
    std::optional<T> value;
    std::exception_ptr error;
    net::co_spawn(ioc, std::move(task), [&value, &error](std::exception_ptr e, T v) {
        if (e) {
            error = e;
        } else {
            value = std::move(v);
        }
    });
    ioc.restart();
    ioc.run();
    if (error) {
        std::rethrow_exception(error);
    }
    return std::move(*value);
}

ChatMessage User(std::string text) {
    ChatMessage m;
    m.role = Role::kUser;
    m.content = std::move(text);
    return m;
}

ChatMessage Assistant(std::string text, std::vector<ToolCall> calls = {}) {
    ChatMessage m;
    m.role = Role::kAssistant;
    m.content = std::move(text);
    m.tool_calls = std::move(calls);
    return m;
}

ChatMessage ToolResult(std::string id, std::string name, std::string content) {
    ChatMessage m;
    m.role = Role::kTool;
    m.tool_call_id = std::move(id);
    m.tool_name = std::move(name);
    m.content = std::move(content);
    return m;
}

providers::ToolDefinition WeatherTool() {
    return {
        "get_weather",
        "Current weather for a city",
        json{{"type", "object"}, {"properties", {{"city", {{"type", "string"}}}}}, {"required", {"city"}}}};
}

ChatRequest Ask(std::string text) {
    ChatRequest r;
    r.messages.push_back(User(std::move(text)));
    return r;
}

FakeReply Reply(std::string text) {
    FakeReply r;
    r.text = std::move(text);
    return r;
}

FakeReply Status(int status, std::string message = "", std::optional<int> retry_after_s = std::nullopt) {
    FakeReply r;
    r.status = status;
    r.text = std::move(message);
    r.retry_after_s = retry_after_s;
    return r;
}

class ProviderTest : public ::testing::Test {
protected:
    ProviderTest() {
        env_["OPENAI_API_KEY"] = kOpenAiKey;
        env_["ANTHROPIC_API_KEY"] = kAnthropicKey;
    }

    static providers::RetryPolicy FastRetry() {
        providers::RetryPolicy policy;
        policy.max_retries = 3;
        policy.base_delay = milliseconds(10);
        policy.max_delay = milliseconds(2000);
        return policy;
    }

    providers::ProviderContext Context(providers::RetryPolicy retry = FastRetry()) {
        return providers::ProviderContext{
            http_, prices_, retry, [this](const std::string& name) -> std::optional<std::string> {
                const auto it = env_.find(name);
                return it == env_.end() ? std::nullopt : std::optional<std::string>(it->second);
            }};
    }

    spec::ModelSpec Model(spec::Provider provider, std::string name) const {
        spec::ModelSpec m;
        m.provider = provider;
        m.name = std::move(name);
        m.base_url = fake_.base_url();
        m.timeout_s = 5;
        return m;
    }

    std::unique_ptr<providers::LlmProvider> Make(
        const spec::ModelSpec& model, providers::RetryPolicy retry = FastRetry(), bool mock_fallback = false
    ) {
        return providers::MakeProvider(model, Context(retry), mock_fallback);
    }

    ChatResult Chat(providers::LlmProvider& provider, ChatRequest request, providers::TokenSink sink = {}) {
        return RunCo(ioc_, provider.Chat(std::move(request), std::move(sink)));
    }

    /// The ProviderError's message (a test failure when the call succeeds or throws something else).
    std::string ChatError(providers::LlmProvider& provider, ChatRequest request, providers::TokenSink sink = {}) {
        try {
            Chat(provider, std::move(request), std::move(sink));
        } catch (const ProviderError& e) {
            return e.what();
        } catch (const std::exception& e) {
            ADD_FAILURE() << "not a ProviderError: " << e.what();
            return "";
        }
        ADD_FAILURE() << "the call succeeded";
        return "";
    }

    static double Ms(SteadyClock::duration d) {
        return static_cast<double>(std::chrono::duration_cast<milliseconds>(d).count());
    }

    FakeLlmServer fake_;
    net::io_context ioc_;  // before http_: pooled connections must go before their io_context
    outbound::HttpClient http_;
    providers::PriceTable prices_;
    std::map<std::string, std::string> env_;
};

class OpenAiProviderTest : public ProviderTest {};

class AnthropicProviderTest : public ProviderTest {};

class ProviderRetryTest : public ProviderTest {};

class ProviderFactoryTest : public ProviderTest {};

class ProviderStreamingTest : public ProviderTest {};

class FakeLlmServerTest : public ProviderTest {};

// --- OpenAI --------------------------------------------------------------------------------------------------------

TEST_F(OpenAiProviderTest, SendsChatCompletionsWireFormat) {
    auto model = Model(spec::Provider::kOpenAi, "gpt-4o");
    model.temperature = 0.2;
    model.top_p = 0.9;
    model.max_tokens = 256;
    model.stop = {"END"};
    auto provider = Make(model);
    ChatRequest request;
    request.system = "You are terse.";
    request.messages = {
        User("Weather in Paris?"),
        Assistant("", {ToolCall{"call_1", "get_weather", json{{"city", "Paris"}}}}),
        ToolResult("call_1", "get_weather", R"({"temp_c":21})"),
    };
    request.tools = {WeatherTool()};
    request.json_output = true;
    fake_.Push(Reply("done"));

    EXPECT_EQ(Chat(*provider, request).text, "done");

    ASSERT_EQ(fake_.request_count(), 1U);
    const auto raw = fake_.raw_requests()[0];
    EXPECT_EQ(raw.method, "POST");
    EXPECT_EQ(raw.target, "/v1/chat/completions");
    EXPECT_EQ(raw.Header("authorization"), std::string("Bearer ") + kOpenAiKey);
    EXPECT_EQ(raw.Header("content-type"), "application/json");
    EXPECT_EQ(raw.Header("x-api-key"), "");
    const json body = fake_.requests()[0];
    EXPECT_EQ(body["model"], "gpt-4o");
    ASSERT_EQ(body["messages"].size(), 4U);
    EXPECT_EQ(body["messages"][0], (json{{"role", "system"}, {"content", "You are terse."}}));
    EXPECT_EQ(body["messages"][1], (json{{"role", "user"}, {"content", "Weather in Paris?"}}));
    const json& assistant = body["messages"][2];
    EXPECT_EQ(assistant["role"], "assistant");
    EXPECT_TRUE(assistant["content"].is_null());
    ASSERT_EQ(assistant["tool_calls"].size(), 1U);
    EXPECT_EQ(assistant["tool_calls"][0]["id"], "call_1");
    EXPECT_EQ(assistant["tool_calls"][0]["type"], "function");
    EXPECT_EQ(assistant["tool_calls"][0]["function"]["name"], "get_weather");
    ASSERT_TRUE(assistant["tool_calls"][0]["function"]["arguments"].is_string());  // JSON text, not an object
    EXPECT_EQ(
        json::parse(assistant["tool_calls"][0]["function"]["arguments"].get<std::string>()), (json{{"city", "Paris"}})
    );
    EXPECT_EQ(
        body["messages"][3], (json{{"role", "tool"}, {"tool_call_id", "call_1"}, {"content", R"({"temp_c":21})"}})
    );
    EXPECT_EQ(
        body["tools"],
        json::array(
            {{{"type", "function"},
              {"function",
               {{"name", "get_weather"},
                {"description", "Current weather for a city"},
                {"parameters", WeatherTool().parameters}}}}}
        )
    );
    EXPECT_EQ(body["temperature"], 0.2);
    EXPECT_EQ(body["top_p"], 0.9);
    EXPECT_EQ(body["max_tokens"], 256);
    EXPECT_EQ(body["stop"], json::array({"END"}));
    EXPECT_EQ(body["response_format"], (json{{"type", "json_object"}}));
    EXPECT_FALSE(body.contains("stream"));
}

TEST_F(OpenAiProviderTest, LeavesOutWhatIsNotSet) {
    auto provider = Make(Model(spec::Provider::kOpenAi, "gpt-4o-mini"));
    fake_.Push(Reply("ok"));
    Chat(*provider, Ask("hi"));
    const json body = fake_.requests().at(0);
    EXPECT_EQ(body["messages"], json::array({{{"role", "user"}, {"content", "hi"}}}));  // no system message
    for (const char* field : {"tools", "temperature", "top_p", "max_tokens", "stop", "response_format"}) {
        EXPECT_FALSE(body.contains(field)) << field;
    }
}

TEST_F(OpenAiProviderTest, ParsesTextToolCallsUsageAndCost) {
    auto provider = Make(Model(spec::Provider::kOpenAi, "gpt-4o"));
    FakeReply reply = Reply("Let me check.");
    reply.tool_calls = {{"call_abc", "get_weather", json{{"city", "Paris"}}}, {"call_def", "get_time", json::object()}};
    reply.prompt_tokens = 1000;
    reply.completion_tokens = 2000;
    reply.model = "gpt-4o-2024-08-06";
    fake_.Push(reply);
    std::string streamed;

    const auto result = Chat(*provider, Ask("weather?"), [&streamed](std::string_view delta) { streamed += delta; });

    EXPECT_EQ(result.text, "Let me check.");
    EXPECT_EQ(streamed, "Let me check.");
    ASSERT_EQ(result.tool_calls.size(), 2U);
    EXPECT_EQ(result.tool_calls[0].id, "call_abc");
    EXPECT_EQ(result.tool_calls[0].name, "get_weather");
    EXPECT_EQ(result.tool_calls[0].arguments, (json{{"city", "Paris"}}));
    EXPECT_EQ(result.tool_calls[1].id, "call_def");
    EXPECT_EQ(result.tool_calls[1].arguments, json::object());
    EXPECT_EQ(result.prompt_tokens, 1000);
    EXPECT_EQ(result.completion_tokens, 2000);
    EXPECT_EQ(result.model, "gpt-4o-2024-08-06");
    EXPECT_NEAR(result.cost_usd, (1000 * 2.50 + 2000 * 10.0) / 1e6, 1e-12);  // priced as gpt-4o
}

TEST_F(OpenAiProviderTest, UnparsableArgumentsAreKeptRaw) {
    auto provider = Make(Model(spec::Provider::kOpenAi, "gpt-4o"));
    FakeReply reply;
    reply.tool_calls = {{"call_1", "get_weather", json("{\"city\": Par")}};  // a string is sent verbatim
    fake_.Push(reply);

    const auto result = Chat(*provider, Ask("weather?"));

    EXPECT_EQ(result.text, "");
    ASSERT_EQ(result.tool_calls.size(), 1U);
    EXPECT_EQ(result.tool_calls[0].arguments, (json{{"_raw", "{\"city\": Par"}}));
}

TEST_F(OpenAiProviderTest, CompatibleWithoutKeySendsNoAuthorization) {
    auto model = Model(spec::Provider::kOpenAiCompatible, "llama3.1:8b");
    EXPECT_FALSE(providers::KeyMissing(model, Context()));
    auto provider = Make(model);
    fake_.Push(Reply("local answer"));

    const auto result = Chat(*provider, Ask("hi"));

    EXPECT_EQ(result.text, "local answer");
    EXPECT_EQ(result.model, "llama3.1:8b");
    EXPECT_EQ(result.cost_usd, 0);  // not in the price table
    const auto raw = fake_.raw_requests().at(0);
    EXPECT_EQ(raw.target, "/v1/chat/completions");
    EXPECT_EQ(raw.Header("authorization"), "");  // and OPENAI_API_KEY (set) did not go to this host
}

TEST_F(OpenAiProviderTest, CompatibleWithKeyVariableSendsBearer) {
    auto model = Model(spec::Provider::kOpenAiCompatible, "llama3.1:8b");
    model.api_key_env = "LOCAL_LLM_KEY";
    env_["LOCAL_LLM_KEY"] = "local-secret";
    auto provider = Make(model);
    fake_.Push(Reply("ok"));
    Chat(*provider, Ask("hi"));
    EXPECT_EQ(fake_.raw_requests().at(0).Header("authorization"), "Bearer local-secret");
}

// --- Anthropic -----------------------------------------------------------------------------------------------------

TEST_F(AnthropicProviderTest, SendsMessagesWireFormat) {
    auto provider = Make(Model(spec::Provider::kAnthropic, "claude-sonnet-4-20250514"));
    ChatRequest request;
    request.system = "You are terse.";
    request.messages = {
        User("Weather in Paris and London?"),
        Assistant(
            "Checking.",
            {ToolCall{"toolu_1", "get_weather", json{{"city", "Paris"}}},
             ToolCall{"toolu_2", "get_weather", json{{"city", "London"}}}}
        ),
        ToolResult("toolu_1", "get_weather", R"({"temp_c":21})"),
        ToolResult("toolu_2", "get_weather", R"({"temp_c":17})"),
        User("Thanks, summarise."),
    };
    request.tools = {WeatherTool()};
    request.json_output = true;
    fake_.Push(Reply("Paris is warmer."));

    EXPECT_EQ(Chat(*provider, request).text, "Paris is warmer.");

    ASSERT_EQ(fake_.request_count(), 1U);
    const auto raw = fake_.raw_requests()[0];
    EXPECT_EQ(raw.method, "POST");
    EXPECT_EQ(raw.target, "/v1/messages");
    EXPECT_EQ(raw.Header("x-api-key"), kAnthropicKey);
    EXPECT_EQ(raw.Header("anthropic-version"), "2023-06-01");
    EXPECT_EQ(raw.Header("content-type"), "application/json");
    EXPECT_EQ(raw.Header("authorization"), "");
    const json body = fake_.requests()[0];
    EXPECT_EQ(body["model"], "claude-sonnet-4-20250514");
    EXPECT_EQ(body["system"], "You are terse.");
    EXPECT_EQ(body["max_tokens"], 1024);  // required by the API; the spec has none
    EXPECT_FALSE(body.contains("response_format"));
    EXPECT_FALSE(body.contains("temperature"));
    const json expected_messages = json::array({
        {{"role", "user"}, {"content", json::array({{{"type", "text"}, {"text", "Weather in Paris and London?"}}})}},
        {{"role", "assistant"},
         {"content",
          json::array(
              {{{"type", "text"}, {"text", "Checking."}},
               {{"type", "tool_use"}, {"id", "toolu_1"}, {"name", "get_weather"}, {"input", {{"city", "Paris"}}}},
               {{"type", "tool_use"}, {"id", "toolu_2"}, {"name", "get_weather"}, {"input", {{"city", "London"}}}}}
          )}},
        {{"role", "user"},
         {"content",
          json::array(
              {{{"type", "tool_result"}, {"tool_use_id", "toolu_1"}, {"content", R"({"temp_c":21})"}},
               {{"type", "tool_result"}, {"tool_use_id", "toolu_2"}, {"content", R"({"temp_c":17})"}}}
          )}},
        {{"role", "user"}, {"content", json::array({{{"type", "text"}, {"text", "Thanks, summarise."}}})}},
    });
    EXPECT_EQ(body["messages"], expected_messages) << body["messages"].dump(2);
    EXPECT_EQ(
        body["tools"],
        json::array(
            {{{"name", "get_weather"},
              {"description", "Current weather for a city"},
              {"input_schema", WeatherTool().parameters}}}
        )
    );
}

TEST_F(AnthropicProviderTest, SendsTheSpecsSettings) {
    auto model = Model(spec::Provider::kAnthropic, "claude-3-5-haiku-latest");
    model.max_tokens = 300;
    model.temperature = 0.5;
    model.top_p = 0.8;
    model.stop = {"STOP"};
    auto provider = Make(model);
    fake_.Push(Reply("ok"));
    Chat(*provider, Ask("hi"));
    const json body = fake_.requests().at(0);
    EXPECT_EQ(body["max_tokens"], 300);
    EXPECT_EQ(body["temperature"], 0.5);
    EXPECT_EQ(body["top_p"], 0.8);
    EXPECT_EQ(body["stop_sequences"], json::array({"STOP"}));
    EXPECT_FALSE(body.contains("system"));
}

TEST_F(AnthropicProviderTest, ParsesContentBlocksUsageAndCost) {
    auto provider = Make(Model(spec::Provider::kAnthropic, "claude-3-5-sonnet-latest"));
    FakeReply reply = Reply("Let me look that up.");
    reply.tool_calls = {{"toolu_9", "search", json{{"q", "agentos"}}}};
    reply.prompt_tokens = 2000;
    reply.completion_tokens = 1000;
    reply.model = "claude-3-5-sonnet-20241022";
    fake_.Push(reply);

    const auto result = Chat(*provider, Ask("find agentos"));

    EXPECT_EQ(result.text, "Let me look that up.");
    ASSERT_EQ(result.tool_calls.size(), 1U);
    EXPECT_EQ(result.tool_calls[0].id, "toolu_9");
    EXPECT_EQ(result.tool_calls[0].name, "search");
    EXPECT_EQ(result.tool_calls[0].arguments, (json{{"q", "agentos"}}));
    EXPECT_EQ(result.prompt_tokens, 2000);
    EXPECT_EQ(result.completion_tokens, 1000);
    EXPECT_EQ(result.model, "claude-3-5-sonnet-20241022");
    EXPECT_NEAR(result.cost_usd, (2000 * 3.0 + 1000 * 15.0) / 1e6, 1e-12);
}

TEST_F(AnthropicProviderTest, CountsWordsWhenTheServerDoes) {
    auto provider = Make(Model(spec::Provider::kAnthropic, "claude-3-haiku-20240307"));
    const auto result = Chat(*provider, Ask("say these four words"));  // the fake echoes and counts words
    EXPECT_EQ(result.text, "say these four words");
    EXPECT_EQ(result.prompt_tokens, 4);
    EXPECT_EQ(result.completion_tokens, 4);
    EXPECT_NEAR(result.cost_usd, (4 * 0.25 + 4 * 1.25) / 1e6, 1e-15);
}

TEST_F(AnthropicProviderTest, Unauthorized401FailsAtOnce) {
    auto provider = Make(Model(spec::Provider::kAnthropic, "claude-sonnet-4-20250514"));
    fake_.SetDefault(Status(401, "invalid x-api-key"));
    EXPECT_EQ(ChatError(*provider, Ask("hi")), "anthropic: HTTP 401: invalid x-api-key");
    EXPECT_EQ(fake_.request_count(), 1U);
}

TEST_F(AnthropicProviderTest, RetriesWhenOverloaded529) {
    auto provider = Make(Model(spec::Provider::kAnthropic, "claude-sonnet-4-20250514"));
    fake_.Push(Status(529, "Overloaded"));
    fake_.Push(Reply("made it"));
    EXPECT_EQ(Chat(*provider, Ask("hi")).text, "made it");
    EXPECT_EQ(fake_.request_count(), 2U);
}

// --- retries -------------------------------------------------------------------------------------------------------

TEST_F(ProviderRetryTest, RetriesOn429HonouringRetryAfter) {
    auto provider = Make(Model(spec::Provider::kOpenAi, "gpt-4o"));
    fake_.Push(Status(429, "Rate limit reached", 1));
    fake_.Push(Reply("after the wait"));
    const auto start = SteadyClock::now();

    EXPECT_EQ(Chat(*provider, Ask("hi")).text, "after the wait");

    EXPECT_GE(Ms(SteadyClock::now() - start), 950);  // Retry-After: 1, not the 10 ms backoff
    EXPECT_EQ(fake_.request_count(), 2U);
}

TEST_F(ProviderRetryTest, RetryAfterIsCappedAtMaxDelay) {
    auto policy = FastRetry();
    policy.max_delay = milliseconds(100);
    auto provider = Make(Model(spec::Provider::kOpenAi, "gpt-4o"), policy);
    fake_.Push(Status(429, "slow down", 30));
    fake_.Push(Reply("ok"));
    const auto start = SteadyClock::now();

    EXPECT_EQ(Chat(*provider, Ask("hi")).text, "ok");

    const double elapsed = Ms(SteadyClock::now() - start);
    EXPECT_GE(elapsed, 90);
    EXPECT_LT(elapsed, 1000);
}

TEST_F(ProviderRetryTest, RetriesOnServerErrors) {
    auto provider = Make(Model(spec::Provider::kOpenAi, "gpt-4o"));
    fake_.Push(Status(500));
    fake_.Push(Status(503));
    fake_.Push(Reply("third time lucky"));
    EXPECT_EQ(Chat(*provider, Ask("hi")).text, "third time lucky");
    EXPECT_EQ(fake_.request_count(), 3U);
}

TEST_F(ProviderRetryTest, RetriesAfterHangUp) {
    auto provider = Make(Model(spec::Provider::kOpenAi, "gpt-4o"));
    FakeReply hang_up;
    hang_up.hang_up = true;
    fake_.Push(hang_up);
    fake_.Push(Reply("reconnected"));
    EXPECT_EQ(Chat(*provider, Ask("hi")).text, "reconnected");
    EXPECT_EQ(fake_.request_count(), 2U);
}

TEST_F(ProviderRetryTest, RetriesWhenTheServerIsSlowerThanTimeout) {
    auto model = Model(spec::Provider::kOpenAi, "gpt-4o");
    model.timeout_s = 0.2;
    auto provider = Make(model);
    FakeReply slow = Reply("too late");
    slow.delay = milliseconds(800);
    fake_.Push(slow);
    fake_.Push(Reply("on time"));
    const auto start = SteadyClock::now();

    EXPECT_EQ(Chat(*provider, Ask("hi")).text, "on time");

    const double elapsed = Ms(SteadyClock::now() - start);
    EXPECT_GE(elapsed, 180);
    EXPECT_LT(elapsed, 700);  // did not wait for the slow answer
    EXPECT_EQ(fake_.request_count(), 2U);
}

TEST_F(ProviderRetryTest, GivesUpAfterMaxRetries) {
    auto provider = Make(Model(spec::Provider::kOpenAi, "gpt-4o"));
    fake_.SetDefault(Status(429, "Rate limit reached for gpt-4o"));
    EXPECT_EQ(ChatError(*provider, Ask("hi")), "openai: HTTP 429 after 4 attempts: Rate limit reached for gpt-4o");
    EXPECT_EQ(fake_.request_count(), 4U);
}

TEST_F(ProviderRetryTest, GivesUpAfterTransportErrors) {
    auto policy = FastRetry();
    policy.max_retries = 2;
    auto provider = Make(Model(spec::Provider::kAnthropic, "claude-sonnet-4-20250514"), policy);
    FakeReply hang_up;
    hang_up.hang_up = true;
    fake_.SetDefault(hang_up);
    const std::string error = ChatError(*provider, Ask("hi"));
    EXPECT_EQ(error.rfind("anthropic: no answer after 3 attempts: POST " + fake_.base_url() + "/messages", 0), 0U)
        << error;
    EXPECT_EQ(fake_.request_count(), 3U);
}

TEST_F(ProviderRetryTest, NoRetryOn400) {
    auto provider = Make(Model(spec::Provider::kOpenAi, "gpt-4o"));
    fake_.SetDefault(Status(400, "Invalid value for 'messages': empty"));
    EXPECT_EQ(ChatError(*provider, Ask("hi")), "openai: HTTP 400: Invalid value for 'messages': empty");
    EXPECT_EQ(fake_.request_count(), 1U);
}

TEST_F(ProviderRetryTest, NoRetryOn401AndTheKeyIsNeverShown) {
    auto provider = Make(Model(spec::Provider::kOpenAi, "gpt-4o"));
    fake_.SetDefault(Status(401, std::string("Incorrect API key provided: ") + kOpenAiKey));
    const std::string error = ChatError(*provider, Ask("hi"));
    EXPECT_EQ(error, "openai: HTTP 401: Incorrect API key provided: ***");
    EXPECT_EQ(error.find(kOpenAiKey), std::string::npos);
    EXPECT_EQ(fake_.request_count(), 1U);
}

TEST_F(ProviderRetryTest, BackoffDoublesWithJitterUpToTheCap) {
    providers::RetryPolicy policy;
    policy.base_delay = milliseconds(100);
    policy.max_delay = milliseconds(1000);
    EXPECT_EQ(providers::BackoffDelay(policy, 0, 1.0), milliseconds(100));
    EXPECT_EQ(providers::BackoffDelay(policy, 1, 1.0), milliseconds(200));
    EXPECT_EQ(providers::BackoffDelay(policy, 2, 0.75), milliseconds(300));
    EXPECT_EQ(providers::BackoffDelay(policy, 2, 1.25), milliseconds(500));
    EXPECT_EQ(providers::BackoffDelay(policy, 3, 1.25), milliseconds(1000));
    EXPECT_EQ(providers::BackoffDelay(policy, 40, 1.0), milliseconds(1000));
    for (int i = 0; i < 200; ++i) {
        const double factor = providers::RandomJitterFactor();
        EXPECT_GE(factor, 0.75);
        EXPECT_LE(factor, 1.25);
    }
    for (int status : {408, 409, 429, 500, 502, 503, 504, 529}) {
        EXPECT_TRUE(providers::IsRetryableStatus(status)) << status;
    }
    for (int status : {400, 401, 403, 404, 422, 501}) {
        EXPECT_FALSE(providers::IsRetryableStatus(status)) << status;
    }
}

TEST_F(ProviderRetryTest, ReadsRetryAfterInSecondsOrMilliseconds) {
    outbound::HttpResponse response;
    EXPECT_EQ(providers::RetryAfter(response), std::nullopt);
    response.headers = {{"retry-after", "2"}};
    EXPECT_EQ(providers::RetryAfter(response), milliseconds(2000));
    response.headers = {{"retry-after", "0.25"}};
    EXPECT_EQ(providers::RetryAfter(response), milliseconds(250));
    response.headers = {{"retry-after", "Wed, 21 Oct 2015 07:28:00 GMT"}};
    EXPECT_EQ(providers::RetryAfter(response), std::nullopt);
    response.headers = {{"retry-after-ms", "40"}, {"retry-after", "1"}};
    EXPECT_EQ(providers::RetryAfter(response), milliseconds(40));
}

// --- streaming -----------------------------------------------------------------------------------------------------

/// What a token sink saw: each delta and when it came.
struct Deltas {
    std::vector<std::string> pieces;
    std::vector<SteadyClock::time_point> times;

    providers::TokenSink Sink() {
        return [this](std::string_view delta) {
            pieces.emplace_back(delta);
            times.push_back(SteadyClock::now());
        };
    }

    std::string Joined() const {
        std::string text;
        for (const auto& piece : pieces) {
            text += piece;
        }
        return text;
    }
};

void ExpectSameResult(const ChatResult& streamed, const ChatResult& whole) {
    EXPECT_EQ(streamed.text, whole.text);
    ASSERT_EQ(streamed.tool_calls.size(), whole.tool_calls.size());
    for (std::size_t i = 0; i < whole.tool_calls.size(); ++i) {
        EXPECT_EQ(streamed.tool_calls[i].id, whole.tool_calls[i].id) << i;
        EXPECT_EQ(streamed.tool_calls[i].name, whole.tool_calls[i].name) << i;
        EXPECT_EQ(streamed.tool_calls[i].arguments, whole.tool_calls[i].arguments) << i;
    }
    EXPECT_EQ(streamed.prompt_tokens, whole.prompt_tokens);
    EXPECT_EQ(streamed.completion_tokens, whole.completion_tokens);
    EXPECT_EQ(streamed.model, whole.model);
    EXPECT_DOUBLE_EQ(streamed.cost_usd, whole.cost_usd);
}

/// A reply with text and two tool calls whose arguments are long enough to come in several pieces.
FakeReply ToolReply(const std::string& model) {
    FakeReply reply = Reply("Checking both cities now.");
    reply.tool_calls = {
        {"call_paris", "get_weather", json{{"city", "Paris"}, {"units", "metric"}, {"note", "a long enough argument"}}},
        {"call_ljubljana", "get_weather", json{{"city", "Ljubljana"}, {"days", json::array({1, 2, 3})}}}};
    reply.prompt_tokens = 1200;
    reply.completion_tokens = 340;
    reply.model = model;
    return reply;
}

FakeReply Cut(FakeStreamEnd end, std::size_t events, std::string text = "one two three four five six") {
    FakeReply reply = Reply(std::move(text));
    reply.stream_end = end;
    reply.stream_events = events;
    return reply;
}

TEST_F(ProviderStreamingTest, OpenAiDeltasArriveInOrderWhileTheAnswerStreams) {
    auto provider = Make(Model(spec::Provider::kOpenAi, "gpt-4o"));
    FakeReply reply = Reply("Streams arrive one word at a time.");
    reply.chunk_delay = milliseconds(40);
    fake_.Push(reply);
    Deltas deltas;

    const auto result = Chat(*provider, Ask("stream please"), deltas.Sink());
    const auto done = SteadyClock::now();

    EXPECT_EQ(result.text, "Streams arrive one word at a time.");
    EXPECT_EQ(deltas.pieces, (std::vector<std::string>{"Streams ", "arrive ", "one ", "word ", "at ", "a ", "time."}));
    EXPECT_EQ(deltas.Joined(), result.text);
    // After the first word come six more, the finish, the usage and [DONE], 40 ms apart: the first delta was
    // handed on while the rest were still on their way.
    EXPECT_GE(Ms(done - deltas.times.front()), 200) << "the deltas were buffered";
}

TEST_F(ProviderStreamingTest, AnthropicDeltasArriveInOrderWhileTheAnswerStreams) {
    auto provider = Make(Model(spec::Provider::kAnthropic, "claude-sonnet-4-20250514"));
    FakeReply reply = Reply("Claude streams too, word by word.");
    reply.chunk_delay = milliseconds(40);
    fake_.Push(reply);
    Deltas deltas;

    const auto result = Chat(*provider, Ask("stream please"), deltas.Sink());
    const auto done = SteadyClock::now();

    EXPECT_EQ(result.text, "Claude streams too, word by word.");
    EXPECT_EQ(deltas.pieces, (std::vector<std::string>{"Claude ", "streams ", "too, ", "word ", "by ", "word."}));
    EXPECT_EQ(deltas.Joined(), result.text);
    EXPECT_GE(Ms(done - deltas.times.front()), 200) << "the deltas were buffered";
}

TEST_F(ProviderStreamingTest, OpenAiAsksForAStreamOnlyWithASink) {
    auto provider = Make(Model(spec::Provider::kOpenAi, "gpt-4o"));
    fake_.Push(Reply("streamed"));
    fake_.Push(Reply("whole"));
    Deltas deltas;

    EXPECT_EQ(Chat(*provider, Ask("hi"), deltas.Sink()).text, "streamed");
    EXPECT_EQ(Chat(*provider, Ask("hi")).text, "whole");

    const auto bodies = fake_.requests();
    ASSERT_EQ(bodies.size(), 2U);
    EXPECT_EQ(bodies[0]["stream"], true);
    EXPECT_EQ(bodies[0]["stream_options"], (json{{"include_usage", true}}));
    EXPECT_EQ(fake_.raw_requests()[0].Header("accept"), "text/event-stream");
    EXPECT_FALSE(bodies[1].contains("stream"));
    EXPECT_FALSE(bodies[1].contains("stream_options"));
    EXPECT_EQ(fake_.raw_requests()[1].Header("accept"), "application/json");
    EXPECT_EQ(deltas.Joined(), "streamed");
}

TEST_F(ProviderStreamingTest, AnthropicAsksForAStreamOnlyWithASink) {
    auto provider = Make(Model(spec::Provider::kAnthropic, "claude-sonnet-4-20250514"));
    fake_.Push(Reply("streamed"));
    fake_.Push(Reply("whole"));
    Deltas deltas;

    EXPECT_EQ(Chat(*provider, Ask("hi"), deltas.Sink()).text, "streamed");
    EXPECT_EQ(Chat(*provider, Ask("hi")).text, "whole");

    const auto bodies = fake_.requests();
    ASSERT_EQ(bodies.size(), 2U);
    EXPECT_EQ(bodies[0]["stream"], true);
    EXPECT_FALSE(bodies[0].contains("stream_options"));
    EXPECT_FALSE(bodies[1].contains("stream"));
}

TEST_F(ProviderStreamingTest, OpenAiToolCallsUsageAndCostMatchTheJsonAnswer) {
    auto provider = Make(Model(spec::Provider::kOpenAi, "gpt-4o"));
    fake_.Push(ToolReply("gpt-4o-2024-08-06"));
    fake_.Push(ToolReply("gpt-4o-2024-08-06"));
    Deltas deltas;

    const auto streamed = Chat(*provider, Ask("weather in two cities?"), deltas.Sink());
    const auto whole = Chat(*provider, Ask("weather in two cities?"));

    ExpectSameResult(streamed, whole);
    ASSERT_EQ(streamed.tool_calls.size(), 2U);
    EXPECT_EQ(streamed.tool_calls[0].id, "call_paris");
    EXPECT_EQ(streamed.tool_calls[0].arguments["note"], "a long enough argument");
    EXPECT_EQ(streamed.tool_calls[1].arguments, (json{{"city", "Ljubljana"}, {"days", {1, 2, 3}}}));
    EXPECT_EQ(streamed.prompt_tokens, 1200);
    EXPECT_EQ(streamed.completion_tokens, 340);
    EXPECT_NEAR(streamed.cost_usd, (1200 * 2.50 + 340 * 10.0) / 1e6, 1e-12);
    EXPECT_EQ(deltas.Joined(), "Checking both cities now.");
    EXPECT_EQ(fake_.requests()[0]["stream"], true);  // the arguments came in 8-byte pieces
}

TEST_F(ProviderStreamingTest, AnthropicToolCallsUsageAndCostMatchTheJsonAnswer) {
    auto provider = Make(Model(spec::Provider::kAnthropic, "claude-3-5-sonnet-latest"));
    fake_.Push(ToolReply("claude-3-5-sonnet-20241022"));
    fake_.Push(ToolReply("claude-3-5-sonnet-20241022"));
    Deltas deltas;

    const auto streamed = Chat(*provider, Ask("weather in two cities?"), deltas.Sink());
    const auto whole = Chat(*provider, Ask("weather in two cities?"));

    ExpectSameResult(streamed, whole);
    ASSERT_EQ(streamed.tool_calls.size(), 2U);
    EXPECT_EQ(streamed.tool_calls[0].id, "call_paris");
    EXPECT_EQ(streamed.tool_calls[1].arguments, (json{{"city", "Ljubljana"}, {"days", {1, 2, 3}}}));
    EXPECT_EQ(streamed.prompt_tokens, 1200);
    EXPECT_EQ(streamed.completion_tokens, 340);
    EXPECT_NEAR(streamed.cost_usd, (1200 * 3.0 + 340 * 15.0) / 1e6, 1e-12);
    EXPECT_EQ(deltas.Joined(), "Checking both cities now.");
}

TEST_F(ProviderStreamingTest, ToolCallsWithoutTextSendNoDeltas) {
    for (const auto provider_kind : {spec::Provider::kOpenAi, spec::Provider::kAnthropic}) {
        auto provider = Make(Model(provider_kind, "some-model"));
        FakeReply reply;
        reply.tool_calls = {{"id_1", "get_time", json::object()}};
        fake_.Push(reply);
        Deltas deltas;

        const auto result = Chat(*provider, Ask("time?"), deltas.Sink());

        EXPECT_EQ(result.text, "");
        EXPECT_TRUE(deltas.pieces.empty());
        ASSERT_EQ(result.tool_calls.size(), 1U);
        EXPECT_EQ(result.tool_calls[0].id, "id_1");
        EXPECT_EQ(result.tool_calls[0].arguments, json::object());
    }
}

TEST_F(ProviderStreamingTest, OpenAiUnparsableStreamedArgumentsAreKeptRaw) {
    auto provider = Make(Model(spec::Provider::kOpenAi, "gpt-4o"));
    FakeReply reply;
    reply.tool_calls = {{"call_1", "get_weather", json("{\"city\": Par")}};
    fake_.Push(reply);
    Deltas deltas;

    const auto result = Chat(*provider, Ask("weather?"), deltas.Sink());

    ASSERT_EQ(result.tool_calls.size(), 1U);
    EXPECT_EQ(result.tool_calls[0].arguments, (json{{"_raw", "{\"city\": Par"}}));
}

TEST_F(ProviderStreamingTest, A429BeforeTheStreamIsRetried) {
    for (const auto provider_kind : {spec::Provider::kOpenAi, spec::Provider::kAnthropic}) {
        auto provider = Make(Model(provider_kind, "some-model"));
        const std::size_t before = fake_.request_count();
        fake_.Push(Status(429, "Rate limit reached"));
        fake_.Push(Status(503));
        fake_.Push(Reply("after the wait"));
        Deltas deltas;

        EXPECT_EQ(Chat(*provider, Ask("hi"), deltas.Sink()).text, "after the wait");

        EXPECT_EQ(deltas.Joined(), "after the wait");  // nothing from the failed attempts
        EXPECT_EQ(fake_.request_count() - before, 3U);
    }
}

TEST_F(ProviderStreamingTest, AHangUpBeforeTheFirstBodyByteIsRetried) {
    auto provider = Make(Model(spec::Provider::kOpenAi, "gpt-4o"));
    fake_.Push(Cut(FakeStreamEnd::kHangUp, 0));  // the 200 header, then the connection closes
    fake_.Push(Reply("second try"));
    Deltas deltas;

    EXPECT_EQ(Chat(*provider, Ask("hi"), deltas.Sink()).text, "second try");

    EXPECT_EQ(deltas.Joined(), "second try");
    EXPECT_EQ(fake_.request_count(), 2U);
}

TEST_F(ProviderStreamingTest, AStreamCutMidwayIsAProviderErrorAndNotRetried) {
    for (const auto provider_kind : {spec::Provider::kOpenAi, spec::Provider::kAnthropic}) {
        const std::string name = provider_kind == spec::Provider::kOpenAi ? "openai" : "anthropic";
        auto provider = Make(Model(provider_kind, "some-model"));
        const std::size_t before = fake_.request_count();
        fake_.Push(Cut(FakeStreamEnd::kHangUp, 4));  // OpenAI: role, one, two, three; Anthropic: start, block, one, two
        Deltas deltas;

        const std::string error = ChatError(*provider, Ask("hi"), deltas.Sink());

        EXPECT_EQ(error.rfind(name + ": the stream broke off: POST ", 0), 0U) << error;
        EXPECT_FALSE(deltas.pieces.empty()) << name;            // what came before the cut was handed on
        EXPECT_EQ(fake_.request_count() - before, 1U) << name;  // a retry would have got the echo "hi"
    }
}

TEST_F(ProviderStreamingTest, AStreamSlowerThanTheDeadlineIsAProviderError) {
    auto model = Model(spec::Provider::kOpenAi, "gpt-4o");
    model.timeout_s = 0.5;  // the whole exchange, stream included
    auto provider = Make(model);
    FakeReply slow = Reply("one two three four five six seven eight");
    slow.chunk_delay = milliseconds(150);  // the whole stream would take about 2 s
    fake_.Push(slow);
    Deltas deltas;
    const auto start = SteadyClock::now();

    const std::string error = ChatError(*provider, Ask("hi"), deltas.Sink());

    EXPECT_EQ(error.rfind("openai: the stream broke off: POST ", 0), 0U) << error;
    EXPECT_NE(error.find("timed out"), std::string::npos) << error;
    EXPECT_FALSE(deltas.pieces.empty());
    EXPECT_LT(Ms(SteadyClock::now() - start), 1200);
    EXPECT_EQ(fake_.request_count(), 1U);
}

TEST_F(ProviderStreamingTest, AStreamThatEndsEarlyIsAProviderError) {
    auto openai = Make(Model(spec::Provider::kOpenAi, "gpt-4o"));
    fake_.Push(Cut(FakeStreamEnd::kEndEarly, 5));
    EXPECT_EQ(ChatError(*openai, Ask("hi"), Deltas().Sink()), "openai: the stream ended before [DONE]");

    auto anthropic = Make(Model(spec::Provider::kAnthropic, "claude-sonnet-4-20250514"));
    fake_.Push(Cut(FakeStreamEnd::kEndEarly, 5));
    EXPECT_EQ(ChatError(*anthropic, Ask("hi"), Deltas().Sink()), "anthropic: the stream ended before message_stop");
    EXPECT_EQ(fake_.request_count(), 2U);
}

TEST_F(ProviderStreamingTest, AnErrorEventInTheStreamIsAProviderError) {
    auto openai = Make(Model(spec::Provider::kOpenAi, "gpt-4o"));
    fake_.Push(Cut(FakeStreamEnd::kError, 3));
    EXPECT_EQ(
        ChatError(*openai, Ask("hi"), Deltas().Sink()), "openai: error in the stream: the model failed mid-stream"
    );

    auto anthropic = Make(Model(spec::Provider::kAnthropic, "claude-sonnet-4-20250514"));
    fake_.Push(Cut(FakeStreamEnd::kError, 3));
    EXPECT_EQ(ChatError(*anthropic, Ask("hi"), Deltas().Sink()), "anthropic: error in the stream: Overloaded");
    EXPECT_EQ(fake_.request_count(), 2U);
}

TEST_F(ProviderStreamingTest, AFullyReadStreamLeavesItsConnectionForTheNextCall) {
    auto provider = Make(Model(spec::Provider::kOpenAi, "gpt-4o"));
    Deltas deltas;
    for (int i = 0; i < 3; ++i) {
        fake_.Push(Reply("answer " + std::to_string(i)));
        EXPECT_EQ(Chat(*provider, Ask("hi"), deltas.Sink()).text, "answer " + std::to_string(i));
    }
    EXPECT_EQ(fake_.connection_count(), 1U);
}

// --- keys, fallback and the factory -------------------------------------------------------------------------------

TEST_F(ProviderFactoryTest, MissingKeyNamesTheVariable) {
    env_.clear();
    const auto openai = Model(spec::Provider::kOpenAi, "gpt-4o");
    EXPECT_TRUE(providers::KeyMissing(openai, Context()));
    auto provider = Make(openai);
    const std::string error = ChatError(*provider, Ask("hi"));
    EXPECT_NE(error.find("openai: "), std::string::npos) << error;
    EXPECT_NE(error.find("OPENAI_API_KEY"), std::string::npos) << error;

    auto anthropic = Model(spec::Provider::kAnthropic, "claude-sonnet-4-20250514");
    anthropic.api_key_env = "MY_CLAUDE_KEY";
    EXPECT_TRUE(providers::KeyMissing(anthropic, Context()));
    env_["MY_CLAUDE_KEY"] = "";  // empty counts as unset
    EXPECT_TRUE(providers::KeyMissing(anthropic, Context()));
    auto provider2 = Make(anthropic);
    EXPECT_NE(ChatError(*provider2, Ask("hi")).find("MY_CLAUDE_KEY"), std::string::npos);

    EXPECT_EQ(fake_.request_count(), 0U);
}

TEST_F(ProviderFactoryTest, MockFallbackAnswersWhenTheKeyIsMissing) {
    env_.clear();
    auto provider = Make(Model(spec::Provider::kAnthropic, "claude-sonnet-4-20250514"), FastRetry(), true);
    const auto result = Chat(*provider, Ask("echo this back"));
    EXPECT_EQ(result.text, "echo this back");
    EXPECT_EQ(result.model, "mock");
    EXPECT_EQ(result.cost_usd, 0);
    EXPECT_EQ(fake_.request_count(), 0U);
}

TEST_F(ProviderFactoryTest, MockFallbackIsNotUsedWhenTheKeyIsSet) {
    auto provider = Make(Model(spec::Provider::kOpenAi, "gpt-4o"), FastRetry(), true);
    EXPECT_FALSE(providers::KeyMissing(Model(spec::Provider::kOpenAi, "gpt-4o"), Context()));
    fake_.Push(Reply("from the server"));
    EXPECT_EQ(Chat(*provider, Ask("hi")).text, "from the server");
    EXPECT_EQ(fake_.request_count(), 1U);
}

TEST_F(ProviderFactoryTest, MockProviderNeedsNoKey) {
    env_.clear();
    spec::ModelSpec model;
    model.provider = spec::Provider::kMock;
    model.name = "mock";
    EXPECT_FALSE(providers::KeyMissing(model, Context()));
    auto provider = Make(model);
    EXPECT_EQ(Chat(*provider, Ask("ping")).text, "ping");
}

TEST(ProviderPriceTable, LongestPrefixWins) {
    const providers::PriceTable prices;
    constexpr std::int64_t kMillion = 1'000'000;
    EXPECT_NEAR(prices.Cost("gpt-4o", kMillion, kMillion), 12.50, 1e-9);
    EXPECT_NEAR(prices.Cost("gpt-4o-2024-08-06", kMillion, kMillion), 12.50, 1e-9);
    EXPECT_NEAR(prices.Cost("gpt-4o-mini-2024-07-18", kMillion, kMillion), 0.75, 1e-9);
    EXPECT_NEAR(prices.Cost("gpt-4.1", kMillion, kMillion), 10.0, 1e-9);
    EXPECT_NEAR(prices.Cost("gpt-4.1-mini-2025-04-14", kMillion, kMillion), 2.0, 1e-9);
    EXPECT_NEAR(prices.Cost("gpt-4.1-nano", kMillion, kMillion), 0.5, 1e-9);
    EXPECT_NEAR(prices.Cost("o3-mini", kMillion, kMillion), 5.5, 1e-9);
    EXPECT_NEAR(prices.Cost("o4-mini-2025-04-16", kMillion, kMillion), 5.5, 1e-9);
    EXPECT_NEAR(prices.Cost("claude-3-5-sonnet-20241022", kMillion, kMillion), 18.0, 1e-9);
    EXPECT_NEAR(prices.Cost("claude-3-5-haiku-latest", kMillion, kMillion), 4.8, 1e-9);
    EXPECT_NEAR(prices.Cost("claude-3-7-sonnet-20250219", kMillion, kMillion), 18.0, 1e-9);
    EXPECT_NEAR(prices.Cost("claude-sonnet-4-20250514", kMillion, kMillion), 18.0, 1e-9);
    EXPECT_NEAR(prices.Cost("claude-opus-4-20250514", kMillion, kMillion), 90.0, 1e-9);
    EXPECT_NEAR(prices.Cost("claude-3-haiku-20240307", kMillion, kMillion), 1.5, 1e-9);
    EXPECT_EQ(prices.Cost("llama3.1:8b", kMillion, kMillion), 0);
    EXPECT_EQ(prices.Cost("mock", kMillion, kMillion), 0);
}

TEST(ProviderPriceTable, LoadOverridesAndAdds) {
    providers::PriceTable prices;
    prices.Load(json{
        {"gpt-4o", {{"input_per_mtok", 1.0}, {"output_per_mtok", 2.0}}},
        {"my-model", {{"input_per_mtok", 3}, {"output_per_mtok", 4}}}});
    EXPECT_NEAR(prices.Cost("gpt-4o-2024-08-06", 1'000'000, 1'000'000), 3.0, 1e-9);
    EXPECT_NEAR(prices.Cost("my-model-v2", 500'000, 0), 1.5, 1e-9);
    EXPECT_NEAR(prices.Cost("gpt-4o-mini", 1'000'000, 0), 0.15, 1e-9);  // untouched
    EXPECT_THROW(prices.Load(json{{"x", {{"input_per_mtok", -1}, {"output_per_mtok", 1}}}}), core::Error);
    EXPECT_THROW(prices.Load(json{{"x", "cheap"}}), core::Error);
    EXPECT_THROW(prices.Load(json::array()), core::Error);
}

// --- mock ----------------------------------------------------------------------------------------------------------

std::vector<spec::MockStep> Script() {
    spec::MockStep first;
    first.text = "first";
    spec::MockStep tool;
    tool.tool_name = "get_time";
    tool.tool_args = json{{"tz", "UTC"}};
    spec::MockStep last;
    last.text = "last one";
    return {first, tool, last};
}

ChatResult MockChat(providers::LlmProvider& provider, ChatRequest request, providers::TokenSink sink = {}) {
    net::io_context ioc;
    return RunCo(ioc, provider.Chat(std::move(request), std::move(sink)));
}

TEST(MockProviderTest, ScriptInOrderThenTheLastStepRepeats) {
    providers::MockProvider mock(Script());
    ChatRequest request = Ask("anything");

    request.call_index = 0;
    auto result = MockChat(mock, request);
    EXPECT_EQ(result.text, "first");
    EXPECT_TRUE(result.tool_calls.empty());

    request.call_index = 1;
    result = MockChat(mock, request);
    EXPECT_EQ(result.text, "");
    ASSERT_EQ(result.tool_calls.size(), 1U);
    EXPECT_EQ(result.tool_calls[0].id, "call_1");
    EXPECT_EQ(result.tool_calls[0].name, "get_time");
    EXPECT_EQ(result.tool_calls[0].arguments, (json{{"tz", "UTC"}}));

    for (const std::int64_t index : {2, 3, 10}) {
        request.call_index = index;
        result = MockChat(mock, request);
        EXPECT_EQ(result.text, "last one") << index;
        EXPECT_TRUE(result.tool_calls.empty());
        EXPECT_EQ(result.model, "mock");
        EXPECT_EQ(result.cost_usd, 0);
    }
}

TEST(MockProviderTest, ScriptFromTheModelSpec) {
    spec::ModelSpec model;
    model.provider = spec::Provider::kMock;
    model.name = "mock";
    model.script = Script();
    outbound::HttpClient http;
    const providers::PriceTable prices;
    auto provider = providers::MakeProvider(model, providers::ProviderContext{http, prices, {}, {}}, false);
    ChatRequest request = Ask("x");
    request.call_index = 1;
    const auto result = MockChat(*provider, request);
    ASSERT_EQ(result.tool_calls.size(), 1U);
    EXPECT_EQ(result.tool_calls[0].id, "call_1");
}

TEST(MockProviderTest, EchoesTheLastUserMessageAndCountsWords) {
    providers::MockProvider mock;
    ChatRequest request;
    request.system = "be nice";
    request.messages = {User("hello there"), Assistant("hi"), User("echo me  please")};
    std::vector<std::string> deltas;

    const auto result = MockChat(mock, request, [&deltas](std::string_view d) { deltas.emplace_back(d); });

    EXPECT_EQ(result.text, "echo me  please");
    EXPECT_EQ(result.prompt_tokens, 6);  // 2 + 1 + 3 words of the messages
    EXPECT_EQ(result.completion_tokens, 3);
    EXPECT_EQ(result.model, "mock");
    EXPECT_EQ(deltas, (std::vector<std::string>{"echo ", "me  ", "please"}));
}

TEST(MockProviderTest, NoUserMessageEchoesNothing) {
    providers::MockProvider mock;
    ChatRequest request;
    request.messages = {Assistant("only me")};
    std::vector<std::string> deltas;
    const auto result = MockChat(mock, request, [&deltas](std::string_view d) { deltas.emplace_back(d); });
    EXPECT_EQ(result.text, "");
    EXPECT_EQ(result.completion_tokens, 0);
    EXPECT_TRUE(deltas.empty());
}

TEST(MockProviderTest, AnswersAPlaceholderThatFitsTheOutputSchema) {
    const json schemas[] = {
        json::parse(R"({"type": "object", "properties": {"name": {"type": "string"}, "email": {"type": "string"}},
                        "required": ["name"]})"),
        json::parse(R"({"type": "object", "properties": {"level": {"enum": ["low", "high"]},
                        "score": {"type": "integer", "minimum": 3}, "tags": {"type": "array", "minItems": 2,
                        "items": {"type": "string", "minLength": 6}}, "ok": {"type": "boolean"},
                        "nested": {"type": "object", "properties": {"n": {"type": ["null", "number"]}}}}})"),
    };
    providers::MockProvider mock;
    for (const auto& schema : schemas) {
        ChatRequest request;
        request.messages = {User("Ada Lovelace, ada@example.com")};
        request.json_output = true;
        request.output_schema = schema;
        const auto result = MockChat(mock, request, {});
        const auto answer = json::parse(result.text);
        EXPECT_EQ(spec::ValidateAgainstSchema(schema, answer), std::nullopt) << answer;
    }
    EXPECT_EQ(providers::SchemaPlaceholder(schemas[0]), (json{{"name", "mock"}}));
}

// --- the fake itself: SSE streams and echo -------------------------------------------------------------------------

/// The `data:` payloads of an SSE body, in order.
std::vector<std::string> SseData(const std::string& body) {
    std::vector<std::string> out;
    std::size_t at = 0;
    while (at < body.size()) {
        auto end = body.find('\n', at);
        if (end == std::string::npos) {
            end = body.size();
        }
        const std::string line = body.substr(at, end - at);
        if (line.rfind("data: ", 0) == 0) {
            out.push_back(line.substr(6));
        }
        at = end + 1;
    }
    return out;
}

outbound::HttpRequest Post(const std::string& url, const json& body) {
    outbound::HttpRequest r;
    r.method = "POST";
    r.url = url;
    r.headers = {{"content-type", "application/json"}};
    r.body = body.dump();
    r.timeout = milliseconds(2000);
    return r;
}

TEST_F(FakeLlmServerTest, StreamsOpenAiSse) {
    FakeReply reply = Reply("Hello streaming world");
    reply.tool_calls = {{"call_s", "lookup", json{{"query", "streams and chunks"}}}};
    reply.chunk_delay = milliseconds(1);
    fake_.Push(reply);
    const json request = {
        {"model", "gpt-4o"},
        {"stream", true},
        {"stream_options", {{"include_usage", true}}},
        {"messages", json::array({{{"role", "user"}, {"content", "hi"}}})}};

    const auto response = RunCo(ioc_, http_.Send(Post(fake_.base_url() + "/chat/completions", request)));

    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.Header("content-type").value_or(""), "text/event-stream");
    const auto data = SseData(response.body);
    ASSERT_GE(data.size(), 4U);
    EXPECT_EQ(data.back(), "[DONE]");
    std::string text;
    std::string arguments;
    std::string call_id;
    std::string finish_reason;
    json usage;
    for (std::size_t i = 0; i + 1 < data.size(); ++i) {
        const json chunk = json::parse(data[i]);
        EXPECT_EQ(chunk["object"], "chat.completion.chunk");
        if (chunk.contains("usage")) {
            usage = chunk["usage"];
            EXPECT_TRUE(chunk["choices"].empty());
            continue;
        }
        const json& choice = chunk["choices"][0];
        if (choice["finish_reason"].is_string()) {
            finish_reason = choice["finish_reason"];
        }
        const json& delta = choice["delta"];
        if (delta.contains("content")) {
            text += delta["content"].get<std::string>();
        }
        if (delta.contains("tool_calls")) {
            const json& call = delta["tool_calls"][0];
            EXPECT_EQ(call["index"], 0);
            if (call.contains("id")) {
                call_id = call["id"];
                EXPECT_EQ(call["function"]["name"], "lookup");
            }
            arguments += call["function"]["arguments"].get<std::string>();
        }
    }
    EXPECT_EQ(text, "Hello streaming world");
    EXPECT_EQ(call_id, "call_s");
    EXPECT_EQ(json::parse(arguments), (json{{"query", "streams and chunks"}}));
    EXPECT_EQ(finish_reason, "tool_calls");
    EXPECT_EQ(usage["prompt_tokens"], 1);
    EXPECT_EQ(usage["completion_tokens"], 3);
}

TEST_F(FakeLlmServerTest, StreamsAnthropicSse) {
    FakeReply reply = Reply("Streaming from Claude");
    reply.tool_calls = {{"toolu_s", "lookup", json{{"query", "a fairly long query string"}}}};
    reply.completion_tokens = 42;
    fake_.Push(reply);
    const json request = {
        {"model", "claude-sonnet-4-20250514"},
        {"max_tokens", 100},
        {"stream", true},
        {"messages", json::array({{{"role", "user"}, {"content", "hi"}}})}};

    const auto response = RunCo(ioc_, http_.Send(Post(fake_.base_url() + "/messages", request)));

    EXPECT_EQ(response.status, 200);
    std::vector<std::string> types;
    std::string text;
    std::string partial_json;
    json tool_block;
    std::int64_t output_tokens = -1;
    for (const auto& payload : SseData(response.body)) {
        const json event = json::parse(payload);
        const std::string type = event["type"];
        if (types.empty() || types.back() != type) {
            types.push_back(type);
        }
        if (type == "content_block_start" && event["content_block"]["type"] == "tool_use") {
            tool_block = event["content_block"];
        } else if (type == "content_block_delta" && event["delta"]["type"] == "text_delta") {
            text += event["delta"]["text"].get<std::string>();
        } else if (type == "content_block_delta" && event["delta"]["type"] == "input_json_delta") {
            partial_json += event["delta"]["partial_json"].get<std::string>();
        } else if (type == "message_delta") {
            output_tokens = event["usage"]["output_tokens"];
            EXPECT_EQ(event["delta"]["stop_reason"], "tool_use");
        }
    }
    EXPECT_EQ(
        types,
        (std::vector<std::string>{
            "message_start",
            "content_block_start",
            "content_block_delta",
            "content_block_stop",
            "content_block_start",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop"})
    );
    EXPECT_NE(response.body.find("event: message_start\n"), std::string::npos);
    EXPECT_EQ(text, "Streaming from Claude");
    EXPECT_EQ(tool_block["id"], "toolu_s");
    EXPECT_EQ(tool_block["name"], "lookup");
    EXPECT_EQ(json::parse(partial_json), (json{{"query", "a fairly long query string"}}));
    EXPECT_EQ(output_tokens, 42);
}

TEST_F(FakeLlmServerTest, ErrorsInEachProvidersShapeWithRetryAfter) {
    fake_.Push(Status(429, "", 7));
    fake_.Push(Status(429, "", 7));
    const json request = {{"model", "m"}, {"messages", json::array({{{"role", "user"}, {"content", "hi"}}})}};

    const auto openai = RunCo(ioc_, http_.Send(Post(fake_.base_url() + "/chat/completions", request)));
    EXPECT_EQ(openai.status, 429);
    EXPECT_EQ(openai.Header("retry-after").value_or(""), "7");
    const json openai_body = json::parse(openai.body);
    EXPECT_EQ(openai_body["error"]["type"], "requests");
    EXPECT_EQ(openai_body["error"]["code"], "rate_limit_exceeded");
    EXPECT_TRUE(openai_body["error"]["message"].is_string());

    const auto anthropic = RunCo(ioc_, http_.Send(Post(fake_.base_url() + "/messages", request)));
    EXPECT_EQ(anthropic.status, 429);
    const json anthropic_body = json::parse(anthropic.body);
    EXPECT_EQ(anthropic_body["type"], "error");
    EXPECT_EQ(anthropic_body["error"]["type"], "rate_limit_error");

    ASSERT_EQ(fake_.requests().size(), 2U);
    EXPECT_EQ(fake_.requests()[1]["model"], "m");
}

TEST_F(ProviderStreamingTest, HttpClientStreamsA2xxBodyAndKeepsAnErrorBody) {
    const json request = {
        {"model", "gpt-4o"},
        {"stream", true},
        {"stream_options", {{"include_usage", true}}},
        {"messages", json::array({{{"role", "user"}, {"content", "hi"}}})}};
    fake_.Push(Reply("the same stream twice"));
    fake_.Push(Reply("the same stream twice"));
    fake_.Push(Status(429, "slow down"));
    const std::string url = fake_.base_url() + "/chat/completions";
    std::string streamed;
    int pieces = 0;

    const auto whole = RunCo(ioc_, http_.Send(Post(url, request)));
    const auto streaming = RunCo(ioc_, http_.SendStreaming(Post(url, request), [&](std::string_view bytes) {
        streamed += bytes;
        ++pieces;
    }));
    const auto error = RunCo(ioc_, http_.SendStreaming(Post(url, request), [&](std::string_view) { ++pieces; }));

    EXPECT_EQ(streaming.status, 200);
    EXPECT_EQ(streaming.Header("content-type").value_or(""), "text/event-stream");
    EXPECT_EQ(streaming.body, "");
    // The ids count requests, so only the first chunk's id differs.
    const auto without_ids = [](std::string body) {
        for (const char* id : {"chatcmpl-fake-1", "chatcmpl-fake-2"}) {
            for (auto at = body.find(id); at != std::string::npos; at = body.find(id)) {
                body.replace(at, std::string(id).size(), "ID");
            }
        }
        return body;
    };
    EXPECT_EQ(without_ids(streamed), without_ids(whole.body));
    EXPECT_GT(pieces, 1);
    const int after_stream = pieces;
    EXPECT_EQ(error.status, 429);
    EXPECT_EQ(providers::ErrorMessageFromBody(error.body), "slow down");
    EXPECT_EQ(pieces, after_stream);  // an error body is not streamed
}

}  // namespace
}  // namespace agentos::testing
