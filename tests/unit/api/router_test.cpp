#include "api/server/router.hpp"

#include <gtest/gtest.h>

namespace agentos::api {
namespace {

Handler Noop() {
    return [](Request&) -> net::awaitable<Response> {
        co_return Response::Data(nullptr);
    };
}

TEST(Router, ExactRoutesWinOverPatternsWhateverTheOrder) {
    Router r;
    r.Add("GET", "/api/v1/runs/:runId", Noop());
    r.Add("GET", "/api/v1/runs/count", Noop());
    const auto m = r.Match("GET", "/api/v1/runs/count");
    ASSERT_NE(m.route, nullptr);
    EXPECT_EQ(m.route->pattern, "/api/v1/runs/count");
    const auto p = r.Match("GET", "/api/v1/runs/abc");
    ASSERT_NE(p.route, nullptr);
    EXPECT_EQ(p.route->pattern, "/api/v1/runs/:runId");
    EXPECT_EQ(p.params.at("runId"), "abc");
}

TEST(Router, DecodesParametersAndRequiresEverySegment) {
    Router r;
    r.Add("GET", "/api/v1/agents/:agentId/versions/:version", Noop());
    const auto m = r.Match("GET", "/api/v1/agents/my%2Dagent/versions/3");
    ASSERT_NE(m.route, nullptr);
    EXPECT_EQ(m.params.at("agentId"), "my-agent");
    EXPECT_EQ(m.params.at("version"), "3");
    EXPECT_EQ(r.Match("GET", "/api/v1/agents/x/versions").route, nullptr);
    EXPECT_EQ(r.Match("GET", "/api/v1/agents/x/versions/3/extra").route, nullptr);
    EXPECT_EQ(r.Match("GET", "/api/v1/agents//versions/3").route, nullptr);
    EXPECT_EQ(r.Match("GET", "/api/v1/agents/%zz/versions/3").route, nullptr);
}

TEST(Router, WrongMethodListsTheAllowedOnes) {
    Router r;
    r.Add("GET", "/api/v1/runs", Noop());
    r.Add("POST", "/api/v1/runs", Noop());
    const auto m = r.Match("DELETE", "/api/v1/runs");
    EXPECT_EQ(m.route, nullptr);
    EXPECT_EQ(m.allowed_methods, (std::vector<std::string>{"GET", "POST"}));
    const auto none = r.Match("GET", "/nope");
    EXPECT_EQ(none.route, nullptr);
    EXPECT_TRUE(none.allowed_methods.empty());
}

TEST(HttpTypes, ParsesQueryStrings) {
    const auto q = ParseQuery("a=1&b=x%20y+z&&c=&d&e=%zz");
    ASSERT_EQ(q.size(), 5U);
    EXPECT_EQ(q[0], (std::pair<std::string, std::string>{"a", "1"}));
    EXPECT_EQ(q[1], (std::pair<std::string, std::string>{"b", "x y z"}));
    EXPECT_EQ(q[2], (std::pair<std::string, std::string>{"c", ""}));
    EXPECT_EQ(q[3], (std::pair<std::string, std::string>{"d", ""}));
    EXPECT_EQ(q[4], (std::pair<std::string, std::string>{"e", "%zz"}));
    EXPECT_FALSE(PercentDecode("%4", false));
    EXPECT_EQ(PercentDecode("a+b", false), "a+b");
}

}  // namespace
}  // namespace agentos::api
