#include "runtime/ingest_service.hpp"

#include <array>
#include <cstdio>

#include "runtime/core/error.hpp"
#include "runtime/core/ids.hpp"
#include "runtime/run_close.hpp"
#include "runtime/store/agent_repo.hpp"
#include "runtime/store/pg_pool.hpp"

namespace agentos::engine {
namespace {

using core::Error;
using core::ErrorCode;

constexpr std::array<std::string_view, 7> kLegacyTypes{
    "run_start", "step", "tool_call", "error", "run_end", "human_input_requested", "human_input_received"};

std::optional<std::string> OnlyAgent(const core::Principal& who) {
    return who.IsAgentKey() ? who.agent_id : std::nullopt;
}

std::int64_t NonNegativeInt(const nlohmann::json& payload, const char* key) {
    const auto it = payload.find(key);
    if (it == payload.end() || it->is_null()) {
        return 0;
    }
    if (!it->is_number_integer() || it->get<std::int64_t>() < 0) {
        throw Error::Validation(std::string("payload.") + key, "must be a non-negative integer");
    }
    return it->get<std::int64_t>();
}

/// Token, cost and model figures of a legacy run_end payload.
store::Usage UsageOf(const nlohmann::json& payload) {
    store::Usage u;
    u.prompt_tokens = NonNegativeInt(payload, "prompt_tokens");
    u.completion_tokens = NonNegativeInt(payload, "completion_tokens");
    u.total_tokens = NonNegativeInt(payload, "total_tokens");
    if (u.total_tokens == 0) {
        u.total_tokens = u.prompt_tokens + u.completion_tokens;
    }
    if (const auto it = payload.find("cost_usd"); it != payload.end() && !it->is_null()) {
        if (!it->is_number() || it->get<double>() < 0) {
            throw Error::Validation("payload.cost_usd", "must be a non-negative number");
        }
        u.cost_usd = it->get<double>();
    }
    if (const auto it = payload.find("model"); it != payload.end() && !it->is_null()) {
        if (!it->is_string()) {
            throw Error::Validation("payload.model", "must be a string");
        }
        u.model = it->get<std::string>();
    }
    return u;
}

/// The agent a legacy run_start belongs to: the agent key's own, or the one named by agent_name (registered as
/// an external agent on first sight).
store::AgentRecord LegacyAgent(store::Tx& tx, const core::Principal& who, const LegacyEvent& e) {
    store::AgentRepo agents(tx);
    if (who.IsAgentKey()) {
        auto agent = agents.Get(who.workspace_id, *who.agent_id);
        if (!agent) {
            throw Error::NotFound("agent " + *who.agent_id);
        }
        if (e.agent_name && *e.agent_name != agent->name && Slugify(*e.agent_name) != agent->slug) {
            throw Error(
                ErrorCode::kForbidden,
                "agent_name '" + *e.agent_name + "' is not the agent of this key ('" + agent->slug + "')"
            );
        }
        return *agent;
    }
    if (!e.agent_name) {
        throw Error::Validation("agent_name", "required for run_start when the key is a workspace key");
    }
    const std::string slug = Slugify(*e.agent_name);
    if (slug.empty()) {
        throw Error::Validation("agent_name", "must contain at least one letter or digit");
    }
    return agents.EnsureExternal(who.workspace_id, slug, *e.agent_name);
}

}  // namespace

bool IsLegacyEventType(std::string_view type) {
    for (const auto t : kLegacyTypes) {
        if (t == type) {
            return true;
        }
    }
    return false;
}

std::string Slugify(std::string_view name) {
    std::string out;
    for (const char ch : name) {
        const char c = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
        const bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (keep) {
            out.push_back(c);
        } else if (!out.empty() && out.back() != '-') {
            out.push_back('-');
        }
    }
    while (!out.empty() && out.back() == '-') {
        out.pop_back();
    }
    if (out.size() > 64) {
        out.resize(64);
        while (!out.empty() && out.back() == '-') {
            out.pop_back();
        }
    }
    return out;
}

net::awaitable<StartRunResult> IngestService::StartRun(core::Principal who, StartRunInput in) {
    StartRunResult result;
    co_await pool_.Transact([&](store::Tx& tx) {
        std::string ref;
        if (in.agent_ref) {
            ref = *in.agent_ref;
        } else if (who.IsAgentKey()) {
            ref = *who.agent_id;
        } else {
            throw Error::Validation("agent_id", "required");
        }
        const auto agent = store::AgentRepo(tx).Get(who.workspace_id, ref);
        if (!agent) {
            throw Error::NotFound("agent " + ref);
        }
        RequireAgentAccess(who, agent->id);
        store::NewRun run;
        run.id = core::NewUuidV7();
        run.workspace_id = who.workspace_id;
        run.agent_id = agent->id;
        run.status = core::RunStatus::kRunning;
        run.source = "ingest";
        run.trigger_type = in.trigger_type;
        run.external_run_id = in.external_run_id;
        run.input = in.input;
        nlohmann::json payload = {{"input", in.input}, {"trigger_type", in.trigger_type}};
        if (in.external_run_id) {
            payload["external_run_id"] = *in.external_run_id;
        }
        store::RunRepo(tx).Insert(run, store::NewEvent{"run_start", core::EventLevel::kInfo, payload, std::nullopt});
        result.run_id = run.id;
        result.budget_warning = BudgetWarning(tx, agent->id);
    });
    co_return result;
}

net::awaitable<store::AppendResult> IngestService::AppendEvents(
    core::Principal who, std::string run_id, std::vector<store::NewEvent> events
) {
    store::AppendResult result;
    // One statement appends the whole batch atomically; only the explanation of a refusal reads more.
    co_await pool_.Autocommit([&](store::Tx& tx) {
        auto appended = store::EventRepo(tx).Append(who.workspace_id, run_id, OnlyAgent(who), events);
        if (!appended) {
            ExplainNotOpen(tx, who, run_id, "a closed run accepts no more events");
        }
        result = *appended;
    });
    co_return result;
}

net::awaitable<CloseResult> IngestService::Complete(core::Principal who, std::string run_id, nlohmann::json output) {
    store::RunEnd end;
    end.status = core::RunStatus::kCompleted;
    end.output = output;
    end.events = {{"run_end", core::EventLevel::kInfo, {{"output", output}}, std::nullopt}};
    // A named awaitable, not a call inside co_await: g++ 12 mishandles parameters moved inside the expression.
    auto close = Close(std::move(who), std::move(run_id), std::move(end));
    co_return co_await std::move(close);
}

net::awaitable<CloseResult> IngestService::Fail(
    core::Principal who, std::string run_id, std::string error_message, nlohmann::json error_detail
) {
    nlohmann::json payload = {{"error_type", "RunFailed"}, {"error_message", error_message}};
    if (!error_detail.is_null()) {
        payload["error_detail"] = error_detail;
    }
    store::RunEnd end;
    end.status = core::RunStatus::kFailed;
    end.error_message = error_message;
    end.error_detail = error_detail;
    end.events = {{"error", core::EventLevel::kError, payload, std::nullopt}};
    auto close = Close(std::move(who), std::move(run_id), std::move(end));
    co_return co_await std::move(close);
}

net::awaitable<CloseResult> IngestService::Close(core::Principal who, std::string run_id, store::RunEnd end) {
    std::optional<CloseResult> result;
    // One statement closes the run with its last event (a second only when the month is over budget).
    co_await pool_.Autocommit([&](store::Tx& tx) { result = CloseRun(tx, who, run_id, end); });
    co_return std::move(*result);
}

net::awaitable<store::TaskRecord> IngestService::UpsertTask(core::Principal who, store::TaskRecord task) {
    std::optional<store::TaskRecord> result;
    co_await pool_.Transact([&](store::Tx& tx) {
        const auto run = store::RunRepo(tx).Get(who.workspace_id, task.run_id);
        if (!run) {
            throw Error::NotFound("run " + task.run_id);
        }
        RequireAgentAccess(who, run->agent_id);
        if (core::IsTerminal(run->status)) {
            throw Error::Conflict(
                "run " + task.run_id + " is already " + std::string(core::ToString(run->status)) +
                ": a closed run accepts no more tasks"
            );
        }
        store::TaskRepo tasks(tx);
        result = tasks.Upsert(who.workspace_id, task);
        if (result) {
            return;
        }
        const auto existing = tasks.Get(who.workspace_id, task.id);
        if (existing && existing->run_id != task.run_id) {
            throw Error::Conflict("task " + task.id + " belongs to another run (" + existing->run_id + ")");
        }
        throw Error::Conflict(
            "task " + task.id + " already ended as " +
            std::string(existing ? core::ToString(existing->status) : "finished") + "; a finished task keeps its status"
        );
    });
    co_return std::move(*result);
}

net::awaitable<LegacyResult> IngestService::IngestLegacy(core::Principal who, LegacyEvent e) {
    LegacyResult result;
    co_await pool_.Transact([&](store::Tx& tx) {
        store::RunRepo runs(tx);
        std::string run_id;
        std::string agent_id;
        if (e.event_type == "run_start") {
            const auto agent = LegacyAgent(tx, who, e);
            store::NewRun run;
            run.id = core::NewUuidV7();
            run.workspace_id = who.workspace_id;
            run.agent_id = agent.id;
            run.source = "legacy";
            run.trigger_type = "sdk";
            run.external_run_id = e.sdk_run_id;
            if (const auto it = e.payload.find("input"); it != e.payload.end() && it->is_object()) {
                run.input = *it;
            }
            if (!runs.Insert(run)) {
                throw Error::Conflict(
                    "sdk_run_id '" + e.sdk_run_id + "' already has a run; run_start is sent once per run"
                );
            }
            run_id = run.id;
            agent_id = agent.id;
        } else {
            const auto run = runs.FindLegacy(who.workspace_id, e.sdk_run_id);
            if (!run) {
                throw Error(
                    ErrorCode::kNotFound, "no run has sdk_run_id '" + e.sdk_run_id + "'; send its run_start event first"
                );
            }
            RequireAgentAccess(who, run->agent_id);
            run_id = run->id;
            agent_id = run->agent_id;
        }
        const bool is_error = e.event_type == "error";
        const store::NewEvent event{
            e.event_type, is_error ? core::EventLevel::kError : core::EventLevel::kInfo, e.payload, e.occurred_at};
        const auto appended = store::EventRepo(tx).Append(who.workspace_id, run_id, std::nullopt, {event});
        if (!appended) {
            ExplainNotOpen(tx, who, run_id, "a closed run accepts no more events");
        }
        result.event_id = appended->last_event_id;
        if (e.event_type == "run_end") {
            runs.AddUsage(who.workspace_id, run_id, UsageOf(e.payload));
            const auto output = e.payload.contains("output") ? e.payload["output"] : nlohmann::json(nullptr);
            store::RunEnd end;
            end.output = output;
            CloseRun(tx, who, run_id, std::move(end));
        } else if (is_error) {
            const auto msg = e.payload.value("error_message", nlohmann::json(nullptr));
            store::RunEnd end;
            end.status = core::RunStatus::kFailed;
            end.error_message = msg.is_string() ? msg.get<std::string>() : "error";
            end.error_detail = e.payload;
            CloseRun(tx, who, run_id, std::move(end));
        } else if (e.event_type == "human_input_requested") {
            runs.SetOpenStatus(who.workspace_id, run_id, core::RunStatus::kAwaitingInput);
        } else if (e.event_type == "human_input_received") {
            runs.SetOpenStatus(who.workspace_id, run_id, core::RunStatus::kRunning);
        }
        result.budget_warning = BudgetWarning(tx, agent_id);
    });
    co_return result;
}

}  // namespace agentos::engine
