#include "runtime/net/http_client.hpp"

#include <map>
#include <mutex>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include "runtime/core/error.hpp"

namespace agentos::outbound {
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kUseTuple = net::as_tuple(net::use_awaitable);
constexpr std::uint32_t kHeaderLimit = 64 * 1024;
constexpr std::size_t kPieceBytes = 16 * 1024;  ///< a streamed body is handed on in pieces of at most this

/// How far one exchange got: whether any response bytes arrived (a reused connection that fails before that may be
/// retried on a new one), and whether the connection may be reused after it.
struct Progress {
    bool got_bytes = false;
    bool keep_alive = false;
};

void DiscardBody(std::string_view /*bytes*/) {}

/// The status and headers (names lower-cased) of a response.
template <class Message>
HttpResponse Head(const Message& res) {
    HttpResponse out;
    out.status = static_cast<int>(res.result_int());
    for (const auto& f : res) {
        std::string name(f.name_string());
        for (char& ch : name) {
            ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        }
        out.headers.emplace_back(std::move(name), std::string(f.value()));
    }
    return out;
}

struct Target {
    bool tls = false;
    std::string host;  ///< without IPv6 brackets
    std::uint16_t port = 80;
    std::string target;       ///< path and query
    std::string host_header;  ///< host[:port] as the Host header wants it
};

Target ParseTarget(const std::string& url) {
    const auto parsed = boost::urls::parse_absolute_uri(url);
    if (!parsed) {
        throw core::Error::Validation("url", "not a URL: " + url.substr(0, 200));
    }
    Target t;
    const auto scheme = parsed->scheme_id();
    if (scheme != boost::urls::scheme::http && scheme != boost::urls::scheme::https) {
        throw core::Error::Validation("url", "only http and https URLs are supported");
    }
    t.tls = scheme == boost::urls::scheme::https;
    t.host = std::string(parsed->host_name().empty() ? parsed->encoded_host_address() : parsed->encoded_host_name());
    if (parsed->host_type() == boost::urls::host_type::ipv6) {
        t.host = std::string(parsed->encoded_host_address());
    }
    if (t.host.empty()) {
        throw core::Error::Validation("url", "has no host");
    }
    t.port = parsed->has_port() ? parsed->port_number() : (t.tls ? 443 : 80);
    t.target = std::string(parsed->encoded_target());
    if (t.target.empty() || t.target.front() != '/') {
        t.target.insert(0, "/");
    }
    t.host_header = std::string(parsed->encoded_host_and_port());
    return t;
}

/// One connection, plain or TLS, with the time it went back to the pool.
struct Connection {
    bool tls = false;
    std::unique_ptr<beast::tcp_stream> plain;
    std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> secure;
    Clock::time_point idle_since;

    beast::tcp_stream& Lowest() { return tls ? beast::get_lowest_layer(*secure) : *plain; }
};

TransportError FromCode(const beast::error_code& ec, const std::string& what) {
    if (ec == beast::error::timeout) {
        return {TransportError::Kind::kTimeout, what + ": timed out"};
    }
    if (ec == http::error::body_limit) {
        return {TransportError::Kind::kTooLarge, what + ": response body too large"};
    }
    if (ec.category() == net::error::get_ssl_category() || ec.category() == ssl::error::get_stream_category()) {
        return {TransportError::Kind::kTls, what + ": TLS: " + ec.message()};
    }
    return {TransportError::Kind::kProtocol, what + ": " + ec.message()};
}

std::chrono::milliseconds Left(Clock::time_point deadline) {
    return std::max(
        std::chrono::milliseconds(1), std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now())
    );
}

}  // namespace

std::optional<std::string> HttpResponse::Header(std::string_view lower_name) const {
    for (const auto& [k, v] : headers) {
        if (k == lower_name) {
            return v;
        }
    }
    return std::nullopt;
}

struct HttpClient::Impl {
    HttpClientOptions options;
    ssl::context tls{ssl::context::tls_client};
    std::mutex mutex;
    std::map<std::string, std::vector<std::unique_ptr<Connection>>> idle;

    explicit Impl(HttpClientOptions o) : options(std::move(o)) {
        tls.set_default_verify_paths();
        if (!options.ca_file.empty()) {
            tls.load_verify_file(options.ca_file);
        }
        tls.set_verify_mode(ssl::verify_peer);
    }

    std::unique_ptr<Connection> TakeIdle(const std::string& key) {
        const std::lock_guard lock(mutex);
        auto it = idle.find(key);
        while (it != idle.end() && !it->second.empty()) {
            auto c = std::move(it->second.back());
            it->second.pop_back();
            if (Clock::now() - c->idle_since < options.idle_timeout) {
                return c;
            }
        }
        return nullptr;
    }

