#pragma once
/// Subscription: one listener's queue of live items, bounded in bytes. Publishers push from any thread; the one
/// consumer coroutine awaits Next() on its own strand. A consumer too slow to keep up never grows memory past the
/// cap: the queue is dropped and the subscription marked overflowed, and the consumer ends its stream (its client
/// resumes from the last id it got).

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "runtime/events/live_item.hpp"
#include "runtime/net/asio.hpp"

namespace agentos::events {

class Subscription : public std::enable_shared_from_this<Subscription> {
public:
    explicit Subscription(std::size_t max_bytes);
    ~Subscription();
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;

    /// Producer side, any thread. Dropped once closed or overflowed.
    void Push(LiveItemPtr item);
    /// Ends the subscription: Next returns at once from now on (the client went away, the hub shut down).
    void Close();
    /// Called (on a publisher's thread) when the queue overflows: lets the consumer's connection be cut even while
    /// it is blocked writing to a client that does not read.
    void OnOverflow(std::function<void()> callback);

    /// Consumer side: the items queued so far, waiting up to `timeout` for the first. Empty: timed out, closed or
    /// overflowed. Must be awaited from one coroutine at a time.
    net::awaitable<std::vector<LiveItemPtr>> Next(std::chrono::milliseconds timeout);

    bool closed() const;
    bool overflowed() const;

private:
    struct Waiter;

    std::vector<LiveItemPtr> TakeLocked();
    void Wake(std::unique_lock<std::mutex>& lock);

    const std::size_t max_bytes_;
    mutable std::mutex mutex_;
    std::deque<LiveItemPtr> queue_;
    std::size_t bytes_ = 0;
    bool closed_ = false;
    bool overflowed_ = false;
    std::function<void()> on_overflow_;
    std::shared_ptr<Waiter> waiter_;  ///< the consumer's timer, made on its executor at its first wait
    bool waiting_ = false;
    bool wake_posted_ = false;
};

}  // namespace agentos::events
