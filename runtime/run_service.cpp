#include "runtime/run_service.hpp"

#include <mutex>
#include <thread>
#include <unordered_map>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "runtime/agent_service.hpp"
#include "runtime/core/error.hpp"
#include "runtime/core/ids.hpp"
#include "runtime/events/live_hub.hpp"
#include "runtime/run_close.hpp"
#include "runtime/run_registry.hpp"
#include "runtime/store/agent_repo.hpp"
#include "runtime/store/idempotency_repo.hpp"
#include "runtime/store/pause_repo.hpp"
#include "runtime/store/pg.hpp"
#include "runtime/store/pg_pool.hpp"
#include "runtime/store/session_repo.hpp"

namespace agentos::engine {
namespace {

using Json = nlohmann::json;
using core::Error;

constexpr auto kUseTuple = net::as_tuple(net::use_awaitable);

/// The end of a run, handed from the task that executes it to whoever waits (on any executor).
class Completion {
public:
    void Set(graph::RunOutcome outcome) { Finish(std::move(outcome), nullptr); }

    void Fail(std::exception_ptr error) { Finish({}, std::move(error)); }

    net::awaitable<graph::RunOutcome> Wait() {
        auto executor = co_await net::this_coro::executor;
        auto timer = std::make_shared<net::steady_timer>(executor, net::steady_timer::time_point::max());
        bool done = false;
        {
            const std::lock_guard lock(mutex_);
            done = finished_;
            if (!done) {
                waiters_.emplace_back(executor, timer);
            }
        }
        if (!done) {
            co_await timer->async_wait(kUseTuple);
        }
        const std::lock_guard lock(mutex_);
        if (error_) {
            std::rethrow_exception(error_);
        }
        co_return outcome_;
    }

private:
    void Finish(graph::RunOutcome outcome, std::exception_ptr error) {
        std::vector<std::pair<net::any_io_executor, std::weak_ptr<net::steady_timer>>> waiters;
        {
            const std::lock_guard lock(mutex_);
            outcome_ = std::move(outcome);
            error_ = std::move(error);
            finished_ = true;
            waiters.swap(waiters_);
        }
        for (auto& [executor, weak] : waiters) {
            net::post(executor, [weak = weak] {
                if (auto t = weak.lock()) {
                    t->cancel();
                }
            });
        }
    }

    std::mutex mutex_;
    bool finished_ = false;
    graph::RunOutcome outcome_;
    std::exception_ptr error_;
    std::vector<std::pair<net::any_io_executor, std::weak_ptr<net::steady_timer>>> waiters_;
};

/// Prompt variables with the definition's defaults, or VALIDATION_ERROR listing the undeclared and the missing.
std::map<std::string, std::string> ResolveVariables(
    const spec::AgentSpec& spec, const std::map<std::string, std::string>& given
) {
    std::vector<std::string> undeclared;
    for (const auto& [name, _] : given) {
        if (spec.variables.count(name) == 0) {
            undeclared.push_back(name);
        }
    }
    std::map<std::string, std::string> out;
    std::vector<std::string> missing;
    for (const auto& [name, v] : spec.variables) {
        if (const auto it = given.find(name); it != given.end()) {
            out[name] = it->second;
        } else if (v.default_value) {
            out[name] = *v.default_value;
        } else if (v.required) {
            missing.push_back(name);
        }
    }
    auto list = [](const std::vector<std::string>& names) {
        std::string s;
        for (const auto& n : names) {
            s.append(s.empty() ? "" : ", ").append(n);
        }
        return s;
    };
    if (!undeclared.empty()) {
        throw Error(
            core::ErrorCode::kValidation,
            "prompt_variables: agent " + spec.slug + " does not declare " + list(undeclared),
            Json{{"field", "prompt_variables"}, {"undeclared", undeclared}, {"missing", missing}}
        );
    }
    if (!missing.empty()) {
        throw Error(
            core::ErrorCode::kValidation,
            "prompt_variables: missing required " + list(missing),
            Json{{"field", "prompt_variables"}, {"missing", missing}}
        );
    }
    return out;
}

/// Refuses an agent that `who` may not start: another agent's key, external, paused, or without a definition.
void CheckInvocable(const core::Principal& who, const store::AgentRecord& agent) {
    if (who.IsAgentKey() && agent.id != who.agent_id) {
        throw Error(core::ErrorCode::kForbidden, "this agent key belongs to another agent");
    }
    if (agent.runtime != "hosted") {
        throw Error::Validation(
            "agentId",
            "agent '" + agent.slug + "' is external: AgentOS does not run it (report its runs through the ingest API)"
        );
    }
    if (agent.status == "paused") {
        throw Error::Validation("agentId", "agent '" + agent.slug + "' is paused; activate it to invoke it");
    }
    if (!agent.current_version) {
        throw Error::Validation("agentId", "agent '" + agent.slug + "' has no definition to run");
    }
}

/// The agent a run of `who` may start: exists, hosted and active.
store::AgentRecord InvocableAgent(store::Tx& tx, const core::Principal& who, const std::string& ref) {
    auto agent = VisibleAgent(tx, who, ref);
    CheckInvocable(who, agent);
    return agent;
}

/// Agent rows seen by recent invokes, by workspace and reference (slug or id). An entry is only a guess: a run is
/// inserted from it only if the agent is still at that version and invocable (checked in the insert itself), so a
/// stale entry costs one more statement, never a wrong run.
class RememberedAgents {
public:
    std::optional<store::AgentRecord> Find(const std::string& workspace_id, const std::string& ref) {
        const std::lock_guard lock(mutex_);
        const auto it = agents_.find(Key(workspace_id, ref));
        return it == agents_.end() ? std::nullopt : std::optional<store::AgentRecord>(it->second);
    }

    void Remember(const std::string& workspace_id, const std::string& ref, const store::AgentRecord& agent) {
        const std::lock_guard lock(mutex_);
        if (agents_.size() >= kMaxEntries) {
            agents_.clear();  // crude, and rare: many thousands of agents invoked since the last clear
        }
        agents_[Key(workspace_id, ref)] = agent;
    }

