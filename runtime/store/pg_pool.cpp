#include "runtime/store/pg_pool.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <unordered_set>
#include <vector>

#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "runtime/core/error.hpp"
#include "runtime/store/pg.hpp"

namespace agentos::store {
namespace {

constexpr int kMaxAttempts = 3;

struct Slot {
    std::unique_ptr<pqxx::connection> connection;
    std::unordered_set<std::string> prepared;
};

}  // namespace

struct PgPool::Impl {
    std::string dsn;
    std::size_t size;
    net::thread_pool threads;
    mutable std::mutex mutex;
    std::condition_variable slot_freed;
    std::vector<std::unique_ptr<Slot>> free_slots;
    std::atomic<std::size_t> in_use{0};
    /// Transactions submitted and not finished. Shared: a coroutine suspended in Submit can be destroyed after the
    /// pool (its io_context outlives the pool at shutdown), and its frame must not touch a destroyed pool then.
    std::shared_ptr<std::atomic<std::size_t>> pending = std::make_shared<std::atomic<std::size_t>>(0);
    std::atomic<bool> stopped{false};

    Impl(std::string d, std::size_t n) : dsn(std::move(d)), size(n), threads(n) {
        for (std::size_t i = 0; i < n; ++i) {
            free_slots.push_back(std::make_unique<Slot>());
        }
    }

    std::unique_ptr<Slot> Acquire() {
        std::unique_lock lock(mutex);
        slot_freed.wait(lock, [&] { return !free_slots.empty(); });
        auto slot = std::move(free_slots.back());
        free_slots.pop_back();
        return slot;
    }

    void Release(std::unique_ptr<Slot> slot) {
        {
            const std::lock_guard lock(mutex);
            free_slots.push_back(std::move(slot));
        }
        slot_freed.notify_one();
    }

    void Run(const std::function<void(Tx&)>& fn, bool autocommit) {
        if (stopped) {
            throw core::Error(core::ErrorCode::kUnavailable, "the server is shutting down");
        }
        auto slot = Acquire();
        ++in_use;

        struct Guard {
            Impl* impl;
            std::unique_ptr<Slot>* slot;

            ~Guard() {
                --impl->in_use;
                impl->Release(std::move(*slot));
            }
        } guard{this, &slot};

        for (int attempt = 1;; ++attempt) {
            try {
                RunOnce(*slot, fn, autocommit);
                return;
            } catch (const pqxx::serialization_failure& e) {
                if (attempt >= kMaxAttempts) {
                    throw core::Error(
                        core::ErrorCode::kConflict, "the database kept refusing a concurrent update; retry"
                    );
                }
            } catch (const pqxx::deadlock_detected& e) {
                if (attempt >= kMaxAttempts) {
                    throw core::Error(core::ErrorCode::kConflict, "the database kept detecting a deadlock; retry");
                }
            }
        }
    }

