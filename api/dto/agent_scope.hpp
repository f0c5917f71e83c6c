#pragma once
/// The agent a list is narrowed to: the `agent_id` query parameter (an id or a slug) and, for an agent key, its own
/// agent (another one is 403).

#include <optional>
#include <string>

#include "runtime/core/principal.hpp"

namespace agentos::store {
class Tx;
}  // namespace agentos::store

namespace agentos::api {

/// The agent id to filter by, or none for every agent of the workspace. NOT_FOUND for an unknown agent.
std::optional<std::string> AgentScope(
    store::Tx& tx, const core::Principal& who, const std::optional<std::string>& agent_ref
);

}  // namespace agentos::api
