// Reading the pauses of hosted runs: approvals and input requests, listed, counted and read one by one. Answering
// them (resolve, respond) resumes a run and lives with invoke.

#include "api/dto/query_reader.hpp"
#include "api/dto/resource_json.hpp"
#include "api/handlers/services.hpp"
#include "api/server/router.hpp"
#include "runtime/agent_service.hpp"
#include "runtime/core/error.hpp"
#include "runtime/core/ids.hpp"
#include "runtime/store/pause_repo.hpp"
#include "runtime/store/pg_pool.hpp"

namespace agentos::api {
namespace {

using core::Error;
using Json = nlohmann::json;

/// Which pauses an API name stands for: approvals or input requests.
struct PauseKind {
    const char* kind;      ///< approval | input
    const char* noun;      ///< for messages
    const char* id_param;  ///< the route's parameter
    std::initializer_list<std::string_view> statuses;
};

const PauseKind kApprovals{
    "approval", "approval", "approvalId", {"pending", "approved", "rejected", "expired", "cancelled"}};
const PauseKind kInputRequests{"input", "input request", "requestId", {"pending", "answered", "expired", "cancelled"}};

Json PauseData(const PauseKind& k, const store::PauseRecord& p) {
    return k.kind == std::string_view("approval") ? ApprovalJson(p) : InputRequestJson(p);
}

net::awaitable<Response> List(Services& s, Request& req, const PauseKind& k) {
    QueryReader q(req);
    const auto status = q.Enum("status", k.statuses);
    const auto agent_ref = q.String("agent_id");
    const auto run_id = q.Uuid("run_id");
    const auto cursor = q.Uuid("cursor");
    const int limit = q.Limit();
    q.Finish();
    const auto& who = req.Who();
    std::vector<store::PauseRecord> pauses;
    co_await s.pool.Autocommit([&](store::Tx& tx) {
        store::PauseFilter f;
        f.agent_id = engine::AgentScope(tx, who, agent_ref);
        f.kind = k.kind;
        f.status = status;
        f.run_id = run_id;
        f.before_id = cursor;
        f.limit = limit + 1;
        pauses = store::PauseRepo(tx).List(who.workspace_id, f);
    });
    const auto next = TrimPage(pauses, limit);
    Json items = Json::array();
    for (const auto& p : pauses) {
        items.push_back(PauseData(k, p));
    }
    co_return Response::Data(Page(std::move(items), next));
}

net::awaitable<Response> Count(Services& s, Request& req, const PauseKind& k) {
    QueryReader q(req);
    const auto status = q.Enum("status", k.statuses);
    const auto agent_ref = q.String("agent_id");
    q.Finish();
    const auto& who = req.Who();
    std::int64_t count = 0;
    co_await s.pool.Autocommit([&](store::Tx& tx) {
        const auto agent_id = engine::AgentScope(tx, who, agent_ref);
        for (const auto& [kind, n] : store::PauseRepo(tx).Count(who.workspace_id, status, agent_id)) {
            if (kind == k.kind) {
                count = n;
            }
        }
    });
    co_return Response::Data({{"count", count}, {"status", status ? Json(*status) : Json(nullptr)}});
}

net::awaitable<Response> Get(Services& s, Request& req, const PauseKind& k) {
    QueryReader(req).Finish();
    const auto id = core::RequireUuid(k.id_param, req.Param(k.id_param));
    const auto& who = req.Who();
    std::optional<store::PauseRecord> pause;
    co_await s.pool.Autocommit([&](store::Tx& tx) { pause = store::PauseRepo(tx).Get(who.workspace_id, id); });
    if (!pause || pause->kind != k.kind) {
        throw Error::NotFound(std::string(k.noun) + " " + id);
    }
    if (who.IsAgentKey() && pause->agent_id != who.agent_id) {
        throw Error(core::ErrorCode::kForbidden, "this agent key belongs to another agent");
    }
    co_return Response::Data(PauseData(k, *pause));
}

}  // namespace

void AddPauseRoutes(Router& router, Services& s) {
    router.Add("GET", "/api/v1/approvals", [&s](Request& req) { return List(s, req, kApprovals); });
    router.Add("GET", "/api/v1/approvals/count", [&s](Request& req) { return Count(s, req, kApprovals); });
    router.Add("GET", "/api/v1/approvals/:approvalId", [&s](Request& req) { return Get(s, req, kApprovals); });
    router.Add("GET", "/api/v1/input-requests", [&s](Request& req) { return List(s, req, kInputRequests); });
    router.Add("GET", "/api/v1/input-requests/count", [&s](Request& req) { return Count(s, req, kInputRequests); });
    router.Add("GET", "/api/v1/input-requests/:requestId", [&s](Request& req) { return Get(s, req, kInputRequests); });
}

}  // namespace agentos::api
