#include "runtime/store/pg_listener.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include "runtime/store/pg_pool.hpp"

namespace agentos::store {
namespace {

class Receiver final : public pqxx::notification_receiver {
public:
    Receiver(pqxx::connection& c, const std::string& channel, const PgListener::NotifyHandler& handler)
        : pqxx::notification_receiver(c, channel), handler_(handler) {}

    void operator()(const std::string& payload, int /*backend_pid*/) override { handler_(channel(), payload); }

private:
    const PgListener::NotifyHandler& handler_;
};

}  // namespace

struct PgListener::Impl {
    std::string dsn;
    std::vector<std::string> channels;
    NotifyHandler on_notify;
    StateHandler on_state;
    std::atomic<bool> stop{false};
    std::mutex mutex;
    std::condition_variable wake;
    std::thread thread;

    void Loop() {
        auto backoff = std::chrono::milliseconds(100);
        while (!stop) {
            try {
                pqxx::connection c(dsn);
                std::vector<std::unique_ptr<Receiver>> receivers;
                for (const auto& ch : channels) {
                    receivers.push_back(std::make_unique<Receiver>(c, ch, on_notify));
                }
                c.get_notifs();  // LISTEN is sent when the receivers register; make sure it went through
                on_state(true);
                backoff = std::chrono::milliseconds(100);
                while (!stop) {
                    c.await_notification(0, 500'000);
                }
                on_state(false);
                return;
            } catch (const std::exception& e) {
                on_state(false);
                if (stop) {
                    return;
                }
                spdlog::warn("notification listener: {}; reconnecting in {} ms", e.what(), backoff.count());
            }
            std::unique_lock lock(mutex);
            wake.wait_for(lock, backoff, [&] { return stop.load(); });
            backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
        }
    }
};

PgListener::PgListener(
    std::string dsn, std::vector<std::string> channels, NotifyHandler on_notify, StateHandler on_state
)
    : impl_(std::make_unique<Impl>()) {
    impl_->dsn = WithConnectTimeout(dsn, 5);
    impl_->channels = std::move(channels);
    impl_->on_notify = std::move(on_notify);
    impl_->on_state = std::move(on_state);
}

PgListener::~PgListener() {
    Stop();
}

void PgListener::Start() {
    impl_->thread = std::thread([impl = impl_.get()] { impl->Loop(); });
}

void PgListener::Stop() {
    if (!impl_->thread.joinable()) {
        return;
    }
    impl_->stop = true;
    impl_->wake.notify_all();
    impl_->thread.join();
}

}  // namespace agentos::store
