#include "scheduler/schedule_runner.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "runtime/core/error.hpp"
#include "runtime/core/metrics.hpp"
#include "runtime/core/time.hpp"
#include "runtime/run_service.hpp"
#include "runtime/store/agent_repo.hpp"
#include "runtime/store/pg_pool.hpp"
#include "runtime/store/schedule_repo.hpp"
#include "scheduler/cron/cron_expr.hpp"
#include "scheduler/fire_plan.hpp"
#include "scheduler/schedule_service.hpp"

namespace agentos::scheduler {
namespace {

constexpr auto kUseTuple = net::as_tuple(net::use_awaitable);

constexpr const char* kFired = "agentos_schedule_fires_total";
constexpr const char* kSkipped = "agentos_schedule_skipped_total";
constexpr const char* kErrors = "agentos_schedule_errors_total";
constexpr const char* kDelay = "agentos_schedule_fire_delay_seconds";
constexpr const char* kBatchSeconds = "agentos_schedule_fire_transaction_seconds_total";

}  // namespace

struct ScheduleRunner::Impl : std::enable_shared_from_this<ScheduleRunner::Impl> {
    store::PgPool& pool;
    engine::RunService& runs;
    const core::Clock& clock;
    core::Metrics& metrics;
    ScheduleRunnerOptions options;
    std::shared_ptr<net::steady_timer> timer;
    std::atomic<bool> stopping{false};
    std::atomic<bool> wake_pending{false};
    std::chrono::steady_clock::time_point last_prune{};

    Impl(store::PgPool& p, engine::RunService& r, const core::Clock& c, core::Metrics& m, ScheduleRunnerOptions o)
        : pool(p), runs(r), clock(c), metrics(m), options(std::move(o)) {
        metrics.DescribeCounter(kFired, "Scheduled runs made by due schedules on this server.");
        metrics.DescribeCounter(
            kSkipped,
            "Due times this server skipped: missed (beyond catch_up_s), overlap (previous run active), paused."
        );
        metrics.DescribeCounter(kErrors, "Due times whose run could not be made (the fire records why).");
        metrics.DescribeCounter(
            kBatchSeconds, "Wall time of the firing transactions (claim, decide, record, insert runs, commit)."
        );
        metrics.DescribeHistogram(
            kDelay, "From a due time to the commit of its run, in seconds.", {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10}
        );
    }

    /// Decides one claimed schedule at `now`; a run to insert goes to `planned`.
    store::ScheduleFire Decide(
        store::Tx& tx,
        const store::DueSchedule& due,
        core::TimePoint now,
        std::map<std::string, std::optional<store::AgentRecord>>& agents,
        std::vector<engine::PlannedRun>& planned
    ) {
        const store::ScheduleRecord& s = due.schedule;
        store::ScheduleFire f;
        f.schedule_id = s.id;
        std::optional<CronExpr> cron;
        std::optional<cctz::time_zone> tz;
        try {
            cron = CronExpr::Parse(s.definition.cron, "cron");
            tz = LoadTimeZone(s.definition.timezone, "timezone");
        } catch (const core::Error& e) {
            // Checked when saved; a zone gone from this machine's tzdata lands here. It fires no more until fixed.
            f.scheduled_for = s.next_fire_at;
            f.outcome = "error";
            f.error = e.what();
            return f;
        }
        const FirePlan plan = PlanFire(*cron, *tz, *s.next_fire_at, now, std::chrono::seconds(s.definition.catch_up_s));
        f.next_fire_at = plan.next;
        f.missed = plan.missed;
        f.scheduled_for = plan.fire;
        if (!plan.fire) {
            return f;  // every due time passed was missed
        }
        if (s.definition.overlap == "skip" && due.last_run_status && !core::IsTerminal(*due.last_run_status)) {
            f.outcome = "skipped_overlap";
            f.run_id = s.last_run_id;
            return f;
        }
        auto [it, fresh] = agents.try_emplace(s.agent_id);
        if (fresh) {
            it->second = store::AgentRepo(tx).Get(s.workspace_id, s.agent_id);
        }
        if (!it->second) {
            f.outcome = "error";
            f.error = "agent " + s.agent_slug + " no longer exists";
            return f;
        }
        if (it->second->status == "paused") {
            f.outcome = "skipped_paused";
            return f;
        }
        try {
            const nlohmann::json schedule = {
                {"schedule_id", s.id}, {"scheduled_for", core::FormatIso(*plan.fire)}, {"manual", false}};
            auto run = runs.PlanQueued(tx, *it->second, ScheduledRunRequest(s, schedule));
            f.run_id = run.run.id;
            planned.push_back(std::move(run));
        } catch (const core::Error& e) {
            f.outcome = "error";
            f.error = e.what();
        }
        return f;
    }

