#pragma once
/// RunFollower: one client's view of a run as a stream of frames — the stored timeline after a position, then live
/// until the run ends or pauses, with no gap and no duplicate. It subscribes to the LiveHub before it reads the
/// store, so nothing written in between is missed; anything it already has (by sequence number) is skipped.
/// Token chunks carry the id "N.k" (the k-th chunk after stored event N) and are held back until event N has been
/// delivered, so the wire order is always the id order and a client resuming from any id gets exactly the rest.
/// A stream ends with exactly one terminal frame: done, awaiting_approval, awaiting_input or error.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/events/live_hub.hpp"
#include "runtime/net/asio.hpp"

namespace agentos::store {
class PgPool;
struct RunFeedPage;
}  // namespace agentos::store

namespace agentos::engine {

class EventRelay;

struct StreamFrame {
    std::string id;     ///< "N" (stored event N) or "N.k" (a chunk); empty: none
    std::string event;  ///< run, chunk, step, tool, done, awaiting_approval, awaiting_input, error, event
    nlohmann::json data;
};

/// Where a client is in a run's stream: after stored event `seq` and, past it, after chunk `chunk`.
struct StreamPosition {
    std::int64_t seq = 0;
    std::int64_t chunk = 0;
};

/// "N" or "N.k" (both non-negative integers); nullopt for anything else.
std::optional<StreamPosition> ParseStreamPosition(std::string_view text);

/// The frame of a stored event, given whether it is the run's last one and the run has stopped there.
StreamFrame FrameOf(const events::LiveItem& item, bool terminal);

struct FollowerDeps {
    store::PgPool& pool;
    events::LiveHub& hub;
    const EventRelay& relay;
};

class RunFollower {
public:
    /// `include_children`: the child runs it starts (agent nodes, call_agent) on this server stream into it too, as
    /// frames child_run, child_chunk, child_step, child_tool, child_event, child_done, child_error — live only:
    /// they carry no id, so resuming does not replay them.
    RunFollower(
        FollowerDeps deps,
        std::string workspace_id,
        std::string run_id,
        StreamPosition after,
        bool include_children = false
    );
    ~RunFollower();
    RunFollower(const RunFollower&) = delete;
    RunFollower& operator=(const RunFollower&) = delete;

    /// Subscribes and reads the run. NOT_FOUND when the workspace has no such run, VALIDATION_ERROR (field
    /// `field`) when the position is past the run's end. `only_agent_id`: the run must be that agent's (FORBIDDEN).
    net::awaitable<void> Open(std::string field, std::optional<std::string> only_agent_id);

    /// Instead of Open, for a run this caller has just started: subscribes and begins with its run_start (event 1,
    /// `payload`) without reading the store. Whatever the run stores before the subscription is found as a gap.
    void OpenAtStart(std::string agent_id, nlohmann::json payload);

    /// The next frames, in order; empty when `ping_after` passed with nothing new (or the stream ended).
    net::awaitable<std::vector<StreamFrame>> Next(std::chrono::milliseconds ping_after);

    /// The terminal frame was sent, or the client is too slow (cut) or gone (Stop).
    bool done() const { return done_; }

    /// The client fell too far behind: its stream is closed and it resumes from its last id.
    bool cut() const;
    /// The client went away (any thread): Next returns at once.
    void Stop();
    /// Called when the follower is cut while its writer may be blocked (on a hub publisher's thread).
    void OnCut(std::function<void()> callback);

    const std::string& agent_id() const { return agent_id_; }

private:
    net::awaitable<void> CatchUp(std::vector<StreamFrame>& out);
    void TakePage(const store::RunFeedPage& page, std::vector<StreamFrame>& out);
    void Consume(const events::LiveItemPtr& item, std::vector<StreamFrame>& out);
    void DeliverStored(const events::LiveItem& item, std::vector<StreamFrame>& out);
    void FlushHeldChunks(std::vector<StreamFrame>& out);
    void ConsumeChild(const events::LiveItem& item, std::vector<StreamFrame>& out);

    FollowerDeps deps_;
    std::string workspace_id_;
    std::string run_id_;
    std::string agent_id_;
    std::int64_t delivered_seq_ = 0;
    std::int64_t delivered_chunk_ = 0;
    bool include_children_ = false;
    bool catch_up_ = true;
    bool done_ = false;
    std::uint64_t epoch_ = 0;
    std::shared_ptr<events::Subscription> subscription_;
    std::vector<events::LiveItemPtr> held_;  ///< chunks after a stored event not delivered yet
    std::vector<StreamFrame> first_;         ///< what Open read, sent by the first Next
};

}  // namespace agentos::engine
