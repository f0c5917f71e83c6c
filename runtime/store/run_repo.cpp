#include "runtime/store/run_repo.hpp"

#include <string>
#include <string_view>

#include "runtime/store/event_rows_sql.hpp"
#include "runtime/store/pg.hpp"

namespace agentos::store {
namespace {

#define RUN_COLUMNS                                                                                                   \
    "r.id, r.workspace_id, r.agent_id, a.slug, r.agent_version, r.status, r.source, r.trigger_type, "                 \
    "r.external_run_id, r.input, r.output, r.error_message, r.error_detail, r.parent_run_id, r.session_id, "          \
    "r.schedule_id, r.last_seq, r.prompt_tokens, r.completion_tokens, r.total_tokens, r.cost_usd, r.model, "          \
    "r.budget_warning, (extract(epoch FROM r.created_at) * 1000000)::bigint, "                                        \
    "(extract(epoch FROM r.started_at) * 1000000)::bigint, (extract(epoch FROM r.ended_at) * 1000000)::bigint, "      \
    "(extract(epoch FROM r.updated_at) * 1000000)::bigint, r.prompt_variables, r.depth, r.checkpoint, r.step_count, " \
    "r.lease_term, r.recovery_count"

constexpr Query kInsert{"run_insert", R"sql(
WITH r AS (
  INSERT INTO runs (id, workspace_id, agent_id, agent_version, status, source, trigger_type, external_run_id, input,
                    parent_run_id, session_id, schedule_id, prompt_variables, depth, lease_owner, lease_expires_at,
                    started_at, checkpoint, last_seq)
  SELECT $1::uuid, $2::uuid, $3::uuid, $4::int, $5, $6, $7, $8, $9::jsonb, $10::uuid, $11::uuid, $12::uuid,
         $13::jsonb, $14::int, $15::text,
         CASE WHEN $15::text IS NULL THEN NULL ELSE now() + make_interval(secs => $16::int) END,
         CASE WHEN $5 = 'queued' THEN NULL ELSE now() END, $17::jsonb,
         CASE WHEN $18::text IS NULL THEN 0 ELSE 1 END
  WHERE NOT $22::bool OR EXISTS (
    SELECT 1 FROM agents WHERE id = $3::uuid AND current_version = $4::int AND status = 'active'
                           AND runtime = 'hosted' AND deleted_at IS NULL)
  ON CONFLICT DO NOTHING
  RETURNING *
), e AS (
  INSERT INTO events (run_id, seq, workspace_id, type, level, payload, occurred_at)
  SELECT r.id, 1, r.workspace_id, $18::text, $19::text, $20::jsonb, coalesce($21::timestamptz, now())
  FROM r WHERE $18::text IS NOT NULL
)
SELECT a.slug, r.last_seq, (extract(epoch FROM r.created_at) * 1000000)::bigint,
       (extract(epoch FROM r.started_at) * 1000000)::bigint, r.lease_term
FROM r JOIN agents a ON a.id = r.agent_id)sql"};

// Many queued runs and their run_start events from one JSON array ([{id, workspace_id, …, payload, occurred_at}]).
constexpr Query kInsertQueued{"run_insert_queued", R"sql(
WITH u AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS u(
    id uuid, workspace_id uuid, agent_id uuid, agent_version int, trigger_type text, input jsonb, schedule_id uuid,
    prompt_variables jsonb, checkpoint jsonb, type text, level text, payload jsonb, occurred_at timestamptz)
), r AS (
  INSERT INTO runs (id, workspace_id, agent_id, agent_version, status, source, trigger_type, input, schedule_id,
                    prompt_variables, depth, checkpoint, last_seq)
  SELECT id, workspace_id, agent_id, agent_version, 'queued', 'hosted', trigger_type, input, schedule_id,
         prompt_variables, 0, checkpoint, 1
  FROM u
  RETURNING id
)
INSERT INTO events (run_id, seq, workspace_id, type, level, payload, occurred_at)
SELECT u.id, 1, u.workspace_id, u.type, u.level, u.payload, u.occurred_at FROM u JOIN r ON r.id = u.id)sql"};

constexpr Query kGet{"run_get", "SELECT " RUN_COLUMNS R"sql( FROM runs r JOIN agents a ON a.id = r.agent_id
WHERE r.workspace_id = $1::uuid AND r.id = $2::uuid)sql"};

constexpr Query kFindLegacy{
    "run_find_legacy", "SELECT " RUN_COLUMNS R"sql( FROM runs r JOIN agents a ON a.id = r.agent_id
WHERE r.workspace_id = $1::uuid AND r.source = 'legacy' AND r.external_run_id = $2)sql"};

constexpr Query kList{"run_list", "SELECT " RUN_COLUMNS R"sql( FROM runs r JOIN agents a ON a.id = r.agent_id
WHERE r.workspace_id = $1::uuid
  AND ($2::uuid IS NULL OR r.agent_id = $2::uuid)
  AND ($3::text IS NULL OR r.status = $3)
  AND ($4::uuid IS NULL OR r.session_id = $4::uuid)
  AND ($5::uuid IS NULL OR r.parent_run_id = $5::uuid)
  AND ($6::text IS NULL OR r.trigger_type = $6)
  AND ($7::uuid IS NULL OR r.schedule_id = $7::uuid)
  AND ($8::uuid IS NULL OR r.id < $8::uuid)
ORDER BY r.id DESC LIMIT $9::int)sql"};

constexpr Query kChildren{"run_children", "SELECT " RUN_COLUMNS R"sql( FROM runs r JOIN agents a ON a.id = r.agent_id
WHERE r.workspace_id = $1::uuid AND r.parent_run_id = $2::uuid ORDER BY r.id)sql"};

// The close of a run in one statement: the run, its last events, its pending pauses, its cost. A completed session
// turn uses it with two more CTEs that append the turn's messages; the plain close goes without them (planning
// them cost every other close about 0.4 ms).
constexpr std::string_view kCloseHead = R"sql(
WITH r AS (
  UPDATE runs SET status = $3, output = $4::jsonb, error_message = $5, error_detail = $6::jsonb,
                  ended_at = now(), updated_at = now(), lease_owner = NULL, lease_expires_at = NULL,
                  checkpoint = coalesce($7::jsonb, checkpoint), step_count = coalesce($8::int, step_count),
                  prompt_tokens = prompt_tokens + $9::bigint, completion_tokens = completion_tokens + $10::bigint,
                  total_tokens = total_tokens + $9::bigint + $10::bigint, cost_usd = cost_usd + $11::float8,
                  model = coalesce($12, model), last_seq = last_seq + $14::bigint
  WHERE workspace_id = $1::uuid AND id = $2::uuid AND ($13::uuid IS NULL OR agent_id = $13::uuid)
    AND ($16::bigint IS NULL OR lease_term = $16::bigint) AND status NOT IN ('completed', 'failed', 'cancelled')
  RETURNING *
), ins AS (
  )sql" AGENTOS_INSERT_EVENT_ROWS("$14", "$15") R"sql(
), ended_pauses AS (
  -- a run that ends ends its pending pauses (they answer 409 from then on). By the run id alone (r is the
  -- workspace's run): a workspace condition here lets the planner pick the workspace's whole pending index.
  UPDATE pauses SET status = 'cancelled', resolved_at = now()
  WHERE $17::bool AND pauses.run_id = $2::uuid AND pauses.status = 'pending' AND EXISTS (SELECT 1 FROM r)
)sql";

constexpr std::string_view kCloseTurnMessages = R"sql(), turn AS (
  -- a completed turn of a session: its messages after the session's last (the turn-end trigger then frees it)
  UPDATE sessions s SET message_count = s.message_count + jsonb_array_length($18::jsonb), updated_at = now()
  FROM r WHERE $18::jsonb IS NOT NULL AND s.id = r.session_id
  RETURNING s.id, s.message_count - jsonb_array_length($18::jsonb) AS base
), turn_messages AS (
  INSERT INTO session_messages (session_id, seq, run_id, role, content, tool_calls, tool_call_id, tool_name)
  SELECT turn.id, turn.base + m.n, $2::uuid, m.v ->> 'role', m.v ->> 'content',
         nullif(m.v -> 'tool_calls', 'null'::jsonb), m.v ->> 'tool_call_id', m.v ->> 'tool_name'
  FROM turn, jsonb_array_elements($18::jsonb) WITH ORDINALITY AS m(v, n)
)sql";

constexpr std::string_view kCloseTail = R"sql(), month AS (
  SELECT date_trunc('month', now() AT TIME ZONE 'UTC')::date AS m
), cost AS (
  INSERT INTO agent_monthly_costs (agent_id, month, cost_usd)
  SELECT r.agent_id, month.m, r.cost_usd FROM r, month WHERE r.cost_usd > 0
  ON CONFLICT (agent_id, month) DO UPDATE SET cost_usd = agent_monthly_costs.cost_usd + EXCLUDED.cost_usd
  RETURNING cost_usd
)
SELECT )sql" RUN_COLUMNS R"sql(, a.name, a.monthly_budget_usd,
       coalesce((SELECT cost_usd FROM cost),
                (SELECT c.cost_usd FROM agent_monthly_costs c, month WHERE c.agent_id = r.agent_id AND c.month = month.m),
                0)
FROM r JOIN agents a ON a.id = r.agent_id)sql";

