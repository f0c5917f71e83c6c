#include "api/middleware/rate_limit.hpp"

#include <algorithm>

namespace agentos::api {
namespace {

std::int64_t CeilDiv(std::int64_t a, std::int64_t b) {
    return (a + b - 1) / b;
}

}  // namespace

RateDecision RateLimiter::Check(const std::string& key_id) {
    RateDecision d;
    d.limit = per_minute_;
    if (per_minute_ <= 0) {
        d.remaining = 0;
        return d;
    }
    constexpr std::int64_t kMinuteUs = 60'000'000;
    const std::int64_t interval = kMinuteUs / per_minute_;  // one request's worth of time
    const std::int64_t burst = interval * per_minute_;      // the whole bucket
    const std::int64_t now = core::ToUnixMicros(clock_.Now());

    const std::lock_guard lock(mutex_);
    // Forget keys whose bucket is full again, now and then, so the map does not grow with every key ever seen.
    if (++checks_ % 4096 == 0) {
        for (auto it = tat_us_.begin(); it != tat_us_.end();) {
            it = it->second <= now ? tat_us_.erase(it) : std::next(it);
        }
    }
    std::int64_t& tat = tat_us_[key_id];
    const std::int64_t start = std::max(tat, now);
    const std::int64_t next = start + interval;
    if (next - burst > now) {
        d.allowed = false;
        d.remaining = 0;
        d.retry_after_s = std::max<std::int64_t>(1, CeilDiv(next - burst - now, 1'000'000));
        d.reset_s = CeilDiv(start - now, 1'000'000);
        return d;
    }
    tat = next;
    d.remaining = static_cast<int>((burst - (next - now)) / interval);
    d.reset_s = CeilDiv(next - now, 1'000'000);
    return d;
}

}  // namespace agentos::api
