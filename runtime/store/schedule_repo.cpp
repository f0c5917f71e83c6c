#include "runtime/store/schedule_repo.hpp"

#include "runtime/store/pg.hpp"

namespace agentos::store {
namespace {

#define SCHEDULE_COLUMNS                                                                                               \
    "s.id, s.workspace_id, s.agent_id, a.slug, s.source, s.yaml_index, s.cron, s.timezone, s.input, "                  \
    "s.prompt_variables, s.enabled, s.catch_up_s, s.overlap, (extract(epoch FROM s.next_fire_at) * 1000000)::bigint, " \
    "(extract(epoch FROM s.last_fired_for) * 1000000)::bigint, s.last_run_id, s.fire_count, s.skipped_overlap, "       \
    "s.skipped_missed, (extract(epoch FROM s.created_at) * 1000000)::bigint, "                                         \
    "(extract(epoch FROM s.updated_at) * 1000000)::bigint"

constexpr Query kCreate{"schedule_create", R"sql(
WITH s AS (
  INSERT INTO schedules (id, workspace_id, agent_id, source, yaml_index, cron, timezone, input, prompt_variables,
                         enabled, catch_up_s, overlap, next_fire_at)
  VALUES ($1::uuid, $2::uuid, $3::uuid, $4, $5::int, $6, $7, $8::jsonb, $9::jsonb, $10::bool, $11::int, $12,
          $13::timestamptz)
  RETURNING *
)
SELECT )sql" SCHEDULE_COLUMNS " FROM s JOIN agents a ON a.id = s.agent_id"};

constexpr Query kGet{
    "schedule_get", "SELECT " SCHEDULE_COLUMNS R"sql( FROM schedules s JOIN agents a ON a.id = s.agent_id
WHERE s.workspace_id = $1::uuid AND s.id = $2::uuid)sql"};

constexpr Query kLock{
    "schedule_lock", "SELECT " SCHEDULE_COLUMNS R"sql( FROM schedules s JOIN agents a ON a.id = s.agent_id
WHERE s.workspace_id = $1::uuid AND s.id = $2::uuid FOR UPDATE OF s)sql"};

constexpr Query kList{
    "schedule_list", "SELECT " SCHEDULE_COLUMNS R"sql( FROM schedules s JOIN agents a ON a.id = s.agent_id
WHERE s.workspace_id = $1::uuid
  AND ($2::uuid IS NULL OR s.agent_id = $2::uuid)
  AND ($3::bool IS NULL OR s.enabled = $3::bool)
  AND ($4::uuid IS NULL OR s.id < $4::uuid)
ORDER BY s.id DESC LIMIT $5::int)sql"};

constexpr Query kUpdate{"schedule_update", R"sql(
WITH s AS (
  UPDATE schedules SET cron = $3, timezone = $4, input = $5::jsonb, prompt_variables = $6::jsonb, enabled = $7::bool,
                       catch_up_s = $8::int, overlap = $9, next_fire_at = $10::timestamptz, updated_at = now()
  WHERE workspace_id = $1::uuid AND id = $2::uuid
  RETURNING *
)
SELECT )sql" SCHEDULE_COLUMNS " FROM s JOIN agents a ON a.id = s.agent_id"};

constexpr Query kDelete{"schedule_delete", "DELETE FROM schedules WHERE workspace_id = $1::uuid AND id = $2::uuid"};

constexpr Query kFromYaml{"schedule_from_yaml", "SELECT " SCHEDULE_COLUMNS R"sql( FROM schedules s
JOIN agents a ON a.id = s.agent_id WHERE s.agent_id = $1::uuid AND s.source = 'yaml' ORDER BY s.yaml_index)sql"};

constexpr Query kTrimYaml{
    "schedule_trim_yaml",
    "DELETE FROM schedules WHERE agent_id = $1::uuid AND source = 'yaml' AND yaml_index >= $2::int"};

constexpr Query kDeleteForAgent{"schedule_delete_for_agent", "DELETE FROM schedules WHERE agent_id = $1::uuid"};

// FOR UPDATE OF s only: the agent and the last run are read, not locked. A row another server fired meanwhile is
// re-checked against next_fire_at after its lock is released (and then left out), or skipped while it is held.
constexpr Query kClaimDue{"schedule_claim_due", "SELECT " SCHEDULE_COLUMNS R"sql(, lr.status
FROM schedules s JOIN agents a ON a.id = s.agent_id LEFT JOIN runs lr ON lr.id = s.last_run_id
WHERE s.enabled AND s.next_fire_at <= $1::timestamptz
ORDER BY s.next_fire_at LIMIT $2::int
FOR UPDATE OF s SKIP LOCKED)sql"};

// One statement for a batch of decisions: the fire rows (a due time that has one already is left alone, and so its
// run is not made), then each schedule's next due time and counters.
constexpr Query kRecord{"schedule_record", R"sql(
WITH f AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS f(
    schedule_id uuid, scheduled_for timestamptz, outcome text, run_id uuid, error text, missed bigint,
    next_fire_at timestamptz)
), ins AS (
  INSERT INTO schedule_fires (schedule_id, scheduled_for, outcome, run_id, error, server_id)
  SELECT schedule_id, scheduled_for, outcome, run_id, error, $2 FROM f WHERE scheduled_for IS NOT NULL
  ON CONFLICT DO NOTHING
  RETURNING schedule_id, outcome, run_id
), up AS (
  UPDATE schedules s SET
    next_fire_at = f.next_fire_at,
    last_fired_for = coalesce(f.scheduled_for, s.last_fired_for),
    last_run_id = CASE WHEN ins.outcome = 'fired' THEN ins.run_id ELSE s.last_run_id END,
    fire_count = s.fire_count + coalesce((ins.outcome = 'fired')::int, 0),
    skipped_overlap = s.skipped_overlap + coalesce((ins.outcome = 'skipped_overlap')::int, 0),
    skipped_missed = s.skipped_missed + f.missed
  FROM f LEFT JOIN ins ON ins.schedule_id = f.schedule_id
  WHERE s.id = f.schedule_id
)
SELECT schedule_id FROM ins WHERE outcome = 'fired')sql"};

constexpr Query kNextDue{"schedule_next_due", R"sql(
SELECT (extract(epoch FROM min(next_fire_at)) * 1000000)::bigint FROM schedules
WHERE enabled AND next_fire_at IS NOT NULL)sql"};

constexpr Query kFires{"schedule_fires", R"sql(
SELECT (extract(epoch FROM scheduled_for) * 1000000)::bigint, outcome, run_id, error, server_id,
       (extract(epoch FROM fired_at) * 1000000)::bigint
FROM schedule_fires WHERE schedule_id = $1::uuid AND ($2::timestamptz IS NULL OR scheduled_for < $2::timestamptz)
ORDER BY scheduled_for DESC LIMIT $3::int)sql"};

constexpr Query kPruneFires{"schedule_prune_fires", "DELETE FROM schedule_fires WHERE fired_at < $1::timestamptz"};

constexpr Query kNotifyChanged{"schedule_notify_changed", "SELECT pg_notify('agentos_schedules', '')"};

#undef SCHEDULE_COLUMNS

ScheduleRecord ReadSchedule(const pqxx::row& row) {
    ScheduleRecord s;
    s.id = ReadString(row[0]);
    s.workspace_id = ReadString(row[1]);
    s.agent_id = ReadString(row[2]);
    s.agent_slug = ReadString(row[3]);
    s.source = ReadString(row[4]);
    s.yaml_index = ReadOptInt(row[5]);
    s.definition.cron = ReadString(row[6]);
    s.definition.timezone = ReadString(row[7]);
    s.definition.input = ReadJson(row[8]);
    s.definition.prompt_variables = ReadJson(row[9]);
    s.definition.enabled = ReadBool(row[10]);
    s.definition.catch_up_s = ReadInt(row[11]);
    s.definition.overlap = ReadString(row[12]);
    s.next_fire_at = ReadOptTime(row[13]);
    s.last_fired_for = ReadOptTime(row[14]);
    s.last_run_id = ReadOptString(row[15]);
    s.fire_count = ReadInt(row[16]);
    s.skipped_overlap = ReadInt(row[17]);
    s.skipped_missed = ReadInt(row[18]);
    s.created_at = ReadTime(row[19]);
    s.updated_at = ReadTime(row[20]);
    return s;
}

std::vector<ScheduleRecord> ReadSchedules(const pqxx::result& r) {
    std::vector<ScheduleRecord> out;
    out.reserve(r.size());
    for (const auto& row : r) {
        out.push_back(ReadSchedule(row));
    }
    return out;
}

std::optional<ScheduleRecord> FirstSchedule(const pqxx::result& r) {
    if (r.empty()) {
        return std::nullopt;
    }
    return ReadSchedule(r[0]);
}

std::vector<FireRecord> ReadFires(const pqxx::result& r) {
    std::vector<FireRecord> out;
    out.reserve(r.size());
    for (const auto& row : r) {
        FireRecord f;
        f.scheduled_for = ReadTime(row[0]);
        f.outcome = ReadString(row[1]);
        f.run_id = ReadOptString(row[2]);
        f.error = ReadOptString(row[3]);
        f.server_id = ReadString(row[4]);
        f.fired_at = ReadTime(row[5]);
        out.push_back(std::move(f));
    }
    return out;
}

std::optional<std::string> OptTime(const std::optional<core::TimePoint>& t) {
    return t ? std::optional<std::string>(core::FormatIso(*t)) : std::nullopt;
}

/// What a schedule says, as the parameters that Create and Update take in this order.
Params& AddDefinition(Params& p, const ScheduleDefinition& d) {
    return p.Add(d.cron)
        .Add(d.timezone)
        .Add(d.input)
        .Add(d.prompt_variables.is_null() ? nlohmann::json::object() : d.prompt_variables)
        .Add(d.enabled)
        .Add(d.catch_up_s)
        .Add(d.overlap);
}

nlohmann::json JsonTime(const std::optional<core::TimePoint>& t) {
    return t ? nlohmann::json(core::FormatIso(*t)) : nlohmann::json();
}

nlohmann::json JsonText(const std::optional<std::string>& s) {
    return s ? nlohmann::json(*s) : nlohmann::json();
}

}  // namespace