    void PutIdle(const std::string& key, std::unique_ptr<Connection> c) {
        const auto now = Clock::now();
        c->idle_since = now;
        const std::lock_guard lock(mutex);
        // Drop what has expired everywhere, and hosts left with nothing: http_fetch reaches many hosts once, and
        // their sockets must not stay open for the life of the process.
        for (auto it = idle.begin(); it != idle.end();) {
            auto& conns = it->second;
            std::erase_if(conns, [&](const auto& conn) { return now - conn->idle_since >= options.idle_timeout; });
            it = conns.empty() ? idle.erase(it) : std::next(it);
        }
        auto& list = idle[key];
        if (list.size() < options.max_idle_per_host) {
            list.push_back(std::move(c));
        }
    }

    net::awaitable<std::unique_ptr<Connection>> Connect(
        const Target& t, const std::optional<std::string>& address, Clock::time_point deadline
    ) {
        auto executor = co_await net::this_coro::executor;
        auto c = std::make_unique<Connection>();
        c->tls = t.tls;
        if (t.tls) {
            c->secure = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(executor, tls);
        } else {
            c->plain = std::make_unique<beast::tcp_stream>(executor);
        }
        std::vector<tcp::endpoint> endpoints;
        if (address) {
            beast::error_code ec;
            const auto ip = net::ip::make_address(*address, ec);
            if (ec) {
                throw TransportError(TransportError::Kind::kConnect, "bad connect address " + *address);
            }
            endpoints.emplace_back(ip, t.port);
        } else {
            tcp::resolver resolver(executor);
            auto [ec, results] = co_await resolver.async_resolve(t.host, std::to_string(t.port), kUseTuple);
            if (ec) {
                throw TransportError(TransportError::Kind::kConnect, "cannot resolve " + t.host + ": " + ec.message());
            }
            for (const auto& r : results) {
                endpoints.push_back(r.endpoint());
            }
        }
        auto& lowest = c->Lowest();
        lowest.expires_after(std::min(options.connect_timeout, Left(deadline)));
        auto [cec, ep] = co_await lowest.async_connect(endpoints, kUseTuple);
        if (cec) {
            if (cec == beast::error::timeout) {
                throw TransportError(
                    TransportError::Kind::kTimeout,
                    "connect to " + t.host + ":" + std::to_string(t.port) + ": timed out"
                );
            }
            throw TransportError(
                TransportError::Kind::kConnect,
                "connect to " + t.host + ":" + std::to_string(t.port) + ": " + cec.message()
            );
        }
        {
            beast::error_code ignored;  // a request is one write, but a streamed answer's ACKs must not wait
            lowest.socket().set_option(net::ip::tcp::no_delay(true), ignored);
        }
        if (t.tls) {
            // SNI; SSL_set_tlsext_host_name is a macro with a C cast, so call what it expands to.
            if (SSL_ctrl(
                    c->secure->native_handle(),
                    SSL_CTRL_SET_TLSEXT_HOSTNAME,
                    TLSEXT_NAMETYPE_host_name,
                    const_cast<char*>(t.host.c_str())  // NOLINT: OpenSSL's signature; it copies the name
                ) != 1) {
                throw TransportError(TransportError::Kind::kTls, "cannot set the TLS server name for " + t.host);
            }
            c->secure->set_verify_callback(ssl::host_name_verification(t.host));
            lowest.expires_after(Left(deadline));
            auto [hec] = co_await c->secure->async_handshake(ssl::stream_base::client, kUseTuple);
            if (hec) {
                throw FromCode(hec, "TLS handshake with " + t.host);
            }
        }
        co_return c;
    }

