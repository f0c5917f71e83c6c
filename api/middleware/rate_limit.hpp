#pragma once
/// Per-key request rate limit (GCRA: a token bucket without a timer). Per process: several servers each allow
/// the full rate. Thread-safe; Check never suspends.

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

#include "runtime/core/time.hpp"

namespace agentos::api {

struct RateDecision {
    bool allowed = true;
    int limit = 0;
    int remaining = 0;
    std::int64_t reset_s = 0;        ///< seconds until the bucket is full again
    std::int64_t retry_after_s = 0;  ///< when refused: seconds until one request is allowed
};

class RateLimiter {
public:
    /// `per_minute` requests per key per minute, with bursts up to the same number; 0 turns limiting off.
    RateLimiter(int per_minute, const core::Clock& clock) : per_minute_(per_minute), clock_(clock) {}

    RateDecision Check(const std::string& key_id);

    bool enabled() const { return per_minute_ > 0; }

    int limit() const { return per_minute_; }

private:
    int per_minute_;
    const core::Clock& clock_;
    std::mutex mutex_;
    std::unordered_map<std::string, std::int64_t> tat_us_;  ///< theoretical arrival time per key
    std::uint64_t checks_ = 0;
};

}  // namespace agentos::api
