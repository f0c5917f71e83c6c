#pragma once
/// The project's own request and response types: what handlers and middleware see instead of Beast's.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/core/principal.hpp"
#include "runtime/net/asio.hpp"

namespace agentos::api {

struct Request {
    std::string method;                                        ///< "GET", "POST", ...
    std::string target;                                        ///< as sent: path and query
    std::string path;                                          ///< percent-decoded path, no query
    std::vector<std::pair<std::string, std::string>> query;    ///< decoded, in order
    std::vector<std::pair<std::string, std::string>> headers;  ///< names lower-cased
    std::string body;
    std::string request_id;
    std::map<std::string, std::string> path_params;  ///< filled by the router (":id" → value)
    std::string route;                               ///< the matched route pattern, for metrics
    std::optional<core::Principal> principal;        ///< set by auth for protected routes

    std::optional<std::string_view> Header(std::string_view lower_name) const;
    std::optional<std::string> QueryParam(std::string_view name) const;

    const std::string& Param(const std::string& name) const { return path_params.at(name); }

    /// The authenticated caller; only valid on protected routes.
    const core::Principal& Who() const { return *principal; }
};

/// One frame of a live stream: written as SSE (`id:`, `event:`, `data:` lines) or as one WebSocket text message
/// `{"id", "event", "data"}`.
struct StreamMessage {
    std::string id;  ///< empty: no id line
    std::string event;
    std::string data;  ///< JSON text
};

/// What a streaming handler writes to; the server implements it for SSE and WebSocket. Used on the connection's
/// strand only, except Abort.
class StreamWriter {
public:
    virtual ~StreamWriter() = default;
    /// Writes the frames; false when the client is gone or did not take them in time.
    virtual net::awaitable<bool> Write(std::vector<StreamMessage> frames) = 0;
    /// Keeps proxies (and our view of the client) alive: `: ping` / a WebSocket ping.
    virtual net::awaitable<bool> Ping() = 0;
    /// `callback` runs (on the connection's strand) when the client closes its side.
    virtual void OnClientGone(std::function<void()> callback) = 0;
    /// A callable that closes the connection from any thread (a client that fell too far behind).
    virtual std::function<void()> Aborter() = 0;
};

enum class StreamKind { kNone, kSse, kWebSocket };

using StreamBody = std::function<net::awaitable<void>(StreamWriter&)>;

struct Response {
    int status = 200;
    std::string content_type = "application/json";
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    /// A live stream instead of a body: the server sends the headers (SSE) or completes the WebSocket handshake,
    /// then runs `stream` until it returns.
    StreamKind stream_kind = StreamKind::kNone;
    StreamBody stream;

    /// {"data": data, "error": null}
    static Response Data(const nlohmann::json& data, int status = 200);
    static Response Text(std::string body, std::string content_type, int status = 200);
    static Response Stream(StreamKind kind, StreamBody body);

    void SetHeader(std::string name, std::string value);
};

/// Splits "a=1&b=x%20y" into decoded pairs ('+' is a space).
std::vector<std::pair<std::string, std::string>> ParseQuery(std::string_view query);

/// Percent-decodes; nullopt on a malformed escape.
std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space);

}  // namespace agentos::api
