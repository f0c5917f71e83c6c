#pragma once
/// Durable pauses: the approvals and input requests a hosted run waits on. A run pauses in one statement (the pause,
/// its checkpoint, its status and its events); an answer resumes it in one statement that only the first answer can
/// win (the pause must still be pending), leasing the run to the answering server.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/core/time.hpp"
#include "runtime/store/event_repo.hpp"

namespace agentos::store {

class Tx;
struct Usage;

struct PauseRecord {
    std::string id;
    std::string workspace_id;
    std::string run_id;
    std::string agent_id;
    std::string agent_slug;
    std::string kind;    ///< approval | input
    std::string status;  ///< pending | approved | rejected | answered | expired | cancelled
    std::string point;   ///< where the run paused: "tool:<model turn>:<place>:<call id>" or "node:<name>:<step>"
    std::optional<std::string> node_name;
    std::optional<std::string> tool_name;
    std::optional<std::string> tool_call_id;
    nlohmann::json arguments;  ///< the exact tool arguments an approval is bound to
    std::optional<std::string> arguments_hash;
    std::optional<std::string> message;
    std::optional<std::string> question;
    nlohmann::json options;  ///< input: the offered choices, or null
    std::optional<core::TimePoint> timeout_at;
    std::optional<std::string> on_timeout;  ///< approvals: approve | reject
    nlohmann::json default_answer;          ///< input: the answer a deadline gives, or null
    std::optional<std::string> decision;    ///< approvals: approve | reject (a deadline's too)
    nlohmann::json response;                ///< input: the answer
    std::optional<std::string> comment;
    std::optional<std::string> responded_by;
    std::optional<core::TimePoint> resolved_at;
    core::TimePoint created_at;
};

struct NewPause {
    std::string id;
    std::string kind;
    std::string point;
    std::optional<std::string> node_name;
    std::optional<std::string> tool_name;
    std::optional<std::string> tool_call_id;
    nlohmann::json arguments;
    std::optional<std::string> arguments_hash;
    std::optional<std::string> message;
    std::optional<std::string> question;
    nlohmann::json options;
    std::optional<double> timeout_s;
    std::optional<std::string> on_timeout;
    nlohmann::json default_answer;
};

/// The run's side of a pause: its new status and the step it stopped at.
struct PausedStep {
    std::string status;  ///< awaiting_approval | awaiting_input
    nlohmann::json checkpoint;
    std::int64_t step_count = 0;
    std::vector<NewEvent> events;  ///< the step's events, human_input_requested last
};

/// An answer to a pause.
struct PauseAnswer {
    std::string status;  ///< approved | rejected | answered | expired
    std::optional<std::string> decision;
    nlohmann::json response;
    std::optional<std::string> comment;
    std::optional<std::string> responded_by;
    nlohmann::json received_payload;  ///< the human_input_received event
};

struct PauseFilter {
    std::optional<std::string> kind;
    std::optional<std::string> status;
    std::optional<std::string> agent_id;
    std::optional<std::string> run_id;
    std::optional<std::string> before_id;  ///< cursor: the last id of the previous page
    int limit = 50;
};

class PauseRepo {
public:
    explicit PauseRepo(Tx& tx) : tx_(tx) {}

    /// Pauses a running run held under `lease_term`: the pause row, the run's status, checkpoint, step count, usage
    /// and events, in one statement. False when the run is no longer running under that term (cancelled, or its
    /// lease passed to another server).
    bool Open(
        const std::string& workspace_id,
        const std::string& run_id,
        std::int64_t lease_term,
        const PausedStep& step,
        const Usage& usage,
        const NewPause& pause
    );

    std::optional<PauseRecord> Get(const std::string& workspace_id, const std::string& id);

    /// Newest first.
    std::vector<PauseRecord> List(const std::string& workspace_id, const PauseFilter& filter);

    /// How many pauses of each kind match (status, agent): {kind, count} pairs.
    std::vector<std::pair<std::string, std::int64_t>> Count(
        const std::string& workspace_id,
        const std::optional<std::string>& status,
        const std::optional<std::string>& agent_id
    );

    /// The answered pauses of a run: where a resumed run finds what it was told.
    std::vector<PauseRecord> Answered(const std::string& workspace_id, const std::string& run_id);

    /// Answers pending pause `id` of `kind` and resumes its run: leased to `owner` (a new lease term), running, with
    /// human_input_received appended. nullopt when the pause is not pending (already answered, expired, cancelled)
    /// or not there: the first of concurrent answers wins, the others get nullopt.
    struct Resumed {
        PauseRecord pause;
        bool run_resumed = false;  ///< false: the run was not paused (the caller rolls back)
    };

    std::optional<Resumed> Answer(
        const std::string& workspace_id,
        const std::string& id,
        const std::string& kind,
        const PauseAnswer& answer,
        const std::string& owner,
        int lease_seconds
    );

    /// Locks one pending pause whose deadline passed (any workspace; skipping those another server holds).
    std::optional<PauseRecord> LockExpired();

    /// The earliest deadline of a pending pause, if any.
    std::optional<core::TimePoint> NextDeadline();

private:
    Tx& tx_;
};

}  // namespace agentos::store