    void Forget(const std::string& workspace_id, const std::string& ref) {
        const std::lock_guard lock(mutex_);
        agents_.erase(Key(workspace_id, ref));
    }

private:
    static constexpr std::size_t kMaxEntries = 4096;

    static std::string Key(const std::string& workspace_id, const std::string& ref) { return workspace_id + '/' + ref; }

    std::mutex mutex_;
    std::unordered_map<std::string, store::AgentRecord> agents_;
};

}  // namespace

struct RunService::Impl : std::enable_shared_from_this<RunService::Impl> {
    store::PgPool& pool;
    AgentService& agents;
    outbound::HttpClient& http;
    const core::Clock& clock;
    RunServiceOptions options;
    providers::PriceTable prices;
    providers::ProviderContext provider_context;
    graph::ExecutorDeps deps;
    net::io_context* ioc = nullptr;
    std::shared_ptr<net::steady_timer> wake_timer;
    std::shared_ptr<net::steady_timer> heartbeat_timer;
    std::shared_ptr<net::steady_timer> recovery_timer;
    std::shared_ptr<net::steady_timer> deadline_timer;
    std::atomic<bool> stopping{false};
    std::atomic<bool> wake_pending{false};  ///< a Wake() that came while the loop was not waiting on the timer
    std::atomic<int> active{0};
    std::atomic<int> claim_holds{0};  ///< HoldClaims: while > 0 the workers claim nothing
    RememberedAgents remembered;
    RunRegistry registry;

    Impl(
        store::PgPool& p,
        AgentService& a,
        outbound::HttpClient& h,
        const core::Clock& c,
        RunServiceOptions o,
        events::LiveHub* hub
    )
        : pool(p),
          agents(a),
          http(h),
          clock(c),
          options(std::move(o)),
          provider_context{
              http,
              prices,
              options.retry,
              [](const std::string& name) -> std::optional<std::string> {
                  const char* v = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe): read-only
                  return v != nullptr && *v != '\0' ? std::optional<std::string>(v) : std::nullopt;
              }},
          deps{
              pool,
              provider_context,
              options.mock_fallback,
              http,
              clock,
              tools::AddressPolicy(options.http_fetch_allowed_hosts),
              {},
              hub} {
        if (!options.pricing.is_null()) {
            prices.Load(options.pricing);
        }
        if (options.server_id.empty()) {
            options.server_id = "agentos-" + core::NewUuidV7().substr(24);
        }
        deps.run_child = [this](const graph::RunContext& parent, std::string slug, Json input) {
            return RunChild(parent, std::move(slug), std::move(input));
        };
    }

    /// The inserted run and the definition it runs.
    struct Started {
        store::RunRecord run;
        std::shared_ptr<const spec::AgentSpec> spec;
        Json run_start;  ///< the payload of its run_start event (sequence number 1)
    };

    /// A hosted run about to be inserted, with the payload of its run_start event.
    struct Planned {
        store::NewRun run;
        Json start;
        bool queued = false;
        bool stream = false;
    };

    Planned Plan(
        const store::AgentRecord& agent,
        const InvokeRequest& req,
        const std::map<std::string, std::string>& variables,
        std::int64_t depth,
        bool queued,
        std::string run_id
    ) const {
        store::NewRun run;
        run.id = std::move(run_id);
        run.workspace_id = agent.workspace_id;
        run.agent_id = agent.id;
        run.agent_version = agent.current_version;
        run.status = queued ? core::RunStatus::kQueued : core::RunStatus::kRunning;
        run.source = "hosted";
        run.trigger_type = req.trigger_type;
        run.input = req.input;
        run.parent_run_id = req.parent_run_id;
        run.schedule_id = req.schedule_id;
        run.depth = depth;
        Json vars = Json::object();
        for (const auto& [k, v] : variables) {
            vars[k] = v;
        }
        run.prompt_variables = vars;
        graph::Progress progress;
        progress.history = req.history;
        run.checkpoint = progress.ToJson();
        if (!queued) {
            run.lease_owner = options.server_id;
            run.lease_seconds = options.lease_seconds;
        }
        Json start = {
            {"framework", "agentos"},
            {"input", req.input},
            {"agent_version", agent.current_version.value_or(0)},
            {"trigger_type", req.trigger_type}};
        if (req.parent_run_id) {
            start["parent_run_id"] = *req.parent_run_id;
        }
        if (!req.schedule.is_null()) {
            start["schedule"] = req.schedule;
        }
        return Planned{std::move(run), std::move(start), queued, req.stream};
    }

    /// Inserts a hosted run and its run_start event in one statement (then, for a queued run, announces it).
    /// With `only_if_current`, nullopt when the agent row the caller checked is no longer current.
    std::optional<Started> Insert(
        store::Tx& tx,
        const store::AgentRecord& agent,
        const std::shared_ptr<const spec::AgentSpec>& spec,
        const InvokeRequest& req,
        const std::map<std::string, std::string>& variables,
        std::int64_t depth,
        bool queued,
        bool only_if_current = false,
        std::string run_id = core::NewUuidV7()
    ) {
        return InsertPlanned(tx, Plan(agent, req, variables, depth, queued, std::move(run_id)), spec, only_if_current);
    }

    std::optional<Started> InsertPlanned(
        store::Tx& tx, Planned planned, const std::shared_ptr<const spec::AgentSpec>& spec, bool only_if_current
    ) {
        auto& run = planned.run;
        auto& start = planned.start;
        const bool queued = planned.queued;
        if (!queued && !planned.stream) {
            // Nobody learns of a run that starts at once before its end (or pause) is committed synchronously,
            // which flushes this commit too; a queued or streamed run's id is told at once, so its insert is flushed.
            tx.DeferFlush();
        }
        auto record = store::RunRepo(tx).Insert(
            run, store::NewEvent{"run_start", core::EventLevel::kInfo, start, clock.Now()}, only_if_current
        );
        if (!record) {
            if (only_if_current) {
                return std::nullopt;
            }
            throw Error(core::ErrorCode::kInternal, "run " + run.id + " was not inserted");
        }
        if (queued) {
            store::RunRepo(tx).NotifyQueued();
        }
        return Started{std::move(*record), spec, std::move(start)};
    }

