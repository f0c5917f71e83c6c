#pragma once
/// Runs, hosted and ingested alike: one row per run with its status, totals and links (parent, session, schedule).
/// Every statement is scoped by workspace_id.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/core/run_status.hpp"
#include "runtime/core/time.hpp"
#include "runtime/store/agent_repo.hpp"
#include "runtime/store/event_repo.hpp"

namespace agentos::store {

class Tx;

struct RunRecord {
    std::string id;
    std::string workspace_id;
    std::string agent_id;
    std::string agent_slug;
    std::optional<std::int64_t> agent_version;
    core::RunStatus status = core::RunStatus::kRunning;
    std::string source;  ///< "ingest" | "legacy" | "hosted"
    std::string trigger_type;
    std::optional<std::string> external_run_id;
    nlohmann::json input = nlohmann::json::object();
    nlohmann::json output;  ///< null until completed
    std::optional<std::string> error_message;
    nlohmann::json error_detail;  ///< null unless failed with detail
    std::optional<std::string> parent_run_id;
    std::optional<std::string> session_id;
    std::optional<std::string> schedule_id;
    std::int64_t last_seq = 0;
    std::int64_t prompt_tokens = 0;
    std::int64_t completion_tokens = 0;
    std::int64_t total_tokens = 0;
    double cost_usd = 0;
    std::optional<std::string> model;
    std::optional<std::string> budget_warning;
    nlohmann::json prompt_variables = nlohmann::json::object();
    std::int64_t depth = 0;
    nlohmann::json checkpoint;  ///< hosted runs: where to continue (null before the first step)
    std::int64_t step_count = 0;
    std::int64_t lease_term = 0;  ///< bumped each time a server takes the run over: a stale holder cannot write
    std::int64_t recovery_count = 0;
    core::TimePoint created_at;
    std::optional<core::TimePoint> started_at;
    std::optional<core::TimePoint> ended_at;
    core::TimePoint updated_at;
};

struct NewRun {
    std::string id;
    std::string workspace_id;
    std::string agent_id;
    std::optional<std::int64_t> agent_version;
    core::RunStatus status = core::RunStatus::kRunning;
    std::string source;
    std::string trigger_type;
    std::optional<std::string> external_run_id;
    nlohmann::json input = nlohmann::json::object();
    std::optional<std::string> parent_run_id;
    std::optional<std::string> session_id;
    std::optional<std::string> schedule_id;
    nlohmann::json prompt_variables = nlohmann::json::object();
    std::int64_t depth = 0;
    nlohmann::json checkpoint;               ///< hosted runs: the initial progress (history); null for others
    std::optional<std::string> lease_owner;  ///< hosted runs that start at once are leased to this server
    int lease_seconds = 60;
};

struct RunFilter {
    std::optional<std::string> agent_id;
    std::optional<core::RunStatus> status;
    std::optional<std::string> session_id;
    std::optional<std::string> parent_run_id;
    std::optional<std::string> trigger_type;
    std::optional<std::string> schedule_id;
    std::optional<std::string> before_id;  ///< cursor: the last id of the previous page
    int limit = 50;
};

struct Usage;

/// The last step of a hosted run, written by the statement that closes it.
struct FinalStep {
    nlohmann::json checkpoint;
    std::int64_t step_count = 0;
    std::int64_t prompt_tokens = 0;
    std::int64_t completion_tokens = 0;
    double cost_usd = 0;
    std::optional<std::string> model;
};

/// Token and cost usage to add to a run's totals.
struct Usage {
    std::int64_t prompt_tokens = 0;
    std::int64_t completion_tokens = 0;
    std::int64_t total_tokens = 0;
    double cost_usd = 0;
    std::optional<std::string> model;
};

/// How a run ends (RunRepo::Close).
struct RunEnd {
    core::RunStatus status = core::RunStatus::kCompleted;
    nlohmann::json output;  ///< completed runs
    std::optional<std::string> error_message;
    nlohmann::json error_detail;
    std::vector<NewEvent> events;              ///< the run's last events (its run_end or error among them)
    const FinalStep* step = nullptr;           ///< hosted runs: the last step's checkpoint and usage
    std::optional<std::string> only_agent_id;  ///< agent keys: the run must be this agent's
    std::optional<std::int64_t> lease_term;    ///< hosted runs: the run must still be held under this term
    /// End the run's pending pauses too. The executor's own close skips it: a running run has none (an answer moves
    /// the pause and the run in one statement).
    bool end_pauses = true;
    /// A completed turn of a session run: its messages ([{role, content, tool_calls?, tool_call_id?}]) appended to
    /// the session in the same statement. Null: none (a turn that appends nothing leaves a marker, see 0005).
    nlohmann::json session_turn;
};

struct ClosedRun {
    RunRecord run;
    AgentSpend spend;  ///< the agent's month, this run's cost included
};

class RunRepo {
public:
    explicit RunRepo(Tx& tx) : tx_(tx) {}

