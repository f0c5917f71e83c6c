// Reading agents: auto-registered by ingest, and (with hosted agents) defined in YAML or JSON.

#include "api/dto/query_reader.hpp"
#include "api/dto/resource_json.hpp"
#include "api/handlers/services.hpp"
#include "api/server/router.hpp"
#include "runtime/core/error.hpp"
#include "runtime/store/agent_repo.hpp"
#include "runtime/store/pg_pool.hpp"

namespace agentos::api {
namespace {

using core::Error;

net::awaitable<Response> ListAgents(Services& s, Request& req) {
    QueryReader q(req);
    const auto cursor = q.Uuid("cursor");
    const int limit = q.Limit();
    q.Finish();
    const auto& who = req.Who();
    std::vector<store::AgentRecord> agents;
    co_await s.pool.Transact([&](store::Tx& tx) {
        if (who.IsAgentKey()) {
            // An agent key sees its own agent only.
            if (auto a = store::AgentRepo(tx).Get(who.workspace_id, *who.agent_id); a && !cursor) {
                agents.push_back(std::move(*a));
            }
            return;
        }
        agents = store::AgentRepo(tx).List(who.workspace_id, cursor, limit + 1);
    });
    const auto next = TrimPage(agents, limit);
    nlohmann::json items = nlohmann::json::array();
    for (const auto& a : agents) {
        items.push_back(AgentJson(a));
    }
    co_return Response::Data(Page(std::move(items), next));
}

net::awaitable<Response> GetAgent(Services& s, Request& req) {
    QueryReader(req).Finish();
    const std::string ref = req.Param("agentId");
    const auto& who = req.Who();
    std::optional<store::AgentRecord> agent;
    co_await s.pool.Transact([&](store::Tx& tx) { agent = store::AgentRepo(tx).Get(who.workspace_id, ref); });
    if (!agent) {
        throw Error::NotFound("agent " + ref);
    }
    if (who.IsAgentKey() && agent->id != who.agent_id) {
        throw Error(core::ErrorCode::kForbidden, "this agent key belongs to another agent");
    }
    co_return Response::Data(AgentJson(*agent));
}

}  // namespace

void AddAgentRoutes(Router& router, Services& s) {
    router.Add("GET", "/api/v1/agents", [&s](Request& req) { return ListAgents(s, req); });
    router.Add("GET", "/api/v1/agents/:agentId", [&s](Request& req) { return GetAgent(s, req); });
}

}  // namespace agentos::api
