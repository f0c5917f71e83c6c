#include "scheduler/fire_plan.hpp"

#include <algorithm>

namespace agentos::scheduler {
namespace {

/// The latest due time at or before `now`, looked for in windows doubling back from `now` (so the walk forward
/// covers about twice the distance to it), but never before `floor` (a due time known to be due).
core::TimePoint LatestAtOrBefore(
    const CronExpr& cron, const cctz::time_zone& tz, core::TimePoint floor, core::TimePoint now
) {
    for (std::chrono::microseconds back = std::chrono::seconds(1);; back *= 2) {
        const core::TimePoint probe = std::max(floor - std::chrono::microseconds(1), now - back);
        auto t = cron.NextAfter(probe, tz);
        if (t && *t <= now) {
            core::TimePoint latest = *t;
            while ((t = cron.NextAfter(latest, tz)) && *t <= now) {
                latest = *t;
            }
            return latest;
        }
        if (probe < floor) {
            return floor;
        }
    }
}

}  // namespace

FirePlan PlanFire(
    const CronExpr& cron,
    const cctz::time_zone& tz,
    core::TimePoint due,
    core::TimePoint now,
    std::chrono::seconds catch_up
) {
    FirePlan plan;
    if (due > now) {
        plan.next = due;  // not due yet
        return plan;
    }
    // Walk the due times up to now, counting them; a long outage of a frequent schedule is counted up to a cap.
    core::TimePoint latest = due;
    std::int64_t passed = 1;
    std::optional<core::TimePoint> t = cron.NextAfter(due, tz);
    while (t && *t <= now) {
        if (passed == kMaxMissedCounted) {
            plan.capped = true;
            latest = LatestAtOrBefore(cron, tz, *t, now);
            t = cron.NextAfter(now, tz);
            break;
        }
        latest = *t;
        ++passed;
        t = cron.NextAfter(*t, tz);
    }
    plan.next = t;
    const auto window = std::max<std::chrono::microseconds>(catch_up, kOnTimeGrace);
    if (now - latest <= window) {
        plan.fire = latest;
        plan.missed = passed - 1;
    } else {
        plan.missed = passed;
    }
    return plan;
}

std::vector<core::TimePoint> NextTimes(
    const CronExpr& cron, const cctz::time_zone& tz, core::TimePoint after, int count
) {
    std::vector<core::TimePoint> out;
    std::optional<core::TimePoint> t = after;
    while (static_cast<int>(out.size()) < count && (t = cron.NextAfter(*t, tz))) {
        out.push_back(*t);
    }
    return out;
}

}  // namespace agentos::scheduler