const std::string kClosePlainSql = std::string(kCloseHead).append(kCloseTail);
const std::string kCloseTurnSql = std::string(kCloseHead).append(kCloseTurnMessages).append(kCloseTail);
const Query kClose{"run_close", kClosePlainSql};
const Query kCloseTurn{"run_close_turn", kCloseTurnSql};

constexpr Query kSetOpenStatus{"run_set_open_status", R"sql(
UPDATE runs SET status = $3, updated_at = now()
WHERE workspace_id = $1::uuid AND id = $2::uuid AND status NOT IN ('completed', 'failed', 'cancelled'))sql"};

constexpr Query kAddUsage{"run_add_usage", R"sql(
UPDATE runs SET prompt_tokens = prompt_tokens + $3::bigint, completion_tokens = completion_tokens + $4::bigint,
                total_tokens = total_tokens + $5::bigint, cost_usd = cost_usd + $6::float8,
                model = coalesce($7, model), updated_at = now()
WHERE workspace_id = $1::uuid AND id = $2::uuid)sql"};

constexpr Query kSaveStep{"run_save_step", R"sql(
WITH r AS (
  UPDATE runs SET checkpoint = $3::jsonb, step_count = $4::int,
                  prompt_tokens = prompt_tokens + $5::bigint, completion_tokens = completion_tokens + $6::bigint,
                  total_tokens = total_tokens + $7::bigint, cost_usd = cost_usd + $8::float8,
                  model = coalesce($9, model), last_seq = last_seq + $10::bigint, updated_at = now()
  WHERE workspace_id = $1::uuid AND id = $2::uuid AND lease_term = $12::bigint AND status = 'running'
  RETURNING id, workspace_id, last_seq
), ins AS (
  )sql" AGENTOS_INSERT_EVENT_ROWS("$10", "$11") R"sql(
)
SELECT (SELECT last_seq FROM r))sql"};

