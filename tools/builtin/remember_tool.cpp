#include "tools/builtin/remember_tool.hpp"

#include <utility>

#include "runtime/core/json_body.hpp"
#include "runtime/store/memory_repo.hpp"
#include "runtime/store/pg_pool.hpp"

namespace agentos::tools {

RememberTool::RememberTool(store::PgPool& pool, std::string external_user_id, std::string agent_id)
    : pool_(&pool), external_user_id_(std::move(external_user_id)), agent_id_(std::move(agent_id)) {
    spec_.name = "remember";
    spec_.kind = spec::ToolKind::kBuiltin;
    spec_.builtin = "remember";
    spec_.description =
        "Store a short fact about the user you are talking with (a preference, a detail they shared) so that you "
        "know it in later conversations. One fact per call.";
    spec_.parameters = {
        {"type", "object"},
        {"properties",
         {{"memory", {{"type", "string"}, {"minLength", 1}, {"maxLength", 10000}, {"description", "The fact"}}},
          {"topics",
           {{"type", "array"},
            {"maxItems", 20},
            {"items", {{"type", "string"}, {"minLength", 1}, {"maxLength", 100}}},
            {"description", "A few words it is about, e.g. [\"preferences\"]"}}}}},
        {"required", {"memory"}},
    };
}

net::awaitable<ToolOutcome> RememberTool::Call(nlohmann::json args, ToolCallContext context) {
    store::NewMemory m;
    m.workspace_id = context.workspace_id;
    m.external_user_id = external_user_id_;
    m.memory = args["memory"].get<std::string>();
    if (core::TrimSpace(m.memory).empty()) {
        co_return ToolOutcome::Error("memory: must say something (it is only white space)");
    }
    if (const auto it = args.find("topics"); it != args.end()) {
        for (const auto& t : *it) {
            m.topics.push_back(t.get<std::string>());
        }
    }
    m.agent_id = agent_id_;
    m.run_id = context.run_id;
    std::string id;
    co_await pool_->Autocommit([&](store::Tx& tx) { id = store::MemoryRepo(tx).Create(m).id; });
    co_return ToolOutcome{{{"stored", true}, {"memory_id", id}}, false};
}

}  // namespace agentos::tools