    /// One exchange on `c`, handing a 2xx body to `on_body` as it arrives; any other body, or every body when
    /// `on_body` is empty, is kept in the response.
    template <class Stream>
    net::awaitable<HttpResponse> Exchange(
        Stream& stream,
        beast::tcp_stream& lowest,
        http::request<http::string_body>& req,
        const HttpRequest& r,
        Clock::time_point deadline,
        const BodySink& on_body,
        Progress& progress
    ) {
        lowest.expires_after(Left(deadline));
        auto [wec, wn] = co_await http::async_write(stream, req, kUseTuple);
        if (wec) {
            throw FromCode(wec, r.method + " " + r.url);
        }
        beast::flat_buffer buffer;
        http::response_parser<http::buffer_body> parser;
        parser.body_limit(r.max_body_bytes);  // a stream too: the whole answer, as Send would have kept it
        parser.header_limit(kHeaderLimit);
        lowest.expires_after(Left(deadline));
        auto [hec, hn] = co_await http::async_read_header(stream, buffer, parser, kUseTuple);
        progress.got_bytes = hn > 0 || buffer.size() > 0;
        if (hec) {
            throw FromCode(hec, r.method + " " + r.url);
        }
        HttpResponse out = Head(parser.get());
        const bool stream_body = on_body && out.status >= 200 && out.status < 300;
        std::string piece(kPieceBytes, '\0');
        while (!parser.is_done()) {
            parser.get().body().data = piece.data();
            parser.get().body().size = piece.size();
            lowest.expires_after(Left(deadline));
            // read_some, not read: it returns as soon as some bytes are parsed, so each piece is handed on at once.
            auto [ec, n] = co_await http::async_read_some(stream, buffer, parser, kUseTuple);
            if (ec && ec != http::error::need_buffer) {
                throw FromCode(ec, r.method + " " + r.url);
            }
            const std::size_t got = piece.size() - parser.get().body().size;
            if (got == 0) {
                continue;  // a chunk header, or the end of the body
            }
            if (stream_body) {
                on_body(std::string_view(piece.data(), got));
            } else {
                out.body.append(piece.data(), got);
            }
        }
        progress.keep_alive = parser.get().keep_alive();
        co_return out;
    }

    /// Send and SendStreaming: one request, on a pooled connection when there is one. `on_body` empty: read the
    /// whole body.
    static net::awaitable<HttpResponse> Run(std::shared_ptr<Impl> impl, HttpRequest request, BodySink on_body) {
        const Target t = ParseTarget(request.url);
        const auto deadline = Clock::now() + request.timeout;
        const std::string key = (t.tls ? "https://" : "http://") + t.host + ":" + std::to_string(t.port) + "@" +
                                request.connect_address.value_or("");
        http::request<http::string_body> req{http::string_to_verb(request.method), t.target, 11};
        req.set(http::field::host, t.host_header);
        req.set(http::field::user_agent, "agentos/0.1");
        for (const auto& [k, v] : request.headers) {
            req.set(k, v);
        }
        if (!request.body.empty() || request.method == "POST" || request.method == "PUT" || request.method == "PATCH") {
            req.body() = request.body;
        }
        req.keep_alive(true);
        req.prepare_payload();

        for (int attempt = 0; attempt < 2; ++attempt) {
            std::unique_ptr<Connection> c = attempt == 0 ? impl->TakeIdle(key) : nullptr;
            const bool reused = c != nullptr;
            if (!c) {
                c = co_await impl->Connect(t, request.connect_address, deadline);
            }
            Progress progress;
            try {
                // Not `tls ? co_await … : co_await …`: g++ 12 miscompiles co_await in both arms of ?: (a corrupted
                // result, seen under ASan as a use-after-free).
                HttpResponse res;
                if (c->tls) {
                    res = co_await impl->Exchange(*c->secure, c->Lowest(), req, request, deadline, on_body, progress);
                } else {
                    res = co_await impl->Exchange(*c->plain, c->Lowest(), req, request, deadline, on_body, progress);
                }
                if (progress.keep_alive) {
                    impl->PutIdle(key, std::move(c));
                }
                co_return res;
            } catch (const TransportError& e) {
                // A pooled connection the server had already closed: try once more on a new one.
                if (!reused || progress.got_bytes || e.kind() == TransportError::Kind::kTimeout) {
                    throw;
                }
            }
        }
        throw TransportError(TransportError::Kind::kProtocol, request.method + " " + request.url + ": no response");
    }
};

HttpClient::HttpClient(HttpClientOptions options) : impl_(std::make_shared<Impl>(std::move(options))) {}

HttpClient::~HttpClient() = default;

net::awaitable<HttpResponse> HttpClient::Send(HttpRequest request) {
    auto run = Impl::Run(impl_, std::move(request), {});
    co_return co_await std::move(run);
}

net::awaitable<HttpResponse> HttpClient::SendStreaming(HttpRequest request, BodySink on_body) {
    if (!on_body) {
        on_body = DiscardBody;  // an empty sink would mean Send's whole-body read
    }
    auto run = Impl::Run(impl_, std::move(request), std::move(on_body));
    co_return co_await std::move(run);
}

net::awaitable<std::vector<std::string>> HttpClient::Resolve(std::string host, std::uint16_t port) {
    auto executor = co_await net::this_coro::executor;
    tcp::resolver resolver(executor);
    auto [ec, results] = co_await resolver.async_resolve(host, std::to_string(port), kUseTuple);
    if (ec) {
        throw TransportError(TransportError::Kind::kConnect, "cannot resolve " + host + ": " + ec.message());
    }
    std::vector<std::string> out;
    for (const auto& r : results) {
        out.push_back(r.endpoint().address().to_string());
    }
    co_return out;
}

}  // namespace agentos::outbound
