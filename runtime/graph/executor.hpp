#pragma once
/// Executor: runs one hosted run from its checkpoint to its end — the agent loop for graph-less agents, else the
/// graph node by node (llm with its tool loop, tool, router, agent). After every step one transaction writes the
/// checkpoint, the step's events and its usage; the end writes output, totals and run_end (or error) with the
/// terminal status. Budgets (max_steps, max_cost_usd) and output_schema are enforced here. A failure of the run
/// (provider, tool node, budget, schema, child) is a value: the run is closed as failed and the outcome says why.
/// A pause (an approval or a person's answer is needed) writes the pause with the checkpoint and ends the execution;
/// the run continues in a new Executor whose context holds the answers given so far. A run cancelled meanwhile, or
/// taken over by another server (its lease term changed), stops without writing anything more.

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "runtime/core/run_status.hpp"
#include "runtime/graph/run_context.hpp"
#include "runtime/net/asio.hpp"
#include "tools/tool.hpp"

namespace agentos::store {
class PgPool;
}  // namespace agentos::store

namespace agentos::events {
class LiveHub;
}  // namespace agentos::events

namespace agentos::graph {

/// What a paused run waits for (awaiting_approval / awaiting_input).
struct PauseInfo {
    std::string kind;  ///< approval | input
    std::string id;    ///< the approval_id or request_id
    std::optional<std::string> tool_name;
    std::optional<std::string> message;
    std::optional<std::string> question;
    nlohmann::json options;  ///< input: the offered choices, or null
};

struct RunOutcome {
    std::string run_id;
    core::RunStatus status = core::RunStatus::kFailed;
    nlohmann::json output;  ///< completed runs
    std::optional<std::string> error_type;
    std::optional<std::string> error_message;
    std::optional<PauseInfo> pause;  ///< paused runs
    RunTotals totals;
};

/// What a child run gave back to its parent.
struct ChildResult {
    RunOutcome outcome;
};

/// Starts a child run of agent `slug` under `parent` and waits for it (RunService provides it).
using ChildRunner =
    std::function<net::awaitable<ChildResult>(const RunContext& parent, std::string slug, nlohmann::json input)>;

struct ExecutorDeps {
    store::PgPool& pool;
    const providers::ProviderContext& providers;
    bool mock_fallback = false;
    outbound::HttpClient& http;
    const core::Clock& clock;
    tools::AddressPolicy http_fetch_policy;
    ChildRunner run_child;
    /// Where token chunks go as the model streams them (and where they are forgotten once stored); none: the
    /// model is not asked to stream.
    events::LiveHub* hub = nullptr;
};

class Executor {
public:
    Executor(const ExecutorDeps& deps, RunContext context);
    ~Executor();

    /// Runs to the end and closes the run. Never throws for a run failure; throws only if the store is unreachable.
    net::awaitable<RunOutcome> Run();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace agentos::graph
