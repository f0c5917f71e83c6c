// FirePlan: which due time fires at a given instant, and how many are missed.

#include "scheduler/fire_plan.hpp"

#include <gtest/gtest.h>

namespace agentos::scheduler {
namespace {

using std::chrono::seconds;

core::TimePoint At(const char* iso) {
    return *core::ParseIso(iso);
}

const cctz::time_zone& Utc() {
    static const cctz::time_zone utc = LoadTimeZone("UTC", "timezone");
    return utc;
}

TEST(FirePlan, NotDueYetDoesNothing) {
    const auto cron = CronExpr::Parse("*/5 * * * *", "cron");
    const auto plan = PlanFire(cron, Utc(), At("2026-06-01T10:05:00Z"), At("2026-06-01T10:04:59Z"), seconds(300));
    EXPECT_FALSE(plan.fire);
    EXPECT_EQ(plan.missed, 0);
    EXPECT_EQ(plan.next, At("2026-06-01T10:05:00Z"));
}

TEST(FirePlan, OnTimeFiresTheDueTimeAndMovesToTheNext) {
    const auto cron = CronExpr::Parse("*/5 * * * *", "cron");
    const auto plan = PlanFire(cron, Utc(), At("2026-06-01T10:05:00Z"), At("2026-06-01T10:05:00.004Z"), seconds(0));
    EXPECT_EQ(plan.fire, At("2026-06-01T10:05:00Z"));
    EXPECT_EQ(plan.missed, 0);
    EXPECT_EQ(plan.next, At("2026-06-01T10:10:00Z"));
}

TEST(FirePlan, AfterDowntimeTheLatestWithinCatchUpFiresAndTheOlderAreMissed) {
    const auto cron = CronExpr::Parse("*/5 * * * *", "cron");
    // Down 10:05 … 10:31: due 10:05, 10:10, …, 10:30 (6). 10:30 is 60 s late: within 300.
    auto plan = PlanFire(cron, Utc(), At("2026-06-01T10:05:00Z"), At("2026-06-01T10:31:00Z"), seconds(300));
    EXPECT_EQ(plan.fire, At("2026-06-01T10:30:00Z"));
    EXPECT_EQ(plan.missed, 5);
    EXPECT_EQ(plan.next, At("2026-06-01T10:35:00Z"));
    // With catch_up_s 30 the latest is too late: all 6 missed.
    plan = PlanFire(cron, Utc(), At("2026-06-01T10:05:00Z"), At("2026-06-01T10:31:00Z"), seconds(30));
    EXPECT_FALSE(plan.fire);
    EXPECT_EQ(plan.missed, 6);
    EXPECT_EQ(plan.next, At("2026-06-01T10:35:00Z"));
}

TEST(FirePlan, EveryDueTimeHasTenSecondsGraceWhateverCatchUpSays) {
    const auto cron = CronExpr::Parse("0 * * * *", "cron");
    EXPECT_TRUE(PlanFire(cron, Utc(), At("2026-06-01T10:00:00Z"), At("2026-06-01T10:00:10Z"), seconds(0)).fire);
    EXPECT_FALSE(PlanFire(cron, Utc(), At("2026-06-01T10:00:00Z"), At("2026-06-01T10:00:10.001Z"), seconds(0)).fire);
}

TEST(FirePlan, ALongOutageOfAFrequentScheduleIsCountedUpToTheCapAndStillFiresTheLatest) {
    const auto cron = CronExpr::Parse("* * * * * *", "cron");  // every second
    // Two days down: 172,800 due times, more than the cap.
    const auto plan = PlanFire(cron, Utc(), At("2026-06-01T00:00:00Z"), At("2026-06-03T00:00:00.500Z"), seconds(300));
    EXPECT_TRUE(plan.capped);
    EXPECT_EQ(plan.fire, At("2026-06-03T00:00:00Z"));
    EXPECT_GE(plan.missed, kMaxMissedCounted - 1);
    EXPECT_EQ(plan.next, At("2026-06-03T00:00:01Z"));
}

TEST(FirePlan, AScheduleThatStopsFiringHasNoNext) {
    const auto cron = CronExpr::Parse("0 0 29 2 *", "cron");  // leap days only: the next after 2028 is 2032
    const auto plan = PlanFire(cron, Utc(), At("2028-02-29T00:00:00Z"), At("2028-02-29T00:00:01Z"), seconds(300));
    EXPECT_EQ(plan.fire, At("2028-02-29T00:00:00Z"));
    EXPECT_EQ(plan.next, At("2032-02-29T00:00:00Z"));
}

TEST(NextTimes, GivesTheNextFiveAcrossADstChange) {
    const auto cron = CronExpr::Parse("0 9 * * 1-5", "cron");
    const auto zurich = LoadTimeZone("Europe/Zurich", "timezone");
    const auto next = NextTimes(cron, zurich, At("2027-03-25T12:00:00Z"), 5);
    std::vector<std::string> got;
    for (const auto t : next) {
        got.push_back(core::FormatIso(t));
    }
    EXPECT_EQ(
        got,
        (std::vector<std::string>{
            "2027-03-26T08:00:00.000Z",  // Friday, CET
            "2027-03-29T07:00:00.000Z",  // Monday, CEST since Sunday 28 March
            "2027-03-30T07:00:00.000Z",
            "2027-03-31T07:00:00.000Z",
            "2027-04-01T07:00:00.000Z"})
    );
}

}  // namespace
}  // namespace agentos::scheduler
