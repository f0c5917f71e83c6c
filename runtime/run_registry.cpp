#include "runtime/run_registry.hpp"

#include <boost/asio/post.hpp>

namespace agentos::engine {

void RunRegistry::Add(const std::string& run_id, std::shared_ptr<RunHandle> handle) {
    const std::lock_guard lock(mutex_);
    runs_[run_id] = std::move(handle);
}

void RunRegistry::Remove(const std::string& run_id, const RunHandle* handle) {
    const std::lock_guard lock(mutex_);
    const auto it = runs_.find(run_id);
    if (it != runs_.end() && it->second.get() == handle) {
        runs_.erase(it);  // only its own entry: a later execution of the same run may have registered meanwhile
    }
}

std::vector<std::string> RunRegistry::Ids() const {
    const std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    out.reserve(runs_.size());
    for (const auto& [id, _] : runs_) {
        out.push_back(id);
    }
    return out;
}

void RunRegistry::Cancel(const std::vector<std::string>& run_ids) {
    std::vector<std::shared_ptr<RunHandle>> hit;
    {
        const std::lock_guard lock(mutex_);
        for (const auto& id : run_ids) {
            if (const auto it = runs_.find(id); it != runs_.end()) {
                hit.push_back(it->second);
            }
        }
    }
    for (const auto& h : hit) {
        h->cancelled->store(true);
        if (h->signal) {
            // A signal is emitted on the strand its execution runs on; the awaited operation ends with
            // operation_aborted, and so does every later one of that execution (asio's throw_if_cancelled).
            net::post(h->executor, [h] { h->signal->emit(net::cancellation_type::terminal); });
        }
    }
}

}  // namespace agentos::engine