ScheduleRecord ScheduleRepo::Create(const NewSchedule& s) {
    Params p;
    p.Add(s.id).Add(s.workspace_id).Add(s.agent_id).Add(s.source);
    p.Add(s.yaml_index ? std::optional<std::string>(std::to_string(*s.yaml_index)) : std::nullopt);
    AddDefinition(p, s.definition).Add(OptTime(s.next_fire_at));
    return ReadSchedule(tx_.Exec(kCreate, p)[0]);
}

std::optional<ScheduleRecord> ScheduleRepo::Get(const std::string& workspace_id, const std::string& id) {
    return FirstSchedule(tx_.Exec(kGet, Params().Add(workspace_id).Add(id)));
}

std::optional<ScheduleRecord> ScheduleRepo::Lock(const std::string& workspace_id, const std::string& id) {
    return FirstSchedule(tx_.Exec(kLock, Params().Add(workspace_id).Add(id)));
}

std::vector<ScheduleRecord> ScheduleRepo::List(const std::string& workspace_id, const ScheduleFilter& f) {
    return ReadSchedules(tx_.Exec(
        kList,
        Params()
            .Add(workspace_id)
            .Add(f.agent_id)
            .Add(f.enabled ? std::optional<std::string>(*f.enabled ? "true" : "false") : std::nullopt)
            .Add(f.before_id)
            .Add(f.limit)
    ));
}

