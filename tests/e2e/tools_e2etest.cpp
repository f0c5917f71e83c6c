// The tools against a real HTTP server (TestHttpServer on 127.0.0.1): http and webhook templating and results,
// the built-ins current_time, calculator, http_fetch (the SSRF guard end to end) and call_agent, and Preview.
// No Postgres: every coroutine runs on a local io_context.

#include <algorithm>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "runtime/core/error.hpp"
#include "runtime/core/time.hpp"
#include "runtime/net/http_client.hpp"
#include "tests/support/test_http_server.hpp"
#include "tools/builtin/http_fetch_tool.hpp"
#include "tools/net_guard.hpp"
#include "tools/tool.hpp"

namespace agentos::testing {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using tools::ToolOutcome;

class FixedClock final : public core::Clock {
public:
    core::TimePoint Now() const override { return now; }

    core::TimePoint now = *core::ParseIso("2026-03-29T00:30:15.250Z");
};

struct ChildCall {
    std::string agent;
    json input;
    std::string run_id;
};

class FakeLauncher final : public tools::ChildRunLauncher {
public:
    net::awaitable<json> RunChild(std::string agent_slug, json input, tools::ToolCallContext context) override {
        calls.push_back({std::move(agent_slug), std::move(input), context.run_id});
        if (!failure.empty()) {
            throw core::Error(core::ErrorCode::kValidation, failure);
        }
        co_return reply;
    }

    std::vector<ChildCall> calls;
    json reply = json::object();
    std::string failure;  ///< when set, RunChild throws core::Error with it
};

/// Runs tool calls on one io_context that outlives the HttpClient's pooled connections.
class ToolsFixture : public ::testing::Test {
protected:
    template <class T>
    T Run(net::awaitable<T> work) {
        auto future = net::co_spawn(ioc_, std::move(work), net::use_future);
        ioc_.restart();
        ioc_.run();
        return future.get();
    }

    ToolOutcome Call(tools::Tool& tool, json args, tools::ToolCallContext context = {}) {
        return Run(tool.Call(std::move(args), std::move(context)));
    }

    std::unique_ptr<tools::Tool> Make(
        const spec::ToolSpec& tool_spec,
        tools::AddressPolicy policy = tools::AddressPolicy(),
        tools::ChildRunLauncher* children = nullptr
    ) {
        const tools::ToolEnvironment environment{http_, clock_, std::move(policy), children};
        return tools::MakeTool(tool_spec, environment);
    }

    static spec::ToolSpec HttpSpec(
        const std::string& url,
        std::map<std::string, std::string> headers = {},
        json body = nullptr,
        const std::string& method = "GET",
        double timeout_s = 5
    ) {
        spec::ToolSpec s;
        s.name = "remote";
        s.kind = spec::ToolKind::kHttp;
        s.parameters = {{"type", "object"}};
        s.http.method = method;
        s.http.url = url;
        s.http.headers = std::move(headers);
        s.http.body = std::move(body);
        s.http.timeout_s = timeout_s;
        return s;
    }

    static spec::ToolSpec Builtin(const std::string& name, std::vector<std::string> agents = {}) {
        spec::ToolSpec s;
        s.name = name;
        s.builtin = name;
        s.kind = spec::ToolKind::kBuiltin;
        s.agents = std::move(agents);
        return s;
    }

    static std::string Error(const ToolOutcome& outcome) { return outcome.output.value("error", ""); }

    net::io_context ioc_;
    outbound::HttpClient http_;
    FixedClock clock_;
};

class HttpToolTest : public ToolsFixture {};

class WebhookToolTest : public ToolsFixture {};

class CurrentTimeToolTest : public ToolsFixture {};

class CalculatorToolTest : public ToolsFixture {};

class HttpFetchTest : public ToolsFixture {};

class CallAgentToolTest : public ToolsFixture {};

TestResponse JsonReply(const json& body, int status = 200) {
    TestResponse r;
    r.status = status;
    r.body = body.dump();
    return r;
}

TestResponse TextReply(std::string body, int status = 200, std::string content_type = "text/plain") {
    TestResponse r;
    r.status = status;
    r.content_type = std::move(content_type);
    r.body = std::move(body);
    return r;
}

TestResponse Redirect(const std::string& location, int status = 302) {
    TestResponse r;
    r.status = status;
    r.content_type = "text/plain";
    r.headers = {{"Location", location}};
    return r;
}

bool Contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

std::size_t CountChars(const std::string& utf8) {
    return static_cast<std::size_t>(std::count_if(utf8.begin(), utf8.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    }));
}

