#pragma once
/// ScheduleRunner: the firing loop every server runs. It sleeps until the earliest next_fire_at of any enabled schedule
/// (or until a schedule changes: NOTIFY agentos_schedules), then fires what is due in batches: each batch is one
/// transaction that locks due schedules no other server holds (SKIP LOCKED), records each decision under the unique
/// key (schedule_id, scheduled_for), moves next_fire_at on and inserts the queued runs. Two servers therefore never
/// fire one due time twice, and a server that dies mid-batch leaves its due times due for the others. The runs are
/// started by any server's queue workers. Thread-safe.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "runtime/net/asio.hpp"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace agentos::core {
class Clock;
class Metrics;
}  // namespace agentos::core

namespace agentos::store {
class PgPool;
}  // namespace agentos::store

namespace agentos::engine {
class RunService;
}  // namespace agentos::engine

namespace agentos::scheduler {

struct ScheduleRunnerOptions {
    std::string server_id;                        ///< recorded with each fire
    int batch = 200;                              ///< schedules fired per transaction
    std::chrono::milliseconds max_sleep{60'000};  ///< a safety net: look again at least this often
    std::chrono::milliseconds busy_retry{100};    ///< due rows held by another server: look again after this
    std::chrono::hours keep_fires{24 * 7};        ///< fire rows older than this are pruned (hourly)
};

/// What one FireDue call did.
struct FireReport {
    std::int64_t fired = 0;
    std::int64_t skipped_overlap = 0;
    std::int64_t skipped_paused = 0;
    std::int64_t errors = 0;
    std::int64_t missed = 0;  ///< due times skipped as missed (beyond the catch-up window)
    std::int64_t batches = 0;
};

class ScheduleRunner {
public:
    ScheduleRunner(
        store::PgPool& pool,
        engine::RunService& runs,
        const core::Clock& clock,
        core::Metrics& metrics,
        ScheduleRunnerOptions options
    );
    ~ScheduleRunner();
    ScheduleRunner(const ScheduleRunner&) = delete;
    ScheduleRunner& operator=(const ScheduleRunner&) = delete;

    /// Fires every schedule due at the clock's now that no other server holds. The loop calls it; so do tests with
    /// a manual clock.
    net::awaitable<FireReport> FireDue();

    /// Starts the loop on `ioc`.
    void Start(net::io_context& ioc);

    /// Stops the loop (a batch in flight finishes).
    void Stop();

    /// A schedule changed somewhere: recompute when to wake. Thread-safe; called from the NOTIFY listener.
    void Wake();

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace agentos::scheduler
