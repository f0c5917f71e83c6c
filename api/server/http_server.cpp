#include "api/server/http_server.hpp"

#include <array>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <tuple>
#include <unordered_set>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include "api/middleware/error_mapping.hpp"
#include "api/server/stream_session.hpp"
#include "runtime/core/error.hpp"
#include "runtime/core/ids.hpp"

namespace agentos::api {
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

constexpr auto kUseTuple = net::as_tuple(net::use_awaitable);
constexpr std::size_t kMaxDrainBytes = 64 << 20;

/// State of one connection shared with Shutdown. Touched only on the connection's strand.
struct Connection {
    net::any_io_executor executor;
    beast::tcp_stream* stream = nullptr;  ///< valid while the session coroutine runs
    bool busy = false;                    ///< between the first byte of a request and the end of its response
};

Request ToRequest(http::request<http::string_body>&& msg) {
    Request r;
    r.method = std::string(msg.method_string());
    r.target = std::string(msg.target());
    r.headers.reserve(8);
    for (const auto& field : msg) {
        std::string name(field.name_string());
        for (char& c : name) {
            if (c >= 'A' && c <= 'Z') {
                c = static_cast<char>(c - 'A' + 'a');
            }
        }
        r.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    r.body = std::move(msg.body());
    return r;
}

http::response<http::string_body> ToBeast(Response&& res, unsigned version, bool keep_alive) {
    http::response<http::string_body> out{static_cast<http::status>(res.status), version};
    out.set(http::field::content_type, res.content_type);
    for (auto& [name, value] : res.headers) {
        out.set(name, value);
    }
    out.body() = std::move(res.body);
    out.keep_alive(keep_alive);
    out.prepare_payload();
    return out;
}

/// How reading one request ended.
struct ReadOutcome {
    enum Kind { kOk, kClose, kRefuse } kind = kOk;

    Response refusal;    ///< for kRefuse: the error to send before closing
    bool drain = false;  ///< read and discard what the client still sends, so it sees the refusal
};

Response ServerError(core::ErrorCode code, const std::string& message) {
    Response r = ErrorResponse(core::Error(code, message));
    r.SetHeader("X-Request-Id", core::NewUuidV7());
    return r;
}

}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
    net::io_context& ioc;
    ServerOptions options;
    RequestHandler handler;
    tcp::acceptor acceptor;
    std::atomic<bool> stopping{false};
    std::uint16_t bound_port = 0;

    mutable std::mutex mutex;
    std::condition_variable closed;
    std::unordered_set<std::shared_ptr<Connection>> connections;

    Impl(net::io_context& c, ServerOptions o, RequestHandler h)
        : ioc(c), options(std::move(o)), handler(std::move(h)), acceptor(c) {}

    net::awaitable<void> Accept();
    net::awaitable<void> Session(tcp::socket socket, std::shared_ptr<Connection> conn);
    net::awaitable<void> WriteAndClose(beast::tcp_stream& stream, Response res, bool drain);
    net::awaitable<ReadOutcome> ReadRequest(
        beast::tcp_stream& stream, beast::flat_buffer& buffer, http::request_parser<http::string_body>& parser
    );
    ReadOutcome Classify(beast::error_code ec, bool late, std::string_view part) const;

    void Forget(const std::shared_ptr<Connection>& conn) {
        {
            const std::lock_guard lock(mutex);
            connections.erase(conn);
        }
        closed.notify_all();
    }
};

net::awaitable<void> HttpServer::Impl::Accept() {
    auto self = shared_from_this();
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(net::make_strand(ioc), kUseTuple);
        if (stopping || ec == net::error::operation_aborted) {
            co_return;
        }
        if (ec) {
            // Out of file descriptors and the like: back off instead of spinning.
            spdlog::warn("accept failed: {}", ec.message());
            net::steady_timer timer(acceptor.get_executor(), std::chrono::milliseconds(50));
            co_await timer.async_wait(kUseTuple);
            continue;
        }
        auto conn = std::make_shared<Connection>();
        conn->executor = socket.get_executor();
        {
            const std::lock_guard lock(mutex);
            connections.insert(conn);
        }
        net::co_spawn(conn->executor, Session(std::move(socket), conn), [self, conn](const std::exception_ptr& e) {
            if (e) {
                try {
                    std::rethrow_exception(e);
                } catch (const std::exception& ex) {
                    spdlog::error("connection ended by an exception: {}", ex.what());
                }
            }
            self->Forget(conn);
        });
    }
}