    std::shared_ptr<const spec::AgentSpec> Definition(store::Tx& tx, const store::AgentRecord& agent) {
        if (auto cached = agents.Cached(agent.id, *agent.current_version)) {
            return cached;  // versions never change: no need to read the text again
        }
        const auto version = store::AgentRepo(tx).Version(agent.id, *agent.current_version);
        if (!version) {
            throw Error(core::ErrorCode::kInternal, "agent " + agent.slug + " has lost its current version");
        }
        return agents.Compile(agent.id, *version);
    }

    using Answers = std::map<std::string, store::PauseRecord>;

    static Answers ByPoint(const std::vector<store::PauseRecord>& pauses) {
        Answers out;
        for (const auto& p : pauses) {
            out.emplace(p.point, p);
        }
        return out;
    }

    net::awaitable<graph::RunOutcome> Execute(
        store::RunRecord run,
        std::shared_ptr<const spec::AgentSpec> spec,
        Answers answers,
        std::shared_ptr<std::atomic<bool>> cancelled
    ) {
        graph::RunContext ctx;
        ctx.spec = spec;
        for (const auto& [k, v] : run.prompt_variables.items()) {
            if (v.is_string()) {
                ctx.variables[k] = v.get<std::string>();
            }
        }
        ctx.progress = graph::Progress::FromJson(run.checkpoint);
        ctx.totals = {run.prompt_tokens, run.completion_tokens, run.cost_usd, run.model};
        ctx.answers = std::move(answers);
        ctx.cancelled = std::move(cancelled);
        ctx.run = std::move(run);
        graph::Executor executor(deps, std::move(ctx));
        co_return co_await executor.Run();
    }

    /// The task a run executes in: its own lifetime, registered while it runs; `done` (if any) learns how it ended,
    /// `on_end` (if any) runs after.
    net::awaitable<void> ExecuteAndSignal(
        store::RunRecord run,
        std::shared_ptr<const spec::AgentSpec> spec,
        Answers answers,
        std::shared_ptr<RunHandle> handle,
        std::shared_ptr<Completion> done,
        std::function<void()> on_end
    ) {
        const std::string id = run.id;
        try {
            auto execute = Execute(std::move(run), std::move(spec), std::move(answers), handle->cancelled);
            auto outcome = co_await std::move(execute);
            if (done) {
                done->Set(std::move(outcome));
            }
        } catch (const std::exception& e) {
            if (handle->cancelled->load()) {
                // Interrupted by its cancel: the cancel already closed it, nothing more to write.
                graph::RunOutcome cancelled;
                cancelled.run_id = id;
                cancelled.status = core::RunStatus::kCancelled;
                cancelled.error_message = "the run was cancelled";
                if (done) {
                    done->Set(std::move(cancelled));
                }
            } else {
                spdlog::error("run {} stopped: {}", id, e.what());
                if (done) {
                    done->Fail(std::current_exception());
                }
            }
        }
        registry.Remove(id, handle.get());
        if (on_end) {
            on_end();
        }
    }

    /// A registered handle for an execution of `run_id` on `executor`. Registered before the statement that lets the
    /// execution begin commits, so that a cancel committed right after it always finds the execution.
    std::shared_ptr<RunHandle> Register(const std::string& run_id, net::any_io_executor executor) {
        auto handle = std::make_shared<RunHandle>();
        handle->executor = std::move(executor);
        handle->signal = std::make_shared<net::cancellation_signal>();
        registry.Add(run_id, handle);
        return handle;
    }

    net::any_io_executor NewStrand() const { return net::make_strand(ioc->get_executor()); }

    /// Starts executing `run` as its own task under `handle` (from Register). Cancel interrupts it.
    void Launch(
        store::RunRecord run,
        std::shared_ptr<const spec::AgentSpec> spec,
        Answers answers,
        std::shared_ptr<Completion> done,
        std::function<void()> on_end,
        std::shared_ptr<RunHandle> handle
    ) {
        auto slot = handle->signal->slot();
        auto executor = handle->executor;
        auto task = ExecuteAndSignal(
            std::move(run), std::move(spec), std::move(answers), handle, std::move(done), std::move(on_end)
        );
        net::co_spawn(executor, std::move(task), net::bind_cancellation_slot(slot, [handle](const std::exception_ptr&) {
                      }));
    }

    /// Checks the request against `agent` and inserts the run. With `remembered` (a row from RememberedAgents),
    /// nullopt when that row was stale.
    std::optional<Started> Start(
        store::Tx& tx,
        const core::Principal& who,
        const store::AgentRecord& agent,
        const InvokeRequest& req,
        bool from_memory,
        const std::string& run_id
    ) {
        CheckInvocable(who, agent);
        const auto spec = Definition(tx, agent);
        if (req.stream && !spec->output_schema.is_null()) {
            throw Error::Validation(
                "stream",
                "agent " + agent.slug +
                    " has an output_schema: its output exists only as a whole at the end; leave stream out"
            );
        }

        const auto variables = ResolveVariables(*spec, req.prompt_variables);
        std::int64_t depth = 0;
        if (req.parent_run_id) {
            const auto parent = store::RunRepo(tx).Get(who.workspace_id, *req.parent_run_id);
            if (!parent) {
                throw Error::NotFound("parent run " + *req.parent_run_id);
            }
            RequireAgentAccess(who, parent->agent_id);  // an agent key links only under its own agent's runs
            depth = parent->depth + 1;
            if (depth > options.max_depth) {
                throw Error::Validation(
                    "parent_run_id", "runs nest at most " + std::to_string(options.max_depth) + " deep"
                );
            }
        }
        auto planned = Plan(agent, req, variables, depth, req.background, run_id);
        if (req.session_id || req.start_session) {
            planned.run.session_id = JoinSession(tx, who, agent, req, run_id, planned.queued);
            planned.start["session_id"] = *planned.run.session_id;
            if (planned.queued) {
                planned.run.lease_owner.reset();  // waiting for its session: no server holds it yet
                planned.run.status = core::RunStatus::kQueued;
            }
        }
        return InsertPlanned(tx, std::move(planned), spec, from_memory);
    }

