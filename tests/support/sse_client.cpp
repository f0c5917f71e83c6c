#include "tests/support/sse_client.hpp"

#include <cstring>
#include <stdexcept>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace agentos::testing {
namespace {

using Clock = std::chrono::steady_clock;

std::string Lower(std::string s) {
    for (char& c : s) {
        c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    return s;
}

}  // namespace

SseClient::SseClient(
    std::uint16_t port,
    const std::string& method,
    const std::string& target,
    const std::string& key,
    const std::string& body,
    const std::vector<std::pair<std::string, std::string>>& headers,
    bool read_head,
    int receive_buffer
) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    if (receive_buffer > 0) {
        setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        throw std::runtime_error(std::string("connect: ") + std::strerror(errno));
    }
    std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n";
    if (!key.empty()) {
        req += "Authorization: Bearer " + key + "\r\n";
    }
    for (const auto& [name, value] : headers) {
        req += name + ": " + value + "\r\n";
    }
    if (!body.empty() || method == "POST") {
        req += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    }
    req += "\r\n" + body;
    std::size_t sent = 0;
    while (sent < req.size()) {
        const ssize_t n = send(fd_, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) {
            throw std::runtime_error("send failed");
        }
        sent += static_cast<std::size_t>(n);
    }
    if (read_head) {
        ReadHead();
    }
}

SseClient::~SseClient() {
    Close();
}

void SseClient::Close() {
    if (fd_ >= 0) {
        close(fd_);
        fd_ = -1;
    }
}

bool SseClient::Fill(Clock::time_point deadline) {
    if (fd_ < 0) {
        return false;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
        return false;
    }
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) {
        return false;
    }
    char buf[16384];
    const ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
        ended_ = true;
        Close();
        return false;
    }
    raw_.append(buf, static_cast<std::size_t>(n));
    return true;
}

std::optional<std::string> SseClient::Header(const std::string& lower_name) const {
    for (const auto& [name, value] : headers_) {
        if (name == lower_name) {
            return value;
        }
    }
    return std::nullopt;
}

void SseClient::ReadHead(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    std::size_t end = 0;
    while ((end = raw_.find("\r\n\r\n")) == std::string::npos) {
        if (!Fill(deadline)) {
            throw std::runtime_error("no response head");
        }
    }
    const std::string head = raw_.substr(0, end);
    raw_.erase(0, end + 4);
    status_ = std::stoi(head.substr(9, 3));
    std::size_t pos = head.find("\r\n");
    std::size_t content_length = 0;
    while (pos != std::string::npos && pos + 2 < head.size()) {
        const auto next = head.find("\r\n", pos + 2);
        const auto line = head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
        const auto colon = line.find(':');
        if (colon != std::string::npos) {
            auto name = Lower(line.substr(0, colon));
            auto value = line.substr(colon + 1);
            value.erase(0, value.find_first_not_of(' '));
            if (name == "transfer-encoding" && Lower(value) == "chunked") {
                chunked_ = true;
            }
            if (name == "content-length") {
                content_length = std::stoul(value);
            }
            headers_.emplace_back(std::move(name), std::move(value));
        }
        pos = next;
    }
    if (!chunked_) {  // an error envelope
        while (raw_.size() < content_length && Fill(deadline)) {
        }
        body_ = raw_;
        raw_.clear();
        ended_ = true;
    }
}

/// One line of the event-stream text, decoding chunks as needed; nullopt at the end of the body or the deadline.
std::optional<std::string> SseClient::Line(Clock::time_point deadline) {
    for (;;) {
        if (const auto nl = text_.find('\n'); nl != std::string::npos) {
            std::string line = text_.substr(0, nl);
            text_.erase(0, nl + 1);
            return line;
        }
        // decode whole chunks from raw_
        bool progressed = false;
        for (;;) {
            const auto crlf = raw_.find("\r\n");
            if (crlf == std::string::npos) {
                break;
            }
            const std::size_t size = std::stoul(raw_.substr(0, crlf), nullptr, 16);
            if (size == 0) {  // the last chunk: what was decoded before it is still to be read
                ended_ = true;
                raw_.clear();
                break;
            }
            if (raw_.size() < crlf + 2 + size + 2) {
                break;
            }
            text_.append(raw_, crlf + 2, size);
            raw_.erase(0, crlf + 2 + size + 2);
            progressed = true;
        }
        if (progressed) {
            continue;
        }
        if (ended_ || !Fill(deadline)) {
            return std::nullopt;
        }
    }
}

std::optional<SseFrame> SseClient::Next(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    SseFrame frame;
    std::string data;
    bool any = false;
    for (;;) {
        auto line = Line(deadline);
        if (!line) {
            return std::nullopt;
        }
        if (line->empty()) {
            if (any) {
                frame.data = nlohmann::json::parse(data, nullptr, false);
                frame.received = Clock::now();
                return frame;
            }
            continue;
        }
        if ((*line)[0] == ':') {
            ++pings_;
            continue;
        }
        const auto colon = line->find(':');
        const std::string field = line->substr(0, colon);
        std::string value = colon == std::string::npos ? "" : line->substr(colon + 1);
        if (!value.empty() && value[0] == ' ') {
            value.erase(0, 1);
        }
        any = true;
        if (field == "id") {
            frame.id = value;
        } else if (field == "event") {
            frame.event = value;
        } else if (field == "data") {
            data += (data.empty() ? "" : "\n") + value;
        }
    }
}

std::vector<SseFrame> SseClient::ReadAll(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    std::vector<SseFrame> out;
    while (auto f = Next(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()))) {
        out.push_back(std::move(*f));
    }
    return out;
}

}  // namespace agentos::testing
