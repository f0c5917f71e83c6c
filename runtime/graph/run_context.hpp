#pragma once
/// What one execution of a hosted run works with: who it is, the definition it runs, and its durable progress
/// (graph state, the conversation of the llm step in flight, counters, totals). The progress round-trips through
/// the run's checkpoint, so a run can continue from its last node boundary.

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/providers/llm_provider.hpp"
#include "runtime/spec/agent_spec.hpp"
#include "runtime/store/event_repo.hpp"
#include "runtime/store/pause_repo.hpp"
#include "runtime/store/run_repo.hpp"

namespace agentos::graph {

struct RunTotals {
    std::int64_t prompt_tokens = 0;
    std::int64_t completion_tokens = 0;
    double cost_usd = 0;
    std::optional<std::string> model;
};

/// Durable progress, stored as the run's checkpoint after every step.
struct Progress {
    std::optional<std::string> node;  ///< the next graph node; none when the graph is done or there is no graph
    nlohmann::json state = nlohmann::json::object();
    /// The conversation of the llm step in flight (the agent loop, or an llm node's tool loop).
    std::optional<std::string> llm_node;  ///< which llm node the conversation belongs to ("" = the agent loop)
    std::vector<providers::ChatMessage> messages;
    std::int64_t model_calls = 0;  ///< for the mock provider's script, and for budgets
    std::int64_t steps = 0;        ///< node executions + model calls + tool calls, against budget.max_steps
    bool reasked = false;          ///< output_schema: the model was already asked once to fix its answer
    std::vector<providers::ChatMessage>
        history;                 ///< client-managed history given at invoke: precedes every conversation
    nlohmann::json last_output;  ///< the last node's result (a graph's default output)
    /// A session's run: its window of past messages is in `history` (read once, when the run first executes: the
    /// session changes only when this run, which holds it, ends).
    bool session_loaded = false;
    std::string user_memories;  ///< memory.user_memories: the session user's memories, for the system prompt
    std::string memory_user;    ///< memory.user_memories: the session's end user ("" none), whom `remember` writes for

    nlohmann::json ToJson() const;
    static Progress FromJson(const nlohmann::json& checkpoint);
};

struct RunContext {
    store::RunRecord run;
    std::shared_ptr<const spec::AgentSpec> spec;
    std::map<std::string, std::string> variables;  ///< prompt variables with defaults applied
    Progress progress;
    RunTotals totals;                     ///< the run's totals so far (children included)
    RunTotals unsaved;                    ///< usage not yet written
    std::vector<store::NewEvent> events;  ///< events not yet written
    /// The answered pauses of the run by point ("tool:<model turn>:<place>:<call id>", "node:<name>:<step>"): a resumed
    /// run takes its answer from here where it paused.
    std::map<std::string, store::PauseRecord> answers;
    /// Set when the run is cancelled: it stops at the next await point.
    std::shared_ptr<const std::atomic<bool>> cancelled;
};

nlohmann::json MessageToJson(const providers::ChatMessage& message);
providers::ChatMessage MessageFromJson(const nlohmann::json& json);

}  // namespace agentos::graph
