#pragma once
/// The run timeline: events with gap-free sequence numbers assigned inside the inserting transaction.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/core/run_status.hpp"
#include "runtime/core/time.hpp"

namespace agentos::store {

class Tx;

struct NewEvent {
    std::string type;
    core::EventLevel level = core::EventLevel::kInfo;
    nlohmann::json payload = nlohmann::json::object();
    std::optional<core::TimePoint> occurred_at;  ///< default: the insert time
};

struct EventRecord {
    std::int64_t id = 0;  ///< global id (the legacy API's event_id)
    std::int64_t seq = 0;
    std::string type;
    core::EventLevel level = core::EventLevel::kInfo;
    nlohmann::json payload;
    core::TimePoint occurred_at;
    core::TimePoint received_at;
};

/// A run's timeline after some point, with the run's state read in the same snapshot: what a follower of the run
/// needs to know whether it has seen everything and whether more can come.
struct RunFeedPage {
    std::string agent_id;
    core::RunStatus status = core::RunStatus::kRunning;
    std::int64_t last_seq = 0;
    nlohmann::json output;  ///< completed runs
    std::optional<std::string> error_message;
    nlohmann::json error_detail;
    std::optional<std::string> session_id;
    std::vector<EventRecord> events;
};

struct AppendResult {
    std::int64_t first_seq = 0;
    std::int64_t last_seq = 0;
    std::int64_t last_event_id = 0;
};

class EventRepo {
public:
    explicit EventRepo(Tx& tx) : tx_(tx) {}

    /// Appends `events` in order to a run that is still open, in one statement: the run row is locked while its
    /// last_seq is advanced, so concurrent batches for one run get consecutive, gap-free numbers. With
    /// `only_agent_id`, the run must belong to that agent. nullopt when no open run matched (the caller finds
    /// out why).
    std::optional<AppendResult> Append(
        const std::string& workspace_id,
        const std::string& run_id,
        const std::optional<std::string>& only_agent_id,
        const std::vector<NewEvent>& events
    );

    /// Events with seq > after, in order, at most `limit`.
    std::vector<EventRecord> List(
        const std::string& workspace_id, const std::string& run_id, std::int64_t after, int limit
    );

    /// The run's events with seq > after (at most `limit`) and its state; nullopt when the workspace has no such run.
    std::optional<RunFeedPage> Follow(
        const std::string& workspace_id, const std::string& run_id, std::int64_t after, int limit
    );

private:
    Tx& tx_;
};

/// `events` as the jsonb array the append statements read ({type, level, payload, occurred_at?} each).
nlohmann::json EventRows(const std::vector<NewEvent>& events);

/// The statement Append runs ($1 workspace, $2 run, $3 agent or NULL, $4 count, $5 jsonb array of
/// {type, level, payload, occurred_at?}). Exposed for bench/ so its direct-insert baseline runs the same SQL.
std::string_view EventAppendSql();

}  // namespace agentos::store
