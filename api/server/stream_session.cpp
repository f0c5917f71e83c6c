#include "api/server/stream_session.hpp"

#include <array>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace agentos::api::detail {
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;

namespace {

constexpr auto kUseTuple = net::as_tuple(net::use_awaitable);
/// A stream's kernel send buffer, fixed rather than auto-tuned (up to 4 MiB on Linux): what a slow reader leaves
/// unread then waits in its subscription, whose cap cuts it, and 10,000 streams cannot pin gigabytes of kernel memory.
constexpr int kStreamSendBuffer = 64 * 1024;

void FixSendBuffer(beast::tcp_stream& stream) {
    beast::error_code ec;
    stream.socket().set_option(net::socket_base::send_buffer_size(kStreamSendBuffer), ec);
}

/// What the stream's helpers share on the connection's strand; `stream` is null once the stream is over.
struct Link {
    beast::tcp_stream* stream = nullptr;
    bool gone = false;
    bool reader_done = false;
    std::function<void()> on_gone;
    net::steady_timer* reader_wait = nullptr;

    void Gone() {
        if (gone) {
            return;
        }
        gone = true;
        if (on_gone) {
            on_gone();
        }
    }
};

std::function<void()> MakeAborter(const std::shared_ptr<Link>& link, net::any_io_executor executor) {
    return [weak = std::weak_ptr<Link>(link), executor] {
        net::post(executor, [weak] {
            if (auto l = weak.lock(); l && l->stream != nullptr) {
                beast::error_code ec;
                l->stream->socket().cancel(ec);
                l->stream->socket().shutdown(net::ip::tcp::socket::shutdown_both, ec);
            }
        });
    };
}

/// Waits until the pending reader has finished (it ends once the socket is closed).
net::awaitable<void> JoinReader(std::shared_ptr<Link> link, net::any_io_executor executor) {
    net::steady_timer wait(executor);
    link->reader_wait = &wait;
    while (!link->reader_done) {
        wait.expires_after(std::chrono::seconds(5));
        co_await wait.async_wait(kUseTuple);
    }
    link->reader_wait = nullptr;
}

/// Runs the handler's stream body; whatever it throws ends the stream (the client resumes from its last id).
// (By reference: the caller awaits it at once, its response and writer outlive it.)
net::awaitable<void> RunBody(Response& response, StreamWriter& writer) {
    try {
        co_await response.stream(writer);
    } catch (const std::exception& e) {
        spdlog::warn("a stream ended by an exception: {}", e.what());
    }
}

/// Closes the connection and waits for the pending reader to see it, so nothing refers to the stream after.
net::awaitable<void> Hangup(beast::tcp_stream& stream, std::shared_ptr<Link> link) {
    beast::error_code ec;
    stream.socket().shutdown(net::ip::tcp::socket::shutdown_both, ec);
    stream.socket().cancel(ec);
    co_await JoinReader(link, stream.get_executor());
    link->stream = nullptr;
}

void ReaderFinished(const std::shared_ptr<Link>& link) {
    link->reader_done = true;
    link->Gone();
    if (link->reader_wait != nullptr) {
        link->reader_wait->cancel();
    }
}

std::string SseText(const std::vector<StreamMessage>& frames) {
    std::string out;
    for (const auto& f : frames) {
        if (!f.id.empty()) {
            out.append("id: ").append(f.id).append("\n");
        }
        out.append("event: ").append(f.event).append("\ndata: ").append(f.data).append("\n\n");
    }
    return out;
}

class SseWriter final : public StreamWriter {
public:
    SseWriter(beast::tcp_stream& stream, std::shared_ptr<Link> link, std::chrono::milliseconds timeout)
        : stream_(stream), link_(std::move(link)), timeout_(timeout) {}

    net::awaitable<bool> Write(std::vector<StreamMessage> frames) override { return Send(SseText(frames)); }

    net::awaitable<bool> Ping() override { return Send(": ping\n\n"); }

    void OnClientGone(std::function<void()> callback) override { link_->on_gone = std::move(callback); }

    std::function<void()> Aborter() override { return MakeAborter(link_, stream_.get_executor()); }

private:
    net::awaitable<bool> Send(std::string text) {
        if (link_->gone) {
            co_return false;
        }
        SocketDeadline deadline(stream_, timeout_);
        auto [ec, n] = co_await net::async_write(stream_, http::make_chunk(net::buffer(text)), kUseTuple);
        if (ec || deadline.fired()) {
            link_->Gone();
            co_return false;
        }
        co_return true;
    }

    beast::tcp_stream& stream_;
    std::shared_ptr<Link> link_;
    std::chrono::milliseconds timeout_;
};

class WebSocketWriter final : public StreamWriter {
public:
    WebSocketWriter(
        websocket::stream<beast::tcp_stream&>& ws, std::shared_ptr<Link> link, std::chrono::milliseconds timeout
    )
        : ws_(ws), link_(std::move(link)), timeout_(timeout) {}

