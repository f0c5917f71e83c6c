#pragma once
/// Workspaces: the tenants. Every other table is scoped by workspace_id.

#include <optional>
#include <string>

#include "runtime/core/time.hpp"

namespace agentos::store {

class Tx;

struct WorkspaceRecord {
    std::string id;
    std::string name;
    core::TimePoint created_at;
};

class WorkspaceRepo {
public:
    explicit WorkspaceRepo(Tx& tx) : tx_(tx) {}

    /// The workspace named `name`, created when missing (safe against concurrent creators).
    WorkspaceRecord Ensure(const std::string& name);

    std::optional<WorkspaceRecord> FindByName(const std::string& name);

private:
    Tx& tx_;
};

}  // namespace agentos::store