    /// The inserted run (read back in the same statement), or nullopt when a legacy run with the same sdk_run_id
    /// exists. `first_event` (run_start) is stored in the same statement as sequence number 1: one round trip and one
    /// row version instead of three. With `only_if_agent_current`, nothing is inserted (nullopt) unless the agent is
    /// still hosted, active, not deleted and at run.agent_version: a caller that checked a remembered agent row
    /// learns in the same statement whether it was stale.
    std::optional<RunRecord> Insert(
        const NewRun& run, const std::optional<NewEvent>& first_event = std::nullopt, bool only_if_agent_current = false
    );

    /// Inserts queued hosted runs, each with its run_start event (`starts[i]` for `runs[i]`), in one statement:
    /// for callers that make many runs at once (due schedules). Does not announce them (NotifyQueued).
    void InsertQueued(const std::vector<NewRun>& runs, const std::vector<NewEvent>& starts);

    std::optional<RunRecord> Get(const std::string& workspace_id, const std::string& run_id);

    /// The legacy-API run with this sdk_run_id.
    std::optional<RunRecord> FindLegacy(const std::string& workspace_id, const std::string& sdk_run_id);

    /// Newest first, at most filter.limit rows.
    std::vector<RunRecord> List(const std::string& workspace_id, const RunFilter& filter);

    /// Child runs (parent_run_id = run_id), oldest first.
    std::vector<RunRecord> Children(const std::string& workspace_id, const std::string& run_id);

    /// Moves an open run to a terminal status with its output or error, in one statement that also appends its last
    /// events, writes (for a hosted run) its last step's checkpoint and usage, and books its cost against the
    /// agent's month. nullopt when the run is not open (or not in the workspace, or not `only_agent_id`'s): the
    /// caller finds out which with Get.
    std::optional<ClosedRun> Close(const std::string& workspace_id, const std::string& run_id, const RunEnd& end);

    /// Changes the status of an open run to another non-terminal status. False when the run is not open.
    bool SetOpenStatus(const std::string& workspace_id, const std::string& run_id, core::RunStatus status);

    void AddUsage(const std::string& workspace_id, const std::string& run_id, const Usage& usage);

    void SetBudgetWarning(const std::string& workspace_id, const std::string& run_id, const std::string& warning);

    /// A step of a hosted run in one statement: the step's events, the checkpoint to continue from, the step count
    /// and the step's usage (one new row version of the run). Returns the run's last sequence number after the step;
    /// nullopt when the run is no longer running under `lease_term` (cancelled, or taken over by another server).
    std::optional<std::int64_t> SaveStep(
        const std::string& workspace_id,
        const std::string& run_id,
        const nlohmann::json& checkpoint,
        std::int64_t step_count,
        const Usage& usage,
        const std::vector<NewEvent>& events,
        std::int64_t lease_term
    );

    /// The run and all its descendants (parent_run_id links), parents before children, at most `limit` runs.
    std::vector<RunRecord> Tree(const std::string& workspace_id, const std::string& root_id, int limit);

    /// The agent ids from `run_id` up to its root (the run's own agent first).
    std::vector<std::string> AgentChain(const std::string& workspace_id, const std::string& run_id);

    /// Claims the oldest queued run for `owner` (any workspace: this is the server's worker, not a request):
    /// running, leased for `lease_seconds`. nullopt when none is queued. Concurrent claimers never get the same run.
    std::optional<RunRecord> ClaimQueued(const std::string& owner, int lease_seconds);

    /// Cancels the open runs of the tree under `run_id` (itself included): each gets status cancelled, `message`
    /// as its error and an `error` event with `event_payload`; their pending pauses end as cancelled. One statement.
    /// The ids of the runs it cancelled (none when the whole tree was closed already).
    std::vector<std::string> CancelTree(
        const std::string& workspace_id,
        const std::string& run_id,
        const std::string& message,
        const nlohmann::json& event_payload
    );

    /// Announces (at commit) cancelled runs, so the servers executing them stop at once.
    void NotifyCancelled(const std::vector<std::string>& run_ids);

    /// Extends the leases `owner` holds on these running runs (its heartbeat).
    void RenewLeases(const std::string& owner, int lease_seconds, const std::vector<std::string>& run_ids);

    /// Child runs started by an agent node or call_agent execute inside their parent: when their lease expired
    /// (the server died), the parent's recovery runs the node again, so the orphan is failed. How many were.
    std::int64_t FailOrphanedChildren(const std::string& message);

    /// Takes over at most `limit` running runs whose lease expired (any workspace), except those `executing_here`
    /// (alive, only late in renewing): a new lease term for `owner`, one more recovery, and a run_recovered event.
    /// Concurrent claimers never get the same run.
    std::vector<RunRecord> ClaimExpired(
        const std::string& owner, int lease_seconds, int limit, const std::vector<std::string>& executing_here
    );

    /// Announces (at commit) that a run was queued, so every server's workers look for it.
    void NotifyQueued();

private:
    Tx& tx_;
};

}  // namespace agentos::store
