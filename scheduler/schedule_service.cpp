#include "scheduler/schedule_service.hpp"

#include <utility>

#include "runtime/agent_service.hpp"
#include "runtime/core/error.hpp"
#include "runtime/core/ids.hpp"
#include "runtime/run_service.hpp"
#include "runtime/schedule_sync.hpp"
#include "runtime/store/agent_repo.hpp"
#include "runtime/store/pg_pool.hpp"
#include "scheduler/cron/cron_expr.hpp"
#include "scheduler/fire_plan.hpp"

namespace agentos::scheduler {
namespace {

using core::Error;
using Json = nlohmann::json;

std::string FieldPath(std::string_view path, std::string_view field) {
    std::string out(path);
    out.append(field);
    return out;
}

Error Forbidden() {
    return {core::ErrorCode::kForbidden, "this agent key belongs to another agent"};
}

/// The schedule, if the caller may see it: NOT_FOUND outside the workspace, FORBIDDEN for another agent's key.
/// `lock`: held until the transaction ends, for a read-modify-write.
store::ScheduleRecord VisibleSchedule(store::Tx& tx, const core::Principal& who, const std::string& id, bool lock) {
    store::ScheduleRepo repo(tx);
    auto s = lock ? repo.Lock(who.workspace_id, id) : repo.Get(who.workspace_id, id);
    if (!s) {
        throw Error::NotFound("schedule " + id);
    }
    if (who.IsAgentKey() && s->agent_id != who.agent_id) {
        throw Forbidden();
    }
    return std::move(*s);
}

/// The agent a new schedule is for: in the workspace, the key's own for an agent key, and hosted.
store::AgentRecord SchedulableAgent(store::Tx& tx, const core::Principal& who, const std::string& ref) {
    auto agent = engine::VisibleAgent(tx, who, ref);
    if (agent.runtime != "hosted") {
        throw Error::Validation(
            "agent_id",
            "agent '" + agent.slug +
                "' is external (ingest only): AgentOS does not run it, so it cannot have a schedule"
        );
    }
    return agent;
}

/// Plans (and drops) a run of `s` when its agent is active, so a prompt variable the definition lacks or needs is
/// a 400 now rather than a failed fire later. A paused agent's schedule is accepted: its due times are skipped.
void CheckRunnable(
    engine::RunService& runs, store::Tx& tx, const store::AgentRecord& agent, const store::ScheduleRecord& s
) {
    if (agent.status != "active") {
        return;
    }
    static_cast<void>(runs.PlanQueued(tx, agent, ScheduledRunRequest(s, Json{{"schedule_id", s.id}})));
}

/// A stored schedule with the fields a new one would have, for CheckRunnable before it exists.
store::ScheduleRecord Draft(
    const std::string& id, const store::AgentRecord& agent, const store::ScheduleDefinition& d
) {
    store::ScheduleRecord s;
    s.id = id;
    s.workspace_id = agent.workspace_id;
    s.agent_id = agent.id;
    s.agent_slug = agent.slug;
    s.definition = d;
    return s;
}

/// A schedule and its next due times after `now`, as the single-schedule answers show it.
ScheduleView Viewed(store::ScheduleRecord s, core::TimePoint now) {
    auto times = NextDueTimes(s.definition, now, kShownFireTimes);
    return ScheduleView{std::move(s), std::move(times)};
}

std::string YamlPlace(const store::ScheduleRecord& s) {
    return "schedules[" + std::to_string(s.yaml_index.value_or(0)) + "]";
}

}  // namespace

engine::InvokeRequest ScheduledRunRequest(const store::ScheduleRecord& s, nlohmann::json schedule) {
    engine::InvokeRequest r;
    r.agent_ref = s.agent_id;
    r.input = s.definition.input.is_object() ? s.definition.input : Json::object();
    if (s.definition.prompt_variables.is_object()) {
        for (const auto& [name, value] : s.definition.prompt_variables.items()) {
            if (value.is_string()) {
                r.prompt_variables[name] = value.get<std::string>();
            }
        }
    }
    r.background = true;
    r.trigger_type = "scheduled";
    r.schedule_id = s.id;
    r.schedule = std::move(schedule);
    return r;
}

bool ScheduleChange::Empty() const {
    return !enabled && !ChangesDefinition();
}

bool ScheduleChange::ChangesDefinition() const {
    return cron || timezone || input || prompt_variables || catch_up_s || overlap;
}

core::TimePoint FirstDueAfter(const store::ScheduleDefinition& d, core::TimePoint after, std::string_view path) {
    const auto first = engine::NextDueAfter(d, after, path);
    if (!first) {
        throw Error::Validation(
            FieldPath(path, "cron"), "'" + d.cron + "' never fires: no date matches it (such as 30 February)"
        );
    }
    return *first;
}

std::vector<core::TimePoint> NextDueTimes(const store::ScheduleDefinition& d, core::TimePoint after, int count) {
    try {
        return NextTimes(CronExpr::Parse(d.cron, "cron"), LoadTimeZone(d.timezone, "timezone"), after, count);
    } catch (const Error&) {
        return {};  // stored before a rule it breaks existed: it fires no more either
    }
}

ScheduleService::ScheduleService(store::PgPool& pool, engine::RunService& runs, const core::Clock& clock)
    : pool_(pool), runs_(runs), clock_(clock) {}

net::awaitable<ScheduleView> ScheduleService::Create(core::Principal who, NewScheduleRequest request) {
    const auto now = clock_.Now();
    ScheduleView view;
    // Cron and zone work inside the transaction's function: a zone's first use reads its file, off the I/O threads.
    co_await pool_.Transact([&](store::Tx& tx) {
        const auto first = FirstDueAfter(request.definition, now);
        const auto agent = SchedulableAgent(tx, who, request.agent_ref);
        store::NewSchedule n;
        n.id = core::NewUuidV7();
        n.workspace_id = who.workspace_id;
        n.agent_id = agent.id;
        n.definition = request.definition;
        n.next_fire_at = first;
        CheckRunnable(runs_, tx, agent, Draft(n.id, agent, n.definition));
        store::ScheduleRepo repo(tx);
        view = Viewed(repo.Create(n), now);
        repo.NotifyChanged();
    });
    co_return view;
}

net::awaitable<std::vector<store::ScheduleRecord>> ScheduleService::List(
    core::Principal who, std::optional<std::string> agent_ref, store::ScheduleFilter filter
) {
    std::vector<store::ScheduleRecord> out;
    co_await pool_.Transact([&](store::Tx& tx) {
        filter.agent_id = engine::AgentScope(tx, who, agent_ref);
        out = store::ScheduleRepo(tx).List(who.workspace_id, filter);
    });
    co_return out;
}

net::awaitable<ScheduleView> ScheduleService::Get(core::Principal who, std::string id) {
    const auto now = clock_.Now();
    ScheduleView view;
    co_await pool_.Transact([&](store::Tx& tx) { view = Viewed(VisibleSchedule(tx, who, id, false), now); });
    co_return view;
}

net::awaitable<ScheduleView> ScheduleService::Update(core::Principal who, std::string id, ScheduleChange change) {
    const auto now = clock_.Now();
    ScheduleView view;
    co_await pool_.Transact([&](store::Tx& tx) {
        const auto s = VisibleSchedule(tx, who, id, true);
        if (s.source == "yaml" && change.ChangesDefinition()) {
            throw Error::Conflict(
                "schedule " + id + " is defined by agent '" + s.agent_slug + "' (" + YamlPlace(s) +
                " of its definition): change the agent definition to change it; here only enabled can be set"
            );
        }
        auto d = s.definition;
        d.cron = change.cron.value_or(d.cron);
        d.timezone = change.timezone.value_or(d.timezone);
        d.input = change.input.value_or(d.input);
        d.prompt_variables = change.prompt_variables.value_or(d.prompt_variables);
        d.enabled = change.enabled.value_or(d.enabled);
        d.catch_up_s = change.catch_up_s.value_or(d.catch_up_s);
        d.overlap = change.overlap.value_or(d.overlap);
        auto next = s.next_fire_at;
        if (d.cron != s.definition.cron || d.timezone != s.definition.timezone || d.enabled != s.definition.enabled) {
            next = FirstDueAfter(d, now);  // a re-enabled schedule does not catch up what it missed while disabled
        }
        if (change.prompt_variables || change.input) {
            if (const auto agent = store::AgentRepo(tx).Get(who.workspace_id, s.agent_id)) {
                auto draft = s;
                draft.definition = d;
                CheckRunnable(runs_, tx, *agent, draft);
            }
        }
        store::ScheduleRepo repo(tx);
        view = Viewed(*repo.Update(who.workspace_id, id, d, next), now);
        repo.NotifyChanged();
    });
    co_return view;
}

net::awaitable<void> ScheduleService::Delete(core::Principal who, std::string id) {
    co_await pool_.Transact([&](store::Tx& tx) {
        const auto s = VisibleSchedule(tx, who, id, false);
        if (s.source == "yaml") {
            throw Error::Conflict(
                "schedule " + id + " is defined by agent '" + s.agent_slug + "' (" + YamlPlace(s) +
                " of its definition): remove it from the agent definition to delete it (or disable it here)"
            );
        }
        store::ScheduleRepo repo(tx);
        repo.Delete(who.workspace_id, id);
        repo.NotifyChanged();
    });
}

net::awaitable<ScheduleView> ScheduleService::Enable(core::Principal who, std::string id) {
    ScheduleChange change;
    change.enabled = true;
    return Update(std::move(who), std::move(id), std::move(change));
}

net::awaitable<ScheduleView> ScheduleService::Disable(core::Principal who, std::string id) {
    ScheduleChange change;
    change.enabled = false;
    return Update(std::move(who), std::move(id), std::move(change));
}

net::awaitable<TriggeredRun> ScheduleService::Trigger(core::Principal who, std::string id) {
    TriggeredRun out;
    co_await pool_.Transact([&](store::Tx& tx) {
        const auto s = VisibleSchedule(tx, who, id, false);
        const auto agent = store::AgentRepo(tx).Get(who.workspace_id, s.agent_id);
        if (!agent) {
            throw Error::NotFound("agent " + s.agent_id);
        }
        if (agent->status == "paused") {
            throw Error::Validation(
                "agent_id", "agent '" + agent->slug + "' is paused; activate it to trigger its schedules"
            );
        }
        auto planned = runs_.PlanQueued(
            tx,
            *agent,
            ScheduledRunRequest(s, Json{{"schedule_id", s.id}, {"scheduled_for", nullptr}, {"manual", true}})
        );
        out = TriggeredRun{planned.run.id, s.id};
        runs_.InsertQueued(tx, {std::move(planned)});
    });
    co_return out;
}

net::awaitable<std::vector<store::RunRecord>> ScheduleService::Runs(
    core::Principal who, std::string id, store::RunFilter filter
) {
    std::vector<store::RunRecord> out;
    co_await pool_.Transact([&](store::Tx& tx) {
        VisibleSchedule(tx, who, id, false);
        filter.schedule_id = id;
        out = store::RunRepo(tx).List(who.workspace_id, filter);
    });
    co_return out;
}

net::awaitable<FirePage> ScheduleService::Fires(
    core::Principal who, std::string id, std::optional<core::TimePoint> before, int limit
) {
    FirePage page;
    co_await pool_.Transact([&](store::Tx& tx) {
        VisibleSchedule(tx, who, id, false);
        store::ScheduleRepo repo(tx);
        page.fires = repo.Fires(id, before, limit + 1);
    });
    if (static_cast<int>(page.fires.size()) > limit) {
        page.fires.resize(static_cast<std::size_t>(limit));
        page.next_before = page.fires.back().scheduled_for;
    }
    co_return page;
}

}  // namespace agentos::scheduler
