// The request pipeline without a network: routing errors, the error envelope, the catch-all for bugs, request ids
// and metrics.

#include "api/middleware/pipeline.hpp"

#include <stdexcept>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "api/middleware/auth.hpp"
#include "api/middleware/rate_limit.hpp"
#include "api/server/router.hpp"
#include "runtime/core/error.hpp"
#include "runtime/core/metrics.hpp"
#include "runtime/store/pg_pool.hpp"

namespace agentos::api {
namespace {

/// Runs one request through the pipeline on a private io_context.
class PipelineTest : public ::testing::Test {
protected:
    PipelineTest()
        : pool_("host=127.0.0.1 port=1", 1),
          auth_(pool_),
          limiter_(0, clock_),
          pipeline_(router_, auth_, limiter_, metrics_) {
        router_.Add(
            "GET",
            "/boom",
            [](Request&) -> net::awaitable<Response> {
                throw std::runtime_error("a bug with secret details");
                co_return Response{};
            },
            {.authenticated = false}
        );
        router_.Add(
            "GET",
            "/things/:id",
            [](Request& r) -> net::awaitable<Response> {
                if (r.Param("id") == "missing") {
                    throw core::Error::NotFound("thing missing");
                }
                co_return Response::Data({{"id", r.Param("id")}, {"q", r.QueryParam("q").value_or("")}});
            },
            {.authenticated = false}
        );
        router_.Add("POST", "/things/:id", [](Request&) -> net::awaitable<Response> {
            co_return Response::Data(nullptr);
        });
    }

    Response Handle(
        const std::string& method,
        const std::string& target,
        std::vector<std::pair<std::string, std::string>> headers = {}
    ) {
        Request req;
        req.method = method;
        req.target = target;
        req.headers = std::move(headers);
        net::io_context ioc;
        auto fut = net::co_spawn(ioc, pipeline_.Handle(req), net::use_future);
        ioc.run();
        return fut.get();
    }

    core::SystemClock clock_;
    store::PgPool pool_;
    Authenticator auth_;
    RateLimiter limiter_;
    core::Metrics metrics_;
    Router router_;
    Pipeline pipeline_;
};

std::string Header(const Response& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
        if (k == name) {
            return v;
        }
    }
    return "";
}

TEST_F(PipelineTest, AnUnexpectedExceptionIsA500ThatHidesItsDetailsAndQuotesTheRequestId) {
    const auto r = Handle("GET", "/boom", {{"x-request-id", "req-42"}});
    EXPECT_EQ(r.status, 500);
    const auto j = nlohmann::json::parse(r.body);
    EXPECT_EQ(j["error"]["code"], "INTERNAL");
    EXPECT_EQ(j["error"]["message"], "internal error; quote request id req-42");
    EXPECT_EQ(r.body.find("secret"), std::string::npos);
    EXPECT_EQ(Header(r, "X-Request-Id"), "req-42");
}

TEST_F(PipelineTest, RoutesDecodeParamsAndQueries) {
    const auto r = Handle("GET", "/things/a%20b?q=x%2By");
    ASSERT_EQ(r.status, 200) << r.body;
    const auto j = nlohmann::json::parse(r.body);
    EXPECT_EQ(j["data"]["id"], "a b");
    EXPECT_EQ(j["data"]["q"], "x+y");
    EXPECT_TRUE(j["error"].is_null());
    EXPECT_FALSE(Header(r, "X-Request-Id").empty());
}

TEST_F(PipelineTest, ErrorsBecomeEnvelopes) {
    auto r = Handle("GET", "/things/missing");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(nlohmann::json::parse(r.body)["error"]["message"], "thing missing not found");
    r = Handle("GET", "/elsewhere");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(nlohmann::json::parse(r.body)["error"]["code"], "NOT_FOUND");
    r = Handle("DELETE", "/things/x");
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(Header(r, "Allow"), "GET, POST");
    r = Handle("POST", "/things/x");  // a protected route without a key: refused before any query
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(nlohmann::json::parse(r.body)["error"]["code"], "UNAUTHENTICATED");
}

TEST_F(PipelineTest, CountsRequestsByRoutePatternNotByPath) {
    Handle("GET", "/things/a");
    Handle("GET", "/things/b");
    Handle("GET", "/nowhere");
    Handle("FROB", "/things/a");
    EXPECT_EQ(
        metrics_.Value("agentos_http_requests_total", {{"route", "/things/:id"}, {"method", "GET"}, {"status", "200"}}),
        2
    );
    EXPECT_EQ(
        metrics_.Value("agentos_http_requests_total", {{"route", "not_found"}, {"method", "GET"}, {"status", "404"}}), 1
    );
    EXPECT_EQ(
        metrics_.Value(
            "agentos_http_requests_total", {{"route", "method_not_allowed"}, {"method", "OTHER"}, {"status", "405"}}
        ),
        1
    );
}

}  // namespace
}  // namespace agentos::api
