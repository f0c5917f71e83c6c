#pragma once
/// A small blocking HTTP/1.1 client for tests (Beast underneath, kept out of this header), plus raw-socket helpers
/// for requests no well-behaved client would send.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace agentos::testing {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpResult {
    int status = 0;
    std::string body;
    Headers headers;  ///< names lower-cased

    std::optional<std::string> Header(const std::string& lower_name) const;
    nlohmann::json Json() const;  ///< parses body; a failure is reported as a test failure and returns null
    /// error.code of an envelope ("" when there is none).
    std::string ErrorCode() const;
};

/// One keep-alive connection to 127.0.0.1:port, reopened when the server closed it.
class HttpClient {
public:
    explicit HttpClient(std::uint16_t port);
    ~HttpClient();
    HttpClient(HttpClient&&) noexcept;

    HttpResult Send(
        const std::string& method, const std::string& target, const std::string& body = "", const Headers& headers = {}
    );

    HttpResult Get(const std::string& target, const std::string& key = "");
    HttpResult Post(const std::string& target, const nlohmann::json& body, const std::string& key = "");
    HttpResult PostRaw(const std::string& target, const std::string& body, const std::string& key = "");

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// Connects, sends `bytes`, then reads until the server closes or `timeout` passes; returns what was read.
std::string RawExchange(std::uint16_t port, const std::string& bytes, std::chrono::milliseconds timeout);

/// A connection held open by the test: send pieces, read what comes, see whether the server closed it.
class RawConnection {
public:
    explicit RawConnection(std::uint16_t port);
    ~RawConnection();

    void Send(const std::string& bytes);
    /// Reads until the server closes the connection or `timeout` passes. `closed` tells which.
    std::string ReadUntilClosed(std::chrono::milliseconds timeout, bool& closed);

private:
    int fd_ = -1;
};

/// The HTTP status of the first response in `raw` (0 if none).
int StatusOf(const std::string& raw);

}  // namespace agentos::testing
