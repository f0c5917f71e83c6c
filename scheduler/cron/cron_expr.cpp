#include "scheduler/cron/cron_expr.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <chrono>
#include <cstdio>

#include <cctz/civil_time.h>

#include "runtime/core/error.hpp"

namespace agentos::scheduler {
namespace {

/// How far NextAfter looks ahead, in calendar years after the year of `after`.
constexpr std::int64_t kSearchYears = 5;

constexpr std::array<std::string_view, 12> kMonthNames = {
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};

constexpr std::array<std::string_view, 7> kWeekdayNames = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

struct FieldSpec {
    std::string_view name;
    int min;
    int max;       ///< the largest value accepted (7 for day-of-week)
    int step_max;  ///< where '*' and 'a/n' end (6 for day-of-week: 7 is only another spelling of Sunday)
    const std::string_view* names;  ///< names for min, min+1, ...; nullptr when the field has none
    std::size_t name_count;
};

constexpr FieldSpec kSecondSpec{"second", 0, 59, 59, nullptr, 0};
constexpr FieldSpec kMinuteSpec{"minute", 0, 59, 59, nullptr, 0};
constexpr FieldSpec kHourSpec{"hour", 0, 23, 23, nullptr, 0};
constexpr FieldSpec kDayOfMonthSpec{"day-of-month", 1, 31, 31, nullptr, 0};
constexpr FieldSpec kMonthSpec{"month", 1, 12, 12, kMonthNames.data(), kMonthNames.size()};
constexpr FieldSpec kDayOfWeekSpec{"day-of-week", 0, 7, 6, kWeekdayNames.data(), kWeekdayNames.size()};

struct Alias {
    std::string_view name;
    std::string_view expansion;
};

constexpr std::array<Alias, 7> kAliases = {{
    {"@hourly", "0 * * * *"},
    {"@daily", "0 0 * * *"},
    {"@midnight", "0 0 * * *"},
    {"@weekly", "0 0 * * 0"},
    {"@monthly", "0 0 1 * *"},
    {"@yearly", "0 0 1 1 *"},
    {"@annually", "0 0 1 1 *"},
}};

bool IsSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

bool IsDigit(char c) {
    return c >= '0' && c <= '9';
}

bool IsAlpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

char ToUpper(char c) {
    return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (ToUpper(a[i]) != ToUpper(b[i])) {
            return false;
        }
    }
    return true;
}

/// Up to kMaxFields whitespace-separated fields; `count` keeps counting past that for the error message.
constexpr std::size_t kMaxFields = 6;

struct Fields {
    std::array<std::string_view, kMaxFields> items{};
    std::size_t count = 0;
};

Fields SplitFields(std::string_view text) {
    Fields fields;
    std::size_t pos = 0;
    while (pos < text.size()) {
        while (pos < text.size() && IsSpace(text[pos])) {
            ++pos;
        }
        const std::size_t begin = pos;
        while (pos < text.size() && !IsSpace(text[pos])) {
            ++pos;
        }
        if (pos > begin) {
            if (fields.count < kMaxFields) {
                fields.items[fields.count] = text.substr(begin, pos - begin);
            }
            ++fields.count;
        }
    }
    return fields;
}

std::string Quote(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 2);
    out.push_back('\'');
    out.append(s);
    out.push_back('\'');
    return out;
}

/// Parses one comma-separated field into a bit set; reports problems as "<position> field: <problem>".
class FieldParser {
public:
    FieldParser(const FieldSpec& spec, std::string_view field_path) : spec_(spec), field_path_(field_path) {}

