// Reading runs: list with filters, one run with its tasks and child runs, and its stored timeline.

#include <map>

#include "api/dto/query_reader.hpp"
#include "api/dto/resource_json.hpp"
#include "api/handlers/services.hpp"
#include "api/middleware/idempotency.hpp"
#include "api/server/router.hpp"
#include "runtime/agent_service.hpp"
#include "runtime/core/error.hpp"
#include "runtime/core/ids.hpp"
#include "runtime/core/json_body.hpp"
#include "runtime/run_service.hpp"
#include "runtime/store/agent_repo.hpp"
#include "runtime/store/event_repo.hpp"
#include "runtime/store/pause_repo.hpp"
#include "runtime/store/pg_pool.hpp"
#include "runtime/store/run_repo.hpp"
#include "runtime/store/task_repo.hpp"

namespace agentos::api {
namespace {

using core::Error;

/// The run, if the caller may see it: NOT_FOUND outside the workspace, FORBIDDEN for another agent's key.
store::RunRecord VisibleRun(store::Tx& tx, const core::Principal& who, const std::string& run_id) {
    auto run = store::RunRepo(tx).Get(who.workspace_id, run_id);
    if (!run) {
        throw Error::NotFound("run " + run_id);
    }
    if (who.IsAgentKey() && run->agent_id != who.agent_id) {
        throw Error(core::ErrorCode::kForbidden, "this agent key belongs to another agent");
    }
    return std::move(*run);
}

net::awaitable<Response> ListRuns(Services& s, Request& req) {
    QueryReader q(req);
    store::RunFilter f;
    const auto agent_ref = q.String("agent_id");
    f.status = q.Status("status");
    f.session_id = q.Uuid("session_id");
    f.parent_run_id = q.Uuid("parent_run_id");
    f.trigger_type = q.Enum("trigger_type", {"manual", "scheduled", "webhook", "sdk", "agent"});
    f.schedule_id = q.Uuid("schedule_id");
    f.before_id = q.Uuid("cursor");
    const int limit = q.Limit();
    f.limit = limit + 1;
    q.Finish();
    const auto& who = req.Who();
    std::vector<store::RunRecord> runs;
    co_await s.pool.Transact([&](store::Tx& tx) {
        f.agent_id = engine::AgentScope(tx, who, agent_ref);
        runs = store::RunRepo(tx).List(who.workspace_id, f);
    });
    const auto next = TrimPage(runs, limit);
    nlohmann::json items = nlohmann::json::array();
    for (const auto& r : runs) {
        items.push_back(RunJson(r));
    }
    co_return Response::Data(Page(std::move(items), next));
}

net::awaitable<Response> GetRun(Services& s, Request& req) {
    QueryReader(req).Finish();
    const auto run_id = core::RequireUuid("runId", req.Param("runId"));
    const auto& who = req.Who();
    nlohmann::json data;
    co_await s.pool.Transact([&](store::Tx& tx) {
        const auto run = VisibleRun(tx, who, run_id);
        data = RunJson(run);
        nlohmann::json tasks = nlohmann::json::array();
        for (const auto& t : store::TaskRepo(tx).ListForRun(who.workspace_id, run_id)) {
            tasks.push_back(TaskJson(t));
        }
        nlohmann::json children = nlohmann::json::array();
        for (const auto& c : store::RunRepo(tx).Children(who.workspace_id, run_id)) {
            children.push_back({
                {"id", c.id},
                {"agent_id", c.agent_id},
                {"agent_slug", c.agent_slug},
                {"status", core::ToString(c.status)},
                {"total_tokens", c.total_tokens},
                {"cost_usd", c.cost_usd},
            });
        }
        data["tasks"] = std::move(tasks);
        data["child_runs"] = std::move(children);
        // What a paused run waits for.
        data["pending_approval"] = nullptr;
        data["pending_input"] = nullptr;
        store::PauseFilter pending;
        pending.run_id = run_id;
        pending.status = "pending";
        pending.limit = 1;
        for (const auto& p : store::PauseRepo(tx).List(who.workspace_id, pending)) {
            if (p.kind == "approval") {
                data["pending_approval"] = ApprovalJson(p);
            } else {
                data["pending_input"] = InputRequestJson(p);
            }
        }
    });
    co_return Response::Data(data);
}

net::awaitable<Response> CancelRunOnce(Services& s, Request& req) {
    QueryReader(req).Finish();
    const auto run_id = core::RequireUuid("runId", req.Param("runId"));
    if (!req.body.empty()) {
        core::ObjectReader(core::ParseJsonBody(req.body), "").Finish();  // no fields; a typo is refused, not ignored
    }
    const auto run = co_await s.runs.Cancel(req.Who(), run_id);
    co_return Response::Data(RunJson(run));
}

net::awaitable<Response> ListEvents(Services& s, Request& req) {
    QueryReader q(req);
    auto after = q.Int("after", 0, INT64_MAX / 2);
    const auto cursor = q.Int("cursor", 0, INT64_MAX / 2);
    const int limit = static_cast<int>(q.Int("limit", 1, 1000).value_or(100));
    q.Finish();
    if (after && cursor) {
        throw Error::Validation("cursor", "give either after or cursor, not both");
    }
    const std::int64_t from = after.value_or(cursor.value_or(0));
    const auto run_id = core::RequireUuid("runId", req.Param("runId"));
    const auto& who = req.Who();
    std::vector<store::EventRecord> events;
    co_await s.pool.Transact([&](store::Tx& tx) {
        VisibleRun(tx, who, run_id);
        events = store::EventRepo(tx).List(who.workspace_id, run_id, from, limit + 1);
    });
    std::optional<std::string> next;
    if (static_cast<int>(events.size()) > limit) {
        events.resize(static_cast<std::size_t>(limit));
        next = std::to_string(events.back().seq);
    }
    nlohmann::json items = nlohmann::json::array();
    for (const auto& e : events) {
        items.push_back(EventJson(e));
    }
    co_return Response::Data(Page(std::move(items), next));
}

/// The run with all its descendants, nested, and the totals of the tree. Child runs started by agent nodes or
/// call_agent already roll their usage up into their parent, so the totals add only the runs that did not.
net::awaitable<Response> GetTree(Services& s, Request& req) {
    QueryReader(req).Finish();
    const auto run_id = core::RequireUuid("runId", req.Param("runId"));
    const auto& who = req.Who();
    std::vector<store::RunRecord> runs;
    co_await s.pool.Transact([&](store::Tx& tx) {
        VisibleRun(tx, who, run_id);
        runs = store::RunRepo(tx).Tree(who.workspace_id, run_id, 1000);
    });
    std::map<std::string, nlohmann::json> nodes;
    std::map<std::string, std::vector<std::string>> children;
    nlohmann::json totals = {
        {"runs", runs.size()}, {"prompt_tokens", 0}, {"completion_tokens", 0}, {"total_tokens", 0}, {"cost_usd", 0.0}};
    for (const auto& r : runs) {
        auto node = RunJson(r);
        node["children"] = nlohmann::json::array();
        nodes[r.id] = std::move(node);
        if (r.parent_run_id && r.id != run_id) {
            children[*r.parent_run_id].push_back(r.id);
        }
        if (r.id == run_id || r.trigger_type != "agent") {
            totals["prompt_tokens"] = totals["prompt_tokens"].get<std::int64_t>() + r.prompt_tokens;
            totals["completion_tokens"] = totals["completion_tokens"].get<std::int64_t>() + r.completion_tokens;
            totals["total_tokens"] = totals["total_tokens"].get<std::int64_t>() + r.total_tokens;
            totals["cost_usd"] = totals["cost_usd"].get<double>() + r.cost_usd;
        }
    }
    // Runs come parents first, so nesting from the leaves up keeps every child in its place.
    for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
        auto& node = nodes[it->id];
        for (const auto& child : children[it->id]) {
            node["children"].push_back(std::move(nodes[child]));
        }
    }
    co_return Response::Data({{"run", std::move(nodes[run_id])}, {"totals", std::move(totals)}});
}

}  // namespace

void AddRunRoutes(Router& router, Services& s) {
    router.Add("GET", "/api/v1/runs", [&s](Request& req) { return ListRuns(s, req); });
    router.Add("GET", "/api/v1/runs/:runId", [&s](Request& req) { return GetRun(s, req); });
    router.Add("GET", "/api/v1/runs/:runId/events", [&s](Request& req) { return ListEvents(s, req); });
    router.Add("GET", "/api/v1/runs/:runId/tree", [&s](Request& req) { return GetTree(s, req); });
    router.Add("POST", "/api/v1/runs/:runId/cancel", [&s](Request& req) {
        return Idempotent(s.pool, req, [&s, &req] { return CancelRunOnce(s, req); });
    });
}

}  // namespace agentos::api
