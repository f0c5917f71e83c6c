// User memories: facts about one end user (by external_user_id), created, listed (filters, full-text search),
// read, changed and deleted; their topics and per-user counts. A workspace key may do everything; an agent key
// reads every memory of the workspace (memories belong to the user, and its agent gets them in its prompt anyway),
// stores memories as its agent's, and changes or deletes only the memories its agent stored.

#include <string_view>

#include "api/dto/query_reader.hpp"
#include "api/dto/resource_json.hpp"
#include "api/handlers/services.hpp"
#include "api/server/router.hpp"
#include "runtime/core/error.hpp"
#include "runtime/core/ids.hpp"
#include "runtime/core/json_body.hpp"
#include "runtime/store/agent_repo.hpp"
#include "runtime/store/memory_repo.hpp"
#include "runtime/store/pg_pool.hpp"

namespace agentos::api {
namespace {

using core::Error;
using Json = nlohmann::json;

constexpr std::size_t kMaxMemoryChars = 10'000;
constexpr std::size_t kMaxTopics = 20;
constexpr std::size_t kMaxTopicChars = 100;
constexpr std::size_t kMaxUserIdChars = 200;
constexpr std::size_t kMaxQueryChars = 1'000;

std::string ReadUserId(core::ObjectReader& r) {
    auto id = r.String("external_user_id");
    core::CheckText("external_user_id", id, kMaxUserIdChars);
    return id;
}

/// `topics`: an array of at most 20 strings, each with a non-space character and at most 100 characters. The
/// store trims, lower-cases and de-duplicates them.
std::optional<std::vector<std::string>> ReadTopics(core::ObjectReader& r) {
    const Json* v = r.Optional("topics");
    if (v == nullptr) {
        return std::nullopt;
    }
    if (!v->is_array()) {
        throw Error::Validation(
            "topics", std::string("must be an array of strings, not ").append(core::JsonTypeName(*v))
        );
    }
    if (v->size() > kMaxTopics) {
        throw Error::Validation("topics", "at most " + std::to_string(kMaxTopics) + " topics");
    }
    std::vector<std::string> topics;
    for (std::size_t i = 0; i < v->size(); ++i) {
        const auto& t = (*v)[i];
        const auto path = core::ElementPath("topics", i);
        if (!t.is_string()) {
            throw Error::Validation(path, std::string("must be a string, not ").append(core::JsonTypeName(t)));
        }
        const auto& text = t.get_ref<const std::string&>();
        core::CheckText(path, core::TrimSpace(text), kMaxTopicChars);
        topics.push_back(text);
    }
    return topics;
}

/// The memory, if it is in the caller's workspace.
store::UserMemory Visible(store::Tx& tx, const core::Principal& who, const std::string& id) {
    auto m = store::MemoryRepo(tx).Get(who.workspace_id, id);
    if (!m) {
        throw Error::NotFound("memory " + id);
    }
    return std::move(*m);
}

/// The memory, if the caller may change it: an agent key only those its agent stored.
store::UserMemory Changeable(store::Tx& tx, const core::Principal& who, const std::string& id) {
    auto m = Visible(tx, who, id);
    if (who.IsAgentKey() && m.agent_id != who.agent_id) {
        throw Error(core::ErrorCode::kForbidden, "an agent key may change only the memories its own agent stored");
    }
    return m;
}

net::awaitable<Response> CreateMemory(Services& s, Request& req) {
    QueryReader(req).Finish();
    const auto body = core::ParseJsonBody(req.body);
    core::ObjectReader r(body, "");
    const auto& who = req.Who();
    store::NewMemory m;
    m.workspace_id = who.workspace_id;
    m.external_user_id = ReadUserId(r);
    m.memory = r.String("memory");
    core::CheckText("memory", m.memory, kMaxMemoryChars);
    m.topics = ReadTopics(r).value_or(std::vector<std::string>{});
    r.Finish();
    if (who.IsAgentKey()) {
        m.agent_id = who.agent_id;
    }
    store::UserMemory created;
    co_await s.pool.Autocommit([&](store::Tx& tx) { created = store::MemoryRepo(tx).Create(m); });
    co_return Response::Data(MemoryJson(created), 201);
}

net::awaitable<Response> ListMemories(Services& s, Request& req) {
    QueryReader q(req);
    store::MemoryFilter f;
    f.external_user_id = q.String("external_user_id");
    if (f.external_user_id) {
        core::CheckText("external_user_id", *f.external_user_id, kMaxUserIdChars);
    }
    f.topic = q.String("topic");
    if (f.topic) {
        core::CheckText("topic", core::TrimSpace(*f.topic), kMaxTopicChars);
    }
    f.query = q.String("q");
    if (f.query) {
        core::CheckText("q", *f.query, kMaxQueryChars);
    }
    const auto agent_ref = q.String("agent_id");
    f.before_id = q.Uuid("cursor");
    const int limit = q.Limit();
    f.limit = limit + 1;
    q.Finish();
    const auto& who = req.Who();
    std::vector<store::UserMemory> memories;
    co_await s.pool.Autocommit([&](store::Tx& tx) {
        if (agent_ref) {
            const auto agent = store::AgentRepo(tx).Get(who.workspace_id, *agent_ref);
            if (!agent) {
                throw Error::NotFound("agent " + *agent_ref);
            }
            f.agent_id = agent->id;
        }
        memories = store::MemoryRepo(tx).List(who.workspace_id, f);
    });
    const auto next = TrimPage(memories, limit);
    Json items = Json::array();
    for (const auto& m : memories) {
        items.push_back(MemoryJson(m));
    }
    co_return Response::Data(Page(std::move(items), next));
}

net::awaitable<Response> GetMemory(Services& s, Request& req) {
    QueryReader(req).Finish();
    const auto id = core::RequireUuid("memoryId", req.Param("memoryId"));
    const auto& who = req.Who();
    store::UserMemory m;
    co_await s.pool.Autocommit([&](store::Tx& tx) { m = Visible(tx, who, id); });
    co_return Response::Data(MemoryJson(m));
}

net::awaitable<Response> UpdateMemory(Services& s, Request& req) {
    QueryReader(req).Finish();
    const auto id = core::RequireUuid("memoryId", req.Param("memoryId"));
    const auto body = core::ParseJsonBody(req.body);
    core::ObjectReader r(body, "");
    store::MemoryChange change;
    change.memory = r.OptString("memory");
    if (change.memory) {
        core::CheckText("memory", *change.memory, kMaxMemoryChars);
    }
    change.topics = ReadTopics(r);
    r.Finish();
    if (!change.memory && !change.topics) {
        throw Error::Validation("body", "nothing to change: give memory, topics or both");
    }
    const auto& who = req.Who();
    store::UserMemory updated;
    co_await s.pool.Transact([&](store::Tx& tx) {
        Changeable(tx, who, id);
        auto m = store::MemoryRepo(tx).Update(who.workspace_id, id, change);
        if (!m) {
            throw Error::NotFound("memory " + id);
        }
        updated = std::move(*m);
    });
    co_return Response::Data(MemoryJson(updated));
}

net::awaitable<Response> DeleteMemory(Services& s, Request& req) {
    QueryReader(req).Finish();
    const auto id = core::RequireUuid("memoryId", req.Param("memoryId"));
    const auto& who = req.Who();
    co_await s.pool.Transact([&](store::Tx& tx) {
        Changeable(tx, who, id);
        if (!store::MemoryRepo(tx).Delete(who.workspace_id, id)) {
            throw Error::NotFound("memory " + id);
        }
    });
    co_return Response::Data({{"deleted", true}});
}

net::awaitable<Response> ListTopics(Services& s, Request& req) {
    QueryReader q(req);
    const auto user = q.String("external_user_id");
    if (user) {
        core::CheckText("external_user_id", *user, kMaxUserIdChars);
    }
    const auto cursor = q.String("cursor");
    const int limit = q.Limit();
    q.Finish();
    const auto& who = req.Who();
    std::vector<store::TopicCount> topics;
    co_await s.pool.Autocommit([&](store::Tx& tx) {
        topics = store::MemoryRepo(tx).Topics(who.workspace_id, user, cursor, limit + 1);
    });
    std::optional<std::string> next;
    if (static_cast<int>(topics.size()) > limit) {
        topics.resize(static_cast<std::size_t>(limit));
        next = topics.back().topic;
    }
    Json items = Json::array();
    for (const auto& t : topics) {
        items.push_back({{"topic", t.topic}, {"count", t.count}});
    }
    co_return Response::Data(Page(std::move(items), next));
}

net::awaitable<Response> ListStats(Services& s, Request& req) {
    QueryReader q(req);
    const auto cursor = q.String("cursor");
    const int limit = q.Limit();
    q.Finish();
    const auto& who = req.Who();
    std::vector<store::UserMemoryStats> stats;
    co_await s.pool.Autocommit([&](store::Tx& tx) {
        stats = store::MemoryRepo(tx).Stats(who.workspace_id, cursor, limit + 1);
    });
    std::optional<std::string> next;
    if (static_cast<int>(stats.size()) > limit) {
        stats.resize(static_cast<std::size_t>(limit));
        next = stats.back().external_user_id;
    }
    Json items = Json::array();
    for (const auto& u : stats) {
        items.push_back({
            {"external_user_id", u.external_user_id},
            {"memories", u.memories},
            {"last_updated_at", core::FormatIso(u.last_updated_at)},
        });
    }
    co_return Response::Data(Page(std::move(items), next));
}

}  // namespace

void AddMemoryRoutes(Router& router, Services& s) {
    router.Add("POST", "/api/v1/memories", [&s](Request& req) { return CreateMemory(s, req); });
    router.Add("GET", "/api/v1/memories", [&s](Request& req) { return ListMemories(s, req); });
    router.Add("GET", "/api/v1/memories/topics", [&s](Request& req) { return ListTopics(s, req); });
    router.Add("GET", "/api/v1/memories/stats", [&s](Request& req) { return ListStats(s, req); });
    router.Add("GET", "/api/v1/memories/:memoryId", [&s](Request& req) { return GetMemory(s, req); });
    router.Add("PATCH", "/api/v1/memories/:memoryId", [&s](Request& req) { return UpdateMemory(s, req); });
    router.Add("DELETE", "/api/v1/memories/:memoryId", [&s](Request& req) { return DeleteMemory(s, req); });
}

}  // namespace agentos::api
