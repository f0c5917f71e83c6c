#pragma once
/// Agents of a workspace: auto-registered by ingest, or defined in YAML/JSON (hosted). Addressed by id or slug.

#include <optional>
#include <string>
#include <vector>

#include "runtime/core/time.hpp"

namespace agentos::store {

class Tx;

struct AgentRecord {
    std::string id;
    std::string workspace_id;
    std::string slug;
    std::string name;
    std::string description;
    std::string runtime;  ///< "hosted" | "external"
    std::string status;   ///< "active" | "paused"
    std::string source;   ///< "ingest" | "api" | "file"
    std::optional<std::int64_t> current_version;
    std::optional<double> monthly_budget_usd;
    core::TimePoint created_at;
    core::TimePoint updated_at;
};

/// What an agent spent this calendar month (UTC) against its budget.
struct AgentSpend {
    std::string agent_name;
    std::optional<double> monthly_budget_usd;
    double month_cost_usd = 0;

    bool OverBudget() const { return monthly_budget_usd && month_cost_usd > *monthly_budget_usd; }
};

class AgentRepo {
public:
    explicit AgentRepo(Tx& tx) : tx_(tx) {}

    /// By UUID when `id_or_slug` is one, else by slug.
    std::optional<AgentRecord> Get(const std::string& workspace_id, const std::string& id_or_slug);

    /// The external agent with this slug, registered (source "ingest", display name `name`) when missing.
    AgentRecord EnsureExternal(const std::string& workspace_id, const std::string& slug, const std::string& name);

    /// Newest first; `before_id` is the cursor (the last id of the previous page).
    std::vector<AgentRecord> List(
        const std::string& workspace_id, const std::optional<std::string>& before_id, int limit
    );

    /// Adds `cost_usd` to this month's spend of the agent.
    void AddMonthlyCost(const std::string& agent_id, double cost_usd);

    AgentSpend Spend(const std::string& agent_id);

private:
    Tx& tx_;
};

}  // namespace agentos::store
