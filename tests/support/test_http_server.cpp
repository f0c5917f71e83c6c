#include "tests/support/test_http_server.hpp"

#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace agentos::testing {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

}  // namespace

std::string RecordedRequest::Header(const std::string& lower_name) const {
    for (const auto& [k, v] : headers) {
        if (k == lower_name) {
            return v;
        }
    }
    return "";
}

struct TestHttpServer::Impl : std::enable_shared_from_this<Impl> {
    asio::io_context ioc;
    tcp::acceptor acceptor{ioc};
    std::thread thread;
    mutable std::mutex mutex;
    Handler handler;
    std::vector<RecordedRequest> requests;
    std::uint16_t port = 0;
    std::size_t connections = 0;

    asio::awaitable<void> Session(tcp::socket socket) {
        beast::tcp_stream stream(std::move(socket));
        beast::flat_buffer buffer;
        for (;;) {
            http::request<http::string_body> req;
            stream.expires_after(std::chrono::seconds(60));
            auto [ec, n] = co_await http::async_read(stream, buffer, req, kUseTuple);
            if (ec) {
                co_return;
            }
            RecordedRequest rec;
            rec.method = std::string(req.method_string());
            rec.target = std::string(req.target());
            for (const auto& f : req) {
                std::string name(f.name_string());
                for (char& c : name) {
                    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                }
                rec.headers.emplace_back(std::move(name), std::string(f.value()));
            }
            rec.body = req.body();
            Handler h;
            {
                const std::lock_guard lock(mutex);
                requests.push_back(rec);
                h = handler;
            }
            TestResponse res = h(rec);
            if (res.delay.count() > 0) {
                asio::steady_timer timer(stream.get_executor(), res.delay);
                co_await timer.async_wait(kUseTuple);
            }
            if (res.hang_up) {
                beast::error_code ignored;
                stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
                stream.socket().close(ignored);
                co_return;
            }
            if (!res.chunks.empty()) {
                http::response<http::empty_body> head{static_cast<http::status>(res.status), 11};
                head.set(http::field::content_type, res.content_type);
                for (const auto& [k, v] : res.headers) {
                    head.set(k, v);
                }
                head.chunked(true);
                head.keep_alive(req.keep_alive() && !res.cut_after_chunks);
                http::response_serializer<http::empty_body> sr{head};
                auto [hec, hn] = co_await http::async_write_header(stream, sr, kUseTuple);
                if (hec) {
                    co_return;
                }
                for (const auto& piece : res.chunks) {
                    if (res.chunk_delay.count() > 0) {
                        asio::steady_timer timer(stream.get_executor(), res.chunk_delay);
                        co_await timer.async_wait(kUseTuple);
                    }
                    if (piece.empty()) {
                        continue;  // a chunk of size 0 would end the body
                    }
                    auto [cec, cn] =
                        co_await asio::async_write(stream, http::make_chunk(asio::buffer(piece)), kUseTuple);
                    if (cec) {
                        co_return;
                    }
                }
                if (res.cut_after_chunks) {
                    beast::error_code ignored;
                    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
                    stream.socket().close(ignored);
                    co_return;
                }
                auto [lec, ln] = co_await asio::async_write(stream, http::make_chunk_last(), kUseTuple);
                if (lec || !req.keep_alive()) {
                    co_return;
                }
                continue;
            }
            http::response<http::string_body> out{static_cast<http::status>(res.status), req.version()};
            out.set(http::field::content_type, res.content_type);
            for (const auto& [k, v] : res.headers) {
                out.set(k, v);
            }
            out.body() = std::move(res.body);
            out.keep_alive(req.keep_alive());
            out.prepare_payload();
            auto [wec, wn] = co_await http::async_write(stream, out, kUseTuple);
            if (wec || !req.keep_alive()) {
                co_return;
            }
        }
    }

    asio::awaitable<void> Accept() {
        for (;;) {
            auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(ioc), kUseTuple);
            if (ec) {
                co_return;
            }
            {
                const std::lock_guard lock(mutex);
                ++connections;
            }
            auto self = shared_from_this();
            auto ex = socket.get_executor();
            asio::co_spawn(ex, self->Session(std::move(socket)), asio::detached);
        }
    }
};

TestHttpServer::TestHttpServer(Handler handler) : impl_(std::make_shared<Impl>()) {
    impl_->handler = std::move(handler);
    const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
    impl_->acceptor.open(ep.protocol());
    impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
    impl_->acceptor.bind(ep);
    impl_->acceptor.listen();
    impl_->port = impl_->acceptor.local_endpoint().port();
    asio::co_spawn(impl_->ioc, impl_->Accept(), asio::detached);
    impl_->thread = std::thread([impl = impl_] { impl->ioc.run(); });
}

TestHttpServer::~TestHttpServer() {
    impl_->ioc.stop();
    impl_->thread.join();
}

std::uint16_t TestHttpServer::port() const {
    return impl_->port;
}

std::string TestHttpServer::url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(impl_->port) + path;
}

std::vector<RecordedRequest> TestHttpServer::requests() const {
    const std::lock_guard lock(impl_->mutex);
    return impl_->requests;
}

std::size_t TestHttpServer::request_count() const {
    const std::lock_guard lock(impl_->mutex);
    return impl_->requests.size();
}

std::size_t TestHttpServer::connection_count() const {
    const std::lock_guard lock(impl_->mutex);
    return impl_->connections;
}

void TestHttpServer::SetHandler(Handler handler) {
    const std::lock_guard lock(impl_->mutex);
    impl_->handler = std::move(handler);
}

}  // namespace agentos::testing
