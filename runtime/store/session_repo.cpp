#include "runtime/store/session_repo.hpp"

#include <algorithm>

#include "runtime/store/pg.hpp"

namespace agentos::store {
namespace {

#define SESSION_COLUMNS                                                                                        \
    "s.id, s.workspace_id, s.agent_id, a.slug, s.external_user_id, s.name, s.active_run_id, s.message_count, " \
    "(extract(epoch FROM s.created_at) * 1000000)::bigint, (extract(epoch FROM s.updated_at) * 1000000)::bigint"

#define MESSAGE_COLUMNS                                                         \
    "seq, run_id, role, content, tool_calls, tool_call_id, tool_name, status, " \
    "(extract(epoch FROM created_at) * 1000000)::bigint"

constexpr Query kCreate{"session_create", R"sql(
WITH s AS (
  INSERT INTO sessions (id, workspace_id, agent_id, external_user_id, name, active_run_id)
  VALUES ($1::uuid, $2::uuid, $3::uuid, $4, $5, $6::uuid)
  RETURNING *
)
SELECT )sql" SESSION_COLUMNS " FROM s JOIN agents a ON a.id = s.agent_id"};

constexpr Query kGet{"session_get", "SELECT " SESSION_COLUMNS R"sql( FROM sessions s JOIN agents a ON a.id = s.agent_id
WHERE s.workspace_id = $1::uuid AND s.id = $2::uuid)sql"};

constexpr Query kLock{
    "session_lock", "SELECT " SESSION_COLUMNS R"sql( FROM sessions s JOIN agents a ON a.id = s.agent_id
WHERE s.workspace_id = $1::uuid AND s.id = $2::uuid FOR UPDATE OF s)sql"};

constexpr Query kTake{"session_take", R"sql(
UPDATE sessions SET active_run_id = $2::uuid, external_user_id = coalesce(external_user_id, $3), updated_at = now()
WHERE id = $1::uuid)sql"};

constexpr Query kList{
    "session_list", "SELECT " SESSION_COLUMNS R"sql( FROM sessions s JOIN agents a ON a.id = s.agent_id
WHERE s.workspace_id = $1::uuid
  AND ($2::uuid IS NULL OR s.agent_id = $2::uuid)
  AND ($3::text IS NULL OR s.external_user_id = $3)
  AND ($4::uuid IS NULL OR s.id < $4::uuid)
ORDER BY s.id DESC LIMIT $5::int)sql"};

constexpr Query kRename{"session_rename", R"sql(
WITH s AS (
  UPDATE sessions SET name = $3, updated_at = now() WHERE workspace_id = $1::uuid AND id = $2::uuid RETURNING *
)
SELECT )sql" SESSION_COLUMNS " FROM s JOIN agents a ON a.id = s.agent_id"};

constexpr Query kDelete{"session_delete", R"sql(
WITH d AS (
  DELETE FROM sessions s WHERE s.workspace_id = $1::uuid AND s.id = $2::uuid AND s.active_run_id IS NULL
    AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.session_id = s.id AND r.status = 'queued')
  RETURNING s.id
)
SELECT (SELECT count(*) FROM d), EXISTS (SELECT 1 FROM sessions WHERE workspace_id = $1::uuid AND id = $2::uuid))sql"};

// Both read a range of seq below the session's last (seqs are dense, 1..message_count), so that whatever plan the
// planner picks (stale statistics make it sort a whole session otherwise) reads O(limit) rows, not the session.
constexpr Query kMessages{"session_messages", "SELECT " MESSAGE_COLUMNS R"sql( FROM session_messages
WHERE session_id = $1::uuid
  AND seq > (SELECT message_count FROM sessions WHERE id = $1::uuid) - $2::int
ORDER BY seq DESC LIMIT $2::int)sql"};

// At most one marker per turn and at least one complete message before it: the last 2 * limit + 2 messages hold
// at least limit complete ones.
constexpr Query kWindow{"session_window", "SELECT " MESSAGE_COLUMNS R"sql( FROM session_messages
WHERE session_id = $1::uuid AND status = 'complete'
  AND seq > (SELECT message_count FROM sessions WHERE id = $1::uuid) - (2 * $2::int + 2)
ORDER BY seq DESC LIMIT $2::int)sql"};

SessionRecord ReadSession(const pqxx::row& row) {
    SessionRecord s;
    s.id = ReadString(row[0]);
    s.workspace_id = ReadString(row[1]);
    s.agent_id = ReadString(row[2]);
    s.agent_slug = ReadString(row[3]);
    s.external_user_id = ReadOptString(row[4]);
    s.name = ReadOptString(row[5]);
    s.active_run_id = ReadOptString(row[6]);
    s.message_count = ReadInt(row[7]);
    s.created_at = ReadTime(row[8]);
    s.updated_at = ReadTime(row[9]);
    return s;
}

/// Rows read newest first, returned oldest first.
std::vector<SessionMessage> ReadMessages(const pqxx::result& r) {
    std::vector<SessionMessage> out;
    out.reserve(r.size());
    for (const auto& row : r) {
        SessionMessage m;
        m.seq = ReadInt(row[0]);
        m.run_id = ReadString(row[1]);
        m.role = ReadString(row[2]);
        m.content = ReadOptString(row[3]);
        m.tool_calls = ReadJson(row[4]);
        m.tool_call_id = ReadOptString(row[5]);
        m.tool_name = ReadOptString(row[6]);
        m.status = ReadString(row[7]);
        m.created_at = ReadTime(row[8]);
        out.push_back(std::move(m));
    }
    std::reverse(out.begin(), out.end());
    return out;
}

std::optional<SessionRecord> FirstSession(const pqxx::result& r) {
    if (r.empty()) {
        return std::nullopt;
    }
    return ReadSession(r[0]);
}

}  // namespace

