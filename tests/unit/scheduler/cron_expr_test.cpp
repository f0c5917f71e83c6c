#include "scheduler/cron/cron_expr.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <cctz/civil_time.h>
#include <cctz/time_zone.h>
#include <gtest/gtest.h>

#include "runtime/core/error.hpp"
#include "runtime/core/time.hpp"

namespace agentos::scheduler {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr std::string_view kField = "schedules[0].cron";

core::TimePoint Iso(std::string_view text) {
    const std::optional<core::TimePoint> t = core::ParseIso(text);
    if (!t) {
        ADD_FAILURE() << "bad ISO time in test: " << text;
        return {};
    }
    return *t;
}

cctz::time_zone Zone(std::string_view name) {
    return LoadTimeZone(name, "timezone");
}

/// The first `count` fire times after `start` (UTC ISO, milliseconds), fewer if the expression stops firing.
std::vector<std::string> Fires(
    std::string_view expr, std::string_view start, std::size_t count, std::string_view zone = "UTC"
) {
    const CronExpr cron = CronExpr::Parse(expr, kField);
    const cctz::time_zone tz = Zone(zone);
    std::vector<std::string> out;
    core::TimePoint t = Iso(start);
    while (out.size() < count) {
        const std::optional<core::TimePoint> next = cron.NextAfter(t, tz);
        if (!next) {
            break;
        }
        EXPECT_GT(*next, t) << expr;
        out.push_back(core::FormatIso(*next));
        t = *next;
    }
    return out;
}

std::string Local(core::TimePoint t, const cctz::time_zone& tz) {
    return cctz::format("%Y-%m-%d %H:%M:%S %Ez", t, tz);
}

void ExpectParseError(std::string_view text, std::string_view problem) {
    try {
        const CronExpr cron = CronExpr::Parse(text, kField);
        ADD_FAILURE() << "'" << text << "' parsed, expected: " << problem;
    } catch (const core::Error& e) {
        EXPECT_EQ(e.code(), core::ErrorCode::kValidation) << text;
        EXPECT_EQ(std::string(e.what()), std::string(kField) + ": " + std::string(problem)) << text;
        EXPECT_EQ(e.details().value("field", ""), kField) << text;
    }
}

// ---------------------------------------------------------------------------------------------------------------------
// Field forms

TEST(CronExpr, MinuteFieldForms) {
    const auto start = "2026-01-01T00:00:30Z";
    EXPECT_EQ(
        Fires("* * * * *", start, 3),
        (std::vector<std::string>{"2026-01-01T00:01:00.000Z", "2026-01-01T00:02:00.000Z", "2026-01-01T00:03:00.000Z"})
    );
    EXPECT_EQ(
        Fires("7 * * * *", start, 3),
        (std::vector<std::string>{"2026-01-01T00:07:00.000Z", "2026-01-01T01:07:00.000Z", "2026-01-01T02:07:00.000Z"})
    );
    EXPECT_EQ(
        Fires("10-12 * * * *", start, 4),
        (std::vector<std::string>{
            "2026-01-01T00:10:00.000Z",
            "2026-01-01T00:11:00.000Z",
            "2026-01-01T00:12:00.000Z",
            "2026-01-01T01:10:00.000Z"})
    );
    EXPECT_EQ(
        Fires("*/20 * * * *", start, 4),
        (std::vector<std::string>{
            "2026-01-01T00:20:00.000Z",
            "2026-01-01T00:40:00.000Z",
            "2026-01-01T01:00:00.000Z",
            "2026-01-01T01:20:00.000Z"})
    );
    EXPECT_EQ(
        Fires("10-30/10 * * * *", start, 4),
        (std::vector<std::string>{
            "2026-01-01T00:10:00.000Z",
            "2026-01-01T00:20:00.000Z",
            "2026-01-01T00:30:00.000Z",
            "2026-01-01T01:10:00.000Z"})
    );
    EXPECT_EQ(
        Fires("50/5 * * * *", start, 3),
        (std::vector<std::string>{"2026-01-01T00:50:00.000Z", "2026-01-01T00:55:00.000Z", "2026-01-01T01:50:00.000Z"})
    );
    EXPECT_EQ(
        Fires("1,2,40-41,*/30 * * * *", start, 7),
        (std::vector<std::string>{
            "2026-01-01T00:01:00.000Z",
            "2026-01-01T00:02:00.000Z",
            "2026-01-01T00:30:00.000Z",
            "2026-01-01T00:40:00.000Z",
            "2026-01-01T00:41:00.000Z",
            "2026-01-01T01:00:00.000Z",
            "2026-01-01T01:01:00.000Z"})
    );
    EXPECT_EQ(Fires("05 * * * *", start, 1), (std::vector<std::string>{"2026-01-01T00:05:00.000Z"}));
}

TEST(CronExpr, HourFieldForms) {
    const auto start = "2026-01-01T00:00:30Z";
    EXPECT_EQ(
        Fires("0 9-17/4 * * *", start, 4),
        (std::vector<std::string>{
            "2026-01-01T09:00:00.000Z",
            "2026-01-01T13:00:00.000Z",
            "2026-01-01T17:00:00.000Z",
            "2026-01-02T09:00:00.000Z"})
    );
    EXPECT_EQ(
        Fires("30 22/1 * * *", start, 3),
        (std::vector<std::string>{"2026-01-01T22:30:00.000Z", "2026-01-01T23:30:00.000Z", "2026-01-02T22:30:00.000Z"})
    );
    EXPECT_EQ(
        Fires("15 0,12 * * *", start, 3),
        (std::vector<std::string>{"2026-01-01T00:15:00.000Z", "2026-01-01T12:15:00.000Z", "2026-01-02T00:15:00.000Z"})
    );
}

TEST(CronExpr, SecondsFieldForms) {
    const auto start = "2026-01-01T00:00:30Z";
    EXPECT_TRUE(CronExpr::Parse("*/15 * * * * *", kField).has_seconds());
    EXPECT_FALSE(CronExpr::Parse("*/15 * * * *", kField).has_seconds());
    EXPECT_EQ(
        Fires("*/15 * * * * *", start, 3),
        (std::vector<std::string>{"2026-01-01T00:00:45.000Z", "2026-01-01T00:01:00.000Z", "2026-01-01T00:01:15.000Z"})
    );
    EXPECT_EQ(
        Fires("30 5 * * * *", start, 2),
        (std::vector<std::string>{"2026-01-01T00:05:30.000Z", "2026-01-01T01:05:30.000Z"})
    );
    EXPECT_EQ(
        Fires("58-59,0/20 0 * * * *", start, 5),
        (std::vector<std::string>{
            "2026-01-01T00:00:40.000Z",
            "2026-01-01T00:00:58.000Z",
            "2026-01-01T00:00:59.000Z",
            "2026-01-01T01:00:00.000Z",
            "2026-01-01T01:00:20.000Z"})
    );
}

TEST(CronExpr, DayOfMonthFieldForms) {
    const auto start = "2026-01-01T00:00:30Z";
    EXPECT_EQ(
        Fires("0 0 1,15 * *", start, 3),
        (std::vector<std::string>{"2026-01-15T00:00:00.000Z", "2026-02-01T00:00:00.000Z", "2026-02-15T00:00:00.000Z"})
    );
    EXPECT_EQ(  // short months are skipped, not clamped
        Fires("0 0 31 * *", start, 3),
        (std::vector<std::string>{"2026-01-31T00:00:00.000Z", "2026-03-31T00:00:00.000Z", "2026-05-31T00:00:00.000Z"})
    );
    EXPECT_EQ(
        Fires("0 0 */10 * *", start, 5),
        (std::vector<std::string>{
            "2026-01-11T00:00:00.000Z",
            "2026-01-21T00:00:00.000Z",
            "2026-01-31T00:00:00.000Z",
            "2026-02-01T00:00:00.000Z",
            "2026-02-11T00:00:00.000Z"})
    );
    EXPECT_EQ(
        Fires("0 0 28-31/2 2 *", start, 3),
        (std::vector<std::string>{"2026-02-28T00:00:00.000Z", "2027-02-28T00:00:00.000Z", "2028-02-28T00:00:00.000Z"})
    );
}

TEST(CronExpr, MonthFieldFormsAndNames) {
    const auto start = "2026-01-01T00:00:30Z";
    EXPECT_EQ(
        Fires("0 0 1 */4 *", start, 3),
        (std::vector<std::string>{"2026-05-01T00:00:00.000Z", "2026-09-01T00:00:00.000Z", "2027-01-01T00:00:00.000Z"})
    );
    EXPECT_EQ(
        Fires("0 0 1 JAN,mar-May *", start, 4),
        (std::vector<std::string>{
            "2026-03-01T00:00:00.000Z",
            "2026-04-01T00:00:00.000Z",
            "2026-05-01T00:00:00.000Z",
            "2027-01-01T00:00:00.000Z"})
    );
    EXPECT_EQ(
        Fires("0 0 1 feb/3 *", start, 5),
        (std::vector<std::string>{
            "2026-02-01T00:00:00.000Z",
            "2026-05-01T00:00:00.000Z",
            "2026-08-01T00:00:00.000Z",
            "2026-11-01T00:00:00.000Z",
            "2027-02-01T00:00:00.000Z"})
    );
    EXPECT_EQ(Fires("0 0 1 Dec *", start, 1), Fires("0 0 1 12 *", start, 1));
    EXPECT_EQ(Fires("0 0 1 jun-AUG/2 *", start, 4), Fires("0 0 1 6,8 *", start, 4));
}

TEST(CronExpr, DayOfWeekFieldFormsNamesAndSevenIsSunday) {
    const auto start = "2026-01-01T00:00:30Z";  // a Thursday
    EXPECT_EQ(
        Fires("0 12 * * MON-FRI", start, 3),
        (std::vector<std::string>{"2026-01-01T12:00:00.000Z", "2026-01-02T12:00:00.000Z", "2026-01-05T12:00:00.000Z"})
    );
    const std::vector<std::string> sundays = {"2026-01-04T12:00:00.000Z", "2026-01-11T12:00:00.000Z"};
    EXPECT_EQ(Fires("0 12 * * 0", start, 2), sundays);
    EXPECT_EQ(Fires("0 12 * * 7", start, 2), sundays);
    EXPECT_EQ(Fires("0 12 * * sun", start, 2), sundays);
    EXPECT_EQ(Fires("0 12 * * 7-7", start, 2), sundays);
    const std::vector<std::string> weekend_and_friday = {
        "2026-01-02T12:00:00.000Z", "2026-01-03T12:00:00.000Z", "2026-01-04T12:00:00.000Z", "2026-01-09T12:00:00.000Z"};
    EXPECT_EQ(Fires("0 12 * * 5-7", start, 4), weekend_and_friday);
    EXPECT_EQ(Fires("0 12 * * FRI-SUN", start, 4), weekend_and_friday);
    EXPECT_EQ(Fires("0 12 * * fri,Sat,0", start, 4), weekend_and_friday);
    EXPECT_EQ(
        Fires("0 12 * * */2", start, 4),  // Sun, Tue, Thu, Sat
        (std::vector<std::string>{
            "2026-01-01T12:00:00.000Z",
            "2026-01-03T12:00:00.000Z",
            "2026-01-04T12:00:00.000Z",
            "2026-01-06T12:00:00.000Z"})
    );
    EXPECT_EQ(
        Fires("0 12 * * 1/2", start, 3),  // Mon, Wed, Fri: "a/n" runs to Saturday (6)
        (std::vector<std::string>{"2026-01-02T12:00:00.000Z", "2026-01-05T12:00:00.000Z", "2026-01-07T12:00:00.000Z"})
    );
    EXPECT_EQ(Fires("0 12 * * SUN-SAT", start, 10), Fires("0 12 * * *", start, 10));
    EXPECT_EQ(Fires("0 12 * * 0-7", start, 10), Fires("0 12 * * *", start, 10));
}

TEST(CronExpr, Aliases) {
    const auto start = "2026-01-01T00:00:30Z";
    EXPECT_EQ(Fires("@hourly", start, 1), (std::vector<std::string>{"2026-01-01T01:00:00.000Z"}));
    EXPECT_EQ(Fires("@daily", start, 1), (std::vector<std::string>{"2026-01-02T00:00:00.000Z"}));
    EXPECT_EQ(Fires("@midnight", start, 1), (std::vector<std::string>{"2026-01-02T00:00:00.000Z"}));
    EXPECT_EQ(Fires("@weekly", start, 1), (std::vector<std::string>{"2026-01-04T00:00:00.000Z"}));
    EXPECT_EQ(Fires("@monthly", start, 1), (std::vector<std::string>{"2026-02-01T00:00:00.000Z"}));
    EXPECT_EQ(Fires("@yearly", start, 1), (std::vector<std::string>{"2027-01-01T00:00:00.000Z"}));
    EXPECT_EQ(Fires("@annually", start, 1), (std::vector<std::string>{"2027-01-01T00:00:00.000Z"}));
    const std::vector<std::pair<std::string_view, std::string_view>> equivalents = {
        {"@hourly", "0 * * * *"},
        {"@daily", "0 0 * * *"},
        {"@midnight", "0 0 * * *"},
        {"@weekly", "0 0 * * 0"},
        {"@monthly", "0 0 1 * *"},
        {"@yearly", "0 0 1 1 *"},
        {"@annually", "0 0 1 1 *"},
        {"  @Daily\t", "0 0 * * *"},
    };
    for (const auto& [alias, expansion] : equivalents) {
        EXPECT_EQ(Fires(alias, start, 12, "Europe/Zurich"), Fires(expansion, start, 12, "Europe/Zurich")) << alias;
        const CronExpr cron = CronExpr::Parse(alias, kField);
        EXPECT_FALSE(cron.has_seconds());
        EXPECT_EQ(cron.text(), alias);
    }
}

TEST(CronExpr, WhitespaceBetweenFieldsIsFlexibleAndTextIsKept) {
    const CronExpr cron = CronExpr::Parse("  0\t9   * *  1-5 ", kField);
    EXPECT_EQ(cron.text(), "  0\t9   * *  1-5 ");
    EXPECT_EQ(Fires("  0\t9   * *  1-5 ", "2026-01-01T00:00:00Z", 5), Fires("0 9 * * 1-5", "2026-01-01T00:00:00Z", 5));
}

// ---------------------------------------------------------------------------------------------------------------------
// The Vixie day rule

TEST(CronExpr, VixieRuleEitherDayFieldMatchesWhenBothAreRestricted) {
    const auto start = "2026-01-01T00:00:30Z";
    // Fridays in January 2026: 2, 9, 16, 23, 30; the 13th is a Tuesday.
    EXPECT_EQ(
        Fires("0 0 13 * 5", start, 6),
        (std::vector<std::string>{
            "2026-01-02T00:00:00.000Z",
            "2026-01-09T00:00:00.000Z",
            "2026-01-13T00:00:00.000Z",
            "2026-01-16T00:00:00.000Z",
            "2026-01-23T00:00:00.000Z",
            "2026-01-30T00:00:00.000Z"})
    );
    // Only one side restricted: both must match (the '*' side always does).
    EXPECT_EQ(
        Fires("0 0 13 * *", start, 2),
        (std::vector<std::string>{"2026-01-13T00:00:00.000Z", "2026-02-13T00:00:00.000Z"})
    );
    EXPECT_EQ(
        Fires("0 0 * * 5", start, 2), (std::vector<std::string>{"2026-01-02T00:00:00.000Z", "2026-01-09T00:00:00.000Z"})
    );
    // "Friday the 13th" cannot be written in cron; with the month restricted the OR still applies within it.
    EXPECT_EQ(
        Fires("0 0 13 3 5", start, 3),
        (std::vector<std::string>{"2026-03-06T00:00:00.000Z", "2026-03-13T00:00:00.000Z", "2026-03-20T00:00:00.000Z"})
    );
    // Only a bare '*' leaves a day field unrestricted: "*/2" and "1-31" are restrictions, so the OR applies.
    EXPECT_EQ(
        Fires("0 0 */2 * 5", start, 6),
        (std::vector<std::string>{
            "2026-01-02T00:00:00.000Z",
            "2026-01-03T00:00:00.000Z",
            "2026-01-05T00:00:00.000Z",
            "2026-01-07T00:00:00.000Z",
            "2026-01-09T00:00:00.000Z",
            "2026-01-11T00:00:00.000Z"})
    );
    EXPECT_EQ(Fires("0 0 1-31 * 1", start, 40), Fires("0 0 * * *", start, 40));
    // 30 February never exists, but with a weekday the OR makes it fire on Mondays in February.
    EXPECT_EQ(
        Fires("0 0 30 2 MON", start, 2),
        (std::vector<std::string>{"2026-02-02T00:00:00.000Z", "2026-02-09T00:00:00.000Z"})
    );
}

TEST(CronExpr, ImpossibleDatesNeverFireAndLeapDaysDo) {
    const cctz::time_zone utc = Zone("UTC");
    EXPECT_FALSE(CronExpr::Parse("0 0 30 2 *", kField).NextAfter(Iso("2026-01-01T00:00:00Z"), utc));
    EXPECT_FALSE(CronExpr::Parse("0 0 31 4,6,9,11 *", kField).NextAfter(Iso("2026-01-01T00:00:00Z"), utc));
    EXPECT_FALSE(CronExpr::Parse("* * 31 feb-APR/2 *", kField).NextAfter(Iso("2026-01-01T00:00:00Z"), utc));
    EXPECT_EQ(
        Fires("0 0 29 2 *", "2026-01-01T00:00:00Z", 2),
        (std::vector<std::string>{"2028-02-29T00:00:00.000Z", "2032-02-29T00:00:00.000Z"})
    );
    // The search ends with the fifth calendar year after `after`: from March 2098 the next 29 February (2104, as 2100
    // is no leap year) is too far.
    EXPECT_EQ(Fires("0 0 29 2 *", "2098-03-01T00:00:00Z", 1), (std::vector<std::string>{}));
    EXPECT_EQ(Fires("0 0 29 2 *", "2099-03-01T00:00:00Z", 1), (std::vector<std::string>{"2104-02-29T00:00:00.000Z"}));
}

TEST(CronExpr, NextIsStrictlyAfterEvenAtAFireTimeOrWithinASecond) {
    EXPECT_EQ(Fires("0 0 * * *", "2026-01-02T00:00:00Z", 1), (std::vector<std::string>{"2026-01-03T00:00:00.000Z"}));
    EXPECT_EQ(
        Fires("0 0 * * *", "2026-01-01T23:59:59.999999Z", 1), (std::vector<std::string>{"2026-01-02T00:00:00.000Z"})
    );
    EXPECT_EQ(
        Fires("0 0 * * *", "2026-01-02T00:00:00.000001Z", 1), (std::vector<std::string>{"2026-01-03T00:00:00.000Z"})
    );
    EXPECT_EQ(
        Fires("* * * * * *", "2026-01-01T00:00:00.5Z", 2),
        (std::vector<std::string>{"2026-01-01T00:00:01.000Z", "2026-01-01T00:00:02.000Z"})
    );
    EXPECT_EQ(
        Fires("59 59 23 31 12 *", "2026-12-31T23:59:58.9Z", 2),
        (std::vector<std::string>{"2026-12-31T23:59:59.000Z", "2027-12-31T23:59:59.000Z"})
    );
}

TEST(CronExpr, FiresInTheGivenTimeZone) {
    EXPECT_EQ(
        Fires("0 9 * * 1-5", "2026-01-01T00:00:00Z", 2, "Europe/Zurich"),  // CET, +01:00
        (std::vector<std::string>{"2026-01-01T08:00:00.000Z", "2026-01-02T08:00:00.000Z"})
    );
    EXPECT_EQ(
        Fires("0 9 * * 1-5", "2026-07-01T00:00:00Z", 1, "Europe/Zurich"),  // CEST, +02:00
        (std::vector<std::string>{"2026-07-01T07:00:00.000Z"})
    );
    EXPECT_EQ(
        Fires("0 9 * * 1-5", "2026-07-01T00:00:00Z", 1, "America/New_York"),  // EDT, -04:00
        (std::vector<std::string>{"2026-07-01T13:00:00.000Z"})
    );
    EXPECT_EQ(  // 23:30 in Kolkata (+05:30) on Wednesday 1 July is still Wednesday there
        Fires("30 23 * * WED", "2026-06-30T00:00:00Z", 1, "Asia/Kolkata"),
        (std::vector<std::string>{"2026-07-01T18:00:00.000Z"})
    );
}

// ---------------------------------------------------------------------------------------------------------------------
// Errors

TEST(CronExpr, MalformedExpressionsNameTheFieldAndToken) {
    ExpectParseError("", "empty expression");
    ExpectParseError(" \t ", "empty expression");
    ExpectParseError("* * * * * * *", "7 fields (expected 5, or 6 with seconds)");
    ExpectParseError("* * * *", "4 fields (expected 5, or 6 with seconds)");
    ExpectParseError("daily", "1 field (expected 5, or 6 with seconds)");
    ExpectParseError("@daily 5", "2 fields (expected 5, or 6 with seconds)");
    ExpectParseError(
        "@fortnightly",
        "unknown alias '@fortnightly' (expected @hourly, @daily, @midnight, @weekly, @monthly, @yearly or @annually)"
    );
    // out of range, per field
    ExpectParseError("61 * * * *", "minute field: '61' is out of range 0-59");
    ExpectParseError("60 * * * * *", "second field: '60' is out of range 0-59");
    ExpectParseError("0 60 * * * *", "minute field: '60' is out of range 0-59");
    ExpectParseError("0 24 * * *", "hour field: '24' is out of range 0-23");
    ExpectParseError("0 0 0 * *", "day-of-month field: '0' is out of range 1-31");
    ExpectParseError("0 0 32 * *", "day-of-month field: '32' is out of range 1-31");
    ExpectParseError("0 0 * 0 *", "month field: '0' is out of range 1-12");
    ExpectParseError("0 0 * 13 *", "month field: '13' is out of range 1-12");
    ExpectParseError("0 0 * * 8", "day-of-week field: '8' is out of range 0-7");
    ExpectParseError("1-99999999999 * * * *", "minute field: '99999999999' is out of range 0-59");
    ExpectParseError("0 0 * * 1-8", "day-of-week field: '8' is out of range 0-7");
    // steps
    ExpectParseError("0 */0 * * *", "hour field: step 0 in '*/0'");
    ExpectParseError("*/0 * * * *", "minute field: step 0 in '*/0'");
    ExpectParseError("0 0 1-10/0 * *", "day-of-month field: step 0 in '1-10/0'");
    ExpectParseError("*/61 * * * *", "minute field: step 61 in '*/61' is out of range 1-60");
    ExpectParseError("0 0 * */13 *", "month field: step 13 in '*/13' is out of range 1-12");
    ExpectParseError("*/ * * * *", "minute field: missing step in '*/'");
    ExpectParseError("*/x * * * *", "minute field: step 'x' in '*/x' is not a number");
    ExpectParseError("1/2/3 * * * *", "minute field: malformed item '1/2/3'");
    ExpectParseError("/5 * * * *", "minute field: malformed item '/5'");
    // ranges
    ExpectParseError("0 0 5-1 * *", "day-of-month field: range '5-1' runs backwards");
    ExpectParseError("0 0 1 DEC-JAN *", "month field: range 'DEC-JAN' runs backwards");
    ExpectParseError("0 0 * * 5-1/2", "day-of-week field: range '5-1' runs backwards");
    ExpectParseError("0 0 * * 5-0", "day-of-week field: range '5-0' runs backwards");
    ExpectParseError("1-2-3 * * * *", "minute field: malformed item '1-2-3'");
    ExpectParseError("-5 * * * *", "minute field: malformed item '-5'");
    ExpectParseError("5- * * * *", "minute field: malformed item '5-'");
    ExpectParseError("*-5 * * * *", "minute field: malformed item '*-5'");
    ExpectParseError("** * * * *", "minute field: malformed item '**'");
    // names
    ExpectParseError("0 0 * FOO *", "month field: unknown name 'FOO'");
    ExpectParseError("0 0 * JANUARY *", "month field: unknown name 'JANUARY'");
    ExpectParseError("0 0 * * FOO", "day-of-week field: unknown name 'FOO'");
    ExpectParseError("0 0 * * 5L", "day-of-week field: unknown name '5L'");
    ExpectParseError("0 0 * MON *", "month field: unknown name 'MON'");
    ExpectParseError("0 0 * * JAN", "day-of-week field: unknown name 'JAN'");
    ExpectParseError("MON * * * *", "minute field: 'MON' is not a number");
    ExpectParseError("0 0 L * *", "day-of-month field: 'L' is not a number");
    ExpectParseError("0 0 15W * *", "day-of-month field: '15W' is not a number");
    // lists and junk characters
    ExpectParseError("1,,2 * * * *", "minute field: empty list item in '1,,2'");
    ExpectParseError("1, * * * *", "minute field: empty list item in '1,'");
    ExpectParseError(",1 * * * *", "minute field: empty list item in ',1'");
    ExpectParseError("5$ * * * *", "minute field: unexpected character '$' in '5$'");
    ExpectParseError("0 0 ? * *", "day-of-month field: unexpected character '?' in '?'");
    ExpectParseError("0 0 * * 1#2", "day-of-week field: unexpected character '#' in '1#2'");
    ExpectParseError("0 0 * * 1.5", "day-of-week field: unexpected character '.' in '1.5'");
    ExpectParseError("0 0 * * \x01", "day-of-week field: unexpected character '\\x01' in '\x01'");
    ExpectParseError("0 0 * * 1;rm", "day-of-week field: unexpected character ';' in '1;rm'");
}

TEST(CronExpr, ErrorsUseTheCallersFieldPath) {
    try {
        CronExpr::Parse("61 * * * *", "body.cron");
        ADD_FAILURE() << "parsed";
    } catch (const core::Error& e) {
        EXPECT_EQ(std::string(e.what()), "body.cron: minute field: '61' is out of range 0-59");
        EXPECT_EQ(e.details().value("field", ""), "body.cron");
    }
}

TEST(LoadTimeZone, LoadsIanaNamesAndRejectsOthers) {
    EXPECT_EQ(LoadTimeZone("UTC", "timezone").name(), "UTC");
    EXPECT_EQ(LoadTimeZone("Europe/Zurich", "timezone").name(), "Europe/Zurich");
    EXPECT_EQ(LoadTimeZone("America/Argentina/Buenos_Aires", "timezone").name(), "America/Argentina/Buenos_Aires");
    EXPECT_EQ(LoadTimeZone("Etc/GMT+5", "timezone").name(), "Etc/GMT+5");
    for (const std::string_view bad :
         {"Mars/Olympus",
          "",
          "Europe",
          "europe/zurich/",
          "/usr/share/zoneinfo/UTC",
          "../zoneinfo/UTC",
          "Europe/../UTC",
          "localtime",
          "Fixed/UTC+05:00",
          "UTC ",
          "CEST"}) {
        try {
            LoadTimeZone(bad, "schedules[0].timezone");
            ADD_FAILURE() << "loaded '" << bad << "'";
        } catch (const core::Error& e) {
            EXPECT_EQ(e.code(), core::ErrorCode::kValidation);
            EXPECT_EQ(std::string(e.what()), "schedules[0].timezone: unknown time zone '" + std::string(bad) + "'");
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------------
// DST

constexpr std::array<std::string_view, 3> kDstZones = {"Europe/Zurich", "America/New_York", "Australia/Lord_Howe"};
constexpr int kFirstDstYear = 2026;
constexpr int kLastDstYear = 2036;

struct Transition {
    cctz::civil_second from;  ///< local time just before the change (the gap's start, or the overlap's end)
    cctz::civil_second to;    ///< local time just after it (the gap's end, or the overlap's start)
    core::TimePoint at;

    bool IsGap() const { return to > from; }
};

std::vector<Transition> Transitions(const cctz::time_zone& tz) {
    std::vector<Transition> out;
    auto tp = tz.lookup(cctz::civil_second(kFirstDstYear, 1, 1)).pre;
    cctz::time_zone::civil_transition trans;
    while (tz.next_transition(tp, &trans)) {
        tp = tz.lookup(trans.to).trans;
        if (cctz::convert(tp, tz).year() > kLastDstYear) {
            break;
        }
        if (trans.from != trans.to) {
            out.push_back({trans.from, trans.to, tp});
        }
    }
    return out;
}

TEST(CronExpr, DstTransitionsExistForEveryTestedYear) {
    for (const std::string_view zone : kDstZones) {
        const cctz::time_zone tz = Zone(zone);
        const std::vector<Transition> transitions = Transitions(tz);
        for (int year = kFirstDstYear; year <= kLastDstYear; ++year) {
            const auto in_year = [&](bool gap) {
                return std::count_if(transitions.begin(), transitions.end(), [&](const Transition& t) {
                    return t.IsGap() == gap && t.from.year() == year;
                });
            };
            EXPECT_EQ(in_year(true), 1) << zone << " " << year;
            EXPECT_EQ(in_year(false), 1) << zone << " " << year;
        }
    }
}

/// `time`'s time of day on `day`.
cctz::civil_second At(const cctz::civil_day& day, const cctz::civil_second& time) {
    return cctz::civil_second(day.year(), day.month(), day.day(), time.hour(), time.minute(), time.second());
}

/// All fires in [begin, end), by chaining NextAfter and checking next(t) > t on the way.
std::vector<core::TimePoint> Chain(
    const CronExpr& cron, const cctz::time_zone& tz, core::TimePoint begin, core::TimePoint end
) {
    std::vector<core::TimePoint> out;
    core::TimePoint t = begin - microseconds(1);
    for (;;) {
        const std::optional<core::TimePoint> next = cron.NextAfter(t, tz);
        if (!next) {
            ADD_FAILURE() << cron.text() << " stopped firing after " << Local(t, tz);
            return out;
        }
        EXPECT_GT(*next, t) << cron.text();
        if (*next >= end || *next <= t) {
            return out;
        }
        out.push_back(*next);
        t = *next;
    }
}

std::string Describe(const std::vector<core::TimePoint>& fires, const cctz::time_zone& tz) {
    std::string out;
    for (const core::TimePoint t : fires) {
        out += "\n  " + Local(t, tz) + " (" + core::FormatIso(t) + ")";
    }
    return out;
}

TEST(CronExpr, DailyJobAtASkippedLocalTimeFiresOnceAtTheGapsEnd) {
    for (const std::string_view zone : kDstZones) {
        const cctz::time_zone tz = Zone(zone);
        for (const Transition& t : Transitions(tz)) {
            if (!t.IsGap()) {
                continue;
            }
            const cctz::civil_second skipped = t.from + (t.to - t.from) / 2;  // 02:30, 02:30, 02:15
            ASSERT_EQ(tz.lookup(skipped).kind, cctz::time_zone::civil_lookup::SKIPPED);
            const CronExpr cron = CronExpr::Parse(
                std::to_string(skipped.minute()) + " " + std::to_string(skipped.hour()) + " * * *", kField
            );
            const cctz::civil_day day(skipped);
            const std::vector<core::TimePoint> fires =
                Chain(cron, tz, tz.lookup(cctz::civil_second(day - 1)).pre, tz.lookup(cctz::civil_second(day + 2)).pre);
            const std::vector<core::TimePoint> expected = {
                tz.lookup(At(day - 1, skipped)).pre, t.at, tz.lookup(At(day + 1, skipped)).pre};
            EXPECT_EQ(fires, expected) << zone << " " << cron.text() << " around " << day << ":" << Describe(fires, tz);
            EXPECT_EQ(cctz::convert(t.at, tz), t.to) << zone;  // the gap's end, e.g. 03:00 in Zurich
        }
    }
}

TEST(CronExpr, DailyJobAtARepeatedLocalTimeFiresOnceAtTheFirstOccurrence) {
    for (const std::string_view zone : kDstZones) {
        const cctz::time_zone tz = Zone(zone);
        for (const Transition& t : Transitions(tz)) {
            if (t.IsGap()) {
                continue;
            }
            const cctz::civil_second repeated = t.to + (t.from - t.to) / 2;  // 02:30, 01:30, 01:45
            const cctz::time_zone::civil_lookup lookup = tz.lookup(repeated);
            ASSERT_EQ(lookup.kind, cctz::time_zone::civil_lookup::REPEATED);
            ASSERT_LT(lookup.pre, lookup.post);
            const CronExpr cron = CronExpr::Parse(
                std::to_string(repeated.minute()) + " " + std::to_string(repeated.hour()) + " * * *", kField
            );
            const cctz::civil_day day(repeated);
            const std::vector<core::TimePoint> fires =
                Chain(cron, tz, tz.lookup(cctz::civil_second(day - 1)).pre, tz.lookup(cctz::civil_second(day + 2)).pre);
            const std::vector<core::TimePoint> expected = {
                tz.lookup(At(day - 1, repeated)).pre, lookup.pre, tz.lookup(At(day + 1, repeated)).pre};
            EXPECT_EQ(fires, expected) << zone << " " << cron.text() << " around " << day << ":" << Describe(fires, tz);
            EXPECT_LT(lookup.pre, t.at) << zone;
            // Asked from inside the second pass, the job waits for the next day instead of firing again.
            const core::TimePoint second_pass = lookup.post;
            EXPECT_EQ(cron.NextAfter(second_pass - seconds(1), tz), expected[2]) << zone << " " << day;
            EXPECT_EQ(cron.NextAfter(second_pass, tz), expected[2]) << zone << " " << day;
        }
    }
}

/// The fires an expression must produce in [begin, end), derived from instants rather than from local times: step
/// through every instant (`step` apart); a local time fires at the first instant that shows it, and local times no
/// instant shows (a gap) fire at the first instant after the gap. Offsets must be multiples of `step`.
template <class Matches>
std::vector<core::TimePoint> ExpectedFires(
    const cctz::time_zone& tz, const Matches& matches, seconds step, core::TimePoint begin, core::TimePoint end
) {
    std::vector<core::TimePoint> out;
    const auto step_count = static_cast<int>(step.count());
    cctz::civil_second latest = cctz::convert(std::chrono::floor<seconds>(begin - step), tz);
    for (core::TimePoint i = begin; i < end; i += step) {
        const cctz::civil_second local = cctz::convert(std::chrono::floor<seconds>(i), tz);
        if (local <= latest) {
            continue;  // the second pass of a repeated local time
        }
        bool fire = matches(local);
        for (cctz::civil_second skipped = latest + step_count; skipped < local; skipped += step_count) {
            fire = fire || matches(skipped);
        }
        latest = local;
        if (fire) {
            out.push_back(i);
        }
    }
    return out;
}

struct DstCase {
    std::string_view expr;
    bool (*matches)(const cctz::civil_second&);
    seconds step;
    hours half_window;
};

TEST(CronExpr, RepeatingJobsAcrossDstTransitionsNeitherDoubleFireNorMiss) {
    const std::vector<DstCase> cases = {
        {"0 * * * *",
         [](const cctz::civil_second& c) { return c.minute() == 0 && c.second() == 0; },
         minutes(1),
         hours(8)},
        {"*/15 * * * *",
         [](const cctz::civil_second& c) { return c.minute() % 15 == 0 && c.second() == 0; },
         minutes(1),
         hours(6)},
        {"45 * * * *",
         [](const cctz::civil_second& c) { return c.minute() == 45 && c.second() == 0; },
         minutes(1),
         hours(6)},
        {"*/10 1-3 * * *",
         [](const cctz::civil_second& c) {
             return c.minute() % 10 == 0 && c.second() == 0 && c.hour() >= 1 && c.hour() <= 3;
         },
         minutes(1),
         hours(6)},
        {"*/20 * * * * *", [](const cctz::civil_second& c) { return c.second() % 20 == 0; }, seconds(1), hours(1)},
    };
    int transitions = 0;
    for (const std::string_view zone : kDstZones) {
        const cctz::time_zone tz = Zone(zone);
        for (const Transition& t : Transitions(tz)) {
            ++transitions;
            for (const DstCase& c : cases) {
                const CronExpr cron = CronExpr::Parse(c.expr, kField);
                const core::TimePoint begin = t.at - c.half_window;
                const core::TimePoint end = t.at + c.half_window;
                const std::vector<core::TimePoint> expected = ExpectedFires(tz, c.matches, c.step, begin, end);
                ASSERT_FALSE(expected.empty()) << zone << " " << c.expr;
                const std::vector<core::TimePoint> fires = Chain(cron, tz, begin, end);
                ASSERT_EQ(fires, expected)
                    << zone << " " << c.expr << " around " << Local(t.at, tz) << "\nfires:" << Describe(fires, tz)
                    << "\nexpected:" << Describe(expected, tz);
                // From arbitrary instants (whole seconds and not) the answer is the next expected fire.
                for (core::TimePoint from = begin; from < expected.back();
                     from += seconds(433) + microseconds(250'000)) {
                    const auto next = std::upper_bound(expected.begin(), expected.end(), from);
                    ASSERT_EQ(cron.NextAfter(from, tz), *next) << zone << " " << c.expr << " from " << Local(from, tz);
                }
            }
        }
    }
    EXPECT_EQ(transitions, 3 * 2 * (kLastDstYear - kFirstDstYear + 1));
}

TEST(CronExpr, KnownDstAnswers) {
    // Zurich: 2026-03-29 02:00 CET -> 03:00 CEST; 2026-10-25 03:00 CEST -> 02:00 CET.
    EXPECT_EQ(
        Fires("30 2 * * *", "2026-03-28T12:00:00Z", 3, "Europe/Zurich"),
        (std::vector<std::string>{"2026-03-29T01:00:00.000Z", "2026-03-30T00:30:00.000Z", "2026-03-31T00:30:00.000Z"})
    );
    EXPECT_EQ(
        Fires("30 2 * * *", "2026-10-24T12:00:00Z", 2, "Europe/Zurich"),
        (std::vector<std::string>{"2026-10-25T00:30:00.000Z", "2026-10-26T01:30:00.000Z"})
    );
    // New York: 2026-03-08 02:00 EST -> 03:00 EDT; 2026-11-01 02:00 EDT -> 01:00 EST.
    EXPECT_EQ(
        Fires("30 2 * * *", "2026-03-07T12:00:00Z", 2, "America/New_York"),
        (std::vector<std::string>{"2026-03-08T07:00:00.000Z", "2026-03-09T06:30:00.000Z"})
    );
    EXPECT_EQ(
        Fires("30 1 * * *", "2026-10-31T12:00:00Z", 2, "America/New_York"),
        (std::vector<std::string>{"2026-11-01T05:30:00.000Z", "2026-11-02T06:30:00.000Z"})
    );
    // Lord Howe: 2026-10-04 02:00 +10:30 -> 02:30 +11; 2026-04-05 02:00 +11 -> 01:30 +10:30.
    EXPECT_EQ(
        Fires("15 2 * * *", "2026-10-03T00:00:00Z", 2, "Australia/Lord_Howe"),
        (std::vector<std::string>{"2026-10-03T15:30:00.000Z", "2026-10-04T15:15:00.000Z"})
    );
    EXPECT_EQ(
        Fires("45 1 * * *", "2026-04-04T00:00:00Z", 2, "Australia/Lord_Howe"),
        (std::vector<std::string>{"2026-04-04T14:45:00.000Z", "2026-04-05T15:15:00.000Z"})
    );
}

// ---------------------------------------------------------------------------------------------------------------------
// Property test against a brute-force reference

struct GenSpec {
    int min;
    int max;       // largest accepted value
    int step_max;  // where '*' and 'a/n' end
    std::span<const std::string_view> names;
};

constexpr std::array<std::string_view, 12> kMonthNames = {
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 7> kWeekdayNames = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};
constexpr GenSpec kSecond{0, 59, 59, {}};
constexpr GenSpec kMinute{0, 59, 59, {}};
constexpr GenSpec kHour{0, 23, 23, {}};
constexpr GenSpec kDayOfMonth{1, 31, 31, {}};
constexpr GenSpec kMonth{1, 12, 12, kMonthNames};
constexpr GenSpec kDayOfWeek{0, 7, 6, kWeekdayNames};

struct GenField {
    std::string text;
    std::uint64_t bits = 0;
    bool bare_star = false;
};

class Generator {
public:
    explicit Generator(std::uint64_t seed) : state_(seed) {}

    /// splitmix64: cheap enough for -O0 ASan builds, and the same sequence on every platform.
    std::uint64_t Next() {
        std::uint64_t z = (state_ += 0x9e3779b97f4a7c15U);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9U;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebU;
        return z ^ (z >> 31);
    }

    /// Uniform in [low, high] (the modulo bias is below 2^-50 for these spans).
    std::int64_t Uniform64(std::int64_t low, std::int64_t high) {
        return low + static_cast<std::int64_t>(Next() % static_cast<std::uint64_t>(high - low + 1));
    }

    int Uniform(int low, int high) { return static_cast<int>(Uniform64(low, high)); }

    bool Chance(int percent) { return Uniform(0, 99) < percent; }

    GenField Field(const GenSpec& spec) {
        GenField field;
        const int items = Chance(70) ? 1 : (Chance(65) ? 2 : 3);
        for (int i = 0; i < items; ++i) {
            if (i > 0) {
                field.text += ',';
            }
            Item(spec, field);
        }
        if (spec.max == 7 && (field.bits >> 7 & 1U) != 0) {
            field.bits = (field.bits & ~(std::uint64_t{1} << 7)) | 1U;
        }
        return field;
    }

private:
    std::string Value(const GenSpec& spec, int v, bool range_end_after_weekday) {
        const bool sunday_as_seven = spec.max == 7 && v == 7;
        if (!spec.names.empty() && Chance(35) && (!sunday_as_seven || range_end_after_weekday)) {
            std::string name(spec.names[static_cast<std::size_t>(sunday_as_seven ? 0 : v - spec.min)]);
            for (char& ch : name) {
                if (Chance(40)) {
                    ch = static_cast<char>(ch - 'A' + 'a');
                }
            }
            return name;
        }
        return std::to_string(v);
    }

    int Step(const GenSpec& spec) {
        const int span = spec.step_max - spec.min + 1;
        return Chance(80) ? Uniform(1, std::min(span, 7)) : Uniform(1, span);
    }

    void Add(GenField& field, int first, int last, int step) {
        for (int v = first; v <= last; v += step) {
            field.bits |= std::uint64_t{1} << v;
        }
    }

    void Item(const GenSpec& spec, GenField& field) {
        const int form = Uniform(0, 99);
        if (form < 12) {
            field.text += "*";
            field.bare_star = true;
            Add(field, spec.min, spec.step_max, 1);
        } else if (form < 40) {
            const int v = Uniform(spec.min, spec.max);
            field.text += Value(spec, v, false);
            Add(field, v, v, 1);
        } else if (form < 62) {
            int a = Uniform(spec.min, spec.max);
            int b = Uniform(spec.min, spec.max);
            if (a > b) {
                std::swap(a, b);
            }
            field.text += Value(spec, a, false) + "-" + Value(spec, b, a > 0);
            Add(field, a, b, 1);
        } else if (form < 76) {
            const int n = Step(spec);
            field.text += "*/" + std::to_string(n);
            Add(field, spec.min, spec.step_max, n);
        } else if (form < 88) {
            int a = Uniform(spec.min, spec.max);
            int b = Uniform(spec.min, spec.max);
            if (a > b) {
                std::swap(a, b);
            }
            const int n = Step(spec);
            field.text += Value(spec, a, false) + "-" + Value(spec, b, a > 0) + "/" + std::to_string(n);
            Add(field, a, b, n);
        } else {
            const int a = Uniform(spec.min, spec.max);
            const int n = Step(spec);
            field.text += Value(spec, a, false) + "/" + std::to_string(n);
            Add(field, a, std::max(a, spec.step_max), n);
        }
    }

    std::uint64_t state_;
};

struct GenExpr {
    std::string text;
    GenField second, minute, hour, day_of_month, month, day_of_week;
};

GenExpr Generate(Generator& gen) {
    constexpr std::array<std::string_view, 7> kAliases = {
        "@hourly", "@daily", "@midnight", "@weekly", "@monthly", "@yearly", "@annually"};

    GenExpr e;
    if (gen.Chance(2)) {
        // The reference sets of an alias are written out here, independently of the parser's expansion table.
        const std::string_view alias = kAliases[static_cast<std::size_t>(gen.Uniform(0, 6))];
        const auto star = [](const GenSpec& spec) {
            GenField f;
            f.bare_star = true;
            for (int v = spec.min; v <= spec.step_max; ++v) {
                f.bits |= std::uint64_t{1} << v;
            }
            return f;
        };
        const auto one = [](int v) {
            GenField f;
            f.bits = std::uint64_t{1} << v;
            return f;
        };
        e.text = std::string(alias);
        e.second = one(0);
        e.minute = one(0);
        e.hour = alias == "@hourly" ? star(kHour) : one(0);
        e.day_of_month =
            (alias == "@monthly" || alias == "@yearly" || alias == "@annually") ? one(1) : star(kDayOfMonth);
        e.month = (alias == "@yearly" || alias == "@annually") ? one(1) : star(kMonth);
        e.day_of_week = alias == "@weekly" ? one(0) : star(kDayOfWeek);
        return e;
    }
    const bool with_seconds = gen.Chance(30);
    const auto separator = [&] {
        return gen.Chance(90) ? std::string(" ") : std::string(gen.Chance(50) ? "\t" : "  ");
    };
    if (with_seconds) {
        e.second = gen.Field(kSecond);
        e.text += e.second.text + separator();
    } else {
        e.second.bits = 1;
    }
    e.minute = gen.Field(kMinute);
    e.hour = gen.Field(kHour);
    e.day_of_month = gen.Field(kDayOfMonth);
    e.month = gen.Field(kMonth);
    e.day_of_week = gen.Field(kDayOfWeek);
    e.text += e.minute.text + separator() + e.hour.text + separator() + e.day_of_month.text + separator() +
              e.month.text + separator() + e.day_of_week.text;
    return e;
}

bool Has(const GenField& field, int v) {
    return (field.bits >> v & 1U) != 0;
}

struct Date {
    std::int64_t year;
    int month;
    int day;
};

/// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's civil_from_days), independent of cctz.
Date DateFromDays(std::int64_t days) {
    days += 719468;
    const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    const std::int64_t doe = days - era * 146097;
    const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const std::int64_t mp = (5 * doy + 2) / 153;
    const auto day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
    const auto month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
    return {yoe + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

bool DayMatches(const GenExpr& e, std::int64_t days) {
    const Date date = DateFromDays(days);
    if (!Has(e.month, date.month)) {
        return false;
    }
    const bool by_month_day = Has(e.day_of_month, date.day);
    const auto weekday = static_cast<int>(((days % 7) + 7 + 4) % 7);  // 1970-01-01 was a Thursday (4)
    const bool by_weekday = Has(e.day_of_week, weekday);
    if (e.day_of_month.bare_star || e.day_of_week.bare_star) {
        return by_month_day && by_weekday;
    }
    return by_month_day || by_weekday;
}

/// Brute force in UTC on plain Unix seconds: walk forward from after + 1 s, one second at a time, except that a whole
/// day, hour or minute is stepped over when its own field already rules it out. Nothing shared with CronExpr.
std::optional<std::int64_t> ReferenceNext(const GenExpr& e, std::int64_t after, std::int64_t horizon) {
    std::int64_t t = after + 1;
    while (t < horizon) {
        const std::int64_t days = (t >= 0 ? t : t - 86'399) / 86'400;
        const auto second_of_day = static_cast<int>(t - days * 86'400);
        if (!DayMatches(e, days)) {
            t = (days + 1) * 86'400;
        } else if (!Has(e.hour, second_of_day / 3600)) {
            t += 3600 - second_of_day % 3600;
        } else if (!Has(e.minute, second_of_day / 60 % 60)) {
            t += 60 - second_of_day % 60;
        } else if (!Has(e.second, second_of_day % 60)) {
            t += 1;
        } else {
            return t;
        }
    }
    return std::nullopt;
}

TEST(CronExpr, PropertyMatchesBruteForceReferenceInUtc) {
    constexpr std::uint64_t kSeed = 20260511;
    constexpr int kExpressions = 100'000;
    constexpr std::int64_t kHorizonSeconds = std::int64_t{400} * 86'400;
    std::cout << "[ seed     ] " << kSeed << "\n";
    Generator gen(kSeed);
    const cctz::time_zone utc = Zone("UTC");
    const std::int64_t lowest = core::ToUnixMicros(Iso("1990-01-01T00:00:00Z"));
    const std::int64_t highest = core::ToUnixMicros(Iso("2070-01-01T00:00:00Z"));
    int compared = 0;
    int beyond_horizon = 0;
    for (int i = 0; i < kExpressions; ++i) {
        const GenExpr e = Generate(gen);
        core::TimePoint after = core::FromUnixMicros(gen.Uniform64(lowest, highest));
        if (gen.Chance(25)) {
            after = std::chrono::floor<minutes>(after);
        } else if (gen.Chance(15)) {
            after = std::chrono::floor<seconds>(after);
        }
        std::optional<CronExpr> cron;
        try {
            cron = CronExpr::Parse(e.text, kField);
        } catch (const core::Error& error) {
            FAIL() << "#" << i << " '" << e.text << "': " << error.what();
        }
        const std::optional<core::TimePoint> got = cron->NextAfter(after, utc);
        const std::int64_t after_second = std::chrono::floor<seconds>(after).time_since_epoch().count();
        const std::int64_t horizon = after_second + 1 + kHorizonSeconds;
        if (const std::optional<std::int64_t> want = ReferenceNext(e, after_second, horizon)) {
            ++compared;
            const core::TimePoint want_time = core::FromUnixMicros(*want * 1'000'000);
            ASSERT_EQ(got, want_time) << "#" << i << " '" << e.text << "' after " << core::ToUnixMicros(after) << "us ("
                                      << core::FormatIso(after) << "): got "
                                      << (got ? core::FormatIso(*got) : "nothing") << ", want "
                                      << core::FormatIso(want_time);
            ASSERT_EQ(cron->NextAfter(*got - microseconds(1), utc), got) << "#" << i << " '" << e.text << "'";
        } else {
            ++beyond_horizon;
            ASSERT_TRUE(!got || *got >= core::FromUnixMicros(horizon * 1'000'000))
                << "#" << i << " '" << e.text << "' after " << core::FormatIso(after) << ": got "
                << core::FormatIso(*got) << " but the reference found nothing within 400 days";
        }
    }
    std::cout << "[ compared ] " << compared << " of " << kExpressions << " (" << beyond_horizon
              << " fire beyond 400 days or never)\n";
    EXPECT_GT(compared, kExpressions * 9 / 10);
}

}  // namespace
}  // namespace agentos::scheduler
