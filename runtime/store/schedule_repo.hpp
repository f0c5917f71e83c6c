#pragma once
/// Schedules: an agent run on a cron expression in a time zone, from the API or from the agent's YAML. A due time is
/// fired exactly once: the firing server locks the schedule row (SKIP LOCKED), records the fire under the unique key
/// (schedule_id, scheduled_for) and moves next_fire_at on, in the transaction that inserts the run (migration 0006).
/// Every statement but the firing ones is scoped by workspace_id.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/core/run_status.hpp"
#include "runtime/core/time.hpp"

namespace agentos::store {

class Tx;

/// What a schedule says (the API's fields, or one entry of a definition's `schedules`).
struct ScheduleDefinition {
    std::string cron;
    std::string timezone = "UTC";
    nlohmann::json input = nlohmann::json::object();
    nlohmann::json prompt_variables = nlohmann::json::object();  ///< {name: string}
    bool enabled = true;
    std::int64_t catch_up_s = 300;
    std::string overlap = "skip";  ///< skip | allow
};

struct ScheduleRecord {
    std::string id;
    std::string workspace_id;
    std::string agent_id;
    std::string agent_slug;
    std::string source;  ///< "api" | "yaml"
    std::optional<std::int64_t> yaml_index;
    ScheduleDefinition definition;
    std::optional<core::TimePoint> next_fire_at;  ///< nullopt: fires no more
    std::optional<core::TimePoint> last_fired_for;
    std::optional<std::string> last_run_id;
    std::int64_t fire_count = 0;
    std::int64_t skipped_overlap = 0;
    std::int64_t skipped_missed = 0;
    core::TimePoint created_at;
    core::TimePoint updated_at;
};

struct NewSchedule {
    std::string id;
    std::string workspace_id;
    std::string agent_id;
    std::string source = "api";
    std::optional<std::int64_t> yaml_index;
    ScheduleDefinition definition;
    std::optional<core::TimePoint> next_fire_at;
};

struct ScheduleFilter {
    std::optional<std::string> agent_id;
    std::optional<bool> enabled;
    std::optional<std::string> before_id;  ///< cursor: schedules older than this one
    int limit = 50;
};

/// A due schedule, locked by ClaimDue until the transaction ends, with the status of its last run (overlap).
struct DueSchedule {
    ScheduleRecord schedule;
    std::optional<core::RunStatus> last_run_status;
};

/// What a server decided for one claimed schedule: the fire of `scheduled_for` (if any) and where the schedule goes
/// next.
struct ScheduleFire {
    std::string schedule_id;
    std::optional<core::TimePoint> scheduled_for;  ///< nullopt: nothing fires now (all missed)
    std::string outcome = "fired";                 ///< fired | skipped_overlap | skipped_paused | error
    std::optional<std::string> run_id;             ///< fired: the new run; skipped_overlap: the active one
    std::optional<std::string> error;              ///< error: why no run was made
    std::int64_t missed = 0;                       ///< older due times skipped (beyond catch_up_s)
    std::optional<core::TimePoint> next_fire_at;
};

/// One recorded fire (GET /schedules/:id/fires and the benchmark).
struct FireRecord {
    core::TimePoint scheduled_for;
    std::string outcome;
    std::optional<std::string> run_id;
    std::optional<std::string> error;
    std::string server_id;
    core::TimePoint fired_at;
};

class ScheduleRepo {
public:
    explicit ScheduleRepo(Tx& tx) : tx_(tx) {}

    ScheduleRecord Create(const NewSchedule& s);

    std::optional<ScheduleRecord> Get(const std::string& workspace_id, const std::string& id);

    /// Get, with the row locked until the transaction ends (FOR UPDATE): a change read-modify-writes it without
    /// racing a server that fires it (the firing loop skips a locked row and comes back to it).
    std::optional<ScheduleRecord> Lock(const std::string& workspace_id, const std::string& id);

    std::vector<ScheduleRecord> List(const std::string& workspace_id, const ScheduleFilter& f);

    /// Replaces what the schedule says and its next due time. nullopt when it does not exist.
    std::optional<ScheduleRecord> Update(
        const std::string& workspace_id,
        const std::string& id,
        const ScheduleDefinition& d,
        const std::optional<core::TimePoint>& next_fire_at
    );

    bool Delete(const std::string& workspace_id, const std::string& id);

    /// The agent's schedules from its YAML, by yaml_index.
    std::vector<ScheduleRecord> FromYaml(const std::string& agent_id);

    /// Removes the agent's YAML schedules at positions >= `count` (the definition has fewer now).
    void TrimYaml(const std::string& agent_id, std::int64_t count);

    /// Removes all the agent's schedules (the agent was deleted).
    void DeleteForAgent(const std::string& agent_id);

    /// Up to `limit` enabled schedules due at `now` that no other transaction holds, locked, earliest first.
    std::vector<DueSchedule> ClaimDue(core::TimePoint now, int limit);

    /// Records the decisions for claimed schedules in one statement: each fire's row (skipped when that due time
    /// has a row already) and the schedule's counters and next due time. Returns the schedule ids whose fire row is
    /// new: only their runs may be inserted.
    std::vector<std::string> Record(const std::vector<ScheduleFire>& fires, const std::string& server_id);

    /// The earliest next_fire_at of any enabled schedule.
    std::optional<core::TimePoint> NextDue();

    /// The schedule's recorded fires, newest first; with `before`, those due before it (the next page).
    std::vector<FireRecord> Fires(
        const std::string& schedule_id, const std::optional<core::TimePoint>& before, int limit
    );

    /// Deletes fire rows older than `before` (they only guard due times long passed).
    std::int64_t PruneFires(core::TimePoint before);

    /// Tells every server's firing loop that a schedule changed (NOTIFY agentos_schedules).
    void NotifyChanged();

private:
    Tx& tx_;
};

/// The channel on which schedule changes are announced.
inline constexpr const char* kScheduleChannel = "agentos_schedules";

}  // namespace agentos::store