    void RunOnce(Slot& slot, const std::function<void(Tx&)>& fn, bool autocommit) {
        try {
            if (!slot.connection || !slot.connection->is_open()) {
                slot.connection.reset();
                slot.prepared.clear();
                slot.connection = std::make_unique<pqxx::connection>(dsn);
            }
            if (autocommit) {
                pqxx::nontransaction work(*slot.connection);
                Tx tx(*slot.connection, work, slot.prepared, true);
                fn(tx);
            } else {
                pqxx::work work(*slot.connection);
                Tx tx(*slot.connection, work, slot.prepared, false);
                fn(tx);
                work.commit();
            }
        } catch (const core::Error&) {
            throw;
        } catch (const pqxx::broken_connection& e) {
            slot.connection.reset();
            slot.prepared.clear();
            spdlog::warn("database connection lost: {}", e.what());
            throw core::Error(core::ErrorCode::kUnavailable, "the database is unavailable; retry later");
        } catch (const pqxx::serialization_failure&) {
            throw;
        } catch (const pqxx::deadlock_detected&) {
            throw;
        } catch (const pqxx::unique_violation& e) {
            spdlog::warn("unique violation not handled by its repository: {}", e.what());
            throw core::Error(core::ErrorCode::kConflict, "the object already exists");
        } catch (const pqxx::data_exception& e) {
            // Validation at the edge should have caught this; answer 400 rather than 500, and log it to fix.
            spdlog::warn("data exception reached the database: {}", e.what());
            throw core::Error(core::ErrorCode::kValidation, "invalid value: " + std::string(e.what()));
        } catch (const pqxx::sql_error& e) {
            spdlog::error("sql error: {} (query: {})", e.what(), e.query());
            throw core::Error(core::ErrorCode::kInternal, "database error");
        }
    }
};

PgPool::PgPool(std::string dsn, std::size_t size)
    : impl_(std::make_unique<Impl>(WithConnectTimeout(dsn, 5), size == 0 ? 1 : size)) {}

PgPool::~PgPool() {
    Stop();
}

// Plain functions (not coroutines) handing over to Submit: no second frame, no parameter moved between frames.
net::awaitable<void> PgPool::Transact(std::function<void(Tx&)> fn) {
    return Submit(std::move(fn), false);
}

net::awaitable<void> PgPool::Autocommit(std::function<void(Tx&)> fn) {
    return Submit(std::move(fn), true);
}

net::awaitable<void> PgPool::Submit(std::function<void(Tx&)> fn, bool autocommit) {
    Impl* impl = impl_.get();

    struct Pending {
        std::shared_ptr<std::atomic<std::size_t>> count;

        explicit Pending(std::shared_ptr<std::atomic<std::size_t>> c) : count(std::move(c)) { ++*count; }

        ~Pending() { --*count; }

        Pending(const Pending&) = delete;
        Pending& operator=(const Pending&) = delete;
    } pending{impl->pending};

    std::exception_ptr error;
    // The job runs on a pool thread; the completion is posted back to this coroutine's executor (its strand),
    // holding outstanding work on it meanwhile. Every capture is a pointer: g++ 12 mishandles lambda temporaries
    // that own resources inside co_await expressions (seen as a double free under ASan), so none is owned here.
    const std::function<void(Tx&)>* job = &fn;
    std::exception_ptr* out = &error;
    co_await net::async_initiate<const net::use_awaitable_t<>&, void()>(
        [impl, job, out, autocommit](auto handler) {
            auto work = net::prefer(net::get_associated_executor(handler), net::execution::outstanding_work.tracked);
            net::post(
                impl->threads,
                [impl, job, out, autocommit, work = std::move(work), handler = std::move(handler)]() mutable {
                    try {
                        impl->Run(*job, autocommit);
                    } catch (...) {
                        *out = std::current_exception();
                    }
                    net::post(work, std::move(handler));
                }
            );
        },
        net::use_awaitable
    );
    if (error) {
        std::rethrow_exception(error);
    }
}

void PgPool::TransactBlocking(const std::function<void(Tx&)>& fn) {
    RunBlocking(fn, false);
}

void PgPool::AutocommitBlocking(const std::function<void(Tx&)>& fn) {
    RunBlocking(fn, true);
}

void PgPool::RunBlocking(const std::function<void(Tx&)>& fn, bool autocommit) {
    ++*impl_->pending;

    struct Pending {
        std::atomic<std::size_t>& count;

        ~Pending() { --count; }
    } pending{*impl_->pending};

    impl_->Run(fn, autocommit);
}

net::awaitable<void> PgPool::Ping() {
    co_await Autocommit([](Tx& tx) { tx.ExecRaw("SELECT 1"); });
}

PoolStats PgPool::Stats() const {
    PoolStats s;
    s.size = impl_->size;
    s.in_use = impl_->in_use.load();
    s.idle = s.size - std::min(s.size, s.in_use);
    const std::size_t pending = impl_->pending->load();
    s.waiting = pending > s.in_use ? pending - s.in_use : 0;
    return s;
}

const std::string& PgPool::dsn() const {
    return impl_->dsn;
}

void PgPool::Stop() {
    if (impl_->stopped.exchange(true)) {
        return;
    }
    impl_->threads.join();
    const std::lock_guard lock(impl_->mutex);
    for (auto& slot : impl_->free_slots) {
        slot->connection.reset();
    }
}

std::string WithConnectTimeout(const std::string& dsn, int seconds) {
    if (dsn.find("connect_timeout") != std::string::npos) {
        return dsn;
    }
    const bool uri = dsn.rfind("postgres://", 0) == 0 || dsn.rfind("postgresql://", 0) == 0;
    if (uri) {
        return dsn + (dsn.find('?') == std::string::npos ? "?" : "&") + "connect_timeout=" + std::to_string(seconds);
    }
    return dsn + (dsn.empty() ? "" : " ") + "connect_timeout=" + std::to_string(seconds);
}

}  // namespace agentos::store
