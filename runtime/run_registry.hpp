#pragma once
/// RunRegistry: the runs this server is executing right now, so that it can renew their leases (the heartbeat) and
/// stop them when they are cancelled. A top-level execution has its own strand and a cancellation signal that
/// interrupts whatever it awaits (a model call, a tool call, a child); a child run executes inside its parent's
/// coroutine and is registered with a flag only. Thread-safe.

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/cancellation_signal.hpp>

#include "runtime/net/asio.hpp"

namespace agentos::engine {

struct RunHandle {
    net::any_io_executor executor;                     ///< the strand the execution runs on (top level only)
    std::shared_ptr<net::cancellation_signal> signal;  ///< interrupts the awaited operation (top level only)
    std::shared_ptr<std::atomic<bool>> cancelled = std::make_shared<std::atomic<bool>>(false);
};

class RunRegistry {
public:
    void Add(const std::string& run_id, std::shared_ptr<RunHandle> handle);
    void Remove(const std::string& run_id, const RunHandle* handle);

    /// The ids of every run executing here.
    std::vector<std::string> Ids() const;

    /// Marks these runs cancelled and interrupts the executions they belong to. Ids not executing here are skipped.
    void Cancel(const std::vector<std::string>& run_ids);

private:
    mutable std::mutex mutex_;
    std::unordered_map<std::string, std::shared_ptr<RunHandle>> runs_;
};

}  // namespace agentos::engine