constexpr Query kTree{"run_tree", R"sql(
WITH RECURSIVE t AS (
  SELECT id, 0 AS level FROM runs WHERE workspace_id = $1::uuid AND id = $2::uuid
  UNION ALL
  SELECT c.id, t.level + 1 FROM runs c JOIN t ON c.parent_run_id = t.id
  WHERE c.workspace_id = $1::uuid AND t.level < 32
)
SELECT )sql" RUN_COLUMNS R"sql( FROM t JOIN runs r ON r.id = t.id JOIN agents a ON a.id = r.agent_id
ORDER BY t.level, r.id LIMIT $3::int)sql"};

constexpr Query kAgentChain{"run_agent_chain", R"sql(
WITH RECURSIVE up AS (
  SELECT id, parent_run_id, agent_id, 0 AS level FROM runs WHERE workspace_id = $1::uuid AND id = $2::uuid
  UNION ALL
  SELECT p.id, p.parent_run_id, p.agent_id, up.level + 1 FROM runs p JOIN up ON p.id = up.parent_run_id
  WHERE p.workspace_id = $1::uuid AND up.level < 64
)
SELECT agent_id FROM up ORDER BY level)sql"};

constexpr Query kClaimQueued{"run_claim_queued", R"sql(
WITH next AS (
  -- a session's run starts only once it holds its session (a waiting one is handed it by the turn-end trigger)
  SELECT q.id FROM runs q WHERE q.status = 'queued'
    AND (q.session_id IS NULL OR EXISTS (SELECT 1 FROM sessions s WHERE s.id = q.session_id AND s.active_run_id = q.id))
  ORDER BY q.id FOR UPDATE SKIP LOCKED LIMIT 1
), r AS (
  UPDATE runs SET status = 'running', started_at = now(), updated_at = now(), lease_owner = $1,
                  lease_expires_at = now() + make_interval(secs => $2::int), lease_term = lease_term + 1
  FROM next WHERE runs.id = next.id
  RETURNING runs.*
)
SELECT )sql" RUN_COLUMNS " FROM r JOIN agents a ON a.id = r.agent_id"};

