#pragma once
/// A parsed cron expression (Vixie syntax plus an optional leading seconds field) and its next fire time in an IANA
/// time zone, with a fixed DST policy (a skipped local time fires once at the gap's end, a repeated one once at its
/// first occurrence). Immutable after Parse: one instance may be shared by any number of threads.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <cctz/time_zone.h>

#include "runtime/core/time.hpp"

namespace agentos::scheduler {

class CronExpr {
public:
    /// 5 fields (minute hour day-of-month month day-of-week) or 6 with a leading seconds field; or @hourly @daily
    /// @midnight @weekly @monthly @yearly @annually. Each field: *, a value, a range a-b, a step */n or a-b/n or a/n
    /// (from a to the field's max; for day-of-week that max is 6), comma lists of those. Month names JAN-DEC and
    /// weekday names SUN-SAT (case-insensitive; names allowed in ranges, and SUN ends a range as 7: FRI-SUN);
    /// weekday 0-7 with 7 = Sunday. No L, W, # or ?. Throws core::Error kValidation "<field>: <position> field:
    /// <problem>" naming the bad token, e.g. "schedules[0].cron: minute field: '61' is out of range 0-59".
    static CronExpr Parse(std::string_view text, std::string_view field);

    /// The first fire time strictly after `after`, in time zone `tz`. Vixie day rule: when both day-of-month and
    /// day-of-week are restricted (neither contains a bare '*'), a day matches if EITHER matches; otherwise both must.
    /// A local time skipped by a DST gap fires once, at the instant the gap ends; a local time that occurs twice fires
    /// once, at its first occurrence. Searches about 5 years ahead; an expression that never fires (30 February)
    /// returns nullopt.
    std::optional<core::TimePoint> NextAfter(core::TimePoint after, const cctz::time_zone& tz) const;

    bool has_seconds() const { return has_seconds_; }  // NOLINT(readability-identifier-naming): accessor

    /// The expression as given to Parse.
    const std::string& text() const { return text_; }  // NOLINT(readability-identifier-naming): accessor

private:
    CronExpr() = default;

    std::optional<cctz::civil_second> NextLocalMatch(cctz::civil_second from, std::int64_t last_year) const;

    std::uint64_t DayMask(std::int64_t year, int month) const;

    std::string text_;
    std::uint64_t seconds_ = 0;  ///< bit n = second n
    std::uint64_t minutes_ = 0;  ///< bit n = minute n
    std::uint64_t hours_ = 0;    ///< bit n = hour n
    std::uint64_t months_ = 0;   ///< bit n = month n (1-12)
    /// Matching days of a month (bit d = day d) by the day-of-week field alone, indexed by the weekday of the 1st
    /// (0 = Sunday); folded with days_of_month_ by the Vixie rule in DayMask.
    std::array<std::uint64_t, 7> weekday_days_{};
    std::uint64_t days_of_month_ = 0;  ///< bit n = day n (1-31)
    bool day_of_month_star_ = false;
    bool day_of_week_star_ = false;
    bool has_seconds_ = false;
};

/// Loads an IANA zone ("Europe/Zurich", "UTC"); throws core::Error kValidation "<field>: unknown time zone 'X'".
cctz::time_zone LoadTimeZone(std::string_view name, std::string_view field);

}  // namespace agentos::scheduler
