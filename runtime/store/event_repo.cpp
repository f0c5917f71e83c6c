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
        EventRecord e;
        e.id = ReadInt(row[0]);
        e.seq = ReadInt(row[1]);
        e.type = ReadString(row[2]);
        e.level = core::ParseEventLevel(ReadString(row[3])).value_or(core::EventLevel::kInfo);
        e.payload = ReadJson(row[4]);
        e.occurred_at = ReadTime(row[5]);
        e.received_at = ReadTime(row[6]);
        out.push_back(std::move(e));
    }
    return out;
}

}  // namespace agentos::store