/// A name from /etc/hosts that points at a loopback address and that the policy does not refuse by name alone (so
/// only the check after resolution can stop it), e.g. the container's host name.
std::optional<std::string> LoopbackNameFromHosts() {
    std::ifstream in("/etc/hosts");
    std::string line;
    const tools::AddressPolicy policy;
    while (std::getline(in, line)) {
        std::istringstream words(line.substr(0, line.find('#')));
        std::string address;
        words >> address;
        if (!address.starts_with("127.") && address != "::1") {
            continue;
        }
        std::string name;
        while (words >> name) {
            if (!policy.CheckLiteralOrName(name)) {
                return name;
            }
        }
    }
    return std::nullopt;
}

// --- http --------------------------------------------------------------------------------------------------------

TEST_F(HttpToolTest, RendersUrlHeadersAndBody) {
    TestHttpServer server([](const RecordedRequest&) { return JsonReply({{"ok", true}}); });
    const auto tool = Make(HttpSpec(
        server.url("/v1/{{args.city}}/weather?units={{args.units}}&company={{COMPANY}}&user={{input.user}}"),
        {{"X-Company", "{{COMPANY}}"}, {"Authorization", "Bearer {{args.token}}"}},
        {{"city", "{{args.city}}"},
         {"days", "{{args.days}}"},
         {"label", "{{args.city}} in {{args.units}}"},
         {"fixed", {1, "two"}}},
        "POST"
    ));
    tools::ToolCallContext context;
    context.variables = {{"COMPANY", "Acme & Co"}};
    context.input = {{"user", "ann"}};

    const auto outcome =
        Call(*tool, {{"city", "São Paulo"}, {"units", "metric"}, {"token", "t0k"}, {"days", 3}}, context);

    ASSERT_FALSE(outcome.is_error) << outcome.output;
    EXPECT_EQ(outcome.output, json({{"ok", true}}));
    ASSERT_EQ(server.request_count(), 1U);
    const auto request = server.requests().front();
    EXPECT_EQ(request.method, "POST");
    EXPECT_EQ(request.target, "/v1/S%C3%A3o%20Paulo/weather?units=metric&company=Acme%20%26%20Co&user=ann");
    EXPECT_EQ(request.Header("x-company"), "Acme & Co");
    EXPECT_EQ(request.Header("authorization"), "Bearer t0k");
    EXPECT_EQ(request.Header("content-type"), "application/json");
    EXPECT_EQ(
        json::parse(request.body),
        json({{"city", "São Paulo"}, {"days", 3}, {"label", "São Paulo in metric"}, {"fixed", {1, "two"}}})
    );
}

TEST_F(HttpToolTest, ArgumentStaysInsideThePathAndQuery) {
    TestHttpServer server([](const RecordedRequest&) { return JsonReply({{"ok", true}}); });
    const auto tool = Make(HttpSpec(server.url("/search/{{args.q}}?q={{args.q}}")));

    const auto outcome = Call(*tool, {{"q", "x/../@evil.example?#"}});

    ASSERT_FALSE(outcome.is_error) << outcome.output;
    ASSERT_EQ(server.request_count(), 1U);
    const auto request = server.requests().front();
    const std::string encoded = "x%2F..%2F%40evil.example%3F%23";
    EXPECT_EQ(request.target, "/search/" + encoded + "?q=" + encoded);
    EXPECT_EQ(request.Header("host"), "127.0.0.1:" + std::to_string(server.port()));
}