SessionRecord SessionRepo::Create(const NewSession& s) {
    const auto r = tx_.Exec(
        kCreate,
        Params().Add(s.id).Add(s.workspace_id).Add(s.agent_id).Add(s.external_user_id).Add(s.name).Add(s.active_run_id)
    );
    return ReadSession(r[0]);
}

std::optional<SessionRecord> SessionRepo::Get(const std::string& workspace_id, const std::string& id) {
    return FirstSession(tx_.Exec(kGet, Params().Add(workspace_id).Add(id)));
}

std::optional<SessionRecord> SessionRepo::Lock(const std::string& workspace_id, const std::string& id) {
    return FirstSession(tx_.Exec(kLock, Params().Add(workspace_id).Add(id)));
}

void SessionRepo::Take(
    const std::string& id, const std::string& run_id, const std::optional<std::string>& external_user_id
) {
    tx_.Exec(kTake, Params().Add(id).Add(run_id).Add(external_user_id));
}

std::vector<SessionRecord> SessionRepo::List(const std::string& workspace_id, const SessionFilter& f) {
    std::vector<SessionRecord> out;
    for (const auto& row : tx_.Exec(
             kList, Params().Add(workspace_id).Add(f.agent_id).Add(f.external_user_id).Add(f.before_id).Add(f.limit)
         )) {
        out.push_back(ReadSession(row));
    }
    return out;
}

std::optional<SessionRecord> SessionRepo::Rename(
    const std::string& workspace_id, const std::string& id, const std::optional<std::string>& name
) {
    return FirstSession(tx_.Exec(kRename, Params().Add(workspace_id).Add(id).Add(name)));
}

SessionDelete SessionRepo::Delete(const std::string& workspace_id, const std::string& id) {
    const auto r = tx_.Exec(kDelete, Params().Add(workspace_id).Add(id));
    if (ReadInt(r[0][0]) > 0) {
        return SessionDelete::kDeleted;
    }
    return r[0][1].as<bool>() ? SessionDelete::kBusy : SessionDelete::kNotFound;
}

std::vector<SessionMessage> SessionRepo::Messages(const std::string& session_id, int limit) {
    return ReadMessages(tx_.Exec(kMessages, Params().Add(session_id).Add(limit)));
}

std::vector<SessionMessage> SessionRepo::Window(const std::string& session_id, int limit) {
    return ReadMessages(tx_.Exec(kWindow, Params().Add(session_id).Add(limit)));
}

}  // namespace agentos::store
