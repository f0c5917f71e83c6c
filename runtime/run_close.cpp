#include "runtime/run_close.hpp"

#include <cstdio>

#include "runtime/core/error.hpp"
#include "runtime/store/agent_repo.hpp"

namespace agentos::engine {

void RequireAgentAccess(const core::Principal& who, const std::string& agent_id) {
    if (who.IsAgentKey() && who.agent_id != agent_id) {
        throw core::Error(core::ErrorCode::kForbidden, "this agent key belongs to another agent");
    }
}

void ExplainNotOpen(store::Tx& tx, const core::Principal& who, const std::string& run_id, std::string_view doing) {
    const auto run = store::RunRepo(tx).Get(who.workspace_id, run_id);
    if (!run) {
        throw core::Error::NotFound("run " + run_id);
    }
    RequireAgentAccess(who, run->agent_id);
    throw core::Error::Conflict(
        "run " + run_id + " is already " + std::string(core::ToString(run->status)) + ": " + std::string(doing)
    );
}

namespace {

std::optional<std::string> WarningFor(const store::AgentSpend& spend) {
    if (!spend.OverBudget()) {
        return std::nullopt;
    }
    char amount[64];
    std::snprintf(amount, sizeof amount, "%.2f", *spend.monthly_budget_usd);
    return "Agent '" + spend.agent_name + "' has exceeded its budget of $" + amount;
}

}  // namespace

std::optional<std::string> BudgetWarning(store::Tx& tx, const std::string& agent_id) {
    return WarningFor(store::AgentRepo(tx).Spend(agent_id));
}

std::optional<CloseResult> CloseOpenRun(
    store::Tx& tx, const std::string& workspace_id, const std::string& run_id, const store::RunEnd& end
) {
    auto closed = store::RunRepo(tx).Close(workspace_id, run_id, end);
    if (!closed) {
        return std::nullopt;
    }
    auto warning = WarningFor(closed->spend);
    if (warning) {
        store::RunRepo(tx).SetBudgetWarning(workspace_id, run_id, *warning);
        closed->run.budget_warning = warning;
    }
    return CloseResult{std::move(closed->run), warning};
}

CloseResult CloseRun(store::Tx& tx, const core::Principal& who, const std::string& run_id, store::RunEnd end) {
    if (who.IsAgentKey()) {
        end.only_agent_id = who.agent_id;
    }
    auto closed = CloseOpenRun(tx, who.workspace_id, run_id, end);
    if (!closed) {
        ExplainNotOpen(tx, who, run_id, "a run closes exactly once");
    }
    return std::move(*closed);
}

}  // namespace agentos::engine
