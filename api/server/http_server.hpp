#pragma once
/// HttpServer: Beast over Asio coroutines. One coroutine and one strand per connection, keep-alive, and limits
/// enforced before anything is buffered: body over the limit → 413 (from Content-Length, before reading it),
/// headers over the limit → 431, a client too slow with its request → 408, idle keep-alive closed.
/// Start/Shutdown are called from a non-I/O thread; requests are served on the io_context's threads.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "api/server/http_types.hpp"
#include "runtime/net/asio.hpp"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace agentos::api {

struct ServerOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080;  ///< 0: any free port (tests)
    std::size_t max_body_bytes = 1 << 20;
    std::size_t max_header_bytes = 16 * 1024;
    std::chrono::milliseconds header_timeout{10'000};  ///< from the first byte of a request to its last header
    std::chrono::milliseconds body_timeout{30'000};    ///< to read the body, and to write the response
    std::chrono::milliseconds idle_timeout{60'000};    ///< keep-alive connection with no request
};

using RequestHandler = std::function<net::awaitable<Response>(Request&)>;

class HttpServer {
public:
    HttpServer(net::io_context& ioc, ServerOptions options, RequestHandler handler);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    /// Binds and starts accepting. Throws core::Error (kUnavailable) when the address cannot be bound.
    void Start();

    /// The bound port (useful with port 0).
    std::uint16_t port() const;

    /// Stops accepting and closes idle connections; requests in flight finish, and their connections close after
    /// the response. Returns when all connections are gone or `grace` has passed (the rest are then closed).
    void Shutdown(std::chrono::milliseconds grace);

    std::size_t connection_count() const;

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace agentos::api
