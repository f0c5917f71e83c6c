#include "api/dto/agent_scope.hpp"

#include "runtime/core/error.hpp"
#include "runtime/store/agent_repo.hpp"

namespace agentos::api {

std::optional<std::string> AgentScope(
    store::Tx& tx, const core::Principal& who, const std::optional<std::string>& agent_ref
) {
    std::optional<std::string> agent_id;
    if (agent_ref) {
        const auto agent = store::AgentRepo(tx).Get(who.workspace_id, *agent_ref);
        if (!agent) {
            throw core::Error::NotFound("agent " + *agent_ref);
        }
        agent_id = agent->id;
    }
    if (who.IsAgentKey()) {
        if (agent_id && agent_id != who.agent_id) {
            throw core::Error(core::ErrorCode::kForbidden, "this agent key belongs to another agent");
        }
        agent_id = who.agent_id;
    }
    return agent_id;
}

}  // namespace agentos::api