/// What a read error means for the connection: 408 when our deadline fired, 431/413 for limits, a quiet close
/// when the client went away, 400 for anything malformed.
ReadOutcome HttpServer::Impl::Classify(beast::error_code ec, bool late, std::string_view part) const {
    if (late) {
        return {
            ReadOutcome::kRefuse,
            ServerError(
                core::ErrorCode::kRequestTimeout, "the request " + std::string(part) + " did not arrive in time"
            ),
            false};
    }
    if (!ec) {
        return {ReadOutcome::kOk, {}, false};
    }
    if (ec == http::error::header_limit) {
        return {
            ReadOutcome::kRefuse,
            ServerError(
                core::ErrorCode::kHeadersTooLarge,
                "request headers are larger than " + std::to_string(options.max_header_bytes) + " bytes"
            ),
            true};
    }
    if (ec == http::error::body_limit) {  // from the headers when Content-Length is over: the body is never read
        return {
            ReadOutcome::kRefuse,
            ServerError(
                core::ErrorCode::kPayloadTooLarge,
                "body is over the limit of " + std::to_string(options.max_body_bytes) + " bytes"
            ),
            true};
    }
    if (ec == http::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset ||
        ec == net::error::operation_aborted || ec == http::error::partial_message) {
        return {ReadOutcome::kClose, {}, false};
    }
    return {
        ReadOutcome::kRefuse,
        ServerError(core::ErrorCode::kValidation, "malformed HTTP request: " + ec.message()),
        true};
}

net::awaitable<ReadOutcome> HttpServer::Impl::ReadRequest(
    beast::tcp_stream& stream, beast::flat_buffer& buffer, http::request_parser<http::string_body>& parser
) {
    beast::error_code ec;
    bool late = false;
    {
        detail::SocketDeadline deadline(stream, options.header_timeout);
        std::tie(ec, std::ignore) = co_await http::async_read_header(stream, buffer, parser, kUseTuple);
        late = deadline.fired();
    }
    auto outcome = Classify(ec, late, "headers");
    if (outcome.kind != ReadOutcome::kOk || parser.is_done()) {
        co_return outcome;
    }
    if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
        http::response<http::empty_body> cont{http::status::continue_, parser.get().version()};
        stream.expires_after(options.body_timeout);
        std::tie(ec, std::ignore) = co_await http::async_write(stream, cont, kUseTuple);
        if (ec) {
            co_return ReadOutcome{ReadOutcome::kClose, {}, false};
        }
    }
    {
        detail::SocketDeadline deadline(stream, options.body_timeout);
        std::tie(ec, std::ignore) = co_await http::async_read(stream, buffer, parser, kUseTuple);
        late = deadline.fired();
    }
    co_return Classify(ec, late, "body");
}

net::awaitable<void> HttpServer::Impl::WriteAndClose(beast::tcp_stream& stream, Response res, bool drain) {
    auto msg = ToBeast(std::move(res), 11, false);
    stream.expires_after(options.body_timeout);
    co_await http::async_write(stream, msg, kUseTuple);
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (!drain) {
        co_return;
    }
    // The client may still be sending what we refused; read and discard it for a moment so that closing does not
    // reset the connection before the client has read our answer.
    stream.expires_after(std::chrono::seconds(2));
    std::array<char, 16384> sink{};
    std::size_t total = 0;
    while (total < kMaxDrainBytes) {
        auto [rec, n] = co_await stream.async_read_some(net::buffer(sink), kUseTuple);
        if (rec) {
            break;
        }
        total += n;
    }
}