constexpr Query kCancelTree{"run_cancel_tree", R"sql(
WITH RECURSIVE tree AS (
  SELECT id, 0 AS level FROM runs WHERE workspace_id = $1::uuid AND id = $2::uuid
  UNION ALL
  SELECT c.id, tree.level + 1 FROM runs c JOIN tree ON c.parent_run_id = tree.id
  WHERE c.workspace_id = $1::uuid AND tree.level < 32
), r AS (
  UPDATE runs SET status = 'cancelled', error_message = $3, ended_at = now(), updated_at = now(),
                  lease_owner = NULL, lease_expires_at = NULL, last_seq = last_seq + 1
  FROM tree WHERE runs.id = tree.id AND runs.status NOT IN ('completed', 'failed', 'cancelled')
  RETURNING runs.id, runs.workspace_id, runs.last_seq
), e AS (
  INSERT INTO events (run_id, seq, workspace_id, type, level, payload, occurred_at)
  SELECT r.id, r.last_seq, r.workspace_id, 'error', 'warn', $4::jsonb, now() FROM r
), p AS (
  UPDATE pauses SET status = 'cancelled', resolved_at = now() FROM r
  WHERE pauses.run_id = r.id AND pauses.status = 'pending'
)
SELECT id FROM r)sql"};

constexpr Query kNotifyCancelled{"run_notify_cancelled", "SELECT pg_notify('agentos_cancel', $1)"};

constexpr Query kRenewLeases{"run_renew_leases", R"sql(
UPDATE runs SET lease_expires_at = now() + make_interval(secs => $2::int)
WHERE id = ANY($3::uuid[]) AND lease_owner = $1 AND status = 'running')sql"};

constexpr Query kFailOrphanedChildren{"run_fail_orphaned_children", R"sql(
WITH next AS (
  SELECT id FROM runs WHERE status = 'running' AND trigger_type = 'agent' AND lease_expires_at < now()
  FOR UPDATE SKIP LOCKED LIMIT 100
), r AS (
  UPDATE runs SET status = 'failed', error_message = $1, error_detail = '{"error_type": "ParentLost"}',
                  ended_at = now(), updated_at = now(), lease_owner = NULL, lease_expires_at = NULL,
                  last_seq = last_seq + 1
  FROM next WHERE runs.id = next.id
  RETURNING runs.id, runs.workspace_id, runs.last_seq
), e AS (
  INSERT INTO events (run_id, seq, workspace_id, type, level, payload, occurred_at)
  SELECT r.id, r.last_seq, r.workspace_id, 'error', 'error',
         jsonb_build_object('error_type', 'ParentLost', 'error_message', $1::text), now() FROM r
)
SELECT count(*) FROM r)sql"};

