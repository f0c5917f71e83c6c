#pragma once
/// StreamLimiter: at most N live streams (SSE or WebSocket) open at once per API key on this server; the next is
/// RATE_LIMITED until one closes. A stream's slot is held by the token Acquire returns.

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace agentos::api {

class StreamLimiter {
public:
    explicit StreamLimiter(int max_per_key) : max_per_key_(max_per_key) {}

    /// One more stream for `key_id`, until the token is released. Throws core::Error (RATE_LIMITED) past the limit.
    std::shared_ptr<void> Acquire(const std::string& key_id);

    std::size_t open() const;

    int max_per_key() const { return max_per_key_; }

private:
    struct State {
        std::mutex mutex;
        std::unordered_map<std::string, int> open;
    };

    const int max_per_key_;
    std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace agentos::api
