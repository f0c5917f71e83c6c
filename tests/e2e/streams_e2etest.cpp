// Live streams through the real server: tokens over SSE from invoke and resolve, following a run with no gap and
// no duplicate from any id (100 random reconnects), a run followed through another server, a paused run's stream,
// a slow reader cut and resumed, the workspace feed (SSE and WebSocket), the per-key stream limit, and bad input.

#include <algorithm>
#include <iterator>
#include <random>
#include <set>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/support/api_fixture.hpp"
#include "tests/support/fake_llm_server.hpp"
#include "tests/support/sse_client.hpp"
#include "tests/support/test_http_server.hpp"

namespace agentos::testing {
namespace {

using Json = nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

const char* kWriter = R"yaml(
slug: writer
model: { provider: openai, name: gpt-4o-mini, base_url: "{{LLM}}", api_key_env: FAKE_LLM_KEY }
instructions: You write.
)yaml";

/// A second agent on the mock provider (no model server needed).
const char* kSecond = R"yaml(
slug: second
model: { provider: mock, name: mock }
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

std::string Words(int n, const std::string& stem = "word") {
    std::string text;
    for (int i = 0; i < n; ++i) {
        text += (i == 0 ? "" : " ") + stem + std::to_string(i);
    }
    return text;
}

/// The chunk deltas of `frames`, joined.
std::string Text(const std::vector<SseFrame>& frames) {
    std::string text;
    for (const auto& f : frames) {
        if (f.event == "chunk") {
            text += f.data["delta"].get<std::string>();
        }
    }
    return text;
}

class StreamTest : public HostedApiTest {
protected:
    TestAppOptions Options() override {
        TestAppOptions o;
        o.streams.ping_interval = milliseconds(200);
        return o;
    }

    std::unique_ptr<SseClient> Open(
        const std::string& method,
        const std::string& target,
        const Json& body = nullptr,
        const std::vector<std::pair<std::string, std::string>>& headers = {},
        const std::string& key = ""
    ) {
        return std::make_unique<SseClient>(
            app_->port(), method, target, key.empty() ? key_ : key, body.is_null() ? "" : body.dump(), headers
        );
    }

    std::unique_ptr<SseClient> InvokeStream(const std::string& agent, Json body = Json::object()) {
        body["stream"] = true;
        return Open("POST", "/api/v1/agents/" + agent + "/invoke", body);
    }