constexpr Query kClaimExpired{"run_claim_expired", R"sql(
WITH next AS (
  SELECT id FROM runs WHERE status = 'running' AND lease_expires_at < now() AND trigger_type <> 'agent'
    AND id <> ALL($4::uuid[])
  ORDER BY lease_expires_at FOR UPDATE SKIP LOCKED LIMIT $3::int
), r AS (
  UPDATE runs SET lease_owner = $1, lease_expires_at = now() + make_interval(secs => $2::int),
                  lease_term = lease_term + 1, recovery_count = recovery_count + 1, updated_at = now(),
                  last_seq = last_seq + 1
  FROM next WHERE runs.id = next.id
  RETURNING runs.*
), e AS (
  INSERT INTO events (run_id, seq, workspace_id, type, level, payload, occurred_at)
  SELECT r.id, r.last_seq, r.workspace_id, 'run_recovered', 'warn',
         jsonb_build_object('recovered_by', $1::text, 'recovery_count', r.recovery_count, 'from_step', r.step_count),
         now()
  FROM r
)
SELECT )sql" RUN_COLUMNS " FROM r JOIN agents a ON a.id = r.agent_id"};

constexpr Query kNotifyQueued{"run_notify_queued", "SELECT pg_notify('agentos_runs', '')"};

constexpr Query kSetBudgetWarning{"run_set_budget_warning", R"sql(
UPDATE runs SET budget_warning = $3 WHERE workspace_id = $1::uuid AND id = $2::uuid)sql"};

#undef RUN_COLUMNS

/// A uuid[] parameter in text form.
std::string UuidArray(const std::vector<std::string>& ids) {
    std::string array = "{";
    for (const auto& id : ids) {
        array.append(array.size() == 1 ? "" : ",").append(id);
    }
    return array + "}";
}

RunRecord ReadRun(const pqxx::row& row) {
    RunRecord r;
    r.id = ReadString(row[0]);
    r.workspace_id = ReadString(row[1]);
    r.agent_id = ReadString(row[2]);
    r.agent_slug = ReadString(row[3]);
    r.agent_version = ReadOptInt(row[4]);
    r.status = core::ParseRunStatus(ReadString(row[5])).value_or(core::RunStatus::kFailed);
    r.source = ReadString(row[6]);
    r.trigger_type = ReadString(row[7]);
    r.external_run_id = ReadOptString(row[8]);
    r.input = ReadJson(row[9]);
    r.output = ReadJson(row[10]);
    r.error_message = ReadOptString(row[11]);
    r.error_detail = ReadJson(row[12]);
    r.parent_run_id = ReadOptString(row[13]);
    r.session_id = ReadOptString(row[14]);
    r.schedule_id = ReadOptString(row[15]);
    r.last_seq = ReadInt(row[16]);
    r.prompt_tokens = ReadInt(row[17]);
    r.completion_tokens = ReadInt(row[18]);
    r.total_tokens = ReadInt(row[19]);
    r.cost_usd = ReadDouble(row[20]);
    r.model = ReadOptString(row[21]);
    r.budget_warning = ReadOptString(row[22]);
    r.created_at = ReadTime(row[23]);
    r.started_at = ReadOptTime(row[24]);
    r.ended_at = ReadOptTime(row[25]);
    r.updated_at = ReadTime(row[26]);
    r.prompt_variables = ReadJson(row[27]);
    r.depth = ReadInt(row[28]);
    r.checkpoint = ReadJson(row[29]);
    r.step_count = ReadInt(row[30]);
    r.lease_term = ReadInt(row[31]);
    r.recovery_count = ReadInt(row[32]);
    return r;
}

std::optional<std::string> StatusParam(const std::optional<core::RunStatus>& s) {
    if (!s) {
        return std::nullopt;
    }
    return std::string(core::ToString(*s));
}

}  // namespace

