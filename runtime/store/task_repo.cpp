#include "runtime/store/task_repo.hpp"

#include "runtime/store/pg.hpp"

namespace agentos::store {
namespace {

#define TASK_COLUMNS                                                                                \
    "id, run_id, name, status, input, output, (extract(epoch FROM created_at) * 1000000)::bigint, " \
    "(extract(epoch FROM updated_at) * 1000000)::bigint"

constexpr Query kUpsert{"task_upsert", R"sql(
INSERT INTO tasks AS t (workspace_id, id, run_id, name, status, input, output)
VALUES ($1::uuid, $2::uuid, $3::uuid, $4, $5, $6::jsonb, $7::jsonb)
ON CONFLICT (workspace_id, id) DO UPDATE
  SET name = EXCLUDED.name, status = EXCLUDED.status, input = coalesce(EXCLUDED.input, t.input),
      output = coalesce(EXCLUDED.output, t.output), updated_at = now()
  WHERE t.run_id = EXCLUDED.run_id
    AND (t.status NOT IN ('completed', 'failed', 'skipped') OR t.status = EXCLUDED.status)
RETURNING )sql" TASK_COLUMNS};

constexpr Query kGet{"task_get", "SELECT " TASK_COLUMNS " FROM tasks WHERE workspace_id = $1::uuid AND id = $2::uuid"};

constexpr Query kListForRun{
    "task_list_for_run",
    "SELECT " TASK_COLUMNS
    " FROM tasks WHERE workspace_id = $1::uuid AND run_id = $2::uuid "
    "ORDER BY created_at, id"};

#undef TASK_COLUMNS

TaskRecord ReadTask(const pqxx::row& row) {
    TaskRecord t;
    t.id = ReadString(row[0]);
    t.run_id = ReadString(row[1]);
    t.name = ReadString(row[2]);
    t.status = core::ParseTaskStatus(ReadString(row[3])).value_or(core::TaskStatus::kPending);
    t.input = ReadJson(row[4]);
    t.output = ReadJson(row[5]);
    t.created_at = ReadTime(row[6]);
    t.updated_at = ReadTime(row[7]);
    return t;
}

}  // namespace

std::optional<TaskRecord> TaskRepo::Upsert(const std::string& workspace_id, const TaskRecord& task) {
    const auto r = tx_.Exec(
        kUpsert,
        Params()
            .Add(workspace_id)
            .Add(task.id)
            .Add(task.run_id)
            .Add(task.name)
            .Add(core::ToString(task.status))
            .Add(task.input)
            .Add(task.output)
    );
    if (r.empty()) {
        return std::nullopt;
    }
    return ReadTask(r[0]);
}

std::optional<TaskRecord> TaskRepo::Get(const std::string& workspace_id, const std::string& task_id) {
    const auto r = tx_.Exec(kGet, Params().Add(workspace_id).Add(task_id));
    if (r.empty()) {
        return std::nullopt;
    }
    return ReadTask(r[0]);
}

std::vector<TaskRecord> TaskRepo::ListForRun(const std::string& workspace_id, const std::string& run_id) {
    std::vector<TaskRecord> out;
    for (const auto& row : tx_.Exec(kListForRun, Params().Add(workspace_id).Add(run_id))) {
        out.push_back(ReadTask(row));
    }
    return out;
}

}  // namespace agentos::store
