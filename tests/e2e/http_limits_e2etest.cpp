// The HTTP server's limits and envelopes, probed with raw sockets where a polite client would not go.

#include <thread>

#include <pqxx/pqxx>

#include "tests/support/api_fixture.hpp"

namespace agentos::testing {
namespace {

using std::chrono::milliseconds;

class HttpLimitsTest : public ApiTest {
protected:
    TestAppOptions Options() override {
        TestAppOptions o;
        o.server.header_timeout = milliseconds(600);
        o.server.idle_timeout = milliseconds(600);
        o.server.body_timeout = milliseconds(2000);
        return o;
    }

    std::string Auth() const { return "Authorization: Bearer " + key_ + "\r\n"; }
};

std::string BodyOf(const std::string& raw) {
    const auto p = raw.find("\r\n\r\n");
    return p == std::string::npos ? "" : raw.substr(p + 4);
}

TEST_F(HttpLimitsTest, ABodyOverTheLimitIs413BeforeItIsRead) {
    // Announce 10 MiB and send none of it: the answer must come from the headers alone.
    RawConnection c(app_->port());
    c.Send(
        "POST /api/ingest/v1/events HTTP/1.1\r\nHost: x\r\n" + Auth() +
        "Content-Type: application/json\r\nContent-Length: 10485760\r\n\r\n"
    );
    bool closed = false;
    const auto raw = c.ReadUntilClosed(milliseconds(5000), closed);
    EXPECT_EQ(StatusOf(raw), 413) << raw;
    EXPECT_NE(BodyOf(raw).find("\"PAYLOAD_TOO_LARGE\""), std::string::npos) << raw;
    EXPECT_TRUE(closed);
}

TEST_F(HttpLimitsTest, ATenMiBBodySentAnywayIsRefusedAndTheClientStillGetsTheAnswer) {
    const std::string body = "{\"pad\": \"" + std::string(10 << 20, 'x') + "\"}";
    const auto r = client().PostRaw("/api/ingest/v1/events", body, key_);
    ExpectError(r, 413, "PAYLOAD_TOO_LARGE", "over the limit of 1048576 bytes");
}

TEST_F(HttpLimitsTest, AChunkedBodyOverTheLimitIs413) {
    RawConnection c(app_->port());
    c.Send("POST /api/ingest/v1/events HTTP/1.1\r\nHost: x\r\n" + Auth() + "Transfer-Encoding: chunked\r\n\r\n");
    const std::string chunk(256 * 1024, 'a');
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
    for (int i = 0; i < 5; ++i) {
        c.Send(size + chunk + "\r\n");
    }
    bool closed = false;
    const auto raw = c.ReadUntilClosed(milliseconds(5000), closed);
    EXPECT_EQ(StatusOf(raw), 413) << raw.substr(0, 300);
}

TEST_F(HttpLimitsTest, A64KiBHeaderIs431) {
    const auto raw = RawExchange(
        app_->port(),
        "GET /api/v1/runs HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(64 * 1024, 'h') + "\r\n\r\n",
        milliseconds(5000)
    );
    EXPECT_EQ(StatusOf(raw), 431) << raw.substr(0, 300);
    EXPECT_NE(BodyOf(raw).find("\"HEADERS_TOO_LARGE\""), std::string::npos);
}

TEST_F(HttpLimitsTest, ASlowClientIsCutAtTheHeaderDeadline) {
    RawConnection c(app_->port());
    c.Send("GET /api/v1/runs HTTP/1.1\r\nHost: x\r\n");  // and then nothing
    bool closed = false;
    const auto started = std::chrono::steady_clock::now();
    const auto raw = c.ReadUntilClosed(milliseconds(5000), closed);
    EXPECT_TRUE(closed);
    EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(4000));
    EXPECT_EQ(StatusOf(raw), 408) << raw;
}

TEST_F(HttpLimitsTest, AnIdleKeepAliveConnectionIsClosed) {
    RawConnection c(app_->port());
    c.Send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    bool closed = false;
    const auto raw = c.ReadUntilClosed(milliseconds(5000), closed);
    EXPECT_EQ(StatusOf(raw), 200);
    EXPECT_TRUE(closed) << "an idle keep-alive connection must be closed after the idle timeout";
}

TEST_F(HttpLimitsTest, KeepAliveServesManyRequestsOnOneConnection) {
    RawConnection c(app_->port());
    c.Send(
        "GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: "
        "x\r\nConnection: close\r\n\r\n"
    );
    bool closed = false;
    const auto raw = c.ReadUntilClosed(milliseconds(5000), closed);
    std::size_t count = 0;
    for (auto p = raw.find("HTTP/1.1 200"); p != std::string::npos; p = raw.find("HTTP/1.1 200", p + 1)) {
        ++count;
    }
    EXPECT_EQ(count, 3U);
    EXPECT_TRUE(closed);
}

TEST_F(HttpLimitsTest, UnknownRouteAndWrongMethodAreEnvelopes) {
    auto r = client().Get("/api/v1/nothing-here", key_);
    ExpectError(r, 404, "NOT_FOUND", "no route for GET /api/v1/nothing-here");
    r = client().Send("DELETE", "/api/ingest/v1/events", "", {{"Authorization", "Bearer " + key_}});
    ExpectError(r, 405, "METHOD_NOT_ALLOWED", "allowed: POST");
    EXPECT_EQ(r.Header("allow"), "POST");
    r = client().Get("/api/ingest/v1/events", key_);
    ExpectError(r, 405, "METHOD_NOT_ALLOWED");
}

TEST_F(HttpLimitsTest, MalformedBodiesAre400) {
    const auto run = client()
                         .Post("/api/ingest/v1/run/start", {{"agent_id", AgentId("bot")}}, key_)
                         .Json()["data"]["run_id"]
                         .get<std::string>();
    ExpectError(
        client().PostRaw("/api/ingest/v1/events", "", key_), 400, "VALIDATION_ERROR", "body: a JSON object is required"
    );
    ExpectError(
        client().PostRaw("/api/ingest/v1/events", "{\"run_id\": ", key_), 400, "VALIDATION_ERROR", "malformed JSON"
    );
    const std::string deep = std::string(10000, '[') + std::string(10000, ']');
    ExpectError(
        client().PostRaw("/api/ingest/v1/events", deep, key_), 400, "VALIDATION_ERROR", "nested deeper than 64"
    );
    const std::string deep_in_event = "{\"run_id\": \"" + run +
                                      "\", \"events\": [{\"type\": \"x\", \"payload\": " + std::string(5000, '[') +
                                      std::string(5000, ']') + "}]}";
    ExpectError(
        client().PostRaw("/api/ingest/v1/events", deep_in_event, key_), 400, "VALIDATION_ERROR", "nested deeper"
    );
    const std::string bad_utf8 = "{\"run_id\": \"" + run + "\", \"events\": [{\"type\": \"caf\xC3\"}]}";
    ExpectError(client().PostRaw("/api/ingest/v1/events", bad_utf8, key_), 400, "VALIDATION_ERROR", "invalid UTF-8");
    EXPECT_EQ(client().Get("/api/v1/runs/" + run, key_).Json()["data"]["event_count"], 1);
}

TEST_F(HttpLimitsTest, EveryResponseCarriesARequestIdAndAGoodOneIsEchoed) {
    auto r = client().Send("GET", "/health", "", {{"X-Request-Id", "trace-abc.123"}});
    EXPECT_EQ(r.Header("x-request-id"), "trace-abc.123");
    r = client().Send("GET", "/health", "", {{"X-Request-Id", "bad id with spaces"}});
    ASSERT_TRUE(r.Header("x-request-id"));
    EXPECT_NE(r.Header("x-request-id"), "bad id with spaces");
    EXPECT_TRUE(client().Get("/nope").Header("x-request-id"));
    EXPECT_TRUE(client().Get("/api/v1/runs").Header("x-request-id"));
}

TEST_F(HttpLimitsTest, Expect100ContinueIsHonoured) {
    const std::string body = "{\"agent_id\": \"" + AgentId("bot") + "\"}";
    RawConnection c(app_->port());
    c.Send(
        "POST /api/ingest/v1/run/start HTTP/1.1\r\nHost: x\r\n" + Auth() +
        "Content-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\nConnection: close\r\n\r\n"
    );
    bool closed = false;
    auto raw = c.ReadUntilClosed(milliseconds(300), closed);
    EXPECT_EQ(raw.rfind("HTTP/1.1 100 Continue", 0), 0U) << raw;
    c.Send(body);
    raw += c.ReadUntilClosed(milliseconds(5000), closed);
    EXPECT_NE(raw.find("HTTP/1.1 201"), std::string::npos) << raw;
}

class ShutdownTest : public ApiTest {};  // default timeouts: nothing closes by itself during the test

TEST_F(ShutdownTest, GracefulStopFinishesRequestsInFlightClosesIdleOnesAndRefusesNewOnes) {
    const auto run_id = StartRun();
    RawConnection idle(app_->port());
    idle.Send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");

    // Hold the run's row lock so an events request is stuck inside its handler when the stop begins.
    pqxx::connection blocker(app_->dsn());
    pqxx::work lock(blocker);
    lock.exec("SELECT 1 FROM runs WHERE id = '" + run_id + "' FOR UPDATE");
    RawConnection busy(app_->port());
    const std::string body = "{\"run_id\": \"" + run_id + "\", \"events\": [{\"type\": \"during-shutdown\"}]}";
    busy.Send(
        "POST /api/ingest/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key_ +
        "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body
    );
    // Wait until the request is inside its handler, blocked on the lock.
    pqxx::connection watcher(app_->dsn());
    const auto deadline = std::chrono::steady_clock::now() + milliseconds(5000);
    for (;;) {
        pqxx::work w(watcher);
        if (w.exec1("SELECT count(*) FROM pg_locks WHERE NOT granted")[0].as<int>() > 0) {
            break;
        }
        ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the request never reached the database";
    }

    const auto port = app_->port();
    std::thread stopper([&] { app_->Stop(); });
    bool idle_closed = false;
    idle.ReadUntilClosed(milliseconds(2000), idle_closed);
    EXPECT_TRUE(idle_closed) << "idle connections close as soon as the stop begins";
    lock.commit();  // the request in flight may now finish
    bool busy_closed = false;
    const auto raw = busy.ReadUntilClosed(milliseconds(5000), busy_closed);
    stopper.join();
    EXPECT_EQ(StatusOf(raw), 200) << raw;
    EXPECT_NE(raw.find("Connection: close"), std::string::npos) << raw;
    EXPECT_TRUE(busy_closed);
    EXPECT_THROW(RawConnection refused(port), std::runtime_error);
    pqxx::work check(blocker);
    EXPECT_EQ(check.exec1("SELECT last_seq FROM runs WHERE id = '" + run_id + "'")[0].as<int>(), 2);
}

}  // namespace
}  // namespace agentos::testing
