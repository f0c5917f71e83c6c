#pragma once
/// The checks that need a whole definition: templates name only what can exist, tools and nodes referenced are
/// defined, the graph is well-formed (known nodes, every node reachable, no cycle without an llm or router node),
/// `when` expressions, cron expressions, time zones and schemas parse. Pure.

#include <vector>

#include "runtime/spec/agent_spec.hpp"

namespace agentos::spec {

struct SpecError;

/// Appends every problem found to `errors`.
void CheckAgent(const AgentSpec& agent, std::vector<SpecError>& errors);

}  // namespace agentos::spec
