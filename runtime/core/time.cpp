#include "runtime/core/time.hpp"

#include <cstdio>

namespace agentos::core {
namespace {

bool ReadDigits(std::string_view s, std::size_t& pos, std::size_t count, int& out) {
    if (pos + count > s.size()) {
        return false;
    }
    int value = 0;
    for (std::size_t i = 0; i < count; ++i) {
        const char c = s[pos + i];
        if (c < '0' || c > '9') {
            return false;
        }
        value = value * 10 + (c - '0');
    }
    pos += count;
    out = value;
    return true;
}

bool Expect(std::string_view s, std::size_t& pos, char c) {
    if (pos < s.size() && s[pos] == c) {
        ++pos;
        return true;
    }
    return false;
}

}  // namespace

TimePoint SystemClock::Now() const {
    return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
}

std::string FormatIso(TimePoint t) {
    using namespace std::chrono;  // NOLINT(google-build-using-namespace): calendar arithmetic reads better
    const auto ms = time_point_cast<milliseconds>(t);
    const auto day = floor<days>(ms);
    const year_month_day ymd{day};
    const hh_mm_ss hms{ms - day};
    char buf[32];
    std::snprintf(
        buf,
        sizeof buf,
        "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ",
        static_cast<int>(ymd.year()),
        static_cast<unsigned>(ymd.month()),
        static_cast<unsigned>(ymd.day()),
        static_cast<int>(hms.hours().count()),
        static_cast<int>(hms.minutes().count()),
        static_cast<int>(hms.seconds().count()),
        static_cast<int>(hms.subseconds().count())
    );
    return buf;
}

std::optional<TimePoint> ParseIso(std::string_view s) {
    using namespace std::chrono;  // NOLINT(google-build-using-namespace)
    std::size_t pos = 0;
    int y = 0;
    int mo = 0;
    int d = 0;
    int h = 0;
    int mi = 0;
    int sec = 0;
    if (!ReadDigits(s, pos, 4, y) || !Expect(s, pos, '-') || !ReadDigits(s, pos, 2, mo) || !Expect(s, pos, '-') ||
        !ReadDigits(s, pos, 2, d)) {
        return std::nullopt;
    }
    if (!(Expect(s, pos, 'T') || Expect(s, pos, 't'))) {
        return std::nullopt;
    }
    if (!ReadDigits(s, pos, 2, h) || !Expect(s, pos, ':') || !ReadDigits(s, pos, 2, mi) || !Expect(s, pos, ':') ||
        !ReadDigits(s, pos, 2, sec)) {
        return std::nullopt;
    }
    std::int64_t micros = 0;
    if (Expect(s, pos, '.')) {
        int digits = 0;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            if (digits < 6) {
                micros = micros * 10 + (s[pos] - '0');
            }
            ++digits;
            ++pos;
        }
        if (digits == 0 || digits > 9) {
            return std::nullopt;
        }
        for (int i = digits; i < 6; ++i) {
            micros *= 10;
        }
    }
    int offset_minutes = 0;
    if (pos < s.size()) {
        if (s[pos] == 'Z' || s[pos] == 'z') {
            ++pos;
        } else if (s[pos] == '+' || s[pos] == '-') {
            const int sign = s[pos] == '-' ? -1 : 1;
            ++pos;
            int oh = 0;
            int om = 0;
            if (!ReadDigits(s, pos, 2, oh)) {
                return std::nullopt;
            }
            Expect(s, pos, ':');
            if (!ReadDigits(s, pos, 2, om) || oh > 23 || om > 59) {
                return std::nullopt;
            }
            offset_minutes = sign * (oh * 60 + om);
        } else {
            return std::nullopt;
        }
    }
    if (pos != s.size()) {
        return std::nullopt;
    }
    const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
    if (!ymd.ok() || h > 23 || mi > 59 || sec > 60) {
        return std::nullopt;
    }
    const auto tp =
        sys_days{ymd} + hours{h} + minutes{mi} + seconds{sec} + microseconds{micros} - minutes{offset_minutes};
    return time_point_cast<microseconds>(tp);
}

std::int64_t ToUnixMicros(TimePoint t) {
    return t.time_since_epoch().count();
}

TimePoint FromUnixMicros(std::int64_t micros) {
    return TimePoint{std::chrono::microseconds{micros}};
}

}  // namespace agentos::core
