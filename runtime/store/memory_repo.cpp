#include "runtime/store/memory_repo.hpp"

#include "runtime/core/ids.hpp"
#include "runtime/store/pg.hpp"

namespace agentos::store {
namespace {

#define MEMORY_COLUMNS                                                                 \
    "id, workspace_id, external_user_id, memory, to_jsonb(topics), agent_id, run_id, " \
    "(extract(epoch FROM created_at) * 1000000)::bigint, (extract(epoch FROM updated_at) * 1000000)::bigint"

// A JSON array of topics as stored: trimmed, lower-cased, empty ones dropped, each once (where it first appeared).
#define MEMORY_TOPICS(param)                                                                    \
    "ARRAY(SELECT t FROM (SELECT lower(btrim(e.t, E' \\t\\n\\r\\f\\x0b')) AS t, min(e.n) AS n " \
    "FROM jsonb_array_elements_text(" param                                                     \
    "::jsonb) WITH ORDINALITY AS e(t, n) GROUP BY 1) s WHERE t <> '' "                          \
    "ORDER BY n)"

constexpr Query kCreate{"memory_create", R"sql(
INSERT INTO user_memories (id, workspace_id, external_user_id, memory, topics, agent_id, run_id)
VALUES ($1::uuid, $2::uuid, $3, $4, )sql" MEMORY_TOPICS("$5") R"sql(, $6::uuid, $7::uuid)
RETURNING )sql" MEMORY_COLUMNS};

constexpr Query kRecent{"memory_recent", "SELECT " MEMORY_COLUMNS R"sql( FROM user_memories
WHERE workspace_id = $1::uuid AND external_user_id = $2
ORDER BY id DESC LIMIT $3::int)sql"};

constexpr Query kGet{"memory_get", "SELECT " MEMORY_COLUMNS R"sql( FROM user_memories
WHERE workspace_id = $1::uuid AND id = $2::uuid)sql"};

// topics @> ARRAY[...] rather than = ANY(topics): the same test, but the GIN index on topics serves it.
constexpr Query kList{"memory_list", "SELECT " MEMORY_COLUMNS R"sql( FROM user_memories
WHERE workspace_id = $1::uuid
  AND ($2::text IS NULL OR external_user_id = $2)
  AND ($3::text IS NULL OR topics @> ARRAY[lower(btrim($3, E' \t\n\r\f\x0b'))])
  AND ($4::text IS NULL OR search @@ websearch_to_tsquery('simple', $4))
  AND ($5::uuid IS NULL OR agent_id = $5::uuid)
  AND ($6::uuid IS NULL OR id < $6::uuid)
ORDER BY id DESC LIMIT $7::int)sql"};

constexpr Query kUpdate{"memory_update", R"sql(
UPDATE user_memories
SET memory = coalesce($3, memory),
    topics = CASE WHEN $4::jsonb IS NULL THEN topics ELSE )sql" MEMORY_TOPICS("$4") R"sql( END,
    updated_at = now()
WHERE workspace_id = $1::uuid AND id = $2::uuid
RETURNING )sql" MEMORY_COLUMNS};

constexpr Query kDelete{"memory_delete", R"sql(
DELETE FROM user_memories WHERE workspace_id = $1::uuid AND id = $2::uuid RETURNING id)sql"};

constexpr Query kTopics{"memory_topics", R"sql(
SELECT t, count(*) FROM user_memories m, unnest(m.topics) AS t
WHERE m.workspace_id = $1::uuid AND ($2::text IS NULL OR m.external_user_id = $2) AND ($3::text IS NULL OR t > $3)
GROUP BY t ORDER BY t LIMIT $4::int)sql"};

constexpr Query kStats{"memory_stats", R"sql(
SELECT external_user_id, count(*), (extract(epoch FROM max(updated_at)) * 1000000)::bigint
FROM user_memories
WHERE workspace_id = $1::uuid AND ($2::text IS NULL OR external_user_id > $2)
GROUP BY external_user_id ORDER BY external_user_id LIMIT $3::int)sql"};

#undef MEMORY_TOPICS
#undef MEMORY_COLUMNS

UserMemory ReadMemory(const pqxx::row& row) {
    UserMemory m;
    m.id = ReadString(row[0]);
    m.workspace_id = ReadString(row[1]);
    m.external_user_id = ReadString(row[2]);
    m.memory = ReadString(row[3]);
    for (const auto& topic : ReadJson(row[4])) {
        m.topics.push_back(topic.get<std::string>());
    }
    m.agent_id = ReadOptString(row[5]);
    m.run_id = ReadOptString(row[6]);
    m.created_at = ReadTime(row[7]);
    m.updated_at = ReadTime(row[8]);
    return m;
}

std::vector<UserMemory> ReadMemories(const pqxx::result& r) {
    std::vector<UserMemory> out;
    out.reserve(r.size());
    for (const auto& row : r) {
        out.push_back(ReadMemory(row));
    }
    return out;
}

}  // namespace

UserMemory MemoryRepo::Create(const NewMemory& m) {
    const auto r = tx_.Exec(
        kCreate,
        Params()
            .Add(core::NewUuidV7())
            .Add(m.workspace_id)
            .Add(m.external_user_id)
            .Add(m.memory)
            .Add(nlohmann::json(m.topics))
            .Add(m.agent_id)
            .Add(m.run_id)
    );
    return ReadMemory(r[0]);
}

std::vector<UserMemory> MemoryRepo::Recent(
    const std::string& workspace_id, const std::string& external_user_id, int limit
) {
    return ReadMemories(tx_.Exec(kRecent, Params().Add(workspace_id).Add(external_user_id).Add(limit)));
}

std::optional<UserMemory> MemoryRepo::Get(const std::string& workspace_id, const std::string& id) {
    const auto r = tx_.Exec(kGet, Params().Add(workspace_id).Add(id));
    if (r.empty()) {
        return std::nullopt;
    }
    return ReadMemory(r[0]);
}

std::vector<UserMemory> MemoryRepo::List(const std::string& workspace_id, const MemoryFilter& f) {
    return ReadMemories(tx_.Exec(
        kList,
        Params()
            .Add(workspace_id)
            .Add(f.external_user_id)
            .Add(f.topic)
            .Add(f.query)
            .Add(f.agent_id)
            .Add(f.before_id)
            .Add(f.limit)
    ));
}

std::optional<UserMemory> MemoryRepo::Update(
    const std::string& workspace_id, const std::string& id, const MemoryChange& change
) {
    const auto r = tx_.Exec(
        kUpdate,
        Params()
            .Add(workspace_id)
            .Add(id)
            .Add(change.memory)
            .Add(change.topics ? nlohmann::json(*change.topics) : nlohmann::json(nullptr))
    );
    if (r.empty()) {
        return std::nullopt;
    }
    return ReadMemory(r[0]);
}

bool MemoryRepo::Delete(const std::string& workspace_id, const std::string& id) {
    return !tx_.Exec(kDelete, Params().Add(workspace_id).Add(id)).empty();
}

std::vector<TopicCount> MemoryRepo::Topics(
    const std::string& workspace_id,
    const std::optional<std::string>& external_user_id,
    const std::optional<std::string>& after_topic,
    int limit
) {
    std::vector<TopicCount> out;
    const auto r = tx_.Exec(kTopics, Params().Add(workspace_id).Add(external_user_id).Add(after_topic).Add(limit));
    out.reserve(r.size());
    for (const auto& row : r) {
        out.push_back({ReadString(row[0]), ReadInt(row[1])});
    }
    return out;
}

std::vector<UserMemoryStats> MemoryRepo::Stats(
    const std::string& workspace_id, const std::optional<std::string>& after_user, int limit
) {
    std::vector<UserMemoryStats> out;
    const auto r = tx_.Exec(kStats, Params().Add(workspace_id).Add(after_user).Add(limit));
    out.reserve(r.size());
    for (const auto& row : r) {
        out.push_back({ReadString(row[0]), ReadInt(row[1]), ReadTime(row[2])});
    }
    return out;
}

}  // namespace agentos::store
