// Server-managed sessions: open one, list them (by agent, by end user), read one with its messages, rename, delete,
// and list its runs. A session is a conversation with one agent; its turns are invokes with its session_id.

#include "api/dto/query_reader.hpp"
#include "api/dto/resource_json.hpp"
#include "api/handlers/services.hpp"
#include "api/server/router.hpp"
#include "runtime/agent_service.hpp"
#include "runtime/core/error.hpp"
#include "runtime/core/ids.hpp"
#include "runtime/core/json_body.hpp"
#include "runtime/store/pg_pool.hpp"
#include "runtime/store/run_repo.hpp"
#include "runtime/store/session_repo.hpp"

namespace agentos::api {
namespace {

using core::Error;
using Json = nlohmann::json;

constexpr std::size_t kMaxName = 200;
constexpr std::size_t kMaxUser = 200;

/// The session, if the caller may see it: NOT_FOUND outside the workspace, FORBIDDEN for another agent's key.
store::SessionRecord VisibleSession(store::Tx& tx, const core::Principal& who, const std::string& id) {
    auto s = store::SessionRepo(tx).Get(who.workspace_id, id);
    if (!s) {
        throw Error::NotFound("session " + id);
    }
    if (who.IsAgentKey() && s->agent_id != who.agent_id) {
        throw Error(core::ErrorCode::kForbidden, "this agent key belongs to another agent");
    }
    return std::move(*s);
}

/// A name: a string of 1..200 characters, or null to clear it.
std::optional<std::string> ReadName(const Json& body, bool required) {
    if (!body.contains("name")) {
        if (required) {
            throw Error::Validation("name", "required: the session's new name (a string, or null to clear it)");
        }
        return std::nullopt;
    }
    const auto& v = body["name"];
    if (v.is_null()) {
        return std::nullopt;
    }
    if (!v.is_string()) {
        throw Error::Validation("name", std::string("must be a string, or null, not ").append(core::JsonTypeName(v)));
    }
    core::CheckText("name", v.get_ref<const std::string&>(), kMaxName);
    return v.get<std::string>();
}

net::awaitable<Response> CreateSession(Services& s, Request& req) {
    QueryReader(req).Finish();
    const auto body = core::ParseJsonBody(req.body);
    core::ObjectReader r(body, "");
    const auto agent_ref = r.String("agent_id");
    const auto user = r.OptString("external_user_id");
    r.Optional("name");
    r.Finish();
    if (user) {
        core::CheckText("external_user_id", *user, kMaxUser);
    }
    const auto name = ReadName(body, false);
    const auto& who = req.Who();
    Json data;
    co_await s.pool.Transact([&](store::Tx& tx) {
        store::NewSession n;
        n.id = core::NewUuidV7();
        n.workspace_id = who.workspace_id;
        n.agent_id = engine::VisibleAgent(tx, who, agent_ref).id;
        n.external_user_id = user;
        n.name = name;
        data = SessionJson(store::SessionRepo(tx).Create(n));
    });
    co_return Response::Data(std::move(data), 201);
}

net::awaitable<Response> ListSessions(Services& s, Request& req) {
    QueryReader q(req);
    store::SessionFilter f;
    const auto agent_ref = q.String("agent_id");
    f.external_user_id = q.String("external_user_id");
    f.before_id = q.Uuid("cursor");
    const int limit = q.Limit();
    f.limit = limit + 1;
    q.Finish();
    const auto& who = req.Who();
    std::vector<store::SessionRecord> sessions;
    co_await s.pool.Transact([&](store::Tx& tx) {
        f.agent_id = engine::AgentScope(tx, who, agent_ref);
        sessions = store::SessionRepo(tx).List(who.workspace_id, f);
    });
    const auto next = TrimPage(sessions, limit);
    Json items = Json::array();
    for (const auto& session : sessions) {
        items.push_back(SessionJson(session));
    }
    co_return Response::Data(Page(std::move(items), next));
}

net::awaitable<Response> GetSession(Services& s, Request& req) {
    QueryReader q(req);
    const auto messages = q.Int("messages", 0, 1000).value_or(100);
    q.Finish();
    const auto id = core::RequireUuid("sessionId", req.Param("sessionId"));
    const auto& who = req.Who();
    Json data;
    co_await s.pool.Transact([&](store::Tx& tx) {
        data = SessionJson(VisibleSession(tx, who, id));
        Json list = Json::array();
        for (const auto& m : store::SessionRepo(tx).Messages(id, static_cast<int>(messages))) {
            list.push_back(SessionMessageJson(m));
        }
        data["messages"] = std::move(list);
    });
    co_return Response::Data(std::move(data));
}

net::awaitable<Response> RenameSession(Services& s, Request& req) {
    QueryReader(req).Finish();
    const auto id = core::RequireUuid("sessionId", req.Param("sessionId"));
    const auto body = core::ParseJsonBody(req.body);
    core::ObjectReader r(body, "");
    r.Optional("name");
    r.Finish();
    const auto name = ReadName(body, true);
    const auto& who = req.Who();
    Json data;
    co_await s.pool.Transact([&](store::Tx& tx) {
        VisibleSession(tx, who, id);
        data = SessionJson(*store::SessionRepo(tx).Rename(who.workspace_id, id, name));
    });
    co_return Response::Data(std::move(data));
}

net::awaitable<Response> DeleteSession(Services& s, Request& req) {
    QueryReader(req).Finish();
    const auto id = core::RequireUuid("sessionId", req.Param("sessionId"));
    const auto& who = req.Who();
    co_await s.pool.Transact([&](store::Tx& tx) {
        const auto session = VisibleSession(tx, who, id);
        if (store::SessionRepo(tx).Delete(who.workspace_id, id) == store::SessionDelete::kBusy) {
            throw Error::Conflict(
                "session " + id + " has a turn in progress or waiting (run " +
                session.active_run_id.value_or("queued") + "): cancel it or let it end, then delete the session"
            );
        }
    });
    co_return Response::Data({{"deleted", true}});
}

net::awaitable<Response> SessionRuns(Services& s, Request& req) {
    QueryReader q(req);
    store::RunFilter f;
    f.before_id = q.Uuid("cursor");
    const int limit = q.Limit();
    f.limit = limit + 1;
    q.Finish();
    const auto id = core::RequireUuid("sessionId", req.Param("sessionId"));
    const auto& who = req.Who();
    std::vector<store::RunRecord> runs;
    co_await s.pool.Transact([&](store::Tx& tx) {
        VisibleSession(tx, who, id);
        f.session_id = id;
        runs = store::RunRepo(tx).List(who.workspace_id, f);
    });
    const auto next = TrimPage(runs, limit);
    Json items = Json::array();
    for (const auto& r : runs) {
        items.push_back(RunJson(r));
    }
    co_return Response::Data(Page(std::move(items), next));
}

}  // namespace

void AddSessionRoutes(Router& router, Services& s) {
    router.Add("POST", "/api/v1/sessions", [&s](Request& req) { return CreateSession(s, req); });
    router.Add("GET", "/api/v1/sessions", [&s](Request& req) { return ListSessions(s, req); });
    router.Add("GET", "/api/v1/sessions/:sessionId", [&s](Request& req) { return GetSession(s, req); });
    router.Add("PATCH", "/api/v1/sessions/:sessionId", [&s](Request& req) { return RenameSession(s, req); });
    router.Add("DELETE", "/api/v1/sessions/:sessionId", [&s](Request& req) { return DeleteSession(s, req); });
    router.Add("GET", "/api/v1/sessions/:sessionId/runs", [&s](Request& req) { return SessionRuns(s, req); });
}

}  // namespace agentos::api
