// Agents: list and read (ingest-registered and defined ones alike); create from YAML or JSON, update (a new
// version), versions, publish (rollback), pause/activate, delete.

#include "api/dto/query_reader.hpp"
#include "api/dto/resource_json.hpp"
#include "api/handlers/services.hpp"
#include "api/server/router.hpp"
#include "runtime/agent_service.hpp"
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
    nlohmann::json data;
    co_await s.pool.Transact([&](store::Tx& tx) {
        const auto agent = engine::VisibleAgent(tx, who, ref);
        data = AgentJson(agent);
        data["definition"] = nullptr;
        if (agent.current_version) {
            if (const auto v = store::AgentRepo(tx).Version(agent.id, *agent.current_version)) {
                data["definition"] = v->spec;
            }
        }
    });
    co_return Response::Data(data);
}

nlohmann::json SavedJson(const store::SavedAgent& saved) {
    auto j = AgentJson(saved.agent);
    j["new_version"] = saved.new_version;
    return j;
}

net::awaitable<Response> CreateAgent(Services& s, Request& req) {
    QueryReader(req).Finish();
    const auto saved = co_await s.agents.Create(req.Who(), req.body);
    co_return Response::Data(SavedJson(saved), 201);
}

net::awaitable<Response> UpdateAgent(Services& s, Request& req) {
    QueryReader(req).Finish();
    const auto saved = co_await s.agents.Update(req.Who(), req.Param("agentId"), req.body);
    co_return Response::Data(SavedJson(saved));
}

net::awaitable<Response> DeleteAgent(Services& s, Request& req) {
    QueryReader(req).Finish();
    co_await s.agents.Delete(req.Who(), req.Param("agentId"));
    co_return Response::Data({{"deleted", true}});
}

net::awaitable<Response> ListVersions(Services& s, Request& req) {
    QueryReader(req).Finish();
    const auto [agent, versions] = co_await s.agents.Versions(req.Who(), req.Param("agentId"));
    nlohmann::json items = nlohmann::json::array();
    for (const auto& v : versions) {
        items.push_back({
            {"version", v.version},
            {"current", agent.current_version == v.version},
            {"checksum", v.checksum},
            {"definition", v.spec},
            {"created_at", core::FormatIso(v.created_at)},
        });
    }
    co_return Response::Data(Page(std::move(items), std::nullopt));
}

net::awaitable<Response> Publish(Services& s, Request& req) {
    QueryReader(req).Finish();
    const auto& text = req.Param("version");
    std::int64_t version = 0;
    const bool ok = !text.empty() && text.size() <= 9 && text.find_first_not_of("0123456789") == std::string::npos &&
                    (version = std::stoll(text)) >= 1;
    if (!ok) {
        throw Error::Validation("version", "must be a version number (1, 2, …)");
    }
    const auto agent = co_await s.agents.Publish(req.Who(), req.Param("agentId"), version);
    co_return Response::Data(AgentJson(agent));
}

net::awaitable<Response> SetStatus(Services& s, Request& req, std::string status) {
    QueryReader(req).Finish();
    const auto agent = co_await s.agents.SetStatus(req.Who(), req.Param("agentId"), std::move(status));
    co_return Response::Data(AgentJson(agent));
}

}  // namespace

void AddAgentRoutes(Router& router, Services& s) {
    router.Add("GET", "/api/v1/agents", [&s](Request& req) { return ListAgents(s, req); });
    router.Add("POST", "/api/v1/agents", [&s](Request& req) { return CreateAgent(s, req); });
    router.Add("GET", "/api/v1/agents/:agentId", [&s](Request& req) { return GetAgent(s, req); });
    router.Add("PUT", "/api/v1/agents/:agentId", [&s](Request& req) { return UpdateAgent(s, req); });
    router.Add("DELETE", "/api/v1/agents/:agentId", [&s](Request& req) { return DeleteAgent(s, req); });
    router.Add("GET", "/api/v1/agents/:agentId/versions", [&s](Request& req) { return ListVersions(s, req); });
    router.Add("POST", "/api/v1/agents/:agentId/versions/:version/publish", [&s](Request& req) {
        return Publish(s, req);
    });
    router.Add("POST", "/api/v1/agents/:agentId/pause", [&s](Request& req) { return SetStatus(s, req, "paused"); });
    router.Add("POST", "/api/v1/agents/:agentId/activate", [&s](Request& req) { return SetStatus(s, req, "active"); });
}

}  // namespace agentos::api