    /// The session run `run_id` joins (inside the invoke's transaction, before the run is inserted): a new one that it
    /// holds (start_session), or `session_id`, which it takes if no turn holds it. A busy session refuses the invoke
    /// (CONFLICT with retry_after_s) or, with enqueue, queues the run without holding it: the turn-end trigger of
    /// migration 0005 hands the session to the oldest waiting run.
    std::string JoinSession(
        store::Tx& tx,
        const core::Principal& who,
        const store::AgentRecord& agent,
        const InvokeRequest& req,
        const std::string& run_id,
        bool& queued
    ) {
        store::SessionRepo sessions(tx);
        if (req.start_session) {
            store::NewSession s;
            s.id = core::NewUuidV7();
            s.workspace_id = agent.workspace_id;
            s.agent_id = agent.id;
            s.external_user_id = req.external_user_id;
            s.active_run_id = run_id;
            return sessions.Create(s).id;
        }
        const auto s = sessions.Lock(who.workspace_id, *req.session_id);  // held until the run is inserted
        if (!s) {
            throw Error::NotFound("session " + *req.session_id);
        }
        if (s->agent_id != agent.id) {
            throw Error::Validation(
                "session_id",
                "session " + s->id + " is a conversation with agent " + s->agent_slug + ", not " + agent.slug +
                    ": start a new session for this agent"
            );
        }
        if (req.external_user_id && s->external_user_id && *req.external_user_id != *s->external_user_id) {
            throw Error::Validation(
                "external_user_id",
                "session " + s->id + " belongs to user '" + *s->external_user_id +
                    "'; leave external_user_id out or "
                    "send that one"
            );
        }
        if (s->active_run_id) {
            if (!req.enqueue) {
                throw Error(
                    core::ErrorCode::kConflict,
                    "session " + s->id + " is busy with run " + *s->active_run_id +
                        " (a session runs one turn at a time): retry when it ends, or send multitask_strategy: "
                        "\"enqueue\" to queue this turn",
                    {{"session_id", s->id}, {"active_run_id", *s->active_run_id}, {"retry_after_s", 1}}
                );
            }
            queued = true;  // waits without holding the session
            return s->id;
        }
        sessions.Take(s->id, run_id, req.external_user_id);
        return s->id;
    }

    net::awaitable<InvokeResult> Invoke(core::Principal who, InvokeRequest req) {
        std::optional<Started> started;
        const std::string run_id = core::NewUuidV7();
        // On the request's own strand: the run is still its own task (the request only waits on it), and its start
        // and end need no hop to another thread.
        // (The executor as a named local: g++ 12 miscompiles co_await inside ?:.)
        const auto executor = co_await net::this_coro::executor;
        const auto handle = req.background ? nullptr : Register(run_id, executor);

        struct Unregister {
            RunRegistry& registry;
            const std::string& id;
            std::shared_ptr<RunHandle> handle;

            ~Unregister() {
                if (handle) {
                    registry.Remove(id, handle.get());
                }
            }
        } unregister_on_error{registry, run_id, handle};

        // Autocommit: the reads check the request, then one statement inserts the run with its run_start (and, for
        // a queued run, one more announces it). Nothing is written before the checks pass. An agent invoked before
        // is checked from memory and confirmed by the insert itself, which saves the agent read.
        const bool in_session = req.session_id || req.start_session;
        auto start = [&](store::Tx& tx) {
            started.reset();
            if (in_session) {
                // Read, not remembered: a stale remembered row must not leave a session taken by an attempt.
                started = Start(tx, who, VisibleAgent(tx, who, req.agent_ref), req, false, run_id);
                return;
            }
            if (auto agent = remembered.Find(who.workspace_id, req.agent_ref)) {
                try {
                    started = Start(tx, who, *agent, req, true, run_id);
                } catch (const Error&) {
                    started.reset();  // the remembered row may be stale: the database decides below
                }
                if (started) {
                    return;
                }
                remembered.Forget(who.workspace_id, req.agent_ref);
            }
            const auto agent = VisibleAgent(tx, who, req.agent_ref);
            remembered.Remember(who.workspace_id, req.agent_ref, agent);
            started = Start(tx, who, agent, req, false, run_id);
        };
        if (in_session) {
            co_await pool.Transact(start);  // the session's row stays locked until the run is in
        } else {
            co_await pool.Autocommit(start);
        }
        InvokeResult result;
        result.run_id = started->run.id;
        result.session_id = started->run.session_id;
        if (started->run.status == core::RunStatus::kQueued) {
            result.queued = true;  // background, or waiting for its session: a worker starts it
            if (req.stream) {
                result.streaming = true;
                result.agent_id = started->run.agent_id;
                result.stream_children = req.stream_children;
                result.run_start = std::move(started->run_start);
            }
            co_return result;
        }
        unregister_on_error.handle = nullptr;  // the execution owns its registration from here
        if (req.stream) {
            result.streaming = true;  // the caller follows the run from its start, which it is told here
            result.agent_id = started->run.agent_id;
            result.stream_children = req.stream_children;
            result.run_start = std::move(started->run_start);
            Launch(std::move(started->run), std::move(started->spec), {}, nullptr, {}, handle);
            co_return result;
        }
        auto done = std::make_shared<Completion>();
        Launch(std::move(started->run), std::move(started->spec), {}, done, {}, handle);
        result.outcome = co_await done->Wait();
        co_return result;
    }

