#include "api/middleware/stream_limit.hpp"

#include "runtime/core/error.hpp"

namespace agentos::api {

std::shared_ptr<void> StreamLimiter::Acquire(const std::string& key_id) {
    {
        const std::lock_guard lock(state_->mutex);
        int& n = state_->open[key_id];
        if (n >= max_per_key_) {
            throw core::Error(
                core::ErrorCode::kRateLimited,
                "this key has " + std::to_string(n) +
                    " streams open, the most allowed (streams.max_per_key); close one "
                    "first"
            );
        }
        ++n;
    }
    // The slot goes back when the stream's last holder lets go (the state outlives the limiter if need be).
    return std::shared_ptr<void>(nullptr, [state = state_, key_id](void*) {
        const std::lock_guard lock(state->mutex);
        if (const auto it = state->open.find(key_id); it != state->open.end() && --it->second <= 0) {
            state->open.erase(it);
        }
    });
}

std::size_t StreamLimiter::open() const {
    const std::lock_guard lock(state_->mutex);
    std::size_t n = 0;
    for (const auto& [_, count] : state_->open) {
        n += static_cast<std::size_t>(count);
    }
    return n;
}

}  // namespace agentos::api
