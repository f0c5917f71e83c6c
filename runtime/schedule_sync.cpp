#include "runtime/schedule_sync.hpp"

#include <optional>

#include "runtime/core/ids.hpp"
#include "scheduler/cron/cron_expr.hpp"

namespace agentos::engine {
namespace {

store::ScheduleDefinition DefinitionOf(const spec::ScheduleSpec& s) {
    store::ScheduleDefinition d;
    d.cron = s.cron;
    d.timezone = s.timezone;
    d.input = s.input.is_object() ? s.input : nlohmann::json::object();
    d.prompt_variables = nlohmann::json::object();
    for (const auto& [k, v] : s.prompt_variables) {
        d.prompt_variables[k] = v;
    }
    d.enabled = s.enabled;
    d.catch_up_s = s.catch_up_s;
    d.overlap = s.overlap;
    return d;
}

bool Same(const store::ScheduleDefinition& a, const store::ScheduleDefinition& b) {
    return a.cron == b.cron && a.timezone == b.timezone && a.input == b.input &&
           a.prompt_variables == b.prompt_variables && a.enabled == b.enabled && a.catch_up_s == b.catch_up_s &&
           a.overlap == b.overlap;
}

}  // namespace

std::optional<core::TimePoint> NextDueAfter(
    const store::ScheduleDefinition& d, core::TimePoint after, std::string_view path
) {
    const auto cron = scheduler::CronExpr::Parse(d.cron, std::string(path) + "cron");
    return cron.NextAfter(after, scheduler::LoadTimeZone(d.timezone, std::string(path) + "timezone"));
}

bool SyncYamlSchedules(
    store::Tx& tx, const store::AgentRecord& agent, const spec::AgentSpec& spec, bool new_version, core::TimePoint now
) {
    store::ScheduleRepo repo(tx);
    const auto existing = repo.FromYaml(agent.id);
    bool changed = false;
    for (std::size_t i = 0; i < spec.schedules.size(); ++i) {
        auto want = DefinitionOf(spec.schedules[i]);
        const auto index = static_cast<std::int64_t>(i);
        const store::ScheduleRecord* have = nullptr;
        for (const auto& e : existing) {
            if (e.yaml_index == index) {
                have = &e;
            }
        }
        if (have != nullptr && !new_version) {
            want.enabled = have->definition.enabled;
        }
        if (have == nullptr) {
            store::NewSchedule s;
            s.id = core::NewUuidV7();
            s.workspace_id = agent.workspace_id;
            s.agent_id = agent.id;
            s.source = "yaml";
            s.yaml_index = index;
            s.definition = want;
            s.next_fire_at = NextDueAfter(want, now);
            repo.Create(s);
            changed = true;
        } else if (!Same(have->definition, want)) {
            const auto& old = have->definition;
            const bool restart = old.cron != want.cron || old.timezone != want.timezone || old.enabled != want.enabled;
            repo.Update(agent.workspace_id, have->id, want, restart ? NextDueAfter(want, now) : have->next_fire_at);
            changed = true;
        }
    }
    for (const auto& e : existing) {
        if (e.yaml_index && *e.yaml_index >= static_cast<std::int64_t>(spec.schedules.size())) {
            changed = true;
        }
    }
    if (changed) {
        repo.TrimYaml(agent.id, static_cast<std::int64_t>(spec.schedules.size()));
        repo.NotifyChanged();
    }
    return changed;
}

}  // namespace agentos::engine
