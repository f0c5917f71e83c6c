#include "api/dto/schedule_json.hpp"

#include "api/dto/resource_json.hpp"

namespace agentos::api {

nlohmann::json ScheduleJson(const store::ScheduleRecord& s) {
    const auto& d = s.definition;
    return {
        {"id", s.id},
        {"schedule_id", s.id},
        {"agent_id", s.agent_id},
        {"agent_slug", s.agent_slug},
        {"source", s.source},
        {"yaml_index", OrNull(s.yaml_index)},
        {"cron", d.cron},
        {"timezone", d.timezone},
        {"input", d.input},
        {"prompt_variables", d.prompt_variables.is_null() ? nlohmann::json::object() : d.prompt_variables},
        {"enabled", d.enabled},
        {"catch_up_s", d.catch_up_s},
        {"overlap", d.overlap},
        {"next_fire_at", TimeJson(s.next_fire_at)},
        {"last_fired_for", TimeJson(s.last_fired_for)},
        {"last_run_id", OrNull(s.last_run_id)},
        {"fire_count", s.fire_count},
        {"skipped_overlap", s.skipped_overlap},
        {"skipped_missed", s.skipped_missed},
        {"created_at", core::FormatIso(s.created_at)},
        {"updated_at", core::FormatIso(s.updated_at)},
    };
}

nlohmann::json ScheduleJson(const scheduler::ScheduleView& view) {
    auto out = ScheduleJson(view.schedule);
    nlohmann::json times = nlohmann::json::array();
    for (const auto t : view.next_fire_times) {
        times.push_back(core::FormatIso(t));
    }
    out["next_fire_times"] = std::move(times);
    return out;
}

nlohmann::json FireJson(const store::FireRecord& f) {
    return {
        {"scheduled_for", core::FormatIso(f.scheduled_for)},
        {"outcome", f.outcome},
        {"run_id", OrNull(f.run_id)},
        {"error", OrNull(f.error)},
        {"server_id", f.server_id},
        {"fired_at", core::FormatIso(f.fired_at)},
    };
}

}  // namespace agentos::api
