#include "tests/support/http_client.hpp"

#include <cstring>

#include <arpa/inet.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace agentos::testing {
namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

std::optional<std::string> HttpResult::Header(const std::string& lower_name) const {
    for (const auto& [k, v] : headers) {
        if (k == lower_name) {
            return v;
        }
    }
    return std::nullopt;
}

nlohmann::json HttpResult::Json() const {
    try {
        return nlohmann::json::parse(body);
    } catch (const std::exception& e) {
        ADD_FAILURE() << "response body is not JSON (" << e.what() << "): " << body.substr(0, 500);
        return nullptr;
    }
}

std::string HttpResult::ErrorCode() const {
    const auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_object() && j.contains("error") && j["error"].is_object()) {
        return j["error"].value("code", "");
    }
    return "";
}

struct HttpClient::Impl {
    std::uint16_t port;
    asio::io_context ioc;
    std::unique_ptr<beast::tcp_stream> stream;
    beast::flat_buffer buffer;

    void Connect() {
        stream = std::make_unique<beast::tcp_stream>(ioc);
        stream->expires_after(std::chrono::seconds(30));
        stream->connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
        buffer.clear();
    }
};

HttpClient::HttpClient(std::uint16_t port) : impl_(std::make_unique<Impl>()) {
    impl_->port = port;
}

HttpClient::~HttpClient() = default;

HttpClient::HttpClient(HttpClient&&) noexcept = default;

HttpResult HttpClient::Send(
    const std::string& method, const std::string& target, const std::string& body, const Headers& headers
) {
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    if (req.method() == http::verb::unknown) {
        req.method_string(method);
    }
    req.set(http::field::host, "127.0.0.1");
    for (const auto& [k, v] : headers) {
        req.set(k, v);
    }
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
        if (req[http::field::content_type].empty()) {
            req.set(http::field::content_type, "application/json");
        }
        req.body() = body;
    }
    req.prepare_payload();
    for (int attempt = 0; attempt < 2; ++attempt) {
        try {
            if (!impl_->stream) {
                impl_->Connect();
            }
            impl_->stream->expires_after(std::chrono::seconds(60));
            http::write(*impl_->stream, req);
            http::response_parser<http::string_body> parser;
            parser.body_limit(64 << 20);
            http::read(*impl_->stream, impl_->buffer, parser);
            auto res = parser.release();
            HttpResult out;
            out.status = static_cast<int>(res.result_int());
            out.body = std::move(res.body());
            for (const auto& f : res) {
                std::string name(f.name_string());
                for (char& c : name) {
                    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                }
                out.headers.emplace_back(std::move(name), std::string(f.value()));
            }
            if (!res.keep_alive()) {
                impl_->stream.reset();
            }
            return out;
        } catch (const std::exception&) {
            // A keep-alive connection the server closed meanwhile: reconnect once.
            impl_->stream.reset();
            if (attempt == 1) {
                throw;
            }
        }
    }
    return {};
}

HttpResult HttpClient::Get(const std::string& target, const std::string& key) {
    Headers h;
    if (!key.empty()) {
        h.emplace_back("Authorization", "Bearer " + key);
    }
    return Send("GET", target, "", h);
}

HttpResult HttpClient::Post(const std::string& target, const nlohmann::json& body, const std::string& key) {
    return PostRaw(target, body.dump(), key);
}

HttpResult HttpClient::PostRaw(const std::string& target, const std::string& body, const std::string& key) {
    Headers h;
    if (!key.empty()) {
        h.emplace_back("Authorization", "Bearer " + key);
    }
    return Send("POST", target, body, h);
}

namespace {

int ConnectLoopback(std::uint16_t port) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        close(fd);
        throw std::runtime_error(std::string("connect: ") + std::strerror(errno));
    }
    return fd;
}

}  // namespace

RawConnection::RawConnection(std::uint16_t port) : fd_(ConnectLoopback(port)) {}

RawConnection::~RawConnection() {
    if (fd_ >= 0) {
        close(fd_);
    }
}

void RawConnection::Send(const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        const ssize_t n = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) {
            return;  // the server closed on us; the test looks at what it answered
        }
        sent += static_cast<std::size_t>(n);
    }
}

std::string RawConnection::ReadUntilClosed(std::chrono::milliseconds timeout, bool& closed) {
    std::string out;
    closed = false;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[65536];
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd p{fd_, POLLIN, 0};
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (poll(&p, 1, static_cast<int>(std::max<std::int64_t>(1, left.count()))) <= 0) {
            continue;
        }
        const ssize_t n = recv(fd_, buf, sizeof buf, 0);
        if (n <= 0) {
            closed = true;
            break;
        }
        out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
}

std::string RawExchange(std::uint16_t port, const std::string& bytes, std::chrono::milliseconds timeout) {
    RawConnection c(port);
    c.Send(bytes);
    bool closed = false;
    return c.ReadUntilClosed(timeout, closed);
}

int StatusOf(const std::string& raw) {
    if (raw.rfind("HTTP/1.1 ", 0) != 0 || raw.size() < 12) {
        return 0;
    }
    return std::atoi(raw.substr(9, 3).c_str());
}

}  // namespace agentos::testing
