#pragma once
/// ScheduleService: what the schedules API does (create, list, read, change, delete, enable, disable, trigger a
/// schedule, list its runs and fires), with the workspace and agent-key scope of every call. Each write announces
/// the change to every server's firing loop (ScheduleRepo::NotifyChanged) in its transaction. The firing itself is
/// the firing loop's. Thread-safe: any coroutine may call it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/core/principal.hpp"
#include "runtime/core/time.hpp"
#include "runtime/net/asio.hpp"
#include "runtime/run_service.hpp"
#include "runtime/store/run_repo.hpp"
#include "runtime/store/schedule_repo.hpp"

namespace agentos::core {
class Clock;
}  // namespace agentos::core

namespace agentos::store {
class PgPool;
}  // namespace agentos::store

namespace agentos::scheduler {

/// Due times shown with a schedule (`next_fire_times`).
inline constexpr int kShownFireTimes = 5;

/// catch_up_s: at most a year.
inline constexpr std::int64_t kMaxCatchUpSeconds = 365LL * 24 * 3600;

/// POST /api/v1/schedules, parsed.
struct NewScheduleRequest {
    std::string agent_ref;  ///< id or slug
    store::ScheduleDefinition definition;
};

/// PATCH /api/v1/schedules/:id, parsed: the fields given (the others keep their value).
struct ScheduleChange {
    std::optional<std::string> cron;
    std::optional<std::string> timezone;
    std::optional<nlohmann::json> input;             ///< an object
    std::optional<nlohmann::json> prompt_variables;  ///< an object of strings
    std::optional<bool> enabled;
    std::optional<std::int64_t> catch_up_s;
    std::optional<std::string> overlap;

    bool Empty() const;
    /// A field other than `enabled` is given (what a YAML schedule refuses).
    bool ChangesDefinition() const;
};

/// One schedule and its next due times after now (the cron's, also while it is disabled).
struct ScheduleView {
    store::ScheduleRecord schedule;
    std::vector<core::TimePoint> next_fire_times;
};

/// A manual trigger's queued run.
struct TriggeredRun {
    std::string run_id;
    std::string schedule_id;
};

/// A page of recorded fires, newest first; `before` of the next page (nullopt on the last).
struct FirePage {
    std::vector<store::FireRecord> fires;
    std::optional<core::TimePoint> next_before;
};

/// Checks a definition's cron (errors name `<path>cron` and the bad token), time zone (`<path>timezone`) and that
/// the expression fires at all (`0 0 30 2 *` does not); returns its first due time after `after`.
core::TimePoint FirstDueAfter(const store::ScheduleDefinition& d, core::TimePoint after, std::string_view path = "");

/// The next `count` due times of a stored definition after `after` (none when it does not parse any more).
std::vector<core::TimePoint> NextDueTimes(const store::ScheduleDefinition& d, core::TimePoint after, int count);

/// The queued run a schedule starts (a fire or a trigger), as Invoke would get it in the background: its input and
/// prompt variables, trigger_type "scheduled", and `schedule` ({schedule_id, scheduled_for, manual}) for run_start.
engine::InvokeRequest ScheduledRunRequest(const store::ScheduleRecord& s, nlohmann::json schedule);

class ScheduleService {
public:
    ScheduleService(store::PgPool& pool, engine::RunService& runs, const core::Clock& clock);

    /// A schedule of a hosted agent (NOT_FOUND: unknown agent; VALIDATION_ERROR "agent_id": an external one). When
    /// the agent is active, its prompt_variables are checked against the definition as a run would be.
    net::awaitable<ScheduleView> Create(core::Principal who, NewScheduleRequest request);

    /// Newest first; `agent_ref` (id or slug) narrows it, an agent key sees its own agent's only.
    net::awaitable<std::vector<store::ScheduleRecord>> List(
        core::Principal who, std::optional<std::string> agent_ref, store::ScheduleFilter filter
    );

    net::awaitable<ScheduleView> Get(core::Principal who, std::string id);

    /// Changes the given fields. A new cron, time zone or enabled moves next_fire_at to the first due time after
    /// now (nothing missed is caught up); otherwise it stays. A YAML schedule: CONFLICT for anything but enabled.
    net::awaitable<ScheduleView> Update(core::Principal who, std::string id, ScheduleChange change);

    /// CONFLICT for a YAML schedule (it goes with its agent's definition).
    net::awaitable<void> Delete(core::Principal who, std::string id);

    net::awaitable<ScheduleView> Enable(core::Principal who, std::string id);
    net::awaitable<ScheduleView> Disable(core::Principal who, std::string id);

    /// One queued run now, as the schedule would start it (trigger_type "scheduled", its input and prompt variables,
    /// run_start `schedule: {schedule_id, scheduled_for: null, manual: true}`). Leaves next_fire_at and the fires
    /// alone, and works on a disabled schedule too.
    net::awaitable<TriggeredRun> Trigger(core::Principal who, std::string id);

    /// The schedule's runs (fired and triggered), as RunRepo::List with schedule_id.
    net::awaitable<std::vector<store::RunRecord>> Runs(core::Principal who, std::string id, store::RunFilter filter);

    /// Its recorded fires, newest first, due before `before` when given.
    net::awaitable<FirePage> Fires(
        core::Principal who, std::string id, std::optional<core::TimePoint> before, int limit
    );

private:
    store::PgPool& pool_;
    engine::RunService& runs_;
    const core::Clock& clock_;
};

}  // namespace agentos::scheduler