    /// Returns the bit set of matching values; `bare_star` tells whether some list item is a plain '*'.
    std::uint64_t Parse(std::string_view text, bool& bare_star) const {
        for (const char c : text) {
            if (!IsDigit(c) && !IsAlpha(c) && c != '*' && c != '/' && c != '-' && c != ',') {
                Fail("unexpected character " + DescribeChar(c) + " in " + Quote(text));
            }
        }
        std::uint64_t bits = 0;
        bare_star = false;
        std::size_t pos = 0;
        for (;;) {
            const std::size_t comma = text.find(',', pos);
            const std::string_view item =
                text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
            if (item.empty()) {
                Fail("empty list item in " + Quote(text));
            }
            if (item == "*") {
                bare_star = true;
            }
            bits |= ParseItem(item);
            if (comma == std::string_view::npos) {
                break;
            }
            pos = comma + 1;
        }
        if (spec_.max == 7 && (bits & (std::uint64_t{1} << 7)) != 0) {  // 7 is Sunday
            bits = (bits & ~(std::uint64_t{1} << 7)) | 1U;
        }
        return bits;
    }

private:
    struct Value {
        int number;
        bool is_name;
    };

    [[noreturn]] void Fail(const std::string& problem) const {
        throw core::Error::Validation(field_path_, std::string(spec_.name) + " field: " + problem);
    }

    static std::string DescribeChar(char c) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte >= 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(byte));
            return Quote(buf);
        }
        return Quote(std::string_view(&c, 1));
    }

    std::uint64_t ParseItem(std::string_view item) const {
        const std::size_t slash = item.find('/');
        const std::string_view range = item.substr(0, slash);
        int step = 1;
        if (slash != std::string_view::npos) {
            const std::string_view step_text = item.substr(slash + 1);
            if (step_text.find('/') != std::string_view::npos || range.empty()) {
                Fail("malformed item " + Quote(item));
            }
            if (step_text.empty()) {
                Fail("missing step in " + Quote(item));
            }
            const int span = spec_.step_max - spec_.min + 1;
            const std::optional<int> parsed = ParseNumber(step_text);
            if (!parsed) {
                Fail("step " + Quote(step_text) + " in " + Quote(item) + " is not a number");
            }
            if (*parsed == 0) {
                Fail("step 0 in " + Quote(item));
            }
            if (*parsed < 0 || *parsed > span) {
                Fail(
                    "step " + std::string(step_text) + " in " + Quote(item) + " is out of range 1-" +
                    std::to_string(span)
                );
            }
            step = *parsed;
        }

        int first = 0;
        int last = 0;
        if (range == "*") {
            first = spec_.min;
            last = spec_.step_max;
        } else {
            const std::size_t dash = range.find('-');
            if (dash == std::string_view::npos) {
                first = ParseValue(range, item).number;
                // "a/n" runs from a to the field's max; a lone "a" is just a.
                last = slash == std::string_view::npos ? first : std::max(first, spec_.step_max);
            } else {
                const std::string_view low = range.substr(0, dash);
                const std::string_view high = range.substr(dash + 1);
                if (low.empty() || high.empty() || high.find('-') != std::string_view::npos) {
                    Fail("malformed item " + Quote(item));
                }
                first = ParseValue(low, item).number;
                const Value high_value = ParseValue(high, item);
                last = high_value.number;
                if (spec_.max == 7 && high_value.is_name && last == 0 && first > 0) {
                    last = 7;  // FRI-SUN: Sunday by name closes a week range
                }
                if (last < first) {
                    Fail("range " + Quote(range) + " runs backwards");
                }
            }
        }
        std::uint64_t bits = 0;
        for (int v = first; v <= last; v += step) {
            bits |= std::uint64_t{1} << v;
        }
        return bits;
    }

    static std::optional<int> ParseNumber(std::string_view text) {
        for (const char c : text) {
            if (!IsDigit(c)) {
                return std::nullopt;
            }
        }
        if (text.size() > 6) {  // far beyond every field's range; keeps from_chars away from overflow
            return -1;
        }
        int value = 0;
        std::from_chars(text.data(), text.data() + text.size(), value);
        return value;
    }

    Value ParseValue(std::string_view token, std::string_view item) const {
        if (token.find('*') != std::string_view::npos || token.empty()) {
            Fail("malformed item " + Quote(item));
        }
        if (const std::optional<int> number = ParseNumber(token)) {
            if (*number < spec_.min || *number > spec_.max) {
                Fail(Quote(token) + " is out of range " + std::to_string(spec_.min) + "-" + std::to_string(spec_.max));
            }
            return {*number, false};
        }
        if (spec_.names == nullptr) {
            Fail(Quote(token) + " is not a number");
        }
        for (std::size_t i = 0; i < spec_.name_count; ++i) {
            if (EqualsIgnoreCase(token, spec_.names[i])) {
                return {spec_.min + static_cast<int>(i), true};
            }
        }
        Fail("unknown name " + Quote(token));
    }

    const FieldSpec& spec_;
    std::string_view field_path_;
};

