#pragma once
/// TestHttpServer: a real HTTP/1.1 server on 127.0.0.1 (any free port) for tests, standing in for the outside
/// world (LLM providers, tool endpoints). Each request goes to a handler that may answer, answer late, or hang up
/// without answering. Every request is recorded. Runs on its own thread; all methods are thread-safe.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace agentos::testing {

struct RecordedRequest {
    std::string method;
    std::string target;
    std::vector<std::pair<std::string, std::string>> headers;  ///< names lower-cased
    std::string body;

    std::string Header(const std::string& lower_name) const;  ///< "" when absent
};

struct TestResponse {
    int status = 200;
    std::string content_type = "application/json";
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::chrono::milliseconds delay{0};  ///< wait this long before answering
    bool hang_up = false;                ///< close the connection without answering
    /// When set, the body is sent in these pieces, `chunk_delay` apart (chunked encoding), e.g. an SSE stream.
    std::vector<std::string> chunks;
    std::chrono::milliseconds chunk_delay{0};
    bool cut_after_chunks = false;  ///< with chunks: close the connection after them, leaving the body unfinished
};

class TestHttpServer {
public:
    using Handler = std::function<TestResponse(const RecordedRequest&)>;

    explicit TestHttpServer(Handler handler);
    ~TestHttpServer();
    TestHttpServer(const TestHttpServer&) = delete;
    TestHttpServer& operator=(const TestHttpServer&) = delete;

    std::uint16_t port() const;
    std::string url(const std::string& path = "") const;  ///< "http://127.0.0.1:PORT" + path

    std::vector<RecordedRequest> requests() const;
    std::size_t request_count() const;
    std::size_t connection_count() const;  ///< connections accepted so far

    void SetHandler(Handler handler);

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace agentos::testing
