#include "runtime/store/event_repo.hpp"

#include "runtime/store/pg.hpp"

namespace agentos::store {
namespace {

constexpr Query kAppend{"event_append", R"sql(
WITH r AS (
  UPDATE runs SET last_seq = last_seq + $4::bigint, updated_at = now()
  WHERE workspace_id = $1::uuid AND id = $2::uuid AND ($3::uuid IS NULL OR agent_id = $3::uuid)
    AND status NOT IN ('completed', 'failed', 'cancelled')
  RETURNING last_seq - $4::bigint AS base
), ins AS (
  INSERT INTO events (run_id, seq, workspace_id, type, level, payload, occurred_at)
  SELECT $2::uuid, r.base + e.ord, $1::uuid, e.type, e.level, coalesce(e.payload, '{}'::jsonb),
         coalesce(e.occurred_at, now())
  FROM r, ROWS FROM (jsonb_to_recordset($5::jsonb) AS (type text, level text, payload jsonb, occurred_at timestamptz))
          WITH ORDINALITY AS e(type, level, payload, occurred_at, ord)
  RETURNING seq, id
)
SELECT min(seq), max(seq), max(id) FROM ins)sql"};

constexpr Query kList{"event_list", R"sql(
SELECT id, seq, type, level, payload, (extract(epoch FROM occurred_at) * 1000000)::bigint,
       (extract(epoch FROM received_at) * 1000000)::bigint
FROM events WHERE workspace_id = $1::uuid AND run_id = $2::uuid AND seq > $3::bigint
ORDER BY seq LIMIT $4::int)sql"};

constexpr Query kFollow{"event_follow", R"sql(
SELECT r.agent_id, r.status, r.last_seq, r.output, r.error_message, r.error_detail, r.session_id,
       e.id, e.seq, e.type, e.level, e.payload, (extract(epoch FROM e.occurred_at) * 1000000)::bigint,
       (extract(epoch FROM e.received_at) * 1000000)::bigint
FROM runs r LEFT JOIN LATERAL (
  SELECT * FROM events WHERE run_id = r.id AND seq > $3::bigint ORDER BY seq LIMIT $4::int
) e ON true
WHERE r.workspace_id = $1::uuid AND r.id = $2::uuid
ORDER BY e.seq)sql"};

EventRecord ReadEvent(const pqxx::row& row, int from) {
    EventRecord e;
    e.id = ReadInt(row[from]);
    e.seq = ReadInt(row[from + 1]);
    e.type = ReadString(row[from + 2]);
    e.level = core::ParseEventLevel(ReadString(row[from + 3])).value_or(core::EventLevel::kInfo);
    e.payload = ReadJson(row[from + 4]);
    e.occurred_at = ReadTime(row[from + 5]);
    e.received_at = ReadTime(row[from + 6]);
    return e;
}

}  // namespace

std::string_view EventAppendSql() {
    return kAppend.sql;
}

nlohmann::json EventRows(const std::vector<NewEvent>& events) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& e : events) {
        nlohmann::json row = {{"type", e.type}, {"level", core::ToString(e.level)}, {"payload", e.payload}};
        if (e.occurred_at) {
            row["occurred_at"] = core::FormatIso(*e.occurred_at);
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

std::optional<AppendResult> EventRepo::Append(
    const std::string& workspace_id,
    const std::string& run_id,
    const std::optional<std::string>& only_agent_id,
    const std::vector<NewEvent>& events
) {
    const nlohmann::json rows = EventRows(events);
    const auto r = tx_.Exec(
        kAppend,
        Params()
            .Add(workspace_id)
            .Add(run_id)
            .Add(only_agent_id)
            .Add(static_cast<std::int64_t>(events.size()))
            .Add(rows.dump())
    );
    if (r.empty() || r[0][0].is_null()) {
        return std::nullopt;
    }
    return AppendResult{ReadInt(r[0][0]), ReadInt(r[0][1]), ReadInt(r[0][2])};
}

std::vector<EventRecord> EventRepo::List(
    const std::string& workspace_id, const std::string& run_id, std::int64_t after, int limit
) {
    std::vector<EventRecord> out;
    const auto r = tx_.Exec(kList, Params().Add(workspace_id).Add(run_id).Add(after).Add(limit));
    out.reserve(r.size());
    for (const auto& row : r) {
        out.push_back(ReadEvent(row, 0));
    }
    return out;
}

std::optional<RunFeedPage> EventRepo::Follow(
    const std::string& workspace_id, const std::string& run_id, std::int64_t after, int limit
) {
    const auto r = tx_.Exec(kFollow, Params().Add(workspace_id).Add(run_id).Add(after).Add(limit));
    if (r.empty()) {
        return std::nullopt;
    }
    RunFeedPage page;
    page.agent_id = ReadString(r[0][0]);
    page.status = core::ParseRunStatus(ReadString(r[0][1])).value_or(core::RunStatus::kRunning);
    page.last_seq = ReadInt(r[0][2]);
    page.output = ReadJson(r[0][3]);
    page.error_message = ReadOptString(r[0][4]);
    page.error_detail = ReadJson(r[0][5]);
    page.session_id = ReadOptString(r[0][6]);
    for (const auto& row : r) {
        if (!row[8].is_null()) {
            page.events.push_back(ReadEvent(row, 7));
        }
    }
    return page;
}

}  // namespace agentos::store
