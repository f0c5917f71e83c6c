#pragma once
/// Time: an injectable Clock, and ISO-8601 UTC formatting/parsing with millisecond output.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace agentos::core {

using TimePoint = std::chrono::time_point<std::chrono::system_clock, std::chrono::microseconds>;

/// The source of "now"; tests inject a manual clock so nothing sleeps. Thread-safe.
class Clock {
public:
    virtual ~Clock() = default;
    virtual TimePoint Now() const = 0;
};

class SystemClock final : public Clock {
public:
    TimePoint Now() const override;
};

/// "2026-05-11T20:00:00.000Z" (UTC, milliseconds).
std::string FormatIso(TimePoint t);

/// Parses "YYYY-MM-DDTHH:MM:SS[.fraction][Z|±HH:MM|±HHMM]"; without an offset the time is read as UTC.
/// Returns nullopt for anything else, including impossible dates (2026-02-30) and fields out of range.
std::optional<TimePoint> ParseIso(std::string_view text);

/// Microseconds since the Unix epoch.
std::int64_t ToUnixMicros(TimePoint t);

TimePoint FromUnixMicros(std::int64_t micros);

}  // namespace agentos::core
