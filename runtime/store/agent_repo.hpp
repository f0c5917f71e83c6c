#pragma once
/// Agents of a workspace: auto-registered by ingest, or defined in YAML/JSON (hosted). Addressed by id or slug.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

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
    std::optional<std::string> source_path;  ///< file agents: the file they were loaded from
    core::TimePoint created_at;
    core::TimePoint updated_at;
};

/// What a definition says about the agent row (the rest lives in the version's spec).
struct AgentFields {
    std::string slug;
    std::string name;
    std::string description;
    std::string runtime;  ///< "hosted" | "external"
    std::optional<double> monthly_budget_usd;
};

struct AgentVersionRecord {
    std::int64_t version = 0;
    nlohmann::json spec;      ///< the definition as JSON
    std::string source_text;  ///< as written (YAML or JSON)
    std::string checksum;     ///< SHA-256 hex of source_text
    core::TimePoint created_at;
};

/// The outcome of saving a definition.
struct SavedAgent {
    AgentRecord agent;
    bool created = false;      ///< the agent is new
    bool new_version = false;  ///< the definition differed from the current version
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

    /// Creates the agent or, when `slug` exists, adds a version (only if the text differs from the current one) and
    /// makes it current. `source` is "api" or "file". Throws CONFLICT when `only_create` and the slug exists.
    SavedAgent Save(
        const std::string& workspace_id,
        const AgentFields& fields,
        const nlohmann::json& spec,
        const std::string& source_text,
        const std::string& source,
        const std::optional<std::string>& source_path,
        bool only_create
    );

    std::vector<AgentVersionRecord> Versions(const std::string& agent_id);

    std::optional<AgentVersionRecord> Version(const std::string& agent_id, std::int64_t version);

    /// Makes an existing version current (rollback = publishing an older one) and refreshes the row's fields.
    std::optional<AgentRecord> Publish(
        const std::string& workspace_id, const std::string& agent_id, std::int64_t version, const AgentFields& fields
    );

    /// active | paused. nullopt when the agent is not in the workspace.
    std::optional<AgentRecord> SetStatus(
        const std::string& workspace_id, const std::string& agent_id, const std::string& status
    );

    /// Soft delete: the agent disappears from the API, its runs stay on record, its slug is free again.
    bool Delete(const std::string& workspace_id, const std::string& agent_id);

    /// The external agent with this slug, registered (source "ingest", display name `name`) when missing.
    AgentRecord EnsureExternal(const std::string& workspace_id, const std::string& slug, const std::string& name);

    /// Newest first; `before_id` is the cursor (the last id of the previous page).
    std::vector<AgentRecord> List(
        const std::string& workspace_id, const std::optional<std::string>& before_id, int limit
    );

    /// Adds `cost_usd` to this month's spend of the agent, and returns the spend (one statement).
    AgentSpend AddMonthlyCost(const std::string& agent_id, double cost_usd);

    AgentSpend Spend(const std::string& agent_id);

private:
    Tx& tx_;
};

}  // namespace agentos::store
