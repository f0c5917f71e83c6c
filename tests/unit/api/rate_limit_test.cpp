#include "api/middleware/rate_limit.hpp"

#include <gtest/gtest.h>

namespace agentos::api {
namespace {

class ManualClock : public core::Clock {
public:
    core::TimePoint Now() const override { return now; }

    core::TimePoint now = core::FromUnixMicros(1'800'000'000'000'000);
};

TEST(RateLimiter, AllowsABurstOfTheLimitThenRefusesWithRetryAfter) {
    ManualClock clock;
    RateLimiter limiter(200, clock);
    for (int i = 0; i < 200; ++i) {
        const auto d = limiter.Check("k");
        ASSERT_TRUE(d.allowed) << i;
        EXPECT_EQ(d.limit, 200);
        EXPECT_EQ(d.remaining, 199 - i);
    }
    const auto refused = limiter.Check("k");
    EXPECT_FALSE(refused.allowed);
    EXPECT_EQ(refused.remaining, 0);
    EXPECT_EQ(refused.retry_after_s, 1);  // one request's worth is 0.3 s
    EXPECT_GE(refused.reset_s, 59);
}

TEST(RateLimiter, RefillsAtTheSteadyRateAndKeysAreIndependent) {
    ManualClock clock;
    RateLimiter limiter(60, clock);  // one per second
    for (int i = 0; i < 60; ++i) {
        ASSERT_TRUE(limiter.Check("a").allowed);
    }
    EXPECT_FALSE(limiter.Check("a").allowed);
    EXPECT_TRUE(limiter.Check("b").allowed);
    clock.now += std::chrono::seconds(1);
    EXPECT_TRUE(limiter.Check("a").allowed);
    EXPECT_FALSE(limiter.Check("a").allowed);
    clock.now += std::chrono::seconds(60);
    const auto d = limiter.Check("a");
    EXPECT_TRUE(d.allowed);
    EXPECT_EQ(d.remaining, 59);
}

TEST(RateLimiter, ZeroTurnsItOff) {
    ManualClock clock;
    RateLimiter limiter(0, clock);
    EXPECT_FALSE(limiter.enabled());
    for (int i = 0; i < 1000; ++i) {
        ASSERT_TRUE(limiter.Check("k").allowed);
    }
}

}  // namespace
}  // namespace agentos::api
