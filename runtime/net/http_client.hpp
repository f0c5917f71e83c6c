#pragma once
/// HttpClient: outbound HTTP/1.1 and HTTPS (certificate and host name verified) over Beast, with keep-alive
/// connections reused per host, a connect timeout, and a deadline for the whole exchange. Used by the LLM providers
/// and the http/webhook/http_fetch tools. Redirects are not followed (callers that want them check each hop).
/// Thread-safe; every call runs on the calling coroutine's executor.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/net/asio.hpp"

namespace agentos::outbound {

struct HttpRequest {
    std::string method = "GET";
    std::string url;  ///< http(s)://host[:port]/path?query
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::chrono::milliseconds timeout{30'000};   ///< the whole exchange: connect, send, receive
    std::optional<std::string> connect_address;  ///< connect here instead of resolving the host (a checked IP)
    std::size_t max_body_bytes = 64 << 20;       ///< a longer response body fails with kTooLarge
};

struct HttpResponse {
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;  ///< names lower-cased
    std::string body;

    std::optional<std::string> Header(std::string_view lower_name) const;
};

/// A request that got no HTTP answer: it could not connect, timed out, failed TLS, or the peer broke the exchange.
class TransportError : public std::runtime_error {
public:
    enum class Kind { kConnect, kTimeout, kTls, kProtocol, kTooLarge };

    TransportError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}

    Kind kind() const { return kind_; }

private:
    Kind kind_;
};

/// Receives a streamed response body piece by piece, as the bytes arrive.
using BodySink = std::function<void(std::string_view bytes)>;

struct HttpClientOptions {
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds idle_timeout{30'000};  ///< pooled connections older than this are not reused
    std::size_t max_idle_per_host = 64;              ///< concurrent runs calling one provider reuse their connections
    std::string ca_file;  ///< extra trust anchors (PEM), besides the system's; tests use it for a local CA
};

class HttpClient {
public:
    explicit HttpClient(HttpClientOptions options = {});
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    /// Sends the request and reads the whole response. Throws TransportError, or core::Error (VALIDATION_ERROR)
    /// for a URL it cannot use.
    net::awaitable<HttpResponse> Send(HttpRequest request);

    /// Like Send, but a 2xx body is handed to `on_body` piece by piece as it arrives and is not kept (the result's
    /// body is empty); any other status's body is read whole into the result, as Send does, for error handling.
    /// The deadline, body size limit, TLS and connection reuse are Send's. An exception from `on_body` ends the
    /// exchange (the connection is closed) and propagates.
    net::awaitable<HttpResponse> SendStreaming(HttpRequest request, BodySink on_body);

    /// The addresses `host` resolves to (IPv4 and IPv6), as text.
    net::awaitable<std::vector<std::string>> Resolve(std::string host, std::uint16_t port);

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace agentos::outbound