std::optional<RunRecord> RunRepo::Insert(
    const NewRun& run, const std::optional<NewEvent>& first_event, bool only_if_agent_current
) {
    const auto r = tx_.Exec(
        kInsert,
        Params()
            .Add(run.id)
            .Add(run.workspace_id)
            .Add(run.agent_id)
            .Add(run.agent_version ? std::optional<std::string>(std::to_string(*run.agent_version)) : std::nullopt)
            .Add(core::ToString(run.status))
            .Add(run.source)
            .Add(run.trigger_type)
            .Add(run.external_run_id)
            .Add(run.input.is_null() ? nlohmann::json::object() : run.input)
            .Add(run.parent_run_id)
            .Add(run.session_id)
            .Add(run.schedule_id)
            .Add(run.prompt_variables.is_null() ? nlohmann::json::object() : run.prompt_variables)
            .Add(run.depth)
            .Add(run.lease_owner)
            .Add(run.lease_seconds)
            .Add(run.checkpoint)
            .Add(first_event ? std::optional<std::string>(first_event->type) : std::nullopt)
            .Add(first_event ? std::optional<std::string>(core::ToString(first_event->level)) : std::nullopt)
            .Add(first_event ? first_event->payload : nlohmann::json())
            .Add(
                first_event && first_event->occurred_at
                    ? std::optional<std::string>(core::FormatIso(*first_event->occurred_at))
                    : std::nullopt
            )
            .Add(only_if_agent_current)
    );
    if (r.empty()) {
        return std::nullopt;
    }
    // The row is what was sent: only what the database chose comes back (no JSON to parse again).
    RunRecord out;
    out.id = run.id;
    out.workspace_id = run.workspace_id;
    out.agent_id = run.agent_id;
    out.agent_slug = ReadString(r[0][0]);
    out.agent_version = run.agent_version;
    out.status = run.status;
    out.source = run.source;
    out.trigger_type = run.trigger_type;
    out.external_run_id = run.external_run_id;
    out.input = run.input.is_null() ? nlohmann::json::object() : run.input;
    out.parent_run_id = run.parent_run_id;
    out.session_id = run.session_id;
    out.schedule_id = run.schedule_id;
    out.last_seq = ReadInt(r[0][1]);
    out.prompt_variables = run.prompt_variables.is_null() ? nlohmann::json::object() : run.prompt_variables;
    out.depth = run.depth;
    out.checkpoint = run.checkpoint;
    out.created_at = ReadTime(r[0][2]);
    out.started_at = ReadOptTime(r[0][3]);
    out.updated_at = out.created_at;
    out.lease_term = ReadInt(r[0][4]);
    return out;
}

void RunRepo::InsertQueued(const std::vector<NewRun>& runs, const std::vector<NewEvent>& starts) {
    if (runs.empty()) {
        return;
    }
    nlohmann::json rows = nlohmann::json::array();
    for (std::size_t i = 0; i < runs.size(); ++i) {
        const NewRun& run = runs[i];
        const NewEvent& start = starts.at(i);
        rows.push_back(
            {{"id", run.id},
             {"workspace_id", run.workspace_id},
             {"agent_id", run.agent_id},
             {"agent_version", run.agent_version ? nlohmann::json(*run.agent_version) : nlohmann::json()},
             {"trigger_type", run.trigger_type},
             {"input", run.input.is_null() ? nlohmann::json::object() : run.input},
             {"schedule_id", run.schedule_id ? nlohmann::json(*run.schedule_id) : nlohmann::json()},
             {"prompt_variables", run.prompt_variables.is_null() ? nlohmann::json::object() : run.prompt_variables},
             {"checkpoint", run.checkpoint},
             {"type", start.type},
             {"level", core::ToString(start.level)},
             {"payload", start.payload},
             {"occurred_at", core::FormatIso(start.occurred_at.value_or(core::TimePoint{}))}}
        );
    }
    tx_.Exec(kInsertQueued, Params().Add(rows));
}

