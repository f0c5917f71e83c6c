#pragma once
// The run the benches write through the store layer as the server would: a one-node hosted agent's run and its
// run_start, for the invoke bench's durable writes and the stream bench's insert row.

#include <nlohmann/json.hpp>

#include "runtime/core/ids.hpp"
#include "runtime/store/agent_repo.hpp"
#include "runtime/store/run_repo.hpp"

namespace bench {

inline const nlohmann::json& BenchInput() {
    static const nlohmann::json input = {{"message", "What is six times seven?"}};
    return input;
}

/// A new running run of `agent` (the bench's own lease), as an invoke plans it.
inline agentos::store::NewRun HostedRun(const agentos::store::AgentRecord& agent) {
    agentos::store::NewRun run;
    run.id = agentos::core::NewUuidV7();
    run.workspace_id = agent.workspace_id;
    run.agent_id = agent.id;
    run.agent_version = agent.current_version;
    run.source = "hosted";
    run.trigger_type = "manual";
    run.input = BenchInput();
    run.checkpoint = {{"state", nlohmann::json::object()}, {"steps", 0}, {"node", nullptr}};
    run.lease_owner = "bench";
    return run;
}

/// Its run_start event.
inline agentos::store::NewEvent RunStart() {
    return {"run_start", agentos::core::EventLevel::kInfo, {{"framework", "agentos"}, {"input", BenchInput()}}, {}};
}

}  // namespace bench