int DaysInMonth(std::int64_t year, int month) {
    static constexpr std::array<int, 13> kDays = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month == 2 && (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))) {
        return 29;
    }
    return kDays[static_cast<std::size_t>(month)];
}

/// The lowest set bit of `bits` at or above `from`, or -1.
int NextBit(std::uint64_t bits, int from) {
    if (from >= 64) {
        return -1;
    }
    const std::uint64_t rest = bits >> from;
    return rest == 0 ? -1 : from + std::countr_zero(rest);
}

}  // namespace

CronExpr CronExpr::Parse(std::string_view text, std::string_view field) {
    Fields fields = SplitFields(text);
    if (fields.count == 0) {
        throw core::Error::Validation(field, "empty expression");
    }
    if (fields.count == 1 && fields.items[0].front() == '@') {
        const std::string_view alias = fields.items[0];
        bool found = false;
        for (const Alias& a : kAliases) {
            if (EqualsIgnoreCase(alias, a.name)) {
                fields = SplitFields(a.expansion);
                found = true;
                break;
            }
        }
        if (!found) {
            throw core::Error::Validation(
                field,
                "unknown alias " + Quote(alias) +
                    " (expected @hourly, @daily, @midnight, @weekly, @monthly, @yearly or @annually)"
            );
        }
    }
    if (fields.count != 5 && fields.count != 6) {
        throw core::Error::Validation(
            field,
            std::to_string(fields.count) + (fields.count == 1 ? " field" : " fields") +
                " (expected 5, or 6 with seconds)"
        );
    }

    CronExpr expr;
    expr.text_ = std::string(text);
    expr.has_seconds_ = fields.count == 6;
    std::size_t next = 0;
    bool star = false;
    if (expr.has_seconds_) {
        expr.seconds_ = FieldParser(kSecondSpec, field).Parse(fields.items[next++], star);
    } else {
        expr.seconds_ = 1;  // second 0
    }
    expr.minutes_ = FieldParser(kMinuteSpec, field).Parse(fields.items[next++], star);
    expr.hours_ = FieldParser(kHourSpec, field).Parse(fields.items[next++], star);
    expr.days_of_month_ = FieldParser(kDayOfMonthSpec, field).Parse(fields.items[next++], expr.day_of_month_star_);
    expr.months_ = FieldParser(kMonthSpec, field).Parse(fields.items[next++], star);
    const std::uint64_t weekdays =
        FieldParser(kDayOfWeekSpec, field).Parse(fields.items[next++], expr.day_of_week_star_);
    // Days 1, 8, 15, 22 and 29 share the weekday of the 1st; shifting by k gives the days k weekdays later.
    constexpr std::uint64_t kSameWeekday = (1U << 1) | (1U << 8) | (1U << 15) | (1U << 22) | (1U << 29);
    for (int first_weekday = 0; first_weekday < 7; ++first_weekday) {
        std::uint64_t days = 0;
        for (int weekday = 0; weekday < 7; ++weekday) {
            if ((weekdays >> weekday & 1U) != 0) {
                days |= kSameWeekday << ((weekday - first_weekday + 7) % 7);
            }
        }
        expr.weekday_days_[static_cast<std::size_t>(first_weekday)] = days;
    }
    return expr;
}

std::uint64_t CronExpr::DayMask(std::int64_t year, int month) const {
    // cctz numbers weekdays from Monday = 0; cron from Sunday = 0.
    const int first_weekday = (static_cast<int>(cctz::get_weekday(cctz::civil_day(year, month, 1))) + 1) % 7;
    const std::uint64_t by_weekday = weekday_days_[static_cast<std::size_t>(first_weekday)];
    const std::uint64_t days =
        (day_of_month_star_ || day_of_week_star_) ? (days_of_month_ & by_weekday) : (days_of_month_ | by_weekday);
    const std::uint64_t valid = ((std::uint64_t{1} << (DaysInMonth(year, month) + 1)) - 1) & ~std::uint64_t{1};
    return days & valid;
}