std::optional<RunRecord> RunRepo::Get(const std::string& workspace_id, const std::string& run_id) {
    const auto r = tx_.Exec(kGet, Params().Add(workspace_id).Add(run_id));
    if (r.empty()) {
        return std::nullopt;
    }
    return ReadRun(r[0]);
}

std::optional<RunRecord> RunRepo::FindLegacy(const std::string& workspace_id, const std::string& sdk_run_id) {
    const auto r = tx_.Exec(kFindLegacy, Params().Add(workspace_id).Add(sdk_run_id));
    if (r.empty()) {
        return std::nullopt;
    }
    return ReadRun(r[0]);
}

std::vector<RunRecord> RunRepo::List(const std::string& workspace_id, const RunFilter& filter) {
    std::vector<RunRecord> out;
    const auto r = tx_.Exec(
        kList,
        Params()
            .Add(workspace_id)
            .Add(filter.agent_id)
            .Add(StatusParam(filter.status))
            .Add(filter.session_id)
            .Add(filter.parent_run_id)
            .Add(filter.trigger_type)
            .Add(filter.schedule_id)
            .Add(filter.before_id)
            .Add(filter.limit)
    );
    out.reserve(r.size());
    for (const auto& row : r) {
        out.push_back(ReadRun(row));
    }
    return out;
}

std::vector<RunRecord> RunRepo::Children(const std::string& workspace_id, const std::string& run_id) {
    std::vector<RunRecord> out;
    for (const auto& row : tx_.Exec(kChildren, Params().Add(workspace_id).Add(run_id))) {
        out.push_back(ReadRun(row));
    }
    return out;
}

std::optional<ClosedRun> RunRepo::Close(const std::string& workspace_id, const std::string& run_id, const RunEnd& end) {
    const FinalStep none;
    const FinalStep& s = end.step != nullptr ? *end.step : none;
    const bool turn = !end.session_turn.is_null();
    auto params =
        Params()
            .Add(workspace_id)
            .Add(run_id)
            .Add(core::ToString(end.status))
            .Add(end.output)
            .Add(end.error_message)
            .Add(end.error_detail)
            .Add(s.checkpoint)
            .Add(end.step != nullptr ? std::optional<std::string>(std::to_string(s.step_count)) : std::nullopt)
            .Add(s.prompt_tokens)
            .Add(s.completion_tokens)
            .Add(s.cost_usd)
            .Add(s.model)
            .Add(end.only_agent_id)
            .Add(static_cast<std::int64_t>(end.events.size()))
            .Add(EventRows(end.events))
            .Add(end.lease_term ? std::optional<std::string>(std::to_string(*end.lease_term)) : std::nullopt)
            .Add(end.end_pauses);
    if (turn) {
        params.Add(end.session_turn);
    }
    const auto r = tx_.Exec(turn ? kCloseTurn : kClose, params);
    if (r.empty()) {
        return std::nullopt;
    }
    constexpr int kSpend = 33;  // after the run's columns
    return ClosedRun{
        ReadRun(r[0]),
        AgentSpend{ReadString(r[0][kSpend]), ReadOptDouble(r[0][kSpend + 1]), ReadDouble(r[0][kSpend + 2])}};
}

bool RunRepo::SetOpenStatus(const std::string& workspace_id, const std::string& run_id, core::RunStatus status) {
    return tx_.Exec(kSetOpenStatus, Params().Add(workspace_id).Add(run_id).Add(core::ToString(status)))
               .affected_rows() == 1;
}

void RunRepo::AddUsage(const std::string& workspace_id, const std::string& run_id, const Usage& usage) {
    tx_.Exec(
        kAddUsage,
        Params()
            .Add(workspace_id)
            .Add(run_id)
            .Add(usage.prompt_tokens)
            .Add(usage.completion_tokens)
            .Add(usage.total_tokens)
            .Add(usage.cost_usd)
            .Add(usage.model)
    );
}