net::awaitable<void> HttpServer::Impl::Session(tcp::socket socket, std::shared_ptr<Connection> conn) {
    beast::tcp_stream stream(std::move(socket));
    {
        beast::error_code ignored;  // no Nagle: a stream's small frames (and a response after its head) go at once
        stream.socket().set_option(tcp::no_delay(true), ignored);
    }
    conn->stream = &stream;

    struct Detach {
        Connection* c;

        ~Detach() {
            c->stream = nullptr;
            c->busy = false;
        }
    } detach{conn.get()};

    beast::flat_buffer buffer;

    while (!stopping) {
        if (buffer.size() == 0) {
            conn->busy = false;
            stream.expires_after(options.idle_timeout);
            auto [ec, n] = co_await stream.async_read_some(buffer.prepare(8192), kUseTuple);
            if (ec) {
                break;  // closed by the client, idle timeout, or shutdown
            }
            buffer.commit(n);
        }
        conn->busy = true;

        http::request_parser<http::string_body> parser;
        parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
        parser.body_limit(options.max_body_bytes);
        auto outcome = co_await ReadRequest(stream, buffer, parser);
        if (outcome.kind == ReadOutcome::kRefuse) {
            co_await WriteAndClose(stream, std::move(outcome.refusal), outcome.drain);
        }
        if (outcome.kind != ReadOutcome::kOk) {
            break;
        }

        auto msg = parser.release();
        const unsigned version = msg.version();
        const bool keep_alive = msg.keep_alive();
        Request request = ToRequest(std::move(msg));
        stream.expires_never();  // the handler's time is ours, not the client's
        Response response = co_await handler(request);
        if (response.stream_kind != StreamKind::kNone) {
            // A live stream is not a request in flight: shutdown closes it at once (its client resumes elsewhere),
            // and the request buffer's memory goes back before it starts.
            conn->busy = false;
            buffer.consume(buffer.size());
            buffer.shrink_to_fit();
            if (response.stream_kind == StreamKind::kSse) {
                co_await detail::ServeSse(stream, std::move(response), version, options.body_timeout);
            } else {
                co_await detail::ServeWebSocket(stream, std::move(msg), std::move(response), options.body_timeout);
            }
            break;
        }
        const bool keep = keep_alive && !stopping;
        auto out = ToBeast(std::move(response), version, keep);
        stream.expires_after(options.body_timeout);
        auto [wec, wn] = co_await http::async_write(stream, out, kUseTuple);
        if (wec || !keep) {
            break;
        }
    }
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream.socket().close(ec);
}

HttpServer::HttpServer(net::io_context& ioc, ServerOptions options, RequestHandler handler)
    : impl_(std::make_shared<Impl>(ioc, std::move(options), std::move(handler))) {}

HttpServer::~HttpServer() = default;

void HttpServer::Start() {
    beast::error_code ec;
    const auto address = net::ip::make_address(impl_->options.host, ec);
    if (ec) {
        throw core::Error(
            core::ErrorCode::kUnavailable, "cannot listen on '" + impl_->options.host + "': not an IP address"
        );
    }
    const tcp::endpoint endpoint(address, impl_->options.port);
    auto& acceptor = impl_->acceptor;
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) {
        acceptor.set_option(net::socket_base::reuse_address(true), ec);
        acceptor.bind(endpoint, ec);
    }
    if (!ec) {
        acceptor.listen(net::socket_base::max_listen_connections, ec);
    }
    if (ec) {
        throw core::Error(
            core::ErrorCode::kUnavailable,
            "cannot listen on " + impl_->options.host + ":" + std::to_string(impl_->options.port) + ": " + ec.message()
        );
    }
    impl_->bound_port = acceptor.local_endpoint().port();
    auto impl = impl_;
    net::co_spawn(acceptor.get_executor(), impl->Accept(), [impl](const std::exception_ptr& e) {
        if (e) {
            spdlog::error("the accept loop ended by an exception");
        }
    });
}

std::uint16_t HttpServer::port() const {
    return impl_->bound_port;
}

std::size_t HttpServer::connection_count() const {
    const std::lock_guard lock(impl_->mutex);
    return impl_->connections.size();
}

void HttpServer::Shutdown(std::chrono::milliseconds grace) {
    auto impl = impl_;
    impl->stopping = true;
    net::post(impl->acceptor.get_executor(), [impl] {
        beast::error_code ec;
        impl->acceptor.close(ec);
    });
    // Close idle connections now; busy ones close themselves after their response (keep-alive is off now).
    auto close_where = [impl](bool only_idle) {
        std::vector<std::shared_ptr<Connection>> all;
        {
            const std::lock_guard lock(impl->mutex);
            all.assign(impl->connections.begin(), impl->connections.end());
        }
        for (const auto& c : all) {
            net::post(c->executor, [c, only_idle] {
                if (c->stream != nullptr && (!only_idle || !c->busy)) {
                    beast::error_code ec;
                    c->stream->socket().cancel(ec);
                    c->stream->socket().close(ec);
                }
            });
        }
    };
    close_where(true);
    std::unique_lock lock(impl->mutex);
    if (!impl->closed.wait_for(lock, grace, [&] { return impl->connections.empty(); })) {
        lock.unlock();
        spdlog::warn("closing connections still busy after the {} ms grace period", grace.count());
        close_where(false);
        lock.lock();
        impl->closed.wait_for(lock, std::chrono::seconds(2), [&] { return impl->connections.empty(); });
    }
}

}  // namespace agentos::api
