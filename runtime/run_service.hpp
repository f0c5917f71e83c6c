#pragma once
/// RunService: the life of a hosted run. Invoke checks the request against the agent's definition, inserts the run
/// (running, leased to this server — or queued) with its run_start event in one transaction, and runs it as its own
/// task: the caller only waits for it, so a client that goes away does not stop the run. Background runs are queued
/// and claimed by any server's workers (FOR UPDATE SKIP LOCKED), woken by NOTIFY. Child runs (agent nodes,
/// call_agent) run inside their parent and roll their totals up into it. A paused run lives only in Postgres: an
/// answer (or a deadline, applied by any server's timer) continues it on the server that takes it. Running runs
/// hold a lease renewed by a heartbeat; any server takes over runs whose lease expired and continues them from their
/// last checkpoint. Thread-safe.

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/core/principal.hpp"
#include "runtime/graph/executor.hpp"
#include "runtime/net/asio.hpp"
#include "runtime/providers/llm_provider.hpp"
#include "runtime/store/run_repo.hpp"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace agentos::core {
class Clock;
}  // namespace agentos::core

namespace agentos::store {
class PgPool;
class Tx;
}  // namespace agentos::store

namespace agentos::outbound {
class HttpClient;
}  // namespace agentos::outbound

namespace agentos::events {
class LiveHub;
}  // namespace agentos::events

namespace agentos::engine {

class AgentService;

struct InvokeRequest {
    std::string agent_ref;
    nlohmann::json input = nlohmann::json::object();
    std::map<std::string, std::string> prompt_variables;
    std::vector<providers::ChatMessage> history;
    std::optional<std::string> parent_run_id;
    bool background = false;
    bool stream = false;  ///< started and answered at once; the caller follows it (refused for output_schema agents)
    bool stream_children = false;  ///< with stream: the child runs' frames too
    std::string trigger_type = "manual";
    std::optional<std::string> schedule_id;
    nlohmann::json schedule;  ///< scheduled runs: {schedule_id, scheduled_for | null, manual}, kept in run_start
    /// A server-managed session: continue `session_id`, or open one (`start_session`). One turn at a time: on a busy
    /// session the invoke is refused (CONFLICT, retry_after_s) or, with `enqueue`, queued until the session is free.
    std::optional<std::string> session_id;
    bool start_session = false;
    std::optional<std::string> external_user_id;
    bool enqueue = false;
};

/// An answer to an approval (POST /api/v1/approvals/:id/resolve).
struct ResolveRequest {
    std::string approval_id;
    std::string decision;  ///< approve | reject
    std::optional<std::string> comment;
    std::optional<std::string> responded_by;
    bool stream = false;  ///< continued and answered at once; the caller follows it
};

/// An answer to an input request (POST /api/v1/input-requests/:id/respond).
struct RespondRequest {
    std::string request_id;
    nlohmann::json response;  ///< a string or an object
    std::optional<std::string> responded_by;
    bool stream = false;
};

struct InvokeResult {
    std::string run_id;
    std::optional<std::string> session_id;
    bool queued = false;
    /// A stream was asked for: the run executes and the caller follows it from after stored event `stream_after`.
    bool streaming = false;
    std::int64_t stream_after = 0;
    /// Invoke with stream: the run's agent and its run_start payload, so the stream begins without reading them.
    std::string agent_id;
    nlohmann::json run_start;
    bool stream_children = false;
    graph::RunOutcome outcome;  ///< when neither queued nor streaming
};

/// A queued run checked and planned inside the caller's transaction, not written yet (see RunService::PlanQueued).
struct PlannedRun {
    store::NewRun run;  ///< run.id is the run's id
    nlohmann::json run_start;
};

struct RunServiceOptions {
    std::string server_id;       ///< lease owner name of this server
    bool mock_fallback = false;  ///< agents whose provider key is unset answer with the mock provider (dev)
    int lease_seconds = 60;      ///< a running run's lease; renewed every third of it while it runs here
    int max_recoveries = 5;      ///< a run taken over more often than this fails with recovery_exhausted
    int max_depth = 5;           ///< child runs nest at most this deep
    int max_background = 16;     ///< queued runs this server executes at once; 0: none (it only queues them)
    std::vector<std::string> http_fetch_allowed_hosts;
    providers::RetryPolicy retry;
    nlohmann::json pricing;  ///< overrides of the built-in price table
};

class RunService {
public:
    RunService(
        store::PgPool& pool,
        AgentService& agents,
        outbound::HttpClient& http,
        const core::Clock& clock,
        RunServiceOptions options,
        events::LiveHub* hub = nullptr
    );
    ~RunService();
    RunService(const RunService&) = delete;
    RunService& operator=(const RunService&) = delete;

    /// Validates and starts a run; waits for its end unless it is queued (background).
    net::awaitable<InvokeResult> Invoke(core::Principal who, InvokeRequest request);

    /// Answers a pending approval / input request and continues its run here, waiting as Invoke does. Of
    /// concurrent answers one wins; the others are CONFLICT.
    net::awaitable<InvokeResult> Resolve(core::Principal who, ResolveRequest request);
    net::awaitable<InvokeResult> Respond(core::Principal who, RespondRequest request);

    /// Cancels an open run, its open descendants and their pending pauses; the executions stop at their next await
    /// point, on whichever server they run. The run as it is now. CONFLICT when it was closed already.
    net::awaitable<store::RunRecord> Cancel(core::Principal who, std::string run_id);

    /// Runs cancelled elsewhere (a NOTIFY payload: comma-separated ids): stop those executing here.
    void CancelLocal(const std::string& run_ids);

    /// Checks `request` (no session) against `agent`, in `tx`, and plans it as a queued run of the agent's current
    /// version: what Invoke would insert with background: true. Throws core::Error as Invoke does (a paused agent,
    /// a prompt variable missing …). For callers that start many runs in one transaction (due schedules).
    PlannedRun PlanQueued(store::Tx& tx, const store::AgentRecord& agent, const InvokeRequest& request);

    /// Inserts planned runs with their run_start events in one statement and announces them to the workers.
    void InsertQueued(store::Tx& tx, const std::vector<PlannedRun>& runs);

    /// This server's name as lease owner (given, or made up at construction).
    const std::string& server_id() const;

    /// Starts the background workers on `ioc`.
    void Start(net::io_context& ioc);

    /// Stops claiming queued runs (runs in flight end with the io_context).
    void Stop();

    /// Blocks (never on an I/O thread) until no run executes here or `limit` has passed; true when none does. A
    /// shutdown lets runs in flight end before their coroutines are destroyed with the io_context; one still going
    /// after it keeps its lease until it expires and another server continues it.
    bool WaitIdle(std::chrono::milliseconds limit) const;

    /// Interrupts every run executing here (a shutdown after the grace): each stops at what it awaits and writes
    /// nothing more, so its run stays open in the store and its lease lets another server continue it.
    void InterruptAll();

    /// While held (HoldClaims(true) more often than (false)), this server's workers claim no queued run: the
    /// schedule firing loop holds them while it works through a backlog of due times, so that firing them on time
    /// does not compete for the database with running what already fired. Releasing wakes the workers.
    void HoldClaims(bool hold);

    /// Something was queued somewhere: look for work now. Thread-safe; called from the NOTIFY listener.
    void Wake();

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

/// The channel on which a newly queued run is announced.
inline constexpr const char* kRunQueueChannel = "agentos_runs";
/// The channel on which cancelled runs are announced (payload: their ids, comma-separated).
inline constexpr const char* kRunCancelChannel = "agentos_cancel";

}  // namespace agentos::engine