std::optional<cctz::civil_second> CronExpr::NextLocalMatch(cctz::civil_second from, std::int64_t last_year) const {
    std::int64_t year = from.year();
    int month = from.month();
    int day = from.day();
    int hour = from.hour();
    int minute = from.minute();
    int second = from.second();
    std::int64_t mask_year = -1;
    int mask_month = -1;
    std::uint64_t day_mask = 0;
    // Each step either returns or moves to the first instant of the next candidate unit, resetting the smaller units,
    // so the loop runs a bounded number of times per month searched.
    while (year <= last_year) {
        const int next_month = NextBit(months_, month);
        if (next_month < 0) {
            ++year;
            month = 1;
            day = 1;
            hour = minute = second = 0;
            continue;
        }
        if (next_month != month) {
            month = next_month;
            day = 1;
            hour = minute = second = 0;
        }
        if (year != mask_year || month != mask_month) {
            day_mask = DayMask(year, month);
            mask_year = year;
            mask_month = month;
        }
        const int next_day = NextBit(day_mask, day);
        if (next_day < 0) {
            ++month;
            day = 1;
            hour = minute = second = 0;
            continue;
        }
        if (next_day != day) {
            day = next_day;
            hour = minute = second = 0;
        }
        const int next_hour = NextBit(hours_, hour);
        if (next_hour < 0) {
            ++day;
            hour = minute = second = 0;
            continue;
        }
        if (next_hour != hour) {
            hour = next_hour;
            minute = second = 0;
        }
        const int next_minute = NextBit(minutes_, minute);
        if (next_minute < 0) {
            ++hour;
            minute = second = 0;
            continue;
        }
        if (next_minute != minute) {
            minute = next_minute;
            second = 0;
        }
        const int next_second = NextBit(seconds_, second);
        if (next_second < 0) {
            ++minute;
            second = 0;
            continue;
        }
        return cctz::civil_second(year, month, day, hour, minute, next_second);
    }
    return std::nullopt;
}

std::optional<core::TimePoint> CronExpr::NextAfter(core::TimePoint after, const cctz::time_zone& tz) const {
    const auto after_second = std::chrono::floor<std::chrono::seconds>(after);
    cctz::civil_second from = cctz::convert(after_second, tz) + 1;
    const std::int64_t last_year = from.year() + kSearchYears;
    for (;;) {
        const std::optional<cctz::civil_second> local = NextLocalMatch(from, last_year);
        if (!local) {
            return std::nullopt;
        }
        const cctz::time_zone::civil_lookup lookup = tz.lookup(*local);
        // Skipped (spring-forward gap): fire when the gap ends. Repeated (fall-back overlap): `pre` is the first
        // occurrence. Unique: pre == trans == post.
        const core::TimePoint fire = lookup.kind == cctz::time_zone::civil_lookup::SKIPPED ? lookup.trans : lookup.pre;
        if (fire > after) {
            return fire;
        }
        // Only when `after` lies in the second pass of a repeated hour: this local time already fired on the first.
        from = *local + 1;
    }
}

cctz::time_zone LoadTimeZone(std::string_view name, std::string_view field) {
    // Only IANA-shaped names: no absolute or relative paths, no "localtime" or other cctz specials.
    bool plausible = !name.empty() && name.size() <= 64 && name.front() != '/' && name.back() != '/' &&
                     name.find("..") == std::string_view::npos && name.find("//") == std::string_view::npos &&
                     name != "localtime";
    for (const char c : name) {
        if (!IsAlpha(c) && !IsDigit(c) && c != '/' && c != '_' && c != '-' && c != '+') {
            plausible = false;
        }
    }
    cctz::time_zone tz;
    if (!plausible || !cctz::load_time_zone(std::string(name), &tz)) {
        throw core::Error::Validation(field, "unknown time zone " + Quote(name));
    }
    return tz;
}

}  // namespace agentos::scheduler
