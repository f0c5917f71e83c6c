#pragma once
/// FakeLlmServer: an in-process stand-in for the OpenAI and Anthropic APIs, on a TestHttpServer. It answers
/// POST /v1/chat/completions (OpenAI) and POST /v1/messages (Anthropic) with queued FakeReplies (FIFO; when the
/// queue is empty, the default reply, else an echo of the last user message) in each API's JSON shape, or as an
/// SSE stream when the request has "stream": true (OpenAI: text deltas word by word, tool-call arguments in 8-byte
/// pieces, and a usage chunk when stream_options.include_usage is set). A stream may be made to break off. Errors come
/// in each API's error shape, with Retry-After when set. Every request is recorded. Thread-safe.

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/test_http_server.hpp"

namespace agentos::testing {

struct FakeToolCall {
    std::string id;  ///< empty: generated ("call_fake_<n>" / "toolu_fake_<n>")
    std::string name;
    /// Sent as the call's arguments (OpenAI: as JSON text; a JSON string is sent verbatim, e.g. to send text that
    /// does not parse). Anthropic: the tool_use input.
    nlohmann::json arguments = nlohmann::json::object();
};

/// How a streamed reply ends.
enum class FakeStreamEnd {
    kComplete,  ///< every event, then the end of the body
    kHangUp,    ///< after `stream_events` events the connection closes mid-body
    kEndEarly,  ///< after `stream_events` events the body ends (no [DONE] / message_stop)
    kError,     ///< after `stream_events` events an error event (each API's shape), then the body ends
};

struct FakeReply {
    std::string text;  ///< the answer; for an error status, the error message (empty: a default one)
    std::vector<FakeToolCall> tool_calls;
    int status = 200;
    std::optional<int> retry_after_s;          ///< sent as Retry-After
    std::chrono::milliseconds delay{0};        ///< wait before answering
    bool hang_up = false;                      ///< close the connection without answering
    std::int64_t prompt_tokens = -1;           ///< -1: the words of the request's messages
    std::int64_t completion_tokens = -1;       ///< -1: the words of `text`
    std::string model;                         ///< empty: the request's model
    std::chrono::milliseconds chunk_delay{0};  ///< streaming: wait before each SSE event
    FakeStreamEnd stream_end = FakeStreamEnd::kComplete;
    std::size_t stream_events = 0;  ///< with a stream_end other than kComplete: the events sent before it
};

class FakeLlmServer {
public:
    FakeLlmServer();
    ~FakeLlmServer();
    FakeLlmServer(const FakeLlmServer&) = delete;
    FakeLlmServer& operator=(const FakeLlmServer&) = delete;

    std::uint16_t port() const;
    std::string base_url() const;  ///< "http://127.0.0.1:PORT/v1"

    void Push(FakeReply reply);        ///< answers the next request not yet answered (FIFO)
    void SetDefault(FakeReply reply);  ///< answers when the queue is empty (instead of the echo)

    std::vector<nlohmann::json> requests() const;  ///< the parsed bodies, in order (null for a body that is not JSON)
    std::vector<RecordedRequest> raw_requests() const;
    std::size_t request_count() const;
    std::size_t connection_count() const;  ///< connections accepted so far (keep-alive reuse shows here)

private:
    struct State;
    std::shared_ptr<State> state_;
    std::unique_ptr<TestHttpServer> server_;
};

}  // namespace agentos::testing
