#include "runtime/store/agent_repo.hpp"

#include "runtime/core/ids.hpp"
#include "runtime/store/pg.hpp"

namespace agentos::store {
namespace {

#define AGENT_COLUMNS                                                                       \
    "id, workspace_id, slug, name, description, runtime, status, source, current_version, " \
    "monthly_budget_usd, (extract(epoch FROM created_at) * 1000000)::bigint, "              \
    "(extract(epoch FROM updated_at) * 1000000)::bigint"

constexpr Query kGetById{
    "agent_get_by_id", "SELECT " AGENT_COLUMNS " FROM agents WHERE workspace_id = $1::uuid AND id = $2::uuid"};

constexpr Query kGetBySlug{
    "agent_get_by_slug", "SELECT " AGENT_COLUMNS " FROM agents WHERE workspace_id = $1::uuid AND slug = $2"};

constexpr Query kInsertExternal{"agent_insert_external", R"sql(
INSERT INTO agents (id, workspace_id, slug, name, runtime, source)
VALUES ($1::uuid, $2::uuid, $3, $4, 'external', 'ingest')
ON CONFLICT (workspace_id, slug) DO NOTHING)sql"};

constexpr Query kList{"agent_list", "SELECT " AGENT_COLUMNS R"sql( FROM agents
WHERE workspace_id = $1::uuid AND ($2::uuid IS NULL OR id < $2::uuid)
ORDER BY id DESC LIMIT $3::int)sql"};

constexpr Query kAddCost{"agent_add_monthly_cost", R"sql(
INSERT INTO agent_monthly_costs (agent_id, month, cost_usd)
VALUES ($1::uuid, date_trunc('month', now() AT TIME ZONE 'UTC')::date, $2::float8)
ON CONFLICT (agent_id, month) DO UPDATE SET cost_usd = agent_monthly_costs.cost_usd + EXCLUDED.cost_usd)sql"};

constexpr Query kSpend{"agent_spend", R"sql(
SELECT a.name, a.monthly_budget_usd, coalesce(c.cost_usd, 0)
FROM agents a
LEFT JOIN agent_monthly_costs c
  ON c.agent_id = a.id AND c.month = date_trunc('month', now() AT TIME ZONE 'UTC')::date
WHERE a.id = $1::uuid)sql"};

#undef AGENT_COLUMNS

AgentRecord ReadAgent(const pqxx::row& row) {
    AgentRecord a;
    a.id = ReadString(row[0]);
    a.workspace_id = ReadString(row[1]);
    a.slug = ReadString(row[2]);
    a.name = ReadString(row[3]);
    a.description = ReadString(row[4]);
    a.runtime = ReadString(row[5]);
    a.status = ReadString(row[6]);
    a.source = ReadString(row[7]);
    a.current_version = ReadOptInt(row[8]);
    a.monthly_budget_usd = ReadOptDouble(row[9]);
    a.created_at = ReadTime(row[10]);
    a.updated_at = ReadTime(row[11]);
    return a;
}

}  // namespace

std::optional<AgentRecord> AgentRepo::Get(const std::string& workspace_id, const std::string& id_or_slug) {
    const bool by_id = core::IsUuid(id_or_slug);
    const auto r = tx_.Exec(by_id ? kGetById : kGetBySlug, Params().Add(workspace_id).Add(id_or_slug));
    if (r.empty()) {
        return std::nullopt;
    }
    return ReadAgent(r[0]);
}

AgentRecord AgentRepo::EnsureExternal(
    const std::string& workspace_id, const std::string& slug, const std::string& name
) {
    tx_.Exec(kInsertExternal, Params().Add(core::NewUuidV7()).Add(workspace_id).Add(slug).Add(name));
    return ReadAgent(tx_.Exec(kGetBySlug, Params().Add(workspace_id).Add(slug))[0]);
}

std::vector<AgentRecord> AgentRepo::List(
    const std::string& workspace_id, const std::optional<std::string>& before_id, int limit
) {
    std::vector<AgentRecord> out;
    for (const auto& row : tx_.Exec(kList, Params().Add(workspace_id).Add(before_id).Add(limit))) {
        out.push_back(ReadAgent(row));
    }
    return out;
}

void AgentRepo::AddMonthlyCost(const std::string& agent_id, double cost_usd) {
    tx_.Exec(kAddCost, Params().Add(agent_id).Add(cost_usd));
}

AgentSpend AgentRepo::Spend(const std::string& agent_id) {
    const auto r = tx_.Exec(kSpend, Params().Add(agent_id));
    if (r.empty()) {
        return {};
    }
    return AgentSpend{ReadString(r[0][0]), ReadOptDouble(r[0][1]), ReadDouble(r[0][2])};
}

}  // namespace agentos::store