std::optional<ScheduleRecord> ScheduleRepo::Update(
    const std::string& workspace_id,
    const std::string& id,
    const ScheduleDefinition& d,
    const std::optional<core::TimePoint>& next_fire_at
) {
    Params p;
    p.Add(workspace_id).Add(id);
    AddDefinition(p, d).Add(OptTime(next_fire_at));
    return FirstSchedule(tx_.Exec(kUpdate, p));
}

bool ScheduleRepo::Delete(const std::string& workspace_id, const std::string& id) {
    return tx_.Exec(kDelete, Params().Add(workspace_id).Add(id)).affected_rows() == 1;
}

std::vector<ScheduleRecord> ScheduleRepo::FromYaml(const std::string& agent_id) {
    return ReadSchedules(tx_.Exec(kFromYaml, Params().Add(agent_id)));
}

void ScheduleRepo::TrimYaml(const std::string& agent_id, std::int64_t count) {
    tx_.Exec(kTrimYaml, Params().Add(agent_id).Add(count));
}

void ScheduleRepo::DeleteForAgent(const std::string& agent_id) {
    tx_.Exec(kDeleteForAgent, Params().Add(agent_id));
}

std::vector<DueSchedule> ScheduleRepo::ClaimDue(core::TimePoint now, int limit) {
    const auto r = tx_.Exec(kClaimDue, Params().Add(now).Add(limit));
    std::vector<DueSchedule> out;
    out.reserve(r.size());
    for (const auto& row : r) {
        DueSchedule d;
        d.schedule = ReadSchedule(row);
        if (const auto status = ReadOptString(row[21])) {
            d.last_run_status = core::ParseRunStatus(*status);
        }
        out.push_back(std::move(d));
    }
    return out;
}

std::vector<std::string> ScheduleRepo::Record(const std::vector<ScheduleFire>& fires, const std::string& server_id) {
    if (fires.empty()) {
        return {};
    }
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& f : fires) {
        rows.push_back(
            {{"schedule_id", f.schedule_id},
             {"scheduled_for", JsonTime(f.scheduled_for)},
             {"outcome", f.outcome},
             {"run_id", JsonText(f.run_id)},
             {"error", JsonText(f.error)},
             {"missed", f.missed},
             {"next_fire_at", JsonTime(f.next_fire_at)}}
        );
    }
    const auto r = tx_.Exec(kRecord, Params().Add(rows).Add(server_id));
    std::vector<std::string> fired;
    fired.reserve(r.size());
    for (const auto& row : r) {
        fired.push_back(ReadString(row[0]));
    }
    return fired;
}

std::optional<core::TimePoint> ScheduleRepo::NextDue() {
    const auto r = tx_.Exec(kNextDue);
    return r.empty() ? std::nullopt : ReadOptTime(r[0][0]);
}

std::vector<FireRecord> ScheduleRepo::Fires(
    const std::string& schedule_id, const std::optional<core::TimePoint>& before, int limit
) {
    return ReadFires(tx_.Exec(kFires, Params().Add(schedule_id).Add(OptTime(before)).Add(limit)));
}

std::int64_t ScheduleRepo::PruneFires(core::TimePoint before) {
    return static_cast<std::int64_t>(tx_.Exec(kPruneFires, Params().Add(before)).affected_rows());
}

void ScheduleRepo::NotifyChanged() {
    tx_.Exec(kNotifyChanged);
}

}  // namespace agentos::store
