#include "runtime/store/agent_repo.hpp"

#include "runtime/core/crypto.hpp"
#include "runtime/core/error.hpp"
#include "runtime/core/ids.hpp"
#include "runtime/store/pg.hpp"

namespace agentos::store {
namespace {

// Deleted agents (deleted_at set) are invisible to every statement here but the delete itself.
#define AGENT_COLUMNS                                                                       \
    "id, workspace_id, slug, name, description, runtime, status, source, current_version, " \
    "monthly_budget_usd, (extract(epoch FROM created_at) * 1000000)::bigint, "              \
    "(extract(epoch FROM updated_at) * 1000000)::bigint, source_path"

constexpr Query kGetById{
    "agent_get_by_id",
    "SELECT " AGENT_COLUMNS " FROM agents WHERE workspace_id = $1::uuid AND id = $2::uuid AND deleted_at IS NULL"};

constexpr Query kGetBySlug{
    "agent_get_by_slug",
    "SELECT " AGENT_COLUMNS " FROM agents WHERE workspace_id = $1::uuid AND slug = $2 AND deleted_at IS NULL"};

constexpr Query kInsertExternal{"agent_insert_external", R"sql(
INSERT INTO agents (id, workspace_id, slug, name, runtime, source)
VALUES ($1::uuid, $2::uuid, $3, $4, 'external', 'ingest')
ON CONFLICT (workspace_id, slug) WHERE deleted_at IS NULL DO NOTHING)sql"};

constexpr Query kInsert{"agent_insert", R"sql(
INSERT INTO agents (id, workspace_id, slug, name, description, runtime, source, source_path, current_version,
                    monthly_budget_usd)
VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6, $7, $8, 1, $9::float8)
ON CONFLICT (workspace_id, slug) WHERE deleted_at IS NULL DO NOTHING)sql"};

constexpr Query kLockBySlug{"agent_lock_by_slug", R"sql(
SELECT id, current_version FROM agents
WHERE workspace_id = $1::uuid AND slug = $2 AND deleted_at IS NULL FOR UPDATE)sql"};

constexpr Query kCurrentChecksum{"agent_current_checksum", R"sql(
SELECT v.checksum FROM agents a JOIN agent_versions v ON v.agent_id = a.id AND v.version = a.current_version
WHERE a.id = $1::uuid)sql"};

constexpr Query kInsertVersion{"agent_version_insert", R"sql(
INSERT INTO agent_versions (agent_id, version, workspace_id, spec, source_text, checksum)
SELECT $1::uuid, coalesce(max(version), 0) + 1, $2::uuid, $3::jsonb, $4, $5 FROM agent_versions WHERE agent_id = $1::uuid
RETURNING version)sql"};

constexpr Query kUpdateFields{"agent_update_fields", R"sql(
UPDATE agents SET name = $3, description = $4, runtime = $5, monthly_budget_usd = $6::float8, current_version = $7::int,
                  source = $8, source_path = $9, updated_at = now()
WHERE workspace_id = $1::uuid AND id = $2::uuid AND deleted_at IS NULL)sql"};

constexpr Query kVersions{"agent_versions_list", R"sql(
SELECT version, spec, source_text, checksum, (extract(epoch FROM created_at) * 1000000)::bigint
FROM agent_versions WHERE agent_id = $1::uuid ORDER BY version DESC)sql"};

constexpr Query kVersion{"agent_version_get", R"sql(
SELECT version, spec, source_text, checksum, (extract(epoch FROM created_at) * 1000000)::bigint
FROM agent_versions WHERE agent_id = $1::uuid AND version = $2::int)sql"};

constexpr Query kSetStatus{"agent_set_status", R"sql(
UPDATE agents SET status = $3, updated_at = now()
WHERE workspace_id = $1::uuid AND id = $2::uuid AND deleted_at IS NULL)sql"};

constexpr Query kDelete{"agent_delete", R"sql(
UPDATE agents SET deleted_at = now(), updated_at = now()
WHERE workspace_id = $1::uuid AND id = $2::uuid AND deleted_at IS NULL)sql"};

constexpr Query kList{"agent_list", "SELECT " AGENT_COLUMNS R"sql( FROM agents
WHERE workspace_id = $1::uuid AND deleted_at IS NULL AND ($2::uuid IS NULL OR id < $2::uuid)
ORDER BY id DESC LIMIT $3::int)sql"};

constexpr Query kAddCost{"agent_add_monthly_cost", R"sql(
WITH c AS (
  INSERT INTO agent_monthly_costs (agent_id, month, cost_usd)
  VALUES ($1::uuid, date_trunc('month', now() AT TIME ZONE 'UTC')::date, $2::float8)
  ON CONFLICT (agent_id, month) DO UPDATE SET cost_usd = agent_monthly_costs.cost_usd + EXCLUDED.cost_usd
  RETURNING cost_usd
)
SELECT a.name, a.monthly_budget_usd, (SELECT cost_usd FROM c) FROM agents a WHERE a.id = $1::uuid)sql"};

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
    a.source_path = ReadOptString(row[12]);
    return a;
}

AgentVersionRecord ReadVersion(const pqxx::row& row) {
    return {ReadInt(row[0]), ReadJson(row[1]), ReadString(row[2]), ReadString(row[3]), ReadTime(row[4])};
}

