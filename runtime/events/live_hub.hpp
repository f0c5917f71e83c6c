#pragma once
/// LiveHub: the process's switchboard of live run events. Stored events (relayed after they commit, from whichever
/// server wrote them) go to the followers of their run and to the workspace feeds that match; token chunks (only
/// where the run executes) go to the run's followers and into a bounded per-run replay buffer, so a follower that
/// attaches in the middle of an LLM call still gets the call's tokens from its first. Thread-safe.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "runtime/events/live_item.hpp"
#include "runtime/events/subscription.hpp"

namespace agentos::events {

struct LiveHubOptions {
    std::size_t replay_bytes = 256 * 1024;       ///< per run: the token chunks of the call in flight
    std::size_t subscriber_bytes = 1024 * 1024;  ///< per listener: what may queue before it is cut
};

/// What a workspace feed listens to.
struct FeedFilter {
    std::string workspace_id;
    std::optional<std::string> agent_id;
    std::optional<std::string> run_id;
};

class LiveHub {
public:
    explicit LiveHub(LiveHubOptions options = {});
    ~LiveHub();
    LiveHub(const LiveHub&) = delete;
    LiveHub& operator=(const LiveHub&) = delete;

    /// Follows one run (or several: `run_ids`), its stored events and its chunks; the replay buffer's chunks of
    /// those runs are queued at once. The subscription ends when the returned handle is released (Unsubscribe).
    std::shared_ptr<Subscription> FollowRuns(const std::vector<std::string>& run_ids, bool include_children = false);
    /// A child run of `parent_run_id` is about to start: the parent's followers that asked for children follow it
    /// too (and so its own children, in turn).
    void LinkChild(const std::string& parent_run_id, const std::string& child_run_id);
    /// Adds a run to a follower's runs (a child run it was asked to include).
    void AddRun(const std::shared_ptr<Subscription>& subscription, const std::string& run_id);
    std::shared_ptr<Subscription> FollowWorkspace(FeedFilter filter);
    void Unsubscribe(const std::shared_ptr<Subscription>& subscription);

    /// Whether anyone here listens to this run (a follower, or a workspace feed that could match it).
    bool Interested(const std::string& workspace_id, const std::string& run_id) const;

    /// Stored events of one run, in order.
    void PublishStored(const std::vector<LiveItemPtr>& items);
    /// A token chunk of `run_id`'s LLM call in flight, after stored event `after_seq`.
    void PublishChunk(
        const std::string& workspace_id, const std::string& run_id, std::int64_t after_seq, std::string_view delta
    );
    /// The run has stored everything up to `last_seq` (or ended): its replay buffer of chunks before that goes.
    void Stored(const std::string& run_id, std::int64_t last_seq, bool ended);

    std::size_t subscriber_count() const;
    std::size_t replay_runs() const;

    const LiveHubOptions& options() const { return options_; }

private:
    struct Replay {
        std::int64_t after_seq = 0;
        std::int64_t next_chunk = 1;
        std::vector<LiveItemPtr> chunks;
        std::size_t bytes = 0;
    };

    struct Feed {
        FeedFilter filter;
        std::shared_ptr<Subscription> subscription;
    };

    void AddRunLocked(const std::shared_ptr<Subscription>& subscription, const std::string& run_id);

    const LiveHubOptions options_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, std::vector<std::shared_ptr<Subscription>>> by_run_;
    std::unordered_map<const Subscription*, std::vector<std::string>> runs_of_;
    std::unordered_map<const Subscription*, bool> with_children_;
    std::unordered_map<std::string, std::vector<std::string>> children_of_;  ///< inline children while parents run
    std::unordered_map<std::string, std::vector<Feed>> by_workspace_;
    std::unordered_map<std::string, Replay> replay_;
};

}  // namespace agentos::events
