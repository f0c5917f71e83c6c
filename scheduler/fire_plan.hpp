#pragma once
/// What firing a due schedule means at a given instant: which due time fires (the latest one, if it is within the
/// catch-up window), how many older ones were missed, and the next due time. Pure: the firing loop and the tests call
/// it with the time they choose.

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include <cctz/time_zone.h>

#include "runtime/core/time.hpp"
#include "scheduler/cron/cron_expr.hpp"

namespace agentos::scheduler {

/// A due time is on time (not missed) while it is at most this late, whatever catch_up_s says: a loaded server fires
/// late by milliseconds to seconds, and that is not downtime.
inline constexpr std::chrono::seconds kOnTimeGrace{10};

/// Due times walked when counting a long outage's misses; beyond it the count stops (and says so in `capped`).
inline constexpr std::int64_t kMaxMissedCounted = 100'000;

struct FirePlan {
    std::optional<core::TimePoint> fire;  ///< the due time to fire now, if any
    std::int64_t missed = 0;              ///< older (or too late) due times skipped
    bool capped = false;                  ///< more were missed than kMaxMissedCounted
    std::optional<core::TimePoint> next;  ///< the first due time after `now` (nullopt: none any more)
};

/// `due` is the schedule's next_fire_at (<= now). Every due time in [due, now] is passed: the latest fires when
/// now - latest <= max(catch_up, kOnTimeGrace), the others count as missed.
FirePlan PlanFire(
    const CronExpr& cron,
    const cctz::time_zone& tz,
    core::TimePoint due,
    core::TimePoint now,
    std::chrono::seconds catch_up
);

/// The next `count` due times strictly after `after` (fewer when the expression stops firing).
std::vector<core::TimePoint> NextTimes(
    const CronExpr& cron, const cctz::time_zone& tz, core::TimePoint after, int count
);

}  // namespace agentos::scheduler