    net::awaitable<graph::ChildResult> RunChild(const graph::RunContext& parent, std::string slug, Json input) {
        std::optional<Started> started;
        core::Principal who;
        who.workspace_id = parent.run.workspace_id;
        const std::string child_run_id = core::NewUuidV7();
        if (deps.hub != nullptr) {
            deps.hub->LinkChild(parent.run.id, child_run_id);  // before its run_start commits: followers hear it all
        }
        co_await pool.Autocommit([&](store::Tx& tx) {
            const auto agent = InvocableAgent(tx, who, slug);
            const auto chain = store::RunRepo(tx).AgentChain(who.workspace_id, parent.run.id);
            if (std::find(chain.begin(), chain.end(), agent.id) != chain.end()) {
                throw Error::Validation(
                    "agent",
                    "agent " + slug + " is already running in this chain of runs: a child cannot start its own ancestor"
                );
            }
            if (parent.run.depth + 1 > options.max_depth) {
                throw Error::Validation(
                    "agent", "child runs nest at most " + std::to_string(options.max_depth) + " deep"
                );
            }
            const auto spec = Definition(tx, agent);
            InvokeRequest req;
            req.agent_ref = slug;
            req.input = input.is_object() ? input : Json{{"value", input}};
            req.parent_run_id = parent.run.id;
            req.trigger_type = "agent";
            const auto variables = ResolveVariables(*spec, {});
            started = Insert(tx, agent, spec, req, variables, parent.run.depth + 1, false, false, child_run_id);
        });
        // The child runs inside its parent's execution: registered for the heartbeat and for a cancel of its own.
        auto handle = std::make_shared<RunHandle>();
        const std::string child_id = started->run.id;
        registry.Add(child_id, handle);
        graph::ChildResult child;
        try {
            auto execute = Execute(std::move(started->run), std::move(started->spec), {}, handle->cancelled);
            child.outcome = co_await std::move(execute);
        } catch (...) {
            registry.Remove(child_id, handle.get());
            throw;
        }
        registry.Remove(child_id, handle.get());
        if (child.outcome.pause) {
            // A parent does not wait for a paused child yet: the child is ended, so that its pause is not answered
            // later for a result nobody takes. The parent's node fails with why.
            co_await pool.Transact([&](store::Tx& tx) {
                const std::string message = "its parent run cannot wait for a paused child run";
                store::RunRepo runs(tx);
                const auto ended = runs.CancelTree(
                    parent.run.workspace_id,
                    child_id,
                    message,
                    Json{{"error_type", "Cancelled"}, {"error_message", message}}
                );
                if (!ended.empty()) {
                    runs.NotifyCancelled(ended);
                }
            });
            child.outcome.status = core::RunStatus::kCancelled;
            child.outcome.error_message =
                "it paused for a person (" + child.outcome.pause->kind + "), and a parent cannot wait for that yet";
            child.outcome.pause.reset();
        }
        co_return child;
    }

    // --- pauses and cancel ---------------------------------------------------------------------------------------

    /// Answers pause `id` (of `kind`) for `who` and continues its run here; `check` validates the answer against
    /// the pause first (input options).
    /// (Every parameter by value: a coroutine outlives the temporaries of its call.)
    net::awaitable<InvokeResult> Answer(
        core::Principal who,
        std::string id,
        std::string kind,
        store::PauseAnswer answer,
        std::function<void(const store::PauseRecord&)> check,
        bool stream
    ) {
        const std::string noun = kind == "approval" ? "approval" : "input request";
        std::optional<store::RunRecord> run;
        std::shared_ptr<const spec::AgentSpec> spec;
        Answers answers;
        const auto executor = co_await net::this_coro::executor;
        std::shared_ptr<RunHandle> handle;
        std::string handle_id;
        std::exception_ptr failure;
        try {
            co_await pool.Transact([&](store::Tx& tx) {
                store::PauseRepo pauses(tx);
                const auto pause = pauses.Get(who.workspace_id, id);
                if (!pause || pause->kind != kind) {
                    throw Error::NotFound(noun + " " + id);
                }
                RequireAgentAccess(who, pause->agent_id);
                if (pause->status != "pending") {
                    throw Error::Conflict(noun + " " + id + " is already " + pause->status + "; it takes one answer");
                }
                check(*pause);
                if (!handle) {  // before the answer commits: a cancel right after it finds this execution
                    handle_id = pause->run_id;
                    handle = Register(handle_id, executor);
                }
                // The deciding statement: only a pending pause is answered, so of concurrent answers one wins.
                const auto resumed =
                    pauses.Answer(who.workspace_id, id, kind, answer, options.server_id, options.lease_seconds);
                if (!resumed) {
                    throw Error::Conflict(noun + " " + id + " was answered meanwhile; it takes one answer");
                }
                if (!resumed->run_resumed) {
                    throw Error::Conflict("run " + pause->run_id + " is no longer paused");  // rolls the answer back
                }
                run = store::RunRepo(tx).Get(who.workspace_id, pause->run_id);
                spec = DefinitionOf(tx, *run);
                answers = ByPoint(pauses.Answered(who.workspace_id, pause->run_id));
            });
        } catch (...) {
            failure = std::current_exception();
        }
        if (failure) {
            if (handle) {
                registry.Remove(handle_id, handle.get());
            }
            std::rethrow_exception(failure);
        }
        InvokeResult result;
        result.run_id = run->id;
        result.session_id = run->session_id;
        if (stream) {
            result.streaming = true;
            result.stream_after = run->last_seq - 1;  // from the answer (human_input_received) on
            Launch(std::move(*run), std::move(spec), std::move(answers), nullptr, {}, handle);
            co_return result;
        }
        auto done = std::make_shared<Completion>();
        Launch(std::move(*run), std::move(spec), std::move(answers), done, {}, handle);
        result.outcome = co_await done->Wait();
        co_return result;
    }

    static Json Received(const std::string& kind, const std::string& id, Json response, const store::PauseAnswer& a) {
        Json payload = {
            {"response", std::move(response)},
            {"responded_by", a.responded_by ? Json(*a.responded_by) : Json(nullptr)},
            {"kind", kind}};
        payload[kind == "approval" ? "approval_id" : "request_id"] = id;
        if (a.comment) {
            payload["comment"] = *a.comment;
        }
        return payload;
    }

    net::awaitable<InvokeResult> Resolve(core::Principal who, ResolveRequest req) {
        store::PauseAnswer a;
        a.status = req.decision == "approve" ? "approved" : "rejected";
        a.decision = req.decision;
        a.comment = req.comment;
        a.responded_by = req.responded_by;
        a.received_payload = Received("approval", req.approval_id, req.decision, a);
        auto answer = Answer(
            who, req.approval_id, "approval", std::move(a), [](const store::PauseRecord&) {}, req.stream
        );
        co_return co_await std::move(answer);
    }