TEST_F(HttpToolTest, JsonAnswerIsTheOutputAndTextComesWithItsStatus) {
    TestHttpServer server([](const RecordedRequest& r) {
        if (r.target == "/json") {
            return JsonReply({1, {{"two", 2}}});
        }
        if (r.target == "/long") {
            return TextReply(std::string(70'000, 'z'));
        }
        if (r.target == "/created") {
            return TextReply("", 201);
        }
        return TextReply("plain words");
    });

    auto outcome = Call(*Make(HttpSpec(server.url("/json"))), json::object());
    ASSERT_FALSE(outcome.is_error) << outcome.output;
    EXPECT_EQ(outcome.output, json::parse(R"([1, {"two": 2}])"));

    outcome = Call(*Make(HttpSpec(server.url("/text"))), json::object());
    ASSERT_FALSE(outcome.is_error) << outcome.output;
    EXPECT_EQ(outcome.output, json({{"status", 200}, {"body", "plain words"}}));

    outcome = Call(*Make(HttpSpec(server.url("/created"))), json::object());
    ASSERT_FALSE(outcome.is_error) << outcome.output;
    EXPECT_EQ(outcome.output, json({{"status", 201}, {"body", ""}}));

    outcome = Call(*Make(HttpSpec(server.url("/long"))), json::object());
    ASSERT_FALSE(outcome.is_error) << outcome.output;
    EXPECT_EQ(outcome.output["body"].get<std::string>().size(), 64U * 1024U);
    EXPECT_EQ(outcome.output["truncated"], true);
}

TEST_F(HttpToolTest, ErrorStatusIsAToolError) {
    TestHttpServer server([](const RecordedRequest& r) {
        return r.target == "/empty" ? TextReply("", 503) : TextReply("  no such city\n", 404);
    });

    auto outcome = Call(*Make(HttpSpec(server.url("/weather"))), json::object());
    EXPECT_TRUE(outcome.is_error);
    EXPECT_EQ(Error(outcome), "HTTP 404: no such city");

    outcome = Call(*Make(HttpSpec(server.url("/empty"))), json::object());
    EXPECT_TRUE(outcome.is_error);
    EXPECT_EQ(Error(outcome), "HTTP 503: (empty body)");
}

TEST_F(HttpToolTest, TimeoutIsAToolErrorWithoutTheQuery) {
    TestHttpServer server([](const RecordedRequest&) {
        TestResponse r = JsonReply({{"late", true}});
        r.delay = milliseconds(3000);
        return r;
    });
    const auto tool = Make(HttpSpec(server.url("/slow?key={{API_KEY}}"), {}, nullptr, "GET", 0.2));
    tools::ToolCallContext context;
    context.variables = {{"API_KEY", "s3cret"}};

    const auto outcome = Call(*tool, json::object(), context);

    EXPECT_TRUE(outcome.is_error);
    EXPECT_TRUE(Contains(Error(outcome), "no response within 0.2 s")) << Error(outcome);
    EXPECT_TRUE(Contains(Error(outcome), "/slow")) << Error(outcome);
    EXPECT_FALSE(Contains(Error(outcome), "s3cret")) << Error(outcome);
}

TEST_F(HttpToolTest, HangUpAndRefusedConnectionAreToolErrors) {
    TestHttpServer server([](const RecordedRequest&) {
        TestResponse r;
        r.hang_up = true;
        return r;
    });

    auto outcome = Call(*Make(HttpSpec(server.url("/bye"))), json::object());
    EXPECT_TRUE(outcome.is_error);
    EXPECT_FALSE(Error(outcome).empty());

    outcome = Call(*Make(HttpSpec("http://127.0.0.1:1/nothing-listens-here")), json::object());
    EXPECT_TRUE(outcome.is_error);
    EXPECT_FALSE(Error(outcome).empty());
}

TEST_F(HttpToolTest, AbsentTemplateValueIsAToolErrorAndSendsNothing) {
    TestHttpServer server([](const RecordedRequest&) { return JsonReply({{"ok", true}}); });

    auto outcome = Call(*Make(HttpSpec(server.url("/x/{{args.missing}}"))), {{"present", 1}});
    EXPECT_TRUE(outcome.is_error);
    EXPECT_EQ(Error(outcome), "http.url: {{args.missing}} names something absent");

    outcome = Call(*Make(HttpSpec(server.url("/x"), {{"Authorization", "Bearer {{TOKEN}}"}})), json::object());
    EXPECT_TRUE(outcome.is_error);
    EXPECT_TRUE(Contains(Error(outcome), "http.headers.Authorization: {{TOKEN}}")) << Error(outcome);

    outcome = Call(*Make(HttpSpec(server.url("/x"), {}, {{"a", "{{input.nope}}"}}, "POST")), json::object());
    EXPECT_TRUE(outcome.is_error);
    EXPECT_EQ(Error(outcome), "http.body.a: {{input.nope}} names something absent");

    EXPECT_EQ(server.request_count(), 0U);
}

TEST_F(HttpToolTest, HeaderValueWithALineBreakIsRefused) {
    TestHttpServer server([](const RecordedRequest&) { return JsonReply({{"ok", true}}); });
    const auto tool = Make(HttpSpec(server.url("/x"), {{"X-Note", "{{args.note}}"}}));

    const auto outcome = Call(*tool, {{"note", "hi\r\nX-Injected: 1"}});

    EXPECT_TRUE(outcome.is_error);
    EXPECT_TRUE(Contains(Error(outcome), "line break")) << Error(outcome);
    EXPECT_EQ(server.request_count(), 0U);
}

// --- webhook -----------------------------------------------------------------------------------------------------

TEST_F(WebhookToolTest, PostsRunToolCallAndArgsWithAnIdempotencyKey) {
    TestHttpServer server([](const RecordedRequest&) { return JsonReply({{"deployed", true}}); });
    spec::ToolSpec s =
        HttpSpec(server.url("/hooks/{{args.env}}"), {{"X-Token", "{{TOKEN}}"}, {"Idempotency-Key", "spoofed"}});
    s.kind = spec::ToolKind::kWebhook;
    s.name = "deploy";
    const auto tool = Make(s);
    tools::ToolCallContext context;
    context.run_id = "run-1";
    context.tool_call_id = "call-7";
    context.variables = {{"TOKEN", "abc"}};

    const auto outcome = Call(*tool, {{"env", "prod"}}, context);

    ASSERT_FALSE(outcome.is_error) << outcome.output;
    EXPECT_EQ(outcome.output, json({{"deployed", true}}));
    ASSERT_EQ(server.request_count(), 1U);
    const auto request = server.requests().front();
    EXPECT_EQ(request.method, "POST");
    EXPECT_EQ(request.target, "/hooks/prod");
    EXPECT_EQ(request.Header("idempotency-key"), "run-1:call-7");
    EXPECT_EQ(
        std::count_if(
            request.headers.begin(), request.headers.end(), [](const auto& h) { return h.first == "idempotency-key"; }
        ),
        1
    );
    EXPECT_EQ(request.Header("x-token"), "abc");
    EXPECT_EQ(request.Header("content-type"), "application/json");
    EXPECT_EQ(
        json::parse(request.body), json({{"run_id", "run-1"}, {"tool_call_id", "call-7"}, {"args", {{"env", "prod"}}}})
    );
}

TEST_F(WebhookToolTest, FollowsTheHttpToolResultRules) {
    TestHttpServer server([](const RecordedRequest& r) {
        return r.target == "/queued" ? TextReply("queued", 202) : TextReply("boom", 500);
    });
    spec::ToolSpec s = HttpSpec(server.url("/queued"));
    s.kind = spec::ToolKind::kWebhook;

    auto outcome = Call(*Make(s), json::object());
    ASSERT_FALSE(outcome.is_error) << outcome.output;
    EXPECT_EQ(outcome.output, json({{"status", 202}, {"body", "queued"}}));

    s.http.url = server.url("/fails");
    outcome = Call(*Make(s), json::object());
    EXPECT_TRUE(outcome.is_error);
    EXPECT_EQ(Error(outcome), "HTTP 500: boom");
}

// --- current_time ------------------------------------------------------------------------------------------------

TEST_F(CurrentTimeToolTest, DefaultsToUtc) {
    const auto tool = Make(Builtin("current_time"));
    ASSERT_NE(tool, nullptr);
    EXPECT_FALSE(tool->spec().description.empty());
    EXPECT_EQ(tool->spec().parameters["properties"]["timezone"]["type"], "string");

    const auto outcome = Call(*tool, json::object());

    ASSERT_FALSE(outcome.is_error) << outcome.output;
    EXPECT_EQ(
        outcome.output,
        json({{"utc", "2026-03-29T00:30:15.250Z"}, {"timezone", "UTC"}, {"local", "2026-03-29T00:30:15+00:00"}})
    );
}

TEST_F(CurrentTimeToolTest, UsesTheGivenZone) {
    const auto tool = Make(Builtin("current_time"));

    auto outcome = Call(*tool, {{"timezone", "Europe/Zurich"}});  // before the spring-forward at 01:00 UTC
    ASSERT_FALSE(outcome.is_error) << outcome.output;
    EXPECT_EQ(outcome.output["local"], "2026-03-29T01:30:15+01:00");
    EXPECT_EQ(outcome.output["timezone"], "Europe/Zurich");
    EXPECT_EQ(outcome.output["utc"], "2026-03-29T00:30:15.250Z");

    clock_.now = *core::ParseIso("2026-03-29T01:30:00Z");  // after it
    outcome = Call(*tool, {{"timezone", "Europe/Zurich"}});
    EXPECT_EQ(outcome.output["local"], "2026-03-29T03:30:00+02:00");

    outcome = Call(*tool, {{"timezone", "America/New_York"}});
    EXPECT_EQ(outcome.output["local"], "2026-03-28T21:30:00-04:00");

    outcome = Call(*tool, {{"timezone", "Asia/Kolkata"}});
    EXPECT_EQ(outcome.output["local"], "2026-03-29T07:00:00+05:30");
}

TEST_F(CurrentTimeToolTest, UnknownZoneIsAToolError) {
    const auto tool = Make(Builtin("current_time"));
    for (const std::string zone : {"Mars/Olympus_Mons", "/etc/localtime", "../zoneinfo/UTC", "localtime"}) {
        const auto outcome = Call(*tool, {{"timezone", zone}});
        EXPECT_TRUE(outcome.is_error) << zone;
        EXPECT_TRUE(Contains(Error(outcome), "timezone: unknown time zone")) << Error(outcome);
    }
    const auto outcome = Call(*tool, {{"timezone", 5}});
    EXPECT_TRUE(outcome.is_error);
}

// --- calculator --------------------------------------------------------------------------------------------------

TEST_F(CalculatorToolTest, ReturnsTheResultAndItsText) {
    const auto tool = Make(Builtin("calculator"));
    ASSERT_NE(tool, nullptr);
    EXPECT_EQ(tool->spec().parameters["required"], json::array({"expression"}));

    auto outcome = Call(*tool, {{"expression", "2 + 3 * 4"}});
    ASSERT_FALSE(outcome.is_error) << outcome.output;
    EXPECT_EQ(outcome.output, json({{"result", 14}, {"text", "14"}}));
    EXPECT_EQ(outcome.output.dump(), R"({"result":14,"text":"14"})");

    outcome = Call(*tool, {{"expression", "0.1 + 0.2"}});
    ASSERT_FALSE(outcome.is_error) << outcome.output;
    EXPECT_NEAR(outcome.output["result"].get<double>(), 0.3, 1e-12);
    EXPECT_EQ(outcome.output["text"], "0.3");

    outcome = Call(*tool, {{"expression", "-2^2 + sqrt(16) / 8"}});
    ASSERT_FALSE(outcome.is_error) << outcome.output;
    EXPECT_EQ(outcome.output["text"], "-3.5");
}

TEST_F(CalculatorToolTest, BadExpressionIsAToolError) {
    const auto tool = Make(Builtin("calculator"));

    auto outcome = Call(*tool, {{"expression", "2 +"}});
    EXPECT_TRUE(outcome.is_error);
    EXPECT_TRUE(Error(outcome).starts_with("expression: ")) << Error(outcome);

    outcome = Call(*tool, {{"expression", "1 / 0"}});
    EXPECT_TRUE(outcome.is_error);
    EXPECT_EQ(Error(outcome), "expression: division by zero at 3");

    outcome = Call(*tool, {{"expression", "exp(1000)"}});
    EXPECT_TRUE(outcome.is_error);
    EXPECT_TRUE(Contains(Error(outcome), "non-finite")) << Error(outcome);

    outcome = Call(*tool, json::object());
    EXPECT_TRUE(outcome.is_error);
}

// --- http_fetch --------------------------------------------------------------------------------------------------

TEST_F(HttpFetchTest, RefusesForbiddenAddressesInAnySpelling) {
    TestHttpServer server([](const RecordedRequest&) { return TextReply("secret"); });
    const auto tool = Make(Builtin("http_fetch"));
    ASSERT_NE(tool, nullptr);
    EXPECT_EQ(tool->spec().parameters["required"], json::array({"url"}));
    const std::string port = std::to_string(server.port());

    const std::vector<std::pair<std::string, std::string>> cases = {
        {server.url("/"), "refused: 127.0.0.1 is a loopback address"},
        {"http://localhost:" + port + "/", "refused: localhost is a loopback name"},
        {"http://169.254.169.254/latest/meta-data/", "refused: 169.254.169.254 is a link-local address"},
        {"http://[::1]:" + port + "/", "refused: ::1 is a loopback address"},
        {"http://0x7f.1:" + port + "/", "refused: 127.0.0.1 is a loopback address"},
        {"http://2130706433:" + port + "/", "refused: 127.0.0.1 is a loopback address"},
        {"http://[::ffff:127.0.0.1]:" + port + "/", "refused: 127.0.0.1 is a loopback address"},
        {"http://10.0.0.7/", "refused: 10.0.0.7 is a private address"},
    };
    for (const auto& [url, reason] : cases) {
        const auto outcome = Call(*tool, {{"url", url}});
        EXPECT_TRUE(outcome.is_error) << url;
        EXPECT_EQ(Error(outcome), reason) << url;
    }
    EXPECT_EQ(server.request_count(), 0U);
}

TEST_F(HttpFetchTest, RefusesNamesThatResolveToLoopback) {
    TestHttpServer server([](const RecordedRequest&) { return TextReply("secret"); });
    const auto tool = Make(Builtin("http_fetch"));
    const std::string port = std::to_string(server.port());

    auto outcome = Call(*tool, {{"url", "http://localhost.:" + port + "/"}});
    EXPECT_TRUE(outcome.is_error);
    EXPECT_TRUE(Error(outcome).starts_with("refused: ")) << Error(outcome);

    const auto name = LoopbackNameFromHosts();
    if (name) {
        outcome = Call(*tool, {{"url", "http://" + *name + ":" + port + "/"}});
        EXPECT_TRUE(outcome.is_error) << *name;
        EXPECT_TRUE(Error(outcome).starts_with("refused: ")) << Error(outcome);
        EXPECT_TRUE(Contains(Error(outcome), "resolves to a forbidden address")) << Error(outcome);
        EXPECT_TRUE(Contains(Error(outcome), "loopback")) << Error(outcome);
    }
    EXPECT_EQ(server.request_count(), 0U);
    if (!name) {
        GTEST_SKIP() << "no name in /etc/hosts points at a loopback address";
    }
}

TEST_F(HttpFetchTest, RefusesOtherSchemesAndCredentials) {
    const auto tool = Make(Builtin("http_fetch"));

    auto outcome = Call(*tool, {{"url", "file:///etc/passwd"}});
    EXPECT_TRUE(outcome.is_error);
    EXPECT_TRUE(Contains(Error(outcome), "url: ")) << Error(outcome);

    outcome = Call(*tool, {{"url", "gopher://example.com/"}});
    EXPECT_EQ(Error(outcome), "url: scheme must be http or https");

    outcome = Call(*tool, {{"url", "http://user:pw@example.com/"}});
    EXPECT_EQ(Error(outcome), "url: credentials (user@host) are not allowed");

    outcome = Call(*tool, json::object());
    EXPECT_EQ(Error(outcome), "url: required, a string");
}

TEST_F(HttpFetchTest, FetchesAnAllowListedHost) {
    TestHttpServer server([](const RecordedRequest&) { return TextReply("<h1>hi</h1>", 200, "text/html"); });
    const auto tool = Make(Builtin("http_fetch"), tools::AddressPolicy({"127.0.0.1"}));

    const auto outcome = Call(*tool, {{"url", server.url("/page?x=1#top")}});

    ASSERT_FALSE(outcome.is_error) << outcome.output;
    EXPECT_EQ(
        outcome.output,
        json({{"status", 200}, {"content_type", "text/html"}, {"body", "<h1>hi</h1>"}, {"url", server.url("/page?x=1")}}
        )
    );
    ASSERT_EQ(server.request_count(), 1U);
    EXPECT_EQ(server.requests().front().method, "GET");
    EXPECT_EQ(server.requests().front().target, "/page?x=1");
}

TEST_F(HttpFetchTest, FollowsRedirectsAndReportsTheFinalUrl) {
    TestHttpServer server([](const RecordedRequest& r) {
        if (r.target == "/start") {
            return Redirect("/dir/middle");
        }
        if (r.target == "/dir/middle") {
            return Redirect("end?y=2", 301);  // relative to /dir/
        }
        if (r.target == "/dir/end?y=2") {
            return Redirect("?y=3", 307);
        }
        return TextReply("done at " + r.target);
    });
    const auto tool = Make(Builtin("http_fetch"), tools::AddressPolicy({"127.0.0.1"}));

    const auto outcome = Call(*tool, {{"url", server.url("/start")}});

    ASSERT_FALSE(outcome.is_error) << outcome.output;
    EXPECT_EQ(outcome.output["status"], 200);
    EXPECT_EQ(outcome.output["body"], "done at /dir/end?y=3");
    EXPECT_EQ(outcome.output["url"], server.url("/dir/end?y=3"));
    EXPECT_EQ(server.request_count(), 4U);
}

TEST_F(HttpFetchTest, RefusesARedirectToAForbiddenAddress) {
    TestHttpServer server([](const RecordedRequest&) { return TextReply("secret"); });
    server.SetHandler([port = std::to_string(server.port())](const RecordedRequest& r) {
        if (r.target == "/to-metadata") {
            return Redirect("http://169.254.169.254/latest/meta-data/");
        }
        if (r.target == "/to-localhost") {
            return Redirect("http://localhost:" + port + "/secret");
        }
        if (r.target == "/to-file") {
            return Redirect("file:///etc/passwd");
        }
        return TextReply("secret");
    });
    const auto tool = Make(Builtin("http_fetch"), tools::AddressPolicy({"127.0.0.1"}));

    auto outcome = Call(*tool, {{"url", server.url("/to-metadata")}});
    EXPECT_TRUE(outcome.is_error);
    EXPECT_EQ(
        Error(outcome),
        "refused redirect to http://169.254.169.254/latest/meta-data/: 169.254.169.254 is a link-local address"
    );

    outcome = Call(*tool, {{"url", server.url("/to-localhost")}});
    EXPECT_TRUE(outcome.is_error);
    EXPECT_TRUE(Contains(Error(outcome), "localhost is a loopback name")) << Error(outcome);

    outcome = Call(*tool, {{"url", server.url("/to-file")}});
    EXPECT_TRUE(outcome.is_error);
    EXPECT_TRUE(Error(outcome).starts_with("refused redirect to file:///etc/passwd: url: ")) << Error(outcome);

    EXPECT_EQ(server.request_count(), 3U);  // the redirects only: nothing reached /secret
}

TEST_F(HttpFetchTest, FollowsAtMostFiveRedirects) {
    TestHttpServer server([](const RecordedRequest& r) {
        if (r.target.starts_with("/hop/")) {
            const int n = std::stoi(r.target.substr(5));
            return n < 5 ? Redirect("/hop/" + std::to_string(n + 1)) : TextReply("arrived");
        }
        return Redirect("/loop");
    });
    const auto tool = Make(Builtin("http_fetch"), tools::AddressPolicy({"127.0.0.1"}));

    auto outcome = Call(*tool, {{"url", server.url("/hop/0")}});
    ASSERT_FALSE(outcome.is_error) << outcome.output;
    EXPECT_EQ(outcome.output["body"], "arrived");
    EXPECT_EQ(server.request_count(), 6U);

    outcome = Call(*tool, {{"url", server.url("/loop")}});
    EXPECT_TRUE(outcome.is_error);
    EXPECT_EQ(Error(outcome), "too many redirects (more than 5)");
    EXPECT_EQ(server.request_count(), 12U);
}

TEST_F(HttpFetchTest, RefusesABodyOverTheCapAndCutsWhatTheModelGets) {
    TestHttpServer server([](const RecordedRequest& r) {
        if (r.target == "/huge") {
            return TextReply(std::string((std::size_t{5} << 20) + 1, 'a'));
        }
        return TextReply(std::string(150'000, 'b'));
    });
    const auto tool = Make(Builtin("http_fetch"), tools::AddressPolicy({"127.0.0.1"}));

    auto outcome = Call(*tool, {{"url", server.url("/huge")}});
    EXPECT_TRUE(outcome.is_error);
    EXPECT_EQ(Error(outcome), "the response body is larger than 5 MiB");

    outcome = Call(*tool, {{"url", server.url("/big")}});
    ASSERT_FALSE(outcome.is_error) << Error(outcome);
    EXPECT_EQ(outcome.output["body"].get<std::string>().size(), 100'000U);
    EXPECT_EQ(outcome.output["truncated"], true);
}

TEST_F(HttpFetchTest, TimesOut) {
    TestHttpServer server([](const RecordedRequest&) {
        TestResponse r = TextReply("late");
        r.delay = milliseconds(3000);
        return r;
    });
    tools::HttpFetchLimits limits;
    limits.timeout = milliseconds(300);
    tools::HttpFetchTool tool(Builtin("http_fetch"), http_, tools::AddressPolicy({"127.0.0.1"}), limits);

    const auto outcome = Call(tool, {{"url", server.url("/slow")}});

    EXPECT_TRUE(outcome.is_error);
    EXPECT_EQ(Error(outcome), "timed out after 0.3 s");
}

// --- call_agent --------------------------------------------------------------------------------------------------

TEST_F(CallAgentToolTest, RunsAnAllowedAgent) {
    FakeLauncher launcher;
    launcher.reply = {{"summary", "short"}};
    const auto tool = Make(Builtin("call_agent", {"summarizer", "translator"}), tools::AddressPolicy(), &launcher);
    ASSERT_NE(tool, nullptr);
    EXPECT_EQ(tool->spec().parameters["properties"]["agent"]["enum"], json::array({"summarizer", "translator"}));
    EXPECT_EQ(tool->spec().parameters["properties"]["input"]["type"], "object");
    tools::ToolCallContext context;
    context.run_id = "parent-1";

    const auto outcome = Call(*tool, {{"agent", "summarizer"}, {"input", {{"text", "long"}}}}, context);

    ASSERT_FALSE(outcome.is_error) << outcome.output;
    EXPECT_EQ(outcome.output, json({{"output", {{"summary", "short"}}}}));
    ASSERT_EQ(launcher.calls.size(), 1U);
    EXPECT_EQ(launcher.calls[0].agent, "summarizer");
    EXPECT_EQ(launcher.calls[0].input, json({{"text", "long"}}));
    EXPECT_EQ(launcher.calls[0].run_id, "parent-1");
}

TEST_F(CallAgentToolTest, RefusesAnAgentNotInTheList) {
    FakeLauncher launcher;
    const auto tool = Make(Builtin("call_agent", {"summarizer"}), tools::AddressPolicy(), &launcher);

    const auto outcome = Call(*tool, {{"agent", "deployer"}, {"input", json::object()}});

    EXPECT_TRUE(outcome.is_error);
    EXPECT_EQ(Error(outcome), "agent: 'deployer' is not one of the agents this tool may call (summarizer)");
    EXPECT_TRUE(launcher.calls.empty());
}

TEST_F(CallAgentToolTest, LauncherErrorIsAToolError) {
    FakeLauncher launcher;
    launcher.failure = "child run failed: budget exceeded";
    const auto tool = Make(Builtin("call_agent", {"summarizer"}), tools::AddressPolicy(), &launcher);

    const auto outcome = Call(*tool, {{"agent", "summarizer"}, {"input", {{"text", "x"}}}});

    EXPECT_TRUE(outcome.is_error);
    EXPECT_EQ(Error(outcome), "child run failed: budget exceeded");
    EXPECT_EQ(launcher.calls.size(), 1U);
}

TEST_F(CallAgentToolTest, UnavailableWithoutALauncher) {
    const auto tool = Make(Builtin("call_agent", {"summarizer"}));

    const auto outcome = Call(*tool, {{"agent", "summarizer"}, {"input", json::object()}});

    EXPECT_TRUE(outcome.is_error);
    EXPECT_EQ(Error(outcome), "call_agent is not available here");
}

// --- MakeTool and Preview ------------------------------------------------------------------------------------------

TEST_F(ToolsFixture, AskHumanIsNotAToolAndDescriptionsAreKept) {
    EXPECT_EQ(Make(Builtin("ask_human")), nullptr);

    spec::ToolSpec s = Builtin("calculator");
    s.description = "Arithmetic for invoices";
    const auto tool = Make(s);
    ASSERT_NE(tool, nullptr);
    EXPECT_EQ(tool->spec().name, "calculator");
    EXPECT_EQ(tool->spec().description, "Arithmetic for invoices");

    EXPECT_THROW(Make(Builtin("teleport")), core::Error);
}

TEST(ToolPreview, CompactJsonCutTo500Characters) {
    EXPECT_EQ(tools::Preview("Paris weather"), "Paris weather");
    EXPECT_EQ(tools::Preview(json({{"city", "Paris"}, {"days", 3}})), R"({"city":"Paris","days":3})");

    const std::string exact(500, 'x');
    EXPECT_EQ(tools::Preview(exact), exact);

    const std::string cut = tools::Preview(std::string(1000, 'x'));
    EXPECT_EQ(CountChars(cut), 500U);
    EXPECT_EQ(cut, std::string(499, 'x') + "…");

    std::string accents;
    for (int i = 0; i < 600; ++i) {
        accents += "é";
    }
    const std::string accents_cut = tools::Preview(accents);
    EXPECT_EQ(CountChars(accents_cut), 500U);
    EXPECT_TRUE(accents_cut.ends_with("é…"));

    const std::string big_object = tools::Preview(json({{"text", std::string(2000, 'y')}}));
    EXPECT_EQ(CountChars(big_object), 500U);
    EXPECT_TRUE(big_object.starts_with(R"({"text":"yyy)"));
}

}  // namespace
}  // namespace agentos::testing
