#pragma once
/// Tasks reported by ingesting agents: units of work inside a run, upserted by their client-chosen id.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/core/run_status.hpp"
#include "runtime/core/time.hpp"

namespace agentos::store {

class Tx;

struct TaskRecord {
    std::string id;
    std::string run_id;
    std::string name;
    core::TaskStatus status = core::TaskStatus::kPending;
    nlohmann::json input;   ///< null when never given
    nlohmann::json output;  ///< null when never given
    core::TimePoint created_at;
    core::TimePoint updated_at;
};

class TaskRepo {
public:
    explicit TaskRepo(Tx& tx) : tx_(tx) {}

    /// Creates the task or updates it (name, status; input/output when given). Refused — nullopt — when the id
    /// belongs to another run, or the task already ended with a different status.
    std::optional<TaskRecord> Upsert(const std::string& workspace_id, const TaskRecord& task);

    std::optional<TaskRecord> Get(const std::string& workspace_id, const std::string& task_id);

    std::vector<TaskRecord> ListForRun(const std::string& workspace_id, const std::string& run_id);

private:
    Tx& tx_;
};

}  // namespace agentos::store
