#pragma once
/// The server side of live streams (server-internal; Beast in the header, so only api/server includes it): SSE over
/// chunked HTTP and WebSocket, each with a read kept pending so a client that leaves is noticed at once, a deadline
/// on every write, and an aborter that cuts the connection from any thread.

#include <chrono>
#include <memory>

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "api/server/http_types.hpp"

namespace agentos::api::detail {

/// A deadline on a socket operation that, unlike tcp_stream's own timeout, cancels the operation without closing
/// the socket, so the client can still be answered (408). Lives on the connection's strand.
class SocketDeadline {
public:
    SocketDeadline(boost::beast::tcp_stream& stream, std::chrono::milliseconds after);
    ~SocketDeadline();
    SocketDeadline(const SocketDeadline&) = delete;
    SocketDeadline& operator=(const SocketDeadline&) = delete;

    bool fired() const { return state_->fired; }

private:
    struct State {
        boost::beast::tcp_stream* stream = nullptr;
        bool armed = true;
        bool fired = false;
    };

    std::shared_ptr<State> state_;
    net::steady_timer timer_;
};

/// Sends `response`'s headers as an SSE stream, runs its body, ends the stream. The connection is not reused.
net::awaitable<void> ServeSse(
    boost::beast::tcp_stream& stream, Response response, unsigned version, std::chrono::milliseconds write_timeout
);

/// Completes the WebSocket handshake of `request`, runs `response`'s body, closes.
net::awaitable<void> ServeWebSocket(
    boost::beast::tcp_stream& stream,
    boost::beast::http::request<boost::beast::http::string_body> request,
    Response response,
    std::chrono::milliseconds write_timeout
);

}  // namespace agentos::api::detail