    net::awaitable<InvokeResult> Respond(core::Principal who, RespondRequest req) {
        store::PauseAnswer a;
        a.status = "answered";
        a.response = req.response;
        a.responded_by = req.responded_by;
        a.received_payload = Received("input", req.request_id, req.response, a);
        auto answer = Answer(
            who,
            req.request_id,
            "input",
            std::move(a),
            [response = req.response](const store::PauseRecord& p) {
                if (!p.options.is_array()) {
                    return;
                }
                const bool offered =
                    response.is_string() && std::find(p.options.begin(), p.options.end(), response) != p.options.end();
                if (!offered) {
                    throw Error(
                        core::ErrorCode::kValidation,
                        "response: must be one of the offered options " + p.options.dump(),
                        Json{{"field", "response"}, {"options", p.options}}
                    );
                }
            },
            req.stream
        );
        co_return co_await std::move(answer);
    }

    net::awaitable<store::RunRecord> Cancel(core::Principal who, std::string run_id) {
        std::vector<std::string> cancelled;
        std::optional<store::RunRecord> run;
        co_await pool.Transact([&](store::Tx& tx) {
            store::RunRepo runs(tx);
            const auto before = runs.Get(who.workspace_id, run_id);
            if (!before) {
                throw Error::NotFound("run " + run_id);
            }
            RequireAgentAccess(who, before->agent_id);
            if (core::IsTerminal(before->status)) {
                throw Error::Conflict(
                    "run " + run_id + " is already " + std::string(core::ToString(before->status)) +
                    ": only an open run can be cancelled"
                );
            }
            const std::string message = "the run was cancelled";
            cancelled = runs.CancelTree(
                who.workspace_id, run_id, message, Json{{"error_type", "Cancelled"}, {"error_message", message}}
            );
            if (std::find(cancelled.begin(), cancelled.end(), run_id) == cancelled.end()) {
                throw Error::Conflict("run " + run_id + " ended meanwhile: only an open run can be cancelled");
            }
            runs.NotifyCancelled(cancelled);
            run = runs.Get(who.workspace_id, run_id);
        });
        registry.Cancel(cancelled);  // at once here; other servers hear the NOTIFY
        co_return std::move(*run);
    }

    // --- leases: heartbeat and recovery ---------------------------------------------------------------------------

    std::chrono::milliseconds HeartbeatInterval() const {
        return std::chrono::milliseconds(std::max(200, options.lease_seconds * 1000 / 3));
    }

    /// Sleeps on `timer` for `d`; false once the service stops.
    net::awaitable<bool> Sleep(net::steady_timer& timer, std::chrono::milliseconds d) {
        timer.expires_after(d);
        co_await timer.async_wait(kUseTuple);
        co_return !stopping;
    }

    net::awaitable<void> HeartbeatLoop() {
        auto self = shared_from_this();
        net::steady_timer& timer = *heartbeat_timer;
        auto housekeeping = std::chrono::steady_clock::now();
        while (co_await Sleep(timer, HeartbeatInterval())) {
            if (std::chrono::steady_clock::now() >= housekeeping) {
                housekeeping = std::chrono::steady_clock::now() + std::chrono::hours(1);
                try {  // Idempotency-Keys are kept 24 hours; any server may drop the older ones
                    co_await pool.Autocommit([](store::Tx& tx) { store::IdempotencyRepo(tx).Expire(); });
                } catch (const std::exception& e) {
                    spdlog::warn("expiring idempotency keys: {}", e.what());
                }
            }
            const auto ids = registry.Ids();
            if (ids.empty()) {
                continue;
            }
            try {
                co_await pool.Autocommit([&](store::Tx& tx) {
                    store::RunRepo(tx).RenewLeases(options.server_id, options.lease_seconds, ids);
                });
            } catch (const std::exception& e) {
                spdlog::warn("renewing run leases: {}", e.what());
            }
        }
    }

    /// Takes over runs whose server stopped renewing their lease, and continues them from their checkpoint. Looks
    /// at least every 2 s, so a run is taken over within its lease and 2 s of its server's death.
    net::awaitable<void> RecoveryLoop() {
        auto self = shared_from_this();
        net::steady_timer& timer = *recovery_timer;
        while (co_await Sleep(timer, std::min(HeartbeatInterval(), std::chrono::milliseconds(2000)))) {
            std::vector<store::RunRecord> claimed;
            try {
                co_await pool.Autocommit([&](store::Tx& tx) {
                    store::RunRepo runs(tx);
                    runs.FailOrphanedChildren(
                        "the server running its parent stopped; the parent runs this step again when it is recovered"
                    );
                    claimed = runs.ClaimExpired(options.server_id, options.lease_seconds, 16, registry.Ids());
                });
            } catch (const std::exception& e) {
                spdlog::warn("recovering runs: {}", e.what());
                continue;
            }
            for (auto& run : claimed) {
                spdlog::warn("run {}: its lease expired; continuing it here (recovery {})", run.id, run.recovery_count);
                if (run.recovery_count > options.max_recoveries) {
                    // A named awaitable: g++ 12 mishandles copies into coroutine parameters inside co_await.
                    auto fail = FailTaken(
                        run.workspace_id,
                        run.id,
                        run.lease_term,
                        "recovery_exhausted",
                        "the run was recovered " + std::to_string(run.recovery_count - 1) +
                            " times after its server stopped; it is not tried again"
                    );
                    co_await std::move(fail);
                    continue;
                }
                auto task = ContinueTaken(std::move(run), {});
                net::co_spawn(net::make_strand(ioc->get_executor()), std::move(task), [](const std::exception_ptr&) {});
            }
        }
    }

    // --- deadlines --------------------------------------------------------------------------------------------------

