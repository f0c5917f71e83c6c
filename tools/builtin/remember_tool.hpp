#pragma once
/// The `remember` built-in of an agent with memory.user_memories, in a run whose session has an end user: the model
/// stores a memory about that user ({memory, topics?}); later runs for the same user get it in their system prompt.

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "tools/tool.hpp"

namespace agentos::store {
class PgPool;
}  // namespace agentos::store

namespace agentos::tools {

class RememberTool final : public Tool {
public:
    RememberTool(store::PgPool& pool, std::string external_user_id, std::string agent_id);

    const spec::ToolSpec& spec() const override { return spec_; }

    /// {"memory": "Prefers metric units", "topics"?: ["preferences"]} → {"stored": true, "memory_id": "..."}.
    net::awaitable<ToolOutcome> Call(nlohmann::json args, ToolCallContext context) override;

private:
    spec::ToolSpec spec_;
    store::PgPool* pool_;
    std::string external_user_id_;
    std::string agent_id_;
};

}  // namespace agentos::tools