Params BudgetParam(Params p, const std::optional<double>& budget) {
    if (budget) {
        return p.Add(*budget);
    }
    return p.AddNull();
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

SavedAgent AgentRepo::Save(
    const std::string& workspace_id,
    const AgentFields& fields,
    const nlohmann::json& spec,
    const std::string& source_text,
    const std::string& source,
    const std::optional<std::string>& source_path,
    bool only_create
) {
    const std::string checksum = core::HexEncode(core::Sha256(source_text));
    SavedAgent out;
    const std::string id = core::NewUuidV7();
    Params insert;
    insert.Add(id)
        .Add(workspace_id)
        .Add(fields.slug)
        .Add(fields.name)
        .Add(fields.description)
        .Add(fields.runtime)
        .Add(source)
        .Add(source_path);
    if (tx_.Exec(kInsert, BudgetParam(std::move(insert), fields.monthly_budget_usd)).affected_rows() == 1) {
        tx_.Exec(kInsertVersion, Params().Add(id).Add(workspace_id).Add(spec).Add(source_text).Add(checksum));
        out.agent = *Get(workspace_id, id);
        out.created = true;
        out.new_version = true;
        return out;
    }
    if (only_create) {
        throw core::Error::Conflict(
            "an agent with slug '" + fields.slug + "' already exists in this workspace; PUT to update it"
        );
    }
    // The slug exists: lock its row so concurrent saves number their versions one after the other.
    const auto locked = tx_.Exec(kLockBySlug, Params().Add(workspace_id).Add(fields.slug));
    if (locked.empty()) {
        throw core::Error::Conflict("agent '" + fields.slug + "' changed concurrently; retry");
    }
    const std::string agent_id = ReadString(locked[0][0]);
    std::int64_t version = ReadOptInt(locked[0][1]).value_or(0);
    const auto current = tx_.Exec(kCurrentChecksum, Params().Add(agent_id));
    const bool same = !current.empty() && ReadString(current[0][0]) == checksum;
    if (!same) {
        version = ReadInt(tx_.Exec(
            kInsertVersion, Params().Add(agent_id).Add(workspace_id).Add(spec).Add(source_text).Add(checksum)
        )[0][0]);
        out.new_version = true;
    }
    Params update;
    update.Add(workspace_id).Add(agent_id).Add(fields.name).Add(fields.description).Add(fields.runtime);
    update = BudgetParam(std::move(update), fields.monthly_budget_usd);
    update.Add(version).Add(source).Add(source_path);
    tx_.Exec(kUpdateFields, update);
    out.agent = *Get(workspace_id, agent_id);
    return out;
}

std::vector<AgentVersionRecord> AgentRepo::Versions(const std::string& agent_id) {
    std::vector<AgentVersionRecord> out;
    for (const auto& row : tx_.Exec(kVersions, Params().Add(agent_id))) {
        out.push_back(ReadVersion(row));
    }
    return out;
}

std::optional<AgentVersionRecord> AgentRepo::Version(const std::string& agent_id, std::int64_t version) {
    const auto r = tx_.Exec(kVersion, Params().Add(agent_id).Add(version));
    if (r.empty()) {
        return std::nullopt;
    }
    return ReadVersion(r[0]);
}

std::optional<AgentRecord> AgentRepo::Publish(
    const std::string& workspace_id, const std::string& agent_id, std::int64_t version, const AgentFields& fields
) {
    auto agent = Get(workspace_id, agent_id);
    if (!agent) {
        return std::nullopt;
    }
    Params update;
    update.Add(workspace_id).Add(agent_id).Add(fields.name).Add(fields.description).Add(fields.runtime);
    update = BudgetParam(std::move(update), fields.monthly_budget_usd);
    update.Add(version).Add(agent->source).Add(agent->source_path);
    tx_.Exec(kUpdateFields, update);
    return Get(workspace_id, agent_id);
}

std::optional<AgentRecord> AgentRepo::SetStatus(
    const std::string& workspace_id, const std::string& agent_id, const std::string& status
) {
    if (tx_.Exec(kSetStatus, Params().Add(workspace_id).Add(agent_id).Add(status)).affected_rows() == 0) {
        return std::nullopt;
    }
    return Get(workspace_id, agent_id);
}

bool AgentRepo::Delete(const std::string& workspace_id, const std::string& agent_id) {
    return tx_.Exec(kDelete, Params().Add(workspace_id).Add(agent_id)).affected_rows() == 1;
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

AgentSpend AgentRepo::AddMonthlyCost(const std::string& agent_id, double cost_usd) {
    const auto r = tx_.Exec(kAddCost, Params().Add(agent_id).Add(cost_usd));
    if (r.empty()) {
        return {};
    }
    return AgentSpend{ReadString(r[0][0]), ReadOptDouble(r[0][1]), ReadDouble(r[0][2])};
}

AgentSpend AgentRepo::Spend(const std::string& agent_id) {
    const auto r = tx_.Exec(kSpend, Params().Add(agent_id));
    if (r.empty()) {
        return {};
    }
    return AgentSpend{ReadString(r[0][0]), ReadOptDouble(r[0][1]), ReadDouble(r[0][2])};
}

}  // namespace agentos::store