    /// Applies the policy of every pause whose deadline passed (approve / reject / the default answer) and continues
    /// its run here, whether or not anyone is connected. A deadline racing an answer: the pause row decides.
    net::awaitable<void> DeadlineLoop() {
        auto self = shared_from_this();
        net::steady_timer& timer = *deadline_timer;
        std::chrono::milliseconds wait{0};
        while (co_await Sleep(timer, wait)) {
            wait = std::chrono::milliseconds(1000);
            try {
                for (int i = 0; i < 64; ++i) {  // a batch, then look at the clock again
                    std::optional<store::RunRecord> run;
                    co_await pool.Transact([&](store::Tx& tx) {
                        run.reset();
                        ExpireOne(tx, run);
                    });
                    if (!run) {
                        break;
                    }
                    auto task = ContinueTaken(std::move(*run), {});
                    net::co_spawn(
                        net::make_strand(ioc->get_executor()), std::move(task), [](const std::exception_ptr&) {}
                    );
                }
                std::optional<core::TimePoint> next;
                co_await pool.Autocommit([&](store::Tx& tx) { next = store::PauseRepo(tx).NextDeadline(); });
                if (next) {
                    const auto until = std::chrono::duration_cast<std::chrono::milliseconds>(*next - clock.Now());
                    wait = std::clamp(until, std::chrono::milliseconds(10), std::chrono::milliseconds(1000));
                }
            } catch (const std::exception& e) {
                spdlog::warn("applying pause deadlines: {}", e.what());
            }
        }
    }

    /// Expires one pause whose deadline passed (locked, so no other server takes it), records the policy's answer and
    /// resumes its run, leased here: `run` is set to it. Nothing when no deadline passed.
    void ExpireOne(store::Tx& tx, std::optional<store::RunRecord>& run) {
        store::PauseRepo pauses(tx);
        const auto pause = pauses.LockExpired();
        if (!pause) {
            return;
        }
        store::PauseAnswer a;
        a.status = "expired";
        a.responded_by = "timeout";
        Json response;
        if (pause->kind == "approval") {
            a.decision = pause->on_timeout.value_or("reject");
            response = *a.decision;
        } else {
            a.response = pause->default_answer;
            response = pause->default_answer;
        }
        a.received_payload = Received(pause->kind, pause->id, response, a);
        a.received_payload["timed_out"] = true;
        const auto resumed =
            pauses.Answer(pause->workspace_id, pause->id, pause->kind, a, options.server_id, options.lease_seconds);
        if (!resumed || !resumed->run_resumed) {
            return;  // the pause is expired; its run was not paused (nothing to continue)
        }
        run = store::RunRepo(tx).Get(pause->workspace_id, pause->run_id);
    }

    // --- background workers -------------------------------------------------------------------------------------

    /// The definition a stored run runs (its recorded version).
    std::shared_ptr<const spec::AgentSpec> DefinitionOf(store::Tx& tx, const store::RunRecord& run) {
        if (auto spec = agents.Cached(run.agent_id, run.agent_version.value_or(0))) {
            return spec;
        }
        const auto version = store::AgentRepo(tx).Version(run.agent_id, run.agent_version.value_or(0));
        if (!version) {
            throw Error(core::ErrorCode::kInternal, "the agent version of run " + run.id + " is gone");
        }
        return agents.Compile(run.agent_id, *version);
    }

    /// Continues a run this server just took (claimed from the queue, recovered, or resumed by a deadline): loads
    /// its definition and its answers, and launches it with nobody waiting.
    net::awaitable<void> ContinueTaken(store::RunRecord run, std::function<void()> on_end) {
        const std::string id = run.id;
        const std::string workspace_id = run.workspace_id;
        const std::int64_t lease_term = run.lease_term;
        std::optional<std::string> unstartable;
        // Registered before the run is read again: a cancel committed after the read finds this execution, one
        // committed before it is seen by the read.
        const auto handle = Register(id, NewStrand());
        try {
            std::shared_ptr<const spec::AgentSpec> spec;
            Answers answers;
            bool still_ours = false;
            co_await pool.Autocommit([&](store::Tx& tx) {
                const auto now = store::RunRepo(tx).Get(run.workspace_id, run.id);
                still_ours = now && now->status == core::RunStatus::kRunning && now->lease_term == lease_term;
                if (still_ours) {
                    spec = DefinitionOf(tx, run);
                    answers = ByPoint(store::PauseRepo(tx).Answered(run.workspace_id, run.id));
                }
            });
            if (still_ours) {
                Launch(std::move(run), std::move(spec), std::move(answers), nullptr, on_end, handle);
                co_return;
            }
        } catch (const core::Error& e) {
            spdlog::error("run {} cannot continue: {}", id, e.what());
            if (e.code() != core::ErrorCode::kUnavailable) {
                unstartable = e.what();  // its definition cannot run: end it rather than leave it running
            }
        } catch (const std::exception& e) {
            spdlog::error("run {} cannot continue: {}", id, e.what());
            unstartable = e.what();
        }
        registry.Remove(id, handle.get());
        if (unstartable) {
            auto fail = FailTaken(workspace_id, id, lease_term, "Error", *unstartable);
            co_await std::move(fail);
        }
        if (on_end) {
            on_end();
        }
    }

    /// Ends a run this server took (under `lease_term`) as failed, with its error event: a run that cannot go on
    /// must not stay running.
    net::awaitable<void> FailTaken(
        std::string workspace_id,
        std::string run_id,
        std::int64_t lease_term,
        std::string error_type,
        std::string message
    ) {
        try {
            co_await pool.Autocommit([&](store::Tx& tx) {
                store::RunEnd end;
                end.status = core::RunStatus::kFailed;
                end.error_message = message;
                end.error_detail = Json{{"error_type", error_type}};
                end.events = {
                    {"error",
                     core::EventLevel::kError,
                     {{"error_type", error_type}, {"error_message", message}},
                     clock.Now()}};
                end.lease_term = lease_term;
                CloseOpenRun(tx, workspace_id, run_id, end);  // nullopt: closed or taken meanwhile, which stands
            });
        } catch (const std::exception& e) {
            spdlog::error("run {}: cannot close it: {}", run_id, e.what());
        }
    }