    std::unique_ptr<SseClient> Follow(const std::string& run_id, const std::string& last_id = "") {
        std::vector<std::pair<std::string, std::string>> headers;
        if (!last_id.empty()) {
            headers.emplace_back("Last-Event-ID", last_id);
        }
        return Open("GET", "/api/v1/runs/" + run_id + "/stream", nullptr, headers);
    }
};

/// The frames that carry an id (a child run's frames carry none).
std::vector<SseFrame> WithIds(const std::vector<SseFrame>& frames) {
    std::vector<SseFrame> out;
    std::copy_if(frames.begin(), frames.end(), std::back_inserter(out), [](const auto& f) { return !f.id.empty(); });
    return out;
}

/// Ids in order: stored ones 1, 2, 3… without a gap, chunk ids N.K increasing after their event. Returns problems.
std::string CheckOrder(const std::vector<SseFrame>& frames) {
    std::int64_t seq = 0;
    std::int64_t chunk = 0;
    for (const auto& f : frames) {
        const auto dot = f.id.find('.');
        const std::int64_t n = std::stoll(f.id.substr(0, dot));
        if (dot == std::string::npos) {
            const bool terminal_again = n == seq;  // a synthesized terminal frame repeats its event's id
            if (n != seq + 1 && !terminal_again) {
                return "stored id " + f.id + " after " + std::to_string(seq);
            }
            seq = n;
            chunk = 0;
        } else {
            const std::int64_t k = std::stoll(f.id.substr(dot + 1));
            if (n != seq || k <= chunk) {
                return "chunk id " + f.id + " after " + std::to_string(seq) + "." + std::to_string(chunk);
            }
            chunk = k;
        }
    }
    return "";
}

TEST_F(StreamTest, InvokeStreamsTokensInOrderAndEndsWithDone) {
    Define(kWriter);
    const std::string text = Words(30);
    llm_.Push({.text = text, .chunk_delay = milliseconds(5)});
    auto s = InvokeStream("writer", {{"input", {{"message", "write"}}}});
    ASSERT_EQ(s->status(), 200) << s->body();
    EXPECT_EQ(s->Header("content-type"), "text/event-stream");
    const auto frames = s->ReadAll();
    ASSERT_GE(frames.size(), 4U);
    EXPECT_EQ(frames.front().event, "run");
    EXPECT_EQ(frames.front().id, "1");
    const std::string run_id = frames.front().data["run_id"];
    EXPECT_EQ(frames.back().event, "done");
    EXPECT_EQ(frames.back().data["run_id"], run_id);
    EXPECT_EQ(frames.back().data["output"]["content"], text);
    EXPECT_EQ(Text(frames), text);  // token order and content are the output's
    EXPECT_EQ(CheckOrder(frames), "");
    const auto chunks = std::count_if(frames.begin(), frames.end(), [](const auto& f) { return f.event == "chunk"; });
    EXPECT_GE(chunks, 2);
    const auto first_chunk =
        std::find_if(frames.begin(), frames.end(), [](const auto& f) { return f.event == "chunk"; });
    ASSERT_NE(first_chunk, frames.end());
    // Tokens arrive while the model still writes (30 words at 5 ms each), not all at the end.
    EXPECT_GT(frames.back().received - first_chunk->received, milliseconds(50));
    EXPECT_EQ(std::count_if(frames.begin(), frames.end(), [](const auto& f) { return f.event == "done"; }), 1);
    const auto step = std::find_if(frames.begin(), frames.end(), [](const auto& f) { return f.event == "step"; });
    ASSERT_NE(step, frames.end());
    EXPECT_EQ(step->data["node_type"], "llm");
    // The stored timeline is unchanged: no chunk is stored one by one.
    const auto events = client().Get("/api/v1/runs/" + run_id + "/events", key_).Json()["data"]["items"];
    for (const auto& e : events) {
        EXPECT_NE(e["type"], "chunk");
    }
}

TEST_F(StreamTest, AClientThatLeavesMidStreamLeavesTheRunGoingAndCanFollowItAfter) {
    Define(kWriter);
    const std::string text = Words(40);
    llm_.Push({.text = text, .chunk_delay = milliseconds(10)});
    auto s = InvokeStream("writer");
    ASSERT_EQ(s->status(), 200);
    const auto run = s->Next();
    ASSERT_TRUE(run);
    const std::string run_id = run->data["run_id"];
    s->Close();
    const auto done = WaitForRunStatus(client(), key_, run_id, "completed");
    EXPECT_EQ(done["output"]["content"], text);
    // Following it now gives its stored timeline, ending with done.
    auto f = Follow(run_id);
    const auto frames = f->ReadAll();
    ASSERT_FALSE(frames.empty());
    EXPECT_EQ(frames.front().event, "run");
    EXPECT_EQ(frames.back().event, "done");
    EXPECT_EQ(frames.back().data["output"]["content"], text);
    EXPECT_EQ(CheckOrder(frames), "");
    // From its last id: the terminal frame again, nothing else.
    auto again = Follow(run_id, frames.back().id);
    const auto rest = again->ReadAll();
    ASSERT_EQ(rest.size(), 1U);
    EXPECT_EQ(rest[0].event, "done");
}

TEST_F(StreamTest, ReconnectingAtRandomPointsGivesEverythingOnceWithNoGap) {
    Define(kWriter);
    std::mt19937 rng(42);  // NOLINT(cert-msc51-cpp): reproducible on purpose
    int trials = 0;
    int resumed_mid_call = 0;
    for (int run = 0; run < 20; ++run) {
        const std::string text = Words(25, "r" + std::to_string(run) + "w");
        llm_.Push({.text = text, .chunk_delay = milliseconds(2)});
        auto s = InvokeStream("writer");
        ASSERT_EQ(s->status(), 200);
        std::vector<SseFrame> got;
        std::string run_id;
        // Five cuts per run, each after a random number of frames, then a reconnect from the last id.
        for (int cut = 0; cut < 5; ++cut, ++trials) {
            const int take = static_cast<int>(rng() % 8);
            for (int i = 0; i < take; ++i) {
                auto f = s->Next();
                if (!f) {
                    break;
                }
                got.push_back(*f);
            }
            if (run_id.empty() && !got.empty()) {
                run_id = got.front().data["run_id"];
            }
            if (run_id.empty()) {
                auto f = s->Next();
                ASSERT_TRUE(f);
                got.push_back(*f);
                run_id = got.front().data["run_id"];
            }
            if (!got.empty() && got.back().id.find('.') != std::string::npos) {
                ++resumed_mid_call;
            }
            s->Close();
            s = Follow(run_id, got.empty() ? "" : got.back().id);
            ASSERT_EQ(s->status(), 200) << s->body();
        }
        const auto rest = s->ReadAll();
        got.insert(got.end(), rest.begin(), rest.end());
        ASSERT_FALSE(got.empty());
        // A cut right after the terminal frame repeats it once; drop that repeat before comparing.
        std::vector<SseFrame> once;
        for (const auto& f : got) {
            if (!once.empty() && once.back().id == f.id && f.event == once.back().event) {
                continue;
            }
            once.push_back(f);
        }
        EXPECT_EQ(CheckOrder(once), "") << "run " << run;
        EXPECT_EQ(once.back().event, "done") << "run " << run;
        // Stored events: exactly the stored timeline (bar run_end, sent as done).
        const auto events = client().Get("/api/v1/runs/" + run_id + "/events?limit=1000", key_).Json()["data"]["items"];
        std::vector<std::string> stored_ids;
        for (const auto& f : once) {
            if (f.id.find('.') == std::string::npos) {
                stored_ids.push_back(f.id);
            }
        }
        ASSERT_EQ(stored_ids.size(), events.size()) << "run " << run;
        for (std::size_t i = 0; i < events.size(); ++i) {
            EXPECT_EQ(stored_ids[i], std::to_string(events[i]["sequence_number"].get<std::int64_t>()));
        }
        // Chunks resumed mid-call come from the replay buffer: the text is whole when the call was caught live.
        const std::string streamed = Text(once);
        EXPECT_TRUE(streamed.empty() || text.find(streamed) != std::string::npos) << streamed;
    }
    EXPECT_EQ(trials, 100);
    RecordProperty("resumed_mid_call", resumed_mid_call);
}

TEST_F(StreamTest, APausedRunsStreamEndsAwaitingApprovalAndTheResolveStreamContinuesIt) {
    Define(kDeployer);
    llm_.Push({.tool_calls = {{.id = "call_1", .name = "deploy", .arguments = {{"env", "prod"}}}}});
    llm_.Push({.text = "Deployed to prod now", .chunk_delay = milliseconds(2)});
    auto s = InvokeStream("deployer");
    ASSERT_EQ(s->status(), 200);
    const auto frames = s->ReadAll();
    ASSERT_FALSE(frames.empty());
    EXPECT_EQ(frames.back().event, "awaiting_approval");
    const std::string approval_id = frames.back().data["approval_id"];
    const std::string run_id = frames.back().data["run_id"];
    EXPECT_EQ(frames.back().data["tool_name"], "deploy");
    EXPECT_TRUE(s->ended());
    // Following the paused run: it ends at once with the same terminal frame.
    auto f = Follow(run_id);
    const auto again = f->ReadAll();
    ASSERT_FALSE(again.empty());
    EXPECT_EQ(again.back().event, "awaiting_approval");
    EXPECT_EQ(again.back().id, frames.back().id);

    auto r = Open("POST", "/api/v1/approvals/" + approval_id + "/resolve", {{"decision", "approve"}, {"stream", true}});
    ASSERT_EQ(r->status(), 200) << r->body();
    const auto resumed = r->ReadAll();
    ASSERT_FALSE(resumed.empty());
    EXPECT_EQ(resumed.front().event, "event");
    EXPECT_EQ(resumed.front().data["type"], "human_input_received");
    EXPECT_EQ(resumed.front().data["run_id"], run_id);
    EXPECT_EQ(std::stoll(resumed.front().id), std::stoll(frames.back().id) + 1);  // the same run, continued
    EXPECT_EQ(resumed.back().event, "done");
    EXPECT_EQ(Text(resumed), "Deployed to prod now");
    const auto tool = std::find_if(resumed.begin(), resumed.end(), [](const auto& x) { return x.event == "tool"; });
    ASSERT_NE(tool, resumed.end());
    EXPECT_EQ(tool->data["approval_id"], approval_id);
}

TEST_F(StreamTest, ARunOnOneServerIsFollowedThroughAnother) {
    Define(kWriter);
    TestAppOptions other;
    other.database_url = app_->dsn();
    other.runs.max_background = 0;  // server B executes nothing queued: the run stays on this one (A)
    TestApp b(other);
    const std::string text = Words(40);
    llm_.Push({.text = text, .chunk_delay = milliseconds(10)});
    auto s = InvokeStream("writer");  // executes on A
    ASSERT_EQ(s->status(), 200);
    const auto run = s->Next();
    ASSERT_TRUE(run);
    const std::string run_id = run->data["run_id"];
    SseClient via_b(b.port(), "GET", "/api/v1/runs/" + run_id + "/stream", key_);
    ASSERT_EQ(via_b.status(), 200) << via_b.body();
    const auto frames = via_b.ReadAll();
    ASSERT_FALSE(frames.empty());
    EXPECT_EQ(frames.front().event, "run");
    EXPECT_EQ(frames.back().event, "done");
    EXPECT_EQ(frames.back().data["output"]["content"], text);
    EXPECT_EQ(CheckOrder(frames), "");
    s->ReadAll();
}

TEST_F(StreamTest, ChildRunsStreamIntoTheParentWhenAskedFor) {
    Define(kWriter);
    Define(R"yaml(
slug: boss
model: { provider: mock }
graph:
  start: delegate
  nodes:
    delegate: { type: agent, agent: writer, input: { message: "{{input.topic}}" }, output: draft }
  output: { draft: "{{state.draft}}" }
)yaml");
    const std::string text = Words(12, "child");
    llm_.Push({.text = text, .chunk_delay = milliseconds(3)});
    auto s = InvokeStream("boss", {{"input", {{"topic", "cats"}}}, {"stream_children", true}});
    ASSERT_EQ(s->status(), 200) << s->body();
    const auto frames = s->ReadAll();
    ASSERT_FALSE(frames.empty());
    const std::string parent = frames.front().data["run_id"];
    EXPECT_EQ(frames.back().event, "done");
    EXPECT_EQ(frames.back().data["run_id"], parent);
    EXPECT_EQ(CheckOrder(WithIds(frames)), "");  // the parent's own frames keep their ids and order
    std::string child;
    std::string child_text;
    std::set<std::string> child_events;
    for (const auto& f : frames) {
        if (f.event.rfind("child_", 0) != 0) {
            continue;
        }
        EXPECT_TRUE(f.id.empty()) << f.event;
        EXPECT_EQ(f.data["parent_run_id"], parent);
        EXPECT_NE(f.data["run_id"], parent);
        child = f.data["run_id"];
        child_events.insert(f.event);
        if (f.event == "child_chunk") {
            child_text += f.data["delta"].get<std::string>();
        }
    }
    EXPECT_TRUE(child_events.count("child_run")) << "no child_run frame";
    EXPECT_TRUE(child_events.count("child_step"));
    EXPECT_TRUE(child_events.count("child_done"));
    EXPECT_EQ(child_text, text);
    EXPECT_EQ(Run(child)["parent_run_id"], parent);

    // Not asked for: the parent's frames only.
    llm_.Push({.text = text});
    auto plain = InvokeStream("boss", {{"input", {{"topic", "dogs"}}}});
    for (const auto& f : plain->ReadAll()) {
        EXPECT_EQ(f.event.rfind("child_", 0), std::string::npos) << f.event;
    }
    // stream_children needs stream.
    const auto bad = client().Post("/api/v1/agents/boss/invoke", Json{{"stream_children", true}}, key_);
    EXPECT_EQ(bad.status, 400);
    EXPECT_NE(bad.body.find("stream_children"), std::string::npos);
}

TEST_F(StreamTest, TheRespondStreamContinuesTheRunAfterAnAnswer) {
    Define(R"yaml(
slug: asker
model: { provider: mock }
graph:
  start: region
  nodes:
    region: { type: input, question: "Which region?", options: [eu, us], output: region }
  output: { region: "{{state.region}}" }
)yaml");
    auto s = InvokeStream("asker");
    ASSERT_EQ(s->status(), 200) << s->body();
    const auto frames = s->ReadAll();
    ASSERT_FALSE(frames.empty());
    ASSERT_EQ(frames.back().event, "awaiting_input");
    EXPECT_EQ(frames.back().data["question"], "Which region?");
    EXPECT_EQ(frames.back().data["options"], (Json{"eu", "us"}));
    const std::string request_id = frames.back().data["request_id"];
    auto r = Open("POST", "/api/v1/input-requests/" + request_id + "/respond", {{"response", "eu"}, {"stream", true}});
    ASSERT_EQ(r->status(), 200) << r->body();
    const auto resumed = r->ReadAll();
    ASSERT_FALSE(resumed.empty());
    EXPECT_EQ(resumed.front().data["type"], "human_input_received");
    EXPECT_EQ(resumed.back().event, "done");
    EXPECT_EQ(resumed.back().data["output"], (Json{{"region", "eu"}}));
    EXPECT_EQ(CheckOrder(resumed).substr(0, 9), "stored id");  // it starts after the pause, not at 1
    EXPECT_EQ(std::stoll(resumed.front().id), std::stoll(frames.back().id) + 1);
    // Answered already: the stream is refused before it starts, in the envelope.
    auto again =
        Open("POST", "/api/v1/input-requests/" + request_id + "/respond", {{"response", "us"}, {"stream", true}});
    EXPECT_EQ(again->status(), 409);
}

class SmallBufferStreamTest : public StreamTest {
protected:
    TestAppOptions Options() override {
        TestAppOptions o = StreamTest::Options();
        o.streams.buffer_bytes = 16 * 1024;
        return o;
    }
};

TEST_F(SmallBufferStreamTest, ASlowReaderIsCutAndResumesFromItsLastId) {
    Define(kWriter);
    const std::string text = Words(6000, "a-rather-long-word-to-fill-buffers-");
    llm_.Push({.text = text});
    auto s = std::make_unique<SseClient>(
        app_->port(),
        "POST",
        "/api/v1/agents/writer/invoke",
        key_,
        Json{{"stream", true}}.dump(),
        std::vector<std::pair<std::string, std::string>>{},
        false,
        4096
    );
    // Read nothing until the model has written all of its ~250 KB of tokens (and the run has ended).
    for (int i = 0; i < 600; ++i) {
        const auto runs = client().Get("/api/v1/runs?agent_id=writer&status=completed", key_).Json()["data"]["items"];
        if (!runs.empty()) {
            break;
        }
        std::this_thread::sleep_for(milliseconds(50));
    }
    s->ReadHead();
    ASSERT_EQ(s->status(), 200);
    const auto frames = s->ReadAll();
    ASSERT_FALSE(frames.empty());
    EXPECT_NE(frames.back().event, "done") << "the slow reader was not cut";
    EXPECT_TRUE(s->ended());
    const std::string run_id = frames.front().data["run_id"];
    WaitForRunStatus(client(), key_, run_id, "completed");
    auto rest = Follow(run_id, frames.back().id);
    const auto tail = rest->ReadAll();
    ASSERT_FALSE(tail.empty());
    EXPECT_EQ(tail.back().event, "done");
    EXPECT_EQ(tail.back().data["output"]["content"], text);
}

TEST_F(StreamTest, TheWorkspaceFeedSeesRunsOfTwoAgentsAndNotAnotherWorkspaces) {
    Define(kWriter);
    DefineAgent(client(), key_, kSecond);
    auto feed = Open("GET", "/api/v1/events/stream");
    ASSERT_EQ(feed->status(), 200) << feed->body();
    auto only_second = Open("GET", "/api/v1/events/stream?agent_id=second");
    ASSERT_EQ(only_second->status(), 200);
    // Another workspace's run: never seen.
    const std::string other_key = app_->WorkspaceKey("elsewhere");
    llm_.SetDefault({.text = "fine"});
    const auto a = client().Post("/api/v1/agents/writer/invoke", Json::object(), key_).Json()["data"];
    const auto b = client().Post("/api/v1/agents/second/invoke", Json::object(), key_).Json()["data"];
    DefineAgent(client(), other_key, R"yaml(
slug: third
model: { provider: mock, name: mock }
)yaml");
    const auto c = client().Post("/api/v1/agents/third/invoke", Json::object(), other_key).Json()["data"];
    std::set<std::string> runs;
    std::set<std::string> types;
    bool a_ended = false;
    bool b_ended = false;
    while (!(a_ended && b_ended)) {
        auto f = feed->Next(seconds(10));
        ASSERT_TRUE(f) << "the feed went quiet";
        runs.insert(f->data["run_id"]);
        types.insert(f->event);
        EXPECT_EQ(
            f->id, f->data["run_id"].get<std::string>() + ":" + std::to_string(f->data["sequence_number"].get<int>())
        );
        a_ended = a_ended || (f->data["run_id"] == a["run_id"] && f->event == "run_end");
        b_ended = b_ended || (f->data["run_id"] == b["run_id"] && f->event == "run_end");
    }
    EXPECT_TRUE(runs.count(a["run_id"]));
    EXPECT_TRUE(runs.count(b["run_id"]));
    EXPECT_FALSE(runs.count(c["run_id"]));
    EXPECT_TRUE(types.count("run_start") && types.count("step") && types.count("run_end"));
    for (;;) {
        auto f = only_second->Next(seconds(5));
        ASSERT_TRUE(f);
        EXPECT_EQ(f->data["run_id"], b["run_id"]);
        if (f->event == "run_end") {
            break;
        }
    }
    // A quiet feed is kept open with pings.
    std::this_thread::sleep_for(milliseconds(500));
    EXPECT_FALSE(feed->Next(milliseconds(300)));
    EXPECT_GE(feed->pings(), 1);
    // An agent key sees only its agent; another agent's filter is 403.
    const std::string second_key = app_->AgentKey("default", "second");
    auto scoped = Open("GET", "/api/v1/events/stream?agent_id=writer", nullptr, {}, second_key);
    EXPECT_EQ(scoped->status(), 403) << scoped->body();
}

/// A minimal WebSocket client: the handshake (with `headers`, each line ending in CRLF), then the server's (unmasked)
/// text frames.
class WsClient {
public:
    WsClient(std::uint16_t port, const std::string& target, const std::string& headers) {
        fd_ = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        EXPECT_EQ(connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        const std::string req = "GET " + target +
                                " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                                "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                "Sec-WebSocket-Version: 13\r\n" +
                                headers + "\r\n";
        EXPECT_EQ(send(fd_, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
        while (buf_.find("\r\n\r\n") == std::string::npos && Fill()) {
        }
        head_ = buf_.substr(0, buf_.find("\r\n\r\n") + 4);
        buf_.erase(0, head_.size());
    }

    ~WsClient() { close(fd_); }

    const std::string& head() const { return head_; }

    /// A refused handshake's body (Content-Length bytes after the head).
    std::string Body() {
        const auto at = head_.find("Content-Length: ");
        const std::size_t length = at == std::string::npos ? 0 : std::stoul(head_.substr(at + 16));
        while (buf_.size() < length && Fill()) {
        }
        return buf_;
    }

    /// The next text message, or nullopt.
    std::optional<Json> Next() {
        for (;;) {
            if (buf_.size() >= 2) {
                const auto op = static_cast<unsigned char>(buf_[0]) & 0x0F;
                std::size_t len = static_cast<unsigned char>(buf_[1]) & 0x7F;
                std::size_t at = 2;
                if (len == 126 && buf_.size() >= 4) {
                    len = (static_cast<std::size_t>(static_cast<unsigned char>(buf_[2])) << 8) |
                          static_cast<unsigned char>(buf_[3]);
                    at = 4;
                } else if (len == 127 && buf_.size() >= 10) {
                    len = 0;
                    for (int i = 0; i < 8; ++i) {
                        len = (len << 8) | static_cast<unsigned char>(buf_[2 + i]);
                    }
                    at = 10;
                }
                if ((len < 126 || at > 2) && buf_.size() >= at + len) {
                    const std::string payload = buf_.substr(at, len);
                    buf_.erase(0, at + len);
                    if (op == 1) {
                        return Json::parse(payload, nullptr, false);
                    }
                    continue;  // a ping or other control frame
                }
            }
            if (!Fill()) {
                return std::nullopt;
            }
        }
    }

private:
    bool Fill() {
        pollfd p{fd_, POLLIN, 0};
        if (poll(&p, 1, 10'000) <= 0) {
            return false;
        }
        char b[8192];
        const ssize_t n = recv(fd_, b, sizeof b, 0);
        if (n <= 0) {
            return false;
        }
        buf_.append(b, static_cast<std::size_t>(n));
        return true;
    }

    int fd_ = -1;
    std::string buf_;
    std::string head_;
};

TEST_F(StreamTest, TheWorkspaceFeedOverWebSocket) {
    DefineAgent(client(), key_, kSecond);
    WsClient ws(app_->port(), "/api/v1/events/ws", "Authorization: Bearer " + key_ + "\r\n");
    ASSERT_NE(ws.head().find("101"), std::string::npos) << ws.head();
    EXPECT_EQ(ws.head().find("Sec-WebSocket-Protocol"), std::string::npos) << "none was offered";
    const auto b = client().Post("/api/v1/agents/second/invoke", Json::object(), key_).Json()["data"];
    for (;;) {
        auto m = ws.Next();
        ASSERT_TRUE(m) << "no message";
        EXPECT_EQ((*m)["data"]["run_id"], b["run_id"]);
        if ((*m)["event"] == "run_end") {
            break;
        }
    }
    // Without the upgrade it is a clear 400.
    const auto plain = client().Get("/api/v1/events/ws", key_);
    EXPECT_EQ(plain.status, 400);
    EXPECT_EQ(plain.ErrorCode(), "VALIDATION_ERROR");
}

TEST_F(StreamTest, ABrowserWebSocketSendsItsKeyAsASubprotocol) {
    Define(kWriter);
    DefineAgent(client(), key_, kSecond);
    // What `new WebSocket(url, ["agentos", "bearer." + key])` sends: no Authorization header.
    WsClient ws(app_->port(), "/api/v1/events/ws", "Sec-WebSocket-Protocol: agentos, bearer." + key_ + "\r\n");
    ASSERT_NE(ws.head().find(" 101 "), std::string::npos) << ws.head();
    // The handshake selects `agentos` (a browser drops a handshake that selects none of what it offered), never the
    // key.
    EXPECT_NE(ws.head().find("Sec-WebSocket-Protocol: agentos\r\n"), std::string::npos) << ws.head();
    EXPECT_EQ(ws.head().find(key_), std::string::npos) << ws.head();
    const auto run = client().Post("/api/v1/agents/second/invoke", Json::object(), key_);
    ASSERT_EQ(run.status, 200) << run.body;
    const auto m = ws.Next();
    ASSERT_TRUE(m) << "no message";
    EXPECT_EQ((*m)["data"]["run_id"], run.Json()["data"]["run_id"]);

    // An agent key sent this way is scoped like any agent key.
    const std::string second_key = app_->AgentKey("default", "second");
    WsClient scoped(
        app_->port(),
        "/api/v1/events/ws?agent_id=writer",
        "Sec-WebSocket-Protocol: agentos,bearer." + second_key + "\r\n"
    );
    EXPECT_NE(scoped.head().find(" 403 "), std::string::npos) << scoped.head();

    // A wrong, revoked-looking or missing key is the same 401 as in the header; so is a key offered on a request that
    // is not a WebSocket upgrade.
    const std::vector<std::string> bad_offers = {
        "agentos, bearer.aos_ws_notakey", "agentos, bearer.", "agentos", "bearer." + key_.substr(0, key_.size() - 1)};
    for (const auto& offered : bad_offers) {
        WsClient bad(app_->port(), "/api/v1/events/ws", "Sec-WebSocket-Protocol: " + offered + "\r\n");
        EXPECT_NE(bad.head().find(" 401 "), std::string::npos) << offered << "\n" << bad.head();
        EXPECT_NE(bad.Body().find("UNAUTHENTICATED"), std::string::npos) << offered << "\n" << bad.Body();
    }
    const auto not_upgrade =
        client().Send("GET", "/api/v1/events/stream", "", {{"Sec-WebSocket-Protocol", "agentos, bearer." + key_}});
    EXPECT_EQ(not_upgrade.status, 401) << not_upgrade.body;
}

TEST_F(StreamTest, TheTwentyFirstStreamOfAKeyIs429) {
    Define(kWriter);
    std::vector<std::unique_ptr<SseClient>> open;
    for (int i = 0; i < 20; ++i) {
        open.push_back(Open("GET", "/api/v1/events/stream"));
        ASSERT_EQ(open.back()->status(), 200) << i;
    }
    auto extra = Open("GET", "/api/v1/events/stream");
    EXPECT_EQ(extra->status(), 429);
    EXPECT_NE(extra->body().find("RATE_LIMITED"), std::string::npos);
    // An invoke stream over the limit starts no run.
    const auto before = client().Get("/api/v1/runs", key_).Json()["data"]["items"].size();
    auto invoke = InvokeStream("writer");
    EXPECT_EQ(invoke->status(), 429);
    EXPECT_EQ(client().Get("/api/v1/runs", key_).Json()["data"]["items"].size(), before);
    // Another key has its own slots; a closed stream gives its slot back.
    auto other = Open("GET", "/api/v1/events/stream", nullptr, {}, app_->WorkspaceKey("elsewhere"));
    EXPECT_EQ(other->status(), 200);
    open.front()->Close();
    bool reopened = false;
    for (int i = 0; i < 50 && !reopened; ++i) {
        std::this_thread::sleep_for(milliseconds(20));
        reopened = Open("GET", "/api/v1/events/stream")->status() == 200;
    }
    EXPECT_TRUE(reopened);
}

TEST_F(StreamTest, BadInput) {
    Define(kWriter);
    llm_.SetDefault({.text = "short answer"});
    const std::string run_id =
        client().Post("/api/v1/agents/writer/invoke", Json::object(), key_).Json()["data"]["run_id"];
    const auto expect_400 = [&](const std::vector<std::pair<std::string, std::string>>& headers,
                                const std::string& query,
                                const std::string& field) {
        auto s = Open("GET", "/api/v1/runs/" + run_id + "/stream" + query, nullptr, headers);
        EXPECT_EQ(s->status(), 400) << query << s->body();
        const auto body = Json::parse(s->body(), nullptr, false);
        EXPECT_EQ(body["error"]["code"], "VALIDATION_ERROR") << s->body();
        EXPECT_NE(body["error"]["message"].get<std::string>().find(field), std::string::npos) << s->body();
    };
    expect_400({{"Last-Event-ID", "garbage"}}, "", "Last-Event-ID");
    expect_400({{"Last-Event-ID", "3.x"}}, "", "Last-Event-ID");
    expect_400({{"Last-Event-ID", "999"}}, "", "Last-Event-ID");  // beyond the end
    expect_400({}, "?after=-1", "after");
    expect_400({}, "?after=1e3", "after");
    expect_400({{"Last-Event-ID", "1"}}, "?after=1", "after");  // two positions
    expect_400({}, "?colour=red", "colour");
    auto bad_id = Open("GET", "/api/v1/runs/not-a-uuid/stream");
    EXPECT_EQ(bad_id->status(), 400);
    // Another workspace's run: 404, as if it did not exist.
    const std::string other_key = app_->WorkspaceKey("elsewhere");
    auto foreign = Open("GET", "/api/v1/runs/" + run_id + "/stream", nullptr, {}, other_key);
    EXPECT_EQ(foreign->status(), 404) << foreign->body();
    auto unknown = Open("GET", "/api/v1/runs/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b/stream");
    EXPECT_EQ(unknown->status(), 404);
    auto no_key = std::make_unique<SseClient>(app_->port(), "GET", "/api/v1/runs/" + run_id + "/stream", "");
    EXPECT_EQ(no_key->status(), 401);
    // stream with an output_schema agent: 400, as before.
    DefineAgent(client(), key_, R"yaml(
slug: structured
model: { provider: mock, name: mock }
output_schema: { type: object, properties: { answer: { type: string } } }
)yaml");
    auto structured = InvokeStream("structured");
    EXPECT_EQ(structured->status(), 400);
    EXPECT_NE(structured->body().find("stream"), std::string::npos);
    // The feed's filters are checked too.
    auto bad_feed = Open("GET", "/api/v1/events/stream?run_id=nope");
    EXPECT_EQ(bad_feed->status(), 400);
    auto unknown_agent = Open("GET", "/api/v1/events/stream?agent_id=nobody");
    EXPECT_EQ(unknown_agent->status(), 404);
}

}  // namespace
}  // namespace agentos::testing
