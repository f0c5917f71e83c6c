#include "runtime/events/subscription.hpp"

#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace agentos::events {

struct Subscription::Waiter {
    explicit Waiter(const net::any_io_executor& executor) : timer(executor) {}

    net::steady_timer timer;
};

Subscription::Subscription(std::size_t max_bytes) : max_bytes_(max_bytes) {}

Subscription::~Subscription() = default;

void Subscription::Push(LiveItemPtr item) {
    std::unique_lock lock(mutex_);
    if (closed_ || overflowed_) {
        return;
    }
    bytes_ += item->bytes;
    queue_.push_back(std::move(item));
    if (bytes_ > max_bytes_) {
        overflowed_ = true;
        queue_.clear();
        bytes_ = 0;
        auto callback = on_overflow_;
        Wake(lock);  // unlocks
        if (callback) {
            callback();
        }
        return;
    }
    Wake(lock);
}

void Subscription::Close() {
    std::unique_lock lock(mutex_);
    if (closed_) {
        return;
    }
    closed_ = true;
    Wake(lock);
}

void Subscription::OnOverflow(std::function<void()> callback) {
    const std::lock_guard lock(mutex_);
    on_overflow_ = std::move(callback);
}

bool Subscription::closed() const {
    const std::lock_guard lock(mutex_);
    return closed_;
}

bool Subscription::overflowed() const {
    const std::lock_guard lock(mutex_);
    return overflowed_;
}

// The consumer's timer lives on the consumer's strand; the wake is posted there, so it runs only while the consumer
// is suspended (in its wait, or elsewhere, in which case it finds the queue at its next Next).
void Subscription::Wake(std::unique_lock<std::mutex>& lock) {
    if (!waiting_ || wake_posted_ || !waiter_) {
        lock.unlock();
        return;
    }
    wake_posted_ = true;
    auto waiter = waiter_;
    auto self = shared_from_this();
    lock.unlock();
    net::post(waiter->timer.get_executor(), [self, waiter] {
        waiter->timer.cancel();
        const std::lock_guard relock(self->mutex_);
        self->wake_posted_ = false;
    });
}

std::vector<LiveItemPtr> Subscription::TakeLocked() {
    std::vector<LiveItemPtr> out(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
    queue_.clear();
    bytes_ = 0;
    return out;
}

net::awaitable<std::vector<LiveItemPtr>> Subscription::Next(std::chrono::milliseconds timeout) {
    const auto executor = co_await net::this_coro::executor;
    std::shared_ptr<Waiter> waiter;
    {
        const std::lock_guard lock(mutex_);
        if (!queue_.empty() || closed_ || overflowed_) {
            co_return TakeLocked();
        }
        if (!waiter_) {
            waiter_ = std::make_shared<Waiter>(executor);
        }
        waiter = waiter_;
        waiting_ = true;
    }
    waiter->timer.expires_after(timeout);
    co_await waiter->timer.async_wait(net::as_tuple(net::use_awaitable));
    const std::lock_guard lock(mutex_);
    waiting_ = false;
    co_return TakeLocked();
}

}  // namespace agentos::events
