#pragma once
/// SseClient: a test's view of one SSE response, over a plain blocking socket: it sends the request, reads the
/// head, then decodes the chunked body into frames as they arrive — or deliberately reads nothing (a slow reader).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace agentos::testing {

struct SseFrame {
    std::string id;
    std::string event;
    nlohmann::json data;
    std::chrono::steady_clock::time_point received;
};

class SseClient {
public:
    /// Connects and sends the request (body: JSON text or empty). `read_head`: false leaves the socket unread.
    SseClient(
        std::uint16_t port,
        const std::string& method,
        const std::string& target,
        const std::string& key,
        const std::string& body = "",
        const std::vector<std::pair<std::string, std::string>>& headers = {},
        bool read_head = true,
        int receive_buffer = 0  ///< > 0: SO_RCVBUF, to make a reader that takes little at a time
    );
    ~SseClient();
    SseClient(const SseClient&) = delete;
    SseClient& operator=(const SseClient&) = delete;

    int status() const { return status_; }

    /// A response that is not a stream (an error envelope): its body.
    const std::string& body() const { return body_; }

    std::optional<std::string> Header(const std::string& lower_name) const;

    /// The next frame, or nullopt when the stream ended (or `timeout` passed: see ended()).
    std::optional<SseFrame> Next(std::chrono::milliseconds timeout = std::chrono::seconds(10));
    /// Every frame until the stream ends (or `timeout` passes).
    std::vector<SseFrame> ReadAll(std::chrono::milliseconds timeout = std::chrono::seconds(20));

    bool ended() const { return ended_; }

    int pings() const { return pings_; }

    /// Reads the head now (for a client built with read_head = false).
    void ReadHead(std::chrono::milliseconds timeout = std::chrono::seconds(10));
    void Close();

private:
    bool Fill(std::chrono::steady_clock::time_point deadline);
    std::optional<std::string> Line(std::chrono::steady_clock::time_point deadline);  ///< a line of the SSE text

    int fd_ = -1;
    int status_ = 0;
    std::vector<std::pair<std::string, std::string>> headers_;
    std::string body_;
    std::string raw_;   ///< bytes read, not yet decoded
    std::string text_;  ///< decoded body text, not yet parsed
    bool chunked_ = false;
    bool ended_ = false;
    int pings_ = 0;
};

}  // namespace agentos::testing
