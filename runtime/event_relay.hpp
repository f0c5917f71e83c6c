#pragma once
/// EventRelay: brings every stored event to this server's live listeners, whichever server (or ingest request)
/// wrote it. Each statement that stores events NOTIFYs "<workspace> <run> <first> <last>" on agentos_events (a
/// trigger, migration 0004); the relay reads the announced events once, with the run's state, and hands them to
/// the LiveHub — only for runs someone here listens to. Notifications lost while the listener reconnects are
/// found by the followers themselves: `epoch()` changes on every reconnect, and a follower that sees it change
/// reads the store again.

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include "runtime/events/live_hub.hpp"
#include "runtime/events/live_item.hpp"
#include "runtime/net/asio.hpp"
#include "runtime/store/event_repo.hpp"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace agentos::store {
class PgPool;
}  // namespace agentos::store

namespace agentos::engine {

inline constexpr const char* kEventsChannel = "agentos_events";

class EventRelay {
public:
    EventRelay(store::PgPool& pool, events::LiveHub& hub);

    void Start(net::io_context& ioc);

    /// A notification on kEventsChannel (listener thread).
    void OnNotify(const std::string& payload);
    /// The listener's state (listener thread): every change starts a new epoch.
    void SetListening(bool listening);

    std::uint64_t epoch() const { return epoch_.load(); }

private:
    struct Announced {
        std::string workspace_id;
        std::string run_id;
        std::int64_t first = 0;
        std::int64_t last = 0;
    };

    /// Relays the announced ranges one at a time, in the order they were announced (commit order): a child run's
    /// events reach its parent's stream before the parent's own later ones, which concurrent reads did not ensure.
    net::awaitable<void> Drain();

    net::awaitable<void> Relay(std::string workspace_id, std::string run_id, std::int64_t first, std::int64_t last);

    store::PgPool& pool_;
    events::LiveHub& hub_;
    net::io_context* ioc_ = nullptr;
    std::atomic<std::uint64_t> epoch_{0};
    std::mutex mutex_;
    std::deque<Announced> pending_;  ///< guarded by mutex_
    bool draining_ = false;          ///< guarded by mutex_: a Drain is running
};

/// What a follower needs of a run that has stopped (output, error_message, session_id).
nlohmann::json RunEnding(const store::RunFeedPage& page);

/// The live item of a stored event of a run read in `page`.
events::LiveItemPtr ToLiveItem(
    const std::string& workspace_id,
    const std::string& run_id,
    const store::RunFeedPage& page,
    const store::EventRecord& event
);

}  // namespace agentos::engine