    net::awaitable<bool> Write(std::vector<StreamMessage> frames) override {
        for (const auto& f : frames) {
            std::string text = R"({"id":)";
            text.append(nlohmann::json(f.id).dump()).append(R"(,"event":)").append(nlohmann::json(f.event).dump());
            text.append(R"(,"data":)").append(f.data).append("}");
            if (link_->gone) {
                co_return false;
            }
            SocketDeadline deadline(ws_.next_layer(), timeout_);
            auto [ec, n] = co_await ws_.async_write(net::buffer(text), kUseTuple);
            if (ec || deadline.fired()) {
                link_->Gone();
                co_return false;
            }
        }
        co_return true;
    }

    net::awaitable<bool> Ping() override {
        if (link_->gone) {
            co_return false;
        }
        SocketDeadline deadline(ws_.next_layer(), timeout_);
        auto [ec] = co_await ws_.async_ping({}, kUseTuple);
        co_return !ec && !deadline.fired();
    }

    void OnClientGone(std::function<void()> callback) override { link_->on_gone = std::move(callback); }

    std::function<void()> Aborter() override { return MakeAborter(link_, ws_.next_layer().get_executor()); }

private:
    websocket::stream<beast::tcp_stream&>& ws_;
    std::shared_ptr<Link> link_;
    std::chrono::milliseconds timeout_;
};

}  // namespace

SocketDeadline::SocketDeadline(beast::tcp_stream& stream, std::chrono::milliseconds after)
    : state_(std::make_shared<State>()), timer_(stream.get_executor()) {
    state_->stream = &stream;
    stream.expires_never();
    timer_.expires_after(after);
    timer_.async_wait([st = state_](const beast::error_code& ec) {
        if (!ec && st->armed) {
            st->fired = true;
            beast::error_code ignored;
            st->stream->socket().cancel(ignored);
        }
    });
}

SocketDeadline::~SocketDeadline() {
    state_->armed = false;  // a firing already queued must not touch a stream that may be gone
    timer_.cancel();
}

net::awaitable<void> ServeSse(
    beast::tcp_stream& stream, Response response, unsigned version, std::chrono::milliseconds write_timeout
) {
    FixSendBuffer(stream);
    http::response<http::empty_body> head{http::status::ok, version};
    head.set(http::field::content_type, "text/event-stream");
    head.set(http::field::cache_control, "no-cache");
    head.set("X-Accel-Buffering", "no");  // proxies (nginx) must not hold frames back
    for (auto& [name, value] : response.headers) {
        head.set(name, value);
    }
    head.chunked(true);
    head.keep_alive(false);
    http::response_serializer<http::empty_body> serializer{head};
    {
        SocketDeadline deadline(stream, write_timeout);
        auto [ec, n] = co_await http::async_write_header(stream, serializer, kUseTuple);
        if (ec || deadline.fired()) {
            co_return;
        }
    }
    auto link = std::make_shared<Link>();
    link->stream = &stream;
    const auto executor = stream.get_executor();
    // The client sends nothing more; a read kept pending hears it leave (EOF or reset) at once.
    net::co_spawn(
        executor,
        [&stream, link]() -> net::awaitable<void> {
            std::array<char, 64> sink{};
            for (;;) {
                auto [ec, n] = co_await stream.async_read_some(net::buffer(sink), kUseTuple);
                if (ec) {
                    break;
                }
            }
        },
        [link](const std::exception_ptr&) { ReaderFinished(link); }
    );
    SseWriter writer(stream, link, write_timeout);
    co_await RunBody(response, writer);
    if (!link->gone) {
        SocketDeadline deadline(stream, write_timeout);
        co_await net::async_write(stream, http::make_chunk_last(), kUseTuple);
    }
    co_await Hangup(stream, link);
}

net::awaitable<void> ServeWebSocket(
    beast::tcp_stream& stream,
    http::request<http::string_body> request,
    Response response,
    std::chrono::milliseconds write_timeout
) {
    FixSendBuffer(stream);
    websocket::stream<beast::tcp_stream&> ws(stream);
    ws.set_option(websocket::stream_base::decorator([headers = response.headers](websocket::response_type& res) {
        for (const auto& [name, value] : headers) {
            res.set(name, value);
        }
    }));
    {
        SocketDeadline deadline(stream, write_timeout);
        auto [ec] = co_await ws.async_accept(request, kUseTuple);
        if (ec || deadline.fired()) {
            co_return;
        }
    }
    auto link = std::make_shared<Link>();
    link->stream = &stream;
    const auto executor = stream.get_executor();
    // Reading answers the client's pings and close frame; what it sends otherwise is ignored.
    net::co_spawn(
        executor,
        [&ws, link]() -> net::awaitable<void> {
            beast::flat_buffer buffer;
            for (;;) {
                auto [ec, n] = co_await ws.async_read(buffer, kUseTuple);
                if (ec) {
                    break;
                }
                buffer.consume(buffer.size());
            }
        },
        [link](const std::exception_ptr&) { ReaderFinished(link); }
    );
    WebSocketWriter writer(ws, link, write_timeout);
    co_await RunBody(response, writer);
    if (!link->gone) {
        SocketDeadline deadline(stream, write_timeout);
        co_await ws.async_close(websocket::close_code::normal, kUseTuple);
    }
    co_await Hangup(stream, link);
}

}  // namespace agentos::api::detail