std::optional<std::int64_t> RunRepo::SaveStep(
    const std::string& workspace_id,
    const std::string& run_id,
    const nlohmann::json& checkpoint,
    std::int64_t step_count,
    const Usage& usage,
    const std::vector<NewEvent>& events,
    std::int64_t lease_term
) {
    const auto r = tx_.Exec(
        kSaveStep,
        Params()
            .Add(workspace_id)
            .Add(run_id)
            .Add(checkpoint)
            .Add(step_count)
            .Add(usage.prompt_tokens)
            .Add(usage.completion_tokens)
            .Add(usage.total_tokens)
            .Add(usage.cost_usd)
            .Add(usage.model)
            .Add(static_cast<std::int64_t>(events.size()))
            .Add(EventRows(events))
            .Add(lease_term)
    );
    return ReadOptInt(r[0][0]);
}

std::vector<RunRecord> RunRepo::Tree(const std::string& workspace_id, const std::string& root_id, int limit) {
    std::vector<RunRecord> out;
    for (const auto& row : tx_.Exec(kTree, Params().Add(workspace_id).Add(root_id).Add(limit))) {
        out.push_back(ReadRun(row));
    }
    return out;
}

std::vector<std::string> RunRepo::AgentChain(const std::string& workspace_id, const std::string& run_id) {
    std::vector<std::string> out;
    for (const auto& row : tx_.Exec(kAgentChain, Params().Add(workspace_id).Add(run_id))) {
        out.push_back(ReadString(row[0]));
    }
    return out;
}

std::optional<RunRecord> RunRepo::ClaimQueued(const std::string& owner, int lease_seconds) {
    const auto r = tx_.Exec(kClaimQueued, Params().Add(owner).Add(lease_seconds));
    if (r.empty()) {
        return std::nullopt;
    }
    return ReadRun(r[0]);
}

std::vector<std::string> RunRepo::CancelTree(
    const std::string& workspace_id,
    const std::string& run_id,
    const std::string& message,
    const nlohmann::json& event_payload
) {
    std::vector<std::string> out;
    for (const auto& row :
         tx_.Exec(kCancelTree, Params().Add(workspace_id).Add(run_id).Add(message).Add(event_payload))) {
        out.push_back(ReadString(row[0]));
    }
    return out;
}

void RunRepo::NotifyCancelled(const std::vector<std::string>& run_ids) {
    // A NOTIFY payload is under 8000 bytes: 100 ids (3,700 bytes) a notification.
    constexpr std::size_t kIdsPerNotification = 100;
    for (std::size_t from = 0; from < run_ids.size(); from += kIdsPerNotification) {
        std::string payload;
        for (std::size_t i = from; i < std::min(run_ids.size(), from + kIdsPerNotification); ++i) {
            payload.append(payload.empty() ? "" : ",").append(run_ids[i]);
        }
        tx_.Exec(kNotifyCancelled, Params().Add(payload));
    }
}

void RunRepo::RenewLeases(const std::string& owner, int lease_seconds, const std::vector<std::string>& run_ids) {
    tx_.Exec(kRenewLeases, Params().Add(owner).Add(lease_seconds).Add(UuidArray(run_ids)));
}

std::int64_t RunRepo::FailOrphanedChildren(const std::string& message) {
    return ReadInt(tx_.Exec(kFailOrphanedChildren, Params().Add(message))[0][0]);
}

std::vector<RunRecord> RunRepo::ClaimExpired(
    const std::string& owner, int lease_seconds, int limit, const std::vector<std::string>& executing_here
) {
    std::vector<RunRecord> out;
    const auto r =
        tx_.Exec(kClaimExpired, Params().Add(owner).Add(lease_seconds).Add(limit).Add(UuidArray(executing_here)));
    for (const auto& row : r) {
        out.push_back(ReadRun(row));
    }
    return out;
}

void RunRepo::NotifyQueued() {
    tx_.Exec(kNotifyQueued);
}

void RunRepo::SetBudgetWarning(const std::string& workspace_id, const std::string& run_id, const std::string& warning) {
    tx_.Exec(kSetBudgetWarning, Params().Add(workspace_id).Add(run_id).Add(warning));
}

}  // namespace agentos::store
