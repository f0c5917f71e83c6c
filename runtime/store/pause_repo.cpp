#include "runtime/store/pause_repo.hpp"

#include "runtime/store/event_rows_sql.hpp"
#include "runtime/store/pg.hpp"
#include "runtime/store/run_repo.hpp"

namespace agentos::store {
namespace {

#define PAUSE_COLUMNS                                                                                           \
    "p.id, p.workspace_id, p.run_id, p.agent_id, a.slug, p.kind, p.status, p.point, p.node_name, p.tool_name, " \
    "p.tool_call_id, p.arguments, p.arguments_hash, p.message, p.question, p.options, "                         \
    "(extract(epoch FROM p.timeout_at) * 1000000)::bigint, p.on_timeout, p.default_answer, p.decision, "        \
    "p.response, p.comment, p.responded_by, (extract(epoch FROM p.resolved_at) * 1000000)::bigint, "            \
    "(extract(epoch FROM p.created_at) * 1000000)::bigint"

constexpr Query kOpen{"pause_open", R"sql(
WITH r AS (
  UPDATE runs SET status = $4, checkpoint = $5::jsonb, step_count = $6::int,
                  prompt_tokens = prompt_tokens + $7::bigint, completion_tokens = completion_tokens + $8::bigint,
                  total_tokens = total_tokens + $7::bigint + $8::bigint, cost_usd = cost_usd + $9::float8,
                  model = coalesce($10, model), last_seq = last_seq + $11::bigint,
                  lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
  WHERE workspace_id = $1::uuid AND id = $2::uuid AND lease_term = $3::bigint AND status = 'running'
  RETURNING id, workspace_id, agent_id, last_seq
), ins AS (
  )sql" AGENTOS_INSERT_EVENT_ROWS("$11", "$12") R"sql(
), p AS (
  INSERT INTO pauses (id, workspace_id, run_id, agent_id, kind, status, point, node_name, tool_name, tool_call_id,
                      arguments, arguments_hash, message, question, options, timeout_at, on_timeout, default_answer)
  SELECT $13::uuid, r.workspace_id, r.id, r.agent_id, $14, 'pending', $15, $16, $17, $18, $19::jsonb, $20, $21, $22,
         $23::jsonb, CASE WHEN $24::float8 IS NULL THEN NULL ELSE now() + make_interval(secs => $24::float8) END,
         $25, $26::jsonb
  FROM r
)
SELECT count(*) FROM r)sql"};

constexpr Query kGet{"pause_get", "SELECT " PAUSE_COLUMNS R"sql( FROM pauses p JOIN agents a ON a.id = p.agent_id
WHERE p.workspace_id = $1::uuid AND p.id = $2::uuid)sql"};

constexpr Query kList{"pause_list", "SELECT " PAUSE_COLUMNS R"sql( FROM pauses p JOIN agents a ON a.id = p.agent_id
WHERE p.workspace_id = $1::uuid
  AND ($2::text IS NULL OR p.kind = $2)
  AND ($3::text IS NULL OR p.status = $3)
  AND ($4::uuid IS NULL OR p.agent_id = $4::uuid)
  AND ($5::uuid IS NULL OR p.run_id = $5::uuid)
  AND ($6::uuid IS NULL OR p.id < $6::uuid)
ORDER BY p.id DESC LIMIT $7::int)sql"};

constexpr Query kCount{"pause_count", R"sql(
SELECT kind, count(*) FROM pauses
WHERE workspace_id = $1::uuid AND ($2::text IS NULL OR status = $2) AND ($3::uuid IS NULL OR agent_id = $3::uuid)
GROUP BY kind)sql"};

constexpr Query kAnswered{
    "pause_answered", "SELECT " PAUSE_COLUMNS R"sql( FROM pauses p JOIN agents a ON a.id = p.agent_id
WHERE p.workspace_id = $1::uuid AND p.run_id = $2::uuid AND p.status IN ('approved', 'rejected', 'answered', 'expired')
ORDER BY p.id)sql"};

constexpr Query kAnswer{"pause_answer", R"sql(
WITH p AS (
  UPDATE pauses SET status = $4, decision = $5, response = $6::jsonb, comment = $7, responded_by = $8,
                    resolved_at = now()
  WHERE workspace_id = $1::uuid AND id = $2::uuid AND kind = $3 AND status = 'pending'
  RETURNING *
), r AS (
  UPDATE runs SET status = 'running', lease_owner = $9, lease_expires_at = now() + make_interval(secs => $10::int),
                  lease_term = lease_term + 1, last_seq = last_seq + 1, updated_at = now()
  FROM p WHERE runs.id = p.run_id AND runs.status IN ('awaiting_approval', 'awaiting_input')
  RETURNING runs.id, runs.workspace_id, runs.last_seq
), e AS (
  INSERT INTO events (run_id, seq, workspace_id, type, level, payload, occurred_at)
  SELECT r.id, r.last_seq, r.workspace_id, 'human_input_received', 'info', $11::jsonb, now() FROM r
)
SELECT )sql" PAUSE_COLUMNS R"sql(, (SELECT count(*) FROM r) FROM p JOIN agents a ON a.id = p.agent_id)sql"};

constexpr Query kLockExpired{
    "pause_lock_expired", "SELECT " PAUSE_COLUMNS R"sql( FROM pauses p JOIN agents a ON a.id = p.agent_id
WHERE p.status = 'pending' AND p.timeout_at <= now()
ORDER BY p.timeout_at LIMIT 1 FOR UPDATE OF p SKIP LOCKED)sql"};

constexpr Query kNextDeadline{"pause_next_deadline", R"sql(
SELECT (extract(epoch FROM min(timeout_at)) * 1000000)::bigint FROM pauses
WHERE status = 'pending' AND timeout_at IS NOT NULL)sql"};

#undef PAUSE_COLUMNS

PauseRecord ReadPause(const pqxx::row& row) {
    PauseRecord p;
    p.id = ReadString(row[0]);
    p.workspace_id = ReadString(row[1]);
    p.run_id = ReadString(row[2]);
    p.agent_id = ReadString(row[3]);
    p.agent_slug = ReadString(row[4]);
    p.kind = ReadString(row[5]);
    p.status = ReadString(row[6]);
    p.point = ReadString(row[7]);
    p.node_name = ReadOptString(row[8]);
    p.tool_name = ReadOptString(row[9]);
    p.tool_call_id = ReadOptString(row[10]);
    p.arguments = ReadJson(row[11]);
    p.arguments_hash = ReadOptString(row[12]);
    p.message = ReadOptString(row[13]);
    p.question = ReadOptString(row[14]);
    p.options = ReadJson(row[15]);
    p.timeout_at = ReadOptTime(row[16]);
    p.on_timeout = ReadOptString(row[17]);
    p.default_answer = ReadJson(row[18]);
    p.decision = ReadOptString(row[19]);
    p.response = ReadJson(row[20]);
    p.comment = ReadOptString(row[21]);
    p.responded_by = ReadOptString(row[22]);
    p.resolved_at = ReadOptTime(row[23]);
    p.created_at = ReadTime(row[24]);
    return p;
}

constexpr int kPauseColumnCount = 25;

}  // namespace

bool PauseRepo::Open(
    const std::string& workspace_id,
    const std::string& run_id,
    std::int64_t lease_term,
    const PausedStep& step,
    const Usage& usage,
    const NewPause& pause
) {
    const auto r = tx_.Exec(
        kOpen,
        Params()
            .Add(workspace_id)
            .Add(run_id)
            .Add(lease_term)
            .Add(step.status)
            .Add(step.checkpoint)
            .Add(step.step_count)
            .Add(usage.prompt_tokens)
            .Add(usage.completion_tokens)
            .Add(usage.cost_usd)
            .Add(usage.model)
            .Add(static_cast<std::int64_t>(step.events.size()))
            .Add(EventRows(step.events))
            .Add(pause.id)
            .Add(pause.kind)
            .Add(pause.point)
            .Add(pause.node_name)
            .Add(pause.tool_name)
            .Add(pause.tool_call_id)
            .Add(pause.arguments)
            .Add(pause.arguments_hash)
            .Add(pause.message)
            .Add(pause.question)
            .Add(pause.options)
            .Add(pause.timeout_s ? std::optional<std::string>(std::to_string(*pause.timeout_s)) : std::nullopt)
            .Add(pause.on_timeout)
            .Add(pause.default_answer)
    );
    return ReadInt(r[0][0]) == 1;
}

std::optional<PauseRecord> PauseRepo::Get(const std::string& workspace_id, const std::string& id) {
    const auto r = tx_.Exec(kGet, Params().Add(workspace_id).Add(id));
    if (r.empty()) {
        return std::nullopt;
    }
    return ReadPause(r[0]);
}

std::vector<PauseRecord> PauseRepo::List(const std::string& workspace_id, const PauseFilter& f) {
    std::vector<PauseRecord> out;
    const auto r = tx_.Exec(
        kList,
        Params().Add(workspace_id).Add(f.kind).Add(f.status).Add(f.agent_id).Add(f.run_id).Add(f.before_id).Add(f.limit)
    );
    out.reserve(r.size());
    for (const auto& row : r) {
        out.push_back(ReadPause(row));
    }
    return out;
}

std::vector<std::pair<std::string, std::int64_t>> PauseRepo::Count(
    const std::string& workspace_id,
    const std::optional<std::string>& status,
    const std::optional<std::string>& agent_id
) {
    std::vector<std::pair<std::string, std::int64_t>> out;
    for (const auto& row : tx_.Exec(kCount, Params().Add(workspace_id).Add(status).Add(agent_id))) {
        out.emplace_back(ReadString(row[0]), ReadInt(row[1]));
    }
    return out;
}

std::vector<PauseRecord> PauseRepo::Answered(const std::string& workspace_id, const std::string& run_id) {
    std::vector<PauseRecord> out;
    for (const auto& row : tx_.Exec(kAnswered, Params().Add(workspace_id).Add(run_id))) {
        out.push_back(ReadPause(row));
    }
    return out;
}

std::optional<PauseRepo::Resumed> PauseRepo::Answer(
    const std::string& workspace_id,
    const std::string& id,
    const std::string& kind,
    const PauseAnswer& answer,
    const std::string& owner,
    int lease_seconds
) {
    const auto r = tx_.Exec(
        kAnswer,
        Params()
            .Add(workspace_id)
            .Add(id)
            .Add(kind)
            .Add(answer.status)
            .Add(answer.decision)
            .Add(answer.response)
            .Add(answer.comment)
            .Add(answer.responded_by)
            .Add(owner)
            .Add(lease_seconds)
            .Add(answer.received_payload)
    );
    if (r.empty()) {
        return std::nullopt;
    }
    return Resumed{ReadPause(r[0]), ReadInt(r[0][kPauseColumnCount]) == 1};
}

std::optional<PauseRecord> PauseRepo::LockExpired() {
    const auto r = tx_.Exec(kLockExpired);
    if (r.empty()) {
        return std::nullopt;
    }
    return ReadPause(r[0]);
}

std::optional<core::TimePoint> PauseRepo::NextDeadline() {
    const auto r = tx_.Exec(kNextDeadline);
    return ReadOptTime(r[0][0]);
}

}  // namespace agentos::store
