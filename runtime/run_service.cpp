#include "runtime/run_service.hpp"

#include <mutex>

#include <boost/asio/as_tuple.hpp>
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
#include "runtime/run_close.hpp"
#include "runtime/store/agent_repo.hpp"
#include "runtime/store/pg.hpp"
#include "runtime/store/pg_pool.hpp"

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

/// The agent a run of `who` may start: exists, hosted and active.
store::AgentRecord InvocableAgent(store::Tx& tx, const core::Principal& who, const std::string& ref) {
    auto agent = VisibleAgent(tx, who, ref);
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
    return agent;
}

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
    std::atomic<bool> stopping{false};
    std::atomic<bool> wake_pending{false};  ///< a Wake() that came while the loop was not waiting on the timer
    std::atomic<int> active{0};

    Impl(store::PgPool& p, AgentService& a, outbound::HttpClient& h, const core::Clock& c, RunServiceOptions o)
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
              {}} {
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
    };

    /// Inserts a hosted run and its run_start event in one statement (then, for a queued run, announces it).
    Started Insert(
        store::Tx& tx,
        const store::AgentRecord& agent,
        const std::shared_ptr<const spec::AgentSpec>& spec,
        const InvokeRequest& req,
        const std::map<std::string, std::string>& variables,
        std::int64_t depth,
        bool queued
    ) {
        store::NewRun run;
        run.id = core::NewUuidV7();
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
        if (!queued) {
            // Nobody learns of a run that starts at once before its end (or pause) is committed synchronously,
            // which flushes this commit too; a queued run's id is answered at once, so its insert is flushed.
            tx.DeferFlush();
        }
        auto record =
            store::RunRepo(tx).Insert(run, store::NewEvent{"run_start", core::EventLevel::kInfo, start, clock.Now()});
        if (queued) {
            store::RunRepo(tx).NotifyQueued();
        }
        return {std::move(*record), spec};
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

    net::awaitable<graph::RunOutcome> Execute(store::RunRecord run, std::shared_ptr<const spec::AgentSpec> spec) {
        graph::RunContext ctx;
        ctx.spec = spec;
        for (const auto& [k, v] : run.prompt_variables.items()) {
            if (v.is_string()) {
                ctx.variables[k] = v.get<std::string>();
            }
        }
        ctx.progress = graph::Progress::FromJson(run.checkpoint);
        ctx.totals = {run.prompt_tokens, run.completion_tokens, run.cost_usd, run.model};
        ctx.run = std::move(run);
        graph::Executor executor(deps, std::move(ctx));
        co_return co_await executor.Run();
    }

    /// The task a run executes in: its own strand, its own lifetime; the completion tells the waiters.
    net::awaitable<void> ExecuteAndSignal(
        store::RunRecord run, std::shared_ptr<const spec::AgentSpec> spec, std::shared_ptr<Completion> done
    ) {
        const std::string id = run.id;
        try {
            done->Set(co_await Execute(std::move(run), std::move(spec)));
        } catch (const std::exception& e) {
            spdlog::error("run {} stopped: {}", id, e.what());
            done->Fail(std::current_exception());
        }
    }

    void Spawn(store::RunRecord run, std::shared_ptr<const spec::AgentSpec> spec, std::shared_ptr<Completion> done) {
        auto strand = net::make_strand(ioc->get_executor());
        net::co_spawn(
            strand, ExecuteAndSignal(std::move(run), std::move(spec), std::move(done)), [](const std::exception_ptr&) {}
        );
    }

    net::awaitable<InvokeResult> Invoke(core::Principal who, InvokeRequest req) {
        std::optional<Started> started;
        // Autocommit: the reads check the request, then one statement inserts the run with its run_start (and, for
        // a queued run, one more announces it). Nothing is written before the checks pass.
        co_await pool.Autocommit([&](store::Tx& tx) {
            const auto agent = InvocableAgent(tx, who, req.agent_ref);
            const auto spec = Definition(tx, agent);
            if (req.stream && !spec->output_schema.is_null()) {
                throw Error::Validation(
                    "stream",
                    "agent " + agent.slug +
                        " has an output_schema: its output exists only as a whole at the end; leave stream out"
                );
            }
            if (req.stream) {
                throw Error::Validation(
                    "stream", "streaming is not available on this server yet; leave stream out or use background"
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
            started = Insert(tx, agent, spec, req, variables, depth, req.background);
        });
        InvokeResult result;
        result.run_id = started->run.id;
        if (req.background) {
            result.queued = true;
            co_return result;
        }
        auto done = std::make_shared<Completion>();
        Spawn(std::move(started->run), std::move(started->spec), done);
        result.outcome = co_await done->Wait();
        co_return result;
    }

    net::awaitable<graph::ChildResult> RunChild(const graph::RunContext& parent, std::string slug, Json input) {
        std::optional<Started> started;
        core::Principal who;
        who.workspace_id = parent.run.workspace_id;
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
            started = Insert(tx, agent, spec, req, variables, parent.run.depth + 1, false);
        });
        graph::ChildResult child;
        child.outcome = co_await Execute(std::move(started->run), std::move(started->spec));
        co_return child;
    }

    // --- background workers -------------------------------------------------------------------------------------

    net::awaitable<void> ExecuteClaimed(store::RunRecord run) {
        const std::string id = run.id;
        const std::string workspace_id = run.workspace_id;
        std::optional<std::string> unstartable;
        try {
            auto spec = agents.Cached(run.agent_id, run.agent_version.value_or(0));
            if (!spec) {
                co_await pool.Transact([&](store::Tx& tx) {
                    const auto version = store::AgentRepo(tx).Version(run.agent_id, run.agent_version.value_or(0));
                    if (!version) {
                        throw Error(core::ErrorCode::kInternal, "the agent version of run " + run.id + " is gone");
                    }
                    spec = agents.Compile(run.agent_id, *version);
                });
            }
            co_await Execute(std::move(run), std::move(spec));
        } catch (const core::Error& e) {
            spdlog::error("background run {} stopped: {}", id, e.what());
            if (e.code() != core::ErrorCode::kUnavailable) {
                unstartable = e.what();  // its definition cannot run: end it rather than leave it running
            }
        } catch (const std::exception& e) {
            spdlog::error("background run {} stopped: {}", id, e.what());
            unstartable = e.what();
        }
        if (unstartable) {
            co_await FailUnstartable(workspace_id, id, *unstartable);
        }
        --active;
        Wake();
    }

    /// Ends a claimed run whose definition cannot run, with an error event, so that it does not stay running.
    net::awaitable<void> FailUnstartable(std::string workspace_id, std::string run_id, std::string message) {
        try {
            co_await pool.Autocommit([&](store::Tx& tx) {
                store::RunEnd end;
                end.status = core::RunStatus::kFailed;
                end.error_message = message;
                end.error_detail = Json{{"error_type", "Error"}};
                end.events = {
                    {"error",
                     core::EventLevel::kError,
                     {{"error_type", "Error"}, {"error_message", message}},
                     clock.Now()}};
                CloseOpenRun(tx, workspace_id, run_id, end);  // nullopt: closed already, which stands
            });
        } catch (const std::exception& e) {
            spdlog::error("background run {}: cannot close it: {}", run_id, e.what());
        }
    }

    net::awaitable<void> WorkerLoop() {
        auto self = shared_from_this();
        while (!stopping) {
            std::optional<store::RunRecord> claimed;
            if (active < options.max_background) {
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
                auto strand = net::make_strand(ioc->get_executor());
                net::co_spawn(strand, ExecuteClaimed(std::move(*claimed)), [](const std::exception_ptr&) {});
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
    RunServiceOptions options
)
    : impl_(std::make_shared<Impl>(pool, agents, http, clock, std::move(options))) {}

RunService::~RunService() {
    Stop();
}

net::awaitable<InvokeResult> RunService::Invoke(core::Principal who, InvokeRequest request) {
    return impl_->Invoke(std::move(who), std::move(request));
}

void RunService::Start(net::io_context& ioc) {
    impl_->ioc = &ioc;
    if (impl_->options.max_background == 0) {
        return;  // this server answers invokes but leaves queued runs to the others
    }
    auto strand = net::make_strand(ioc.get_executor());
    impl_->wake_timer = std::make_shared<net::steady_timer>(strand);
    net::co_spawn(strand, impl_->WorkerLoop(), [](const std::exception_ptr& e) {
        if (e) {
            spdlog::error("the background worker loop stopped");
        }
    });
}

void RunService::Stop() {
    impl_->stopping = true;
    impl_->Wake();
}

void RunService::Wake() {
    impl_->Wake();
}

}  // namespace agentos::engine