    /// One batch: claims, decides, records, inserts the runs. Returns how many schedules it claimed.
    net::awaitable<std::size_t> FireBatch(FireReport& report, std::vector<double>& delays) {
        const core::TimePoint now = clock.Now();
        std::size_t claimed = 0;
        std::vector<store::ScheduleFire> decided;
        const auto started = std::chrono::steady_clock::now();
        co_await pool.Transact([&](store::Tx& tx) {
            decided.clear();
            store::ScheduleRepo repo(tx);
            const auto due = repo.ClaimDue(now, options.batch);
            claimed = due.size();
            std::map<std::string, std::optional<store::AgentRecord>> agents;
            std::vector<engine::PlannedRun> planned;
            for (const auto& d : due) {
                decided.push_back(Decide(tx, d, now, agents, planned));
            }
            const auto recorded = repo.Record(decided, options.server_id);
            const std::set<std::string> fresh(recorded.begin(), recorded.end());
            std::erase_if(planned, [&](const engine::PlannedRun& r) { return !fresh.contains(*r.run.schedule_id); });
            runs.InsertQueued(tx, planned);
        });
        const auto committed = clock.Now();
        if (claimed > 0) {
            metrics.Add(
                kBatchSeconds, {}, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()
            );
        }
        for (const auto& f : decided) {
            report.missed += f.missed;
            if (f.missed > 0) {
                metrics.Add(kSkipped, {{"reason", "missed"}}, static_cast<double>(f.missed));
            }
            if (!f.scheduled_for) {
                continue;
            }
            if (f.outcome == "fired") {
                ++report.fired;
                metrics.Add(kFired, {});
                const double delay = std::chrono::duration<double>(committed - *f.scheduled_for).count();
                metrics.Observe(kDelay, {}, delay);
                delays.push_back(delay);
            } else if (f.outcome == "skipped_overlap") {
                ++report.skipped_overlap;
                metrics.Add(kSkipped, {{"reason", "overlap"}});
            } else if (f.outcome == "skipped_paused") {
                ++report.skipped_paused;
                metrics.Add(kSkipped, {{"reason", "paused"}});
            } else {
                ++report.errors;
                metrics.Add(kErrors, {});
                spdlog::warn(
                    "schedule {}: no run for {}: {}",
                    f.schedule_id,
                    core::FormatIso(*f.scheduled_for),
                    f.error.value_or("")
                );
            }
        }
        ++report.batches;
        co_return claimed;
    }

    net::awaitable<FireReport> FireDue() {
        FireReport report;
        std::vector<double> delays;

        // A full batch means a backlog: the workers here wait until it is fired (on 2 cores, running the first
        // batches' runs meanwhile made the last due times fire 2.5x later).
        struct Hold {
            engine::RunService& runs;
            bool held = false;

            void Take() {
                if (!held) {
                    runs.HoldClaims(true);
                    held = true;
                }
            }

            ~Hold() {
                if (held) {
                    runs.HoldClaims(false);
                }
            }
        } hold{runs};

        for (;;) {
            auto batch = FireBatch(report, delays);
            const std::size_t claimed = co_await std::move(batch);
            if (claimed < static_cast<std::size_t>(options.batch) || stopping) {
                break;
            }
            hold.Take();
        }
        co_return report;
    }

    net::awaitable<void> Prune() {
        const auto steady = std::chrono::steady_clock::now();
        if (last_prune != std::chrono::steady_clock::time_point{} && steady - last_prune < std::chrono::hours(1)) {
            co_return;
        }
        last_prune = steady;
        const core::TimePoint before = clock.Now() - options.keep_fires;
        std::int64_t pruned = 0;
        co_await pool.Autocommit([&](store::Tx& tx) { pruned = store::ScheduleRepo(tx).PruneFires(before); });
        if (pruned > 0) {
            spdlog::info("pruned {} schedule fires older than {}", pruned, core::FormatIso(before));
        }
    }

    net::awaitable<void> Loop() {
        auto self = shared_from_this();
        while (!stopping) {
            std::chrono::milliseconds wait = options.max_sleep;
            try {
                auto fire = FireDue();
                co_await std::move(fire);
                std::optional<core::TimePoint> next;
                co_await pool.Autocommit([&](store::Tx& tx) { next = store::ScheduleRepo(tx).NextDue(); });
                if (next) {
                    const auto until = std::chrono::ceil<std::chrono::milliseconds>(*next - clock.Now());
                    // Still due after FireDue: another server holds those rows and is firing them.
                    wait = until.count() <= 0 ? options.busy_retry : std::min(until, options.max_sleep);
                }
                auto prune = Prune();
                co_await std::move(prune);
            } catch (const std::exception& e) {
                spdlog::warn("firing schedules: {}", e.what());
                wait = std::chrono::milliseconds(1000);
            }
            if (wake_pending.exchange(false)) {
                continue;  // a schedule changed while we looked: look again
            }
            timer->expires_after(wait);
            co_await timer->async_wait(kUseTuple);
            wake_pending = false;
        }
    }

    void Wake() {
        auto t = timer;
        if (!t) {
            return;
        }
        wake_pending = true;
        net::post(t->get_executor(), [t] { t->cancel(); });
    }
};

ScheduleRunner::ScheduleRunner(
    store::PgPool& pool,
    engine::RunService& runs,
    const core::Clock& clock,
    core::Metrics& metrics,
    ScheduleRunnerOptions options
)
    : impl_(std::make_shared<Impl>(pool, runs, clock, metrics, std::move(options))) {}

ScheduleRunner::~ScheduleRunner() {
    Stop();
}

net::awaitable<FireReport> ScheduleRunner::FireDue() {
    auto fire = impl_->FireDue();
    co_return co_await std::move(fire);
}

void ScheduleRunner::Start(net::io_context& ioc) {
    auto strand = net::make_strand(ioc.get_executor());
    impl_->timer = std::make_shared<net::steady_timer>(strand);
    net::co_spawn(strand, impl_->Loop(), [](const std::exception_ptr& e) {
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                spdlog::error("schedule loop stopped: {}", ex.what());
            }
        }
    });
}

void ScheduleRunner::Stop() {
    impl_->stopping = true;
    impl_->Wake();
}

void ScheduleRunner::Wake() {
    impl_->Wake();
}

}  // namespace agentos::scheduler
