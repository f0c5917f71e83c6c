#pragma once
/// PgListener: Postgres LISTEN on a dedicated connection and thread, handing each NOTIFY to a callback. This is how
/// servers sharing one database tell each other things (a key was revoked, ...). The `on_state` callback hears
/// whether notifications are flowing: while they are not (connection lost, reconnecting), a cache that relies on
/// them must not serve. Callbacks run on the listener's thread; keep them short and non-blocking.

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace agentos::store {

class PgListener {
public:
    using NotifyHandler = std::function<void(const std::string& channel, const std::string& payload)>;
    using StateHandler = std::function<void(bool listening)>;

    PgListener(std::string dsn, std::vector<std::string> channels, NotifyHandler on_notify, StateHandler on_state);
    ~PgListener();
    PgListener(const PgListener&) = delete;
    PgListener& operator=(const PgListener&) = delete;

    /// Starts the thread; it connects, LISTENs, and reconnects with backoff when the connection drops.
    void Start();

    /// Stops the thread (within about half a second) and reports "not listening".
    void Stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// The channel on which a revoked key's prefix is announced.
inline constexpr const char* kApiKeyChannel = "agentos_api_keys";

}  // namespace agentos::store
