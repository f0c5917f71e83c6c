#pragma once
/// Closing a run, the one way for ingested and hosted runs alike: its terminal status and output or error, its
/// cost booked against the agent's month, and a budget warning when the month is over budget. Runs inside the
/// caller's transaction.

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "runtime/core/principal.hpp"
#include "runtime/core/run_status.hpp"
#include "runtime/store/run_repo.hpp"

namespace agentos::store {
class Tx;
}  // namespace agentos::store

namespace agentos::engine {

struct CloseResult {
    store::RunRecord run;
    std::optional<std::string> budget_warning;
};

/// Closes run `run_id` of `who`'s workspace as `end` says, in one statement (plus one more when the month is over
/// budget). Throws CONFLICT (or NOT_FOUND / FORBIDDEN for `who`) when the run is not open.
CloseResult CloseRun(store::Tx& tx, const core::Principal& who, const std::string& run_id, store::RunEnd end);

/// The same for the runtime's own runs: nullopt when the run is no longer open (cancelled meanwhile).
std::optional<CloseResult> CloseOpenRun(
    store::Tx& tx, const std::string& workspace_id, const std::string& run_id, const store::RunEnd& end
);

/// "Agent 'X' has exceeded its budget of $10.00" when the agent's spend this month passed its budget.
std::optional<std::string> BudgetWarning(store::Tx& tx, const std::string& agent_id);

/// Why an operation on an open run matched nothing: NOT_FOUND, FORBIDDEN (another agent's key) or CONFLICT.
[[noreturn]] void ExplainNotOpen(
    store::Tx& tx, const core::Principal& who, const std::string& run_id, std::string_view doing
);

/// Agent keys may only touch their own agent's runs: FORBIDDEN otherwise.
void RequireAgentAccess(const core::Principal& who, const std::string& agent_id);

}  // namespace agentos::engine