    net::awaitable<void> WorkerLoop() {
        auto self = shared_from_this();
        while (!stopping) {
            std::optional<store::RunRecord> claimed;
            if (active < options.max_background && claim_holds.load() == 0) {
                try {
                    co_await pool.Transact([&](store::Tx& tx) {
                        claimed = store::RunRepo(tx).ClaimQueued(options.server_id, options.lease_seconds);
                    });
                } catch (const std::exception& e) {
                    spdlog::warn("claiming queued runs: {}", e.what());
                }
            }
            if (claimed) {
                ++active;
                std::weak_ptr<Impl> weak = self;
                auto task = ContinueTaken(std::move(*claimed), [weak] {
                    if (auto impl = weak.lock()) {
                        --impl->active;
                        impl->Wake();
                    }
                });
                net::co_spawn(net::make_strand(ioc->get_executor()), std::move(task), [](const std::exception_ptr&) {});
                continue;
            }
            if (wake_pending.exchange(false)) {
                continue;  // woken while claiming: look again before sleeping
            }
            // Woken by NOTIFY (Wake) or, as a safety net, every few seconds.
            wake_timer->expires_after(std::chrono::seconds(5));
            co_await wake_timer->async_wait(kUseTuple);
            wake_pending = false;
        }
    }

    void Wake() {
        auto timer = wake_timer;
        if (!timer) {
            return;
        }
        wake_pending = true;
        net::post(timer->get_executor(), [timer] { timer->cancel(); });
    }
};

RunService::RunService(
    store::PgPool& pool,
    AgentService& agents,
    outbound::HttpClient& http,
    const core::Clock& clock,
    RunServiceOptions options,
    events::LiveHub* hub
)
    : impl_(std::make_shared<Impl>(pool, agents, http, clock, std::move(options), hub)) {}

RunService::~RunService() {
    Stop();
}

net::awaitable<InvokeResult> RunService::Invoke(core::Principal who, InvokeRequest request) {
    return impl_->Invoke(std::move(who), std::move(request));
}

net::awaitable<InvokeResult> RunService::Resolve(core::Principal who, ResolveRequest request) {
    return impl_->Resolve(std::move(who), std::move(request));
}

net::awaitable<InvokeResult> RunService::Respond(core::Principal who, RespondRequest request) {
    return impl_->Respond(std::move(who), std::move(request));
}

net::awaitable<store::RunRecord> RunService::Cancel(core::Principal who, std::string run_id) {
    return impl_->Cancel(std::move(who), std::move(run_id));
}

void RunService::CancelLocal(const std::string& run_ids) {
    std::vector<std::string> ids;
    std::size_t start = 0;
    while (start < run_ids.size()) {
        auto comma = run_ids.find(',', start);
        if (comma == std::string::npos) {
            comma = run_ids.size();
        }
        ids.push_back(run_ids.substr(start, comma - start));
        start = comma + 1;
    }
    impl_->registry.Cancel(ids);
}

const std::string& RunService::server_id() const {
    return impl_->options.server_id;
}

PlannedRun RunService::PlanQueued(store::Tx& tx, const store::AgentRecord& agent, const InvokeRequest& request) {
    core::Principal who;
    who.workspace_id = agent.workspace_id;
    CheckInvocable(who, agent);
    const auto spec = impl_->Definition(tx, agent);
    const auto variables = ResolveVariables(*spec, request.prompt_variables);
    auto planned = impl_->Plan(agent, request, variables, 0, true, core::NewUuidV7());
    return PlannedRun{std::move(planned.run), std::move(planned.start)};
}

void RunService::InsertQueued(store::Tx& tx, const std::vector<PlannedRun>& runs) {
    if (runs.empty()) {
        return;
    }
    std::vector<store::NewRun> rows;
    std::vector<store::NewEvent> starts;
    rows.reserve(runs.size());
    starts.reserve(runs.size());
    const auto now = impl_->clock.Now();
    for (const auto& r : runs) {
        rows.push_back(r.run);
        starts.push_back(store::NewEvent{"run_start", core::EventLevel::kInfo, r.run_start, now});
    }
    store::RunRepo runs_repo(tx);
    runs_repo.InsertQueued(rows, starts);
    runs_repo.NotifyQueued();
}

void RunService::Start(net::io_context& ioc) {
    Impl& m = *impl_;
    m.ioc = &ioc;
    auto spawn = [&ioc](
                     std::shared_ptr<net::steady_timer>& timer,
                     net::awaitable<void> (Impl::*loop)(),
                     Impl& impl,
                     const char* name
                 ) {
        auto strand = net::make_strand(ioc.get_executor());
        timer = std::make_shared<net::steady_timer>(strand);
        net::co_spawn(strand, (impl.*loop)(), [name](const std::exception_ptr& e) {
            if (e) {
                spdlog::error("the {} loop stopped", name);
            }
        });
    };
    // Every server renews the leases of its runs, takes over the runs of servers that died, and applies deadlines.
    spawn(m.heartbeat_timer, &Impl::HeartbeatLoop, m, "lease heartbeat");
    spawn(m.recovery_timer, &Impl::RecoveryLoop, m, "run recovery");
    spawn(m.deadline_timer, &Impl::DeadlineLoop, m, "pause deadline");
    if (m.options.max_background == 0) {
        return;  // this server answers invokes but leaves queued runs to the others
    }
    spawn(m.wake_timer, &Impl::WorkerLoop, m, "background worker");
}

void RunService::Stop() {
    impl_->stopping = true;
    impl_->Wake();
    for (const auto& timer : {impl_->heartbeat_timer, impl_->recovery_timer, impl_->deadline_timer}) {
        if (timer) {
            net::post(timer->get_executor(), [timer] { timer->cancel(); });
        }
    }
}

void RunService::HoldClaims(bool hold) {
    if (hold) {
        ++impl_->claim_holds;
    } else if (--impl_->claim_holds == 0) {
        impl_->Wake();
    }
}

bool RunService::WaitIdle(std::chrono::milliseconds limit) const {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!impl_->registry.Ids().empty()) {
        if (std::chrono::steady_clock::now() >= deadline) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

void RunService::InterruptAll() {
    impl_->registry.Cancel(impl_->registry.Ids());
}

void RunService::Wake() {
    impl_->Wake();
}

}  // namespace agentos::engine
