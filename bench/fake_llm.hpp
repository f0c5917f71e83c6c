#pragma once
// A fake OpenAI Chat Completions endpoint for the benchmarks: a fixed answer on keep-alive connections, a thread per
// connection, at once or after a delay chosen per request. A "stream": true request gets the same answer as an SSE
// stream (content deltas, a usage chunk, [DONE]) in one Content-Length body. Lives as long as the bench process.

#include <atomic>
#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace bench {

constexpr const char* kAnswer =
    R"({"id":"chatcmpl-bench","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,)"
    R"("message":{"role":"assistant","content":"The answer is 42."},"finish_reason":"stop"}],)"
    R"("usage":{"prompt_tokens":24,"completion_tokens":6,"total_tokens":30}})";

/// `pieces` (default: kAnswer's text in four) as a Chat Completions stream with stream_options.include_usage.
inline std::string StreamAnswer(const std::vector<std::string>& pieces = {"The ", "answer ", "is ", "42."}) {
    const std::string head =
        R"({"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini",)";
    std::string body;
    for (const auto& piece : pieces) {
        body += "data: " + head + R"("choices":[{"index":0,"delta":{"content":")" + piece +
                R"("},"finish_reason":null}]})" + "\n\n";
    }
    body += "data: " + head + R"("choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})" + "\n\n";
    body += "data: " + head + R"("choices":[],"usage":{"prompt_tokens":24,"completion_tokens":6,"total_tokens":30}})" +
            "\n\n";
    body += "data: [DONE]\n\n";
    return body;
}

/// The fake model: answers every request on a keep-alive connection with kAnswer, at once or after its delay.
class FakeLlm {
public:
    /// `delay(n)`: how long to wait before answering the n-th request (0-based); none: at once.
    /// `stream_body(n)`: the SSE body of the n-th request when it asks for a stream; none: StreamAnswer().
    explicit FakeLlm(
        std::function<std::chrono::milliseconds(long)> delay = {}, std::function<std::string(long)> stream_body = {}
    )
        : delay_(std::move(delay)), stream_body_(std::move(stream_body)) {
        listener_ = socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(listener_, 512) != 0) {
            throw std::runtime_error("fake LLM: cannot listen");
        }
        socklen_t len = sizeof addr;
        getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        std::thread([this] { Accept(); }).detach();  // lives as long as the bench process
    }

    int port() const { return port_; }

private:
    void Accept() {
        for (;;) {
            const int fd = accept(listener_, nullptr, nullptr);
            if (fd < 0) {
                return;
            }
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            std::thread([this, fd] { Serve(fd); }).detach();
        }
    }

    void Serve(int fd) {
        const auto respond = [](const std::string& type, const std::string& body) {
            return "HTTP/1.1 200 OK\r\nContent-Type: " + type + "\r\nContent-Length: " + std::to_string(body.size()) +
                   "\r\n\r\n" + body;
        };
        const std::string json_response = respond("application/json", kAnswer);
        const std::string stream_response = respond("text/event-stream", StreamAnswer());
        std::string buf;
        char tmp[65536];
        for (;;) {
            std::size_t header_end = std::string::npos;
            while ((header_end = buf.find("\r\n\r\n")) == std::string::npos) {
                const ssize_t n = recv(fd, tmp, sizeof tmp, 0);
                if (n <= 0) {
                    close(fd);
                    return;
                }
                buf.append(tmp, static_cast<std::size_t>(n));
            }
            std::size_t length = 0;
            for (const char* name : {"Content-Length: ", "content-length: "}) {
                if (const auto at = buf.find(name); at < header_end) {
                    length = std::stoul(buf.substr(at + 16));
                }
            }
            while (buf.size() < header_end + 4 + length) {
                const ssize_t n = recv(fd, tmp, sizeof tmp, 0);
                if (n <= 0) {
                    close(fd);
                    return;
                }
                buf.append(tmp, static_cast<std::size_t>(n));
            }
            // The providers write compact JSON, so the flag has no spaces.
            const bool stream =
                std::string_view(buf).substr(header_end + 4, length).find(R"("stream":true)") != std::string_view::npos;
            buf.erase(0, header_end + 4 + length);
            const long n = count_++;
            const std::string custom = stream && stream_body_ ? respond("text/event-stream", stream_body_(n)) : "";
            const std::string& response = !custom.empty() ? custom : stream ? stream_response : json_response;
            if (delay_) {
                std::this_thread::sleep_for(delay_(n));
            }
            if (send(fd, response.data(), response.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(response.size())) {
                close(fd);
                return;
            }
        }
    }

    int listener_ = -1;
    int port_ = 0;
    std::function<std::chrono::milliseconds(long)> delay_;
    std::function<std::string(long)> stream_body_;
    std::atomic<long> count_{0};

public:
    long requests() const { return count_.load(); }
};

}  // namespace bench
