#include "runtime/store/workspace_repo.hpp"

#include "runtime/core/ids.hpp"
#include "runtime/store/pg.hpp"

namespace agentos::store {
namespace {

constexpr Query kInsert{"workspace_insert", R"sql(
INSERT INTO workspaces (id, name) VALUES ($1::uuid, $2) ON CONFLICT (name) DO NOTHING)sql"};

constexpr Query kFindByName{"workspace_find_by_name", R"sql(
SELECT id, name, (extract(epoch FROM created_at) * 1000000)::bigint FROM workspaces WHERE name = $1)sql"};

}  // namespace

WorkspaceRecord WorkspaceRepo::Ensure(const std::string& name) {
    tx_.Exec(kInsert, Params().Add(core::NewUuidV7()).Add(name));
    return *FindByName(name);
}

std::optional<WorkspaceRecord> WorkspaceRepo::FindByName(const std::string& name) {
    const auto r = tx_.Exec(kFindByName, Params().Add(name));
    if (r.empty()) {
        return std::nullopt;
    }
    return WorkspaceRecord{ReadString(r[0][0]), ReadString(r[0][1]), ReadTime(r[0][2])};
}

}  // namespace agentos::store
