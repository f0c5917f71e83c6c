#pragma once
/// The `calculator` built-in: evaluates an arithmetic expression with Calculate (no eval, no state). Immutable after
/// construction; concurrent calls are fine.

#include <nlohmann/json.hpp>

#include "tools/tool.hpp"

namespace agentos::tools {

class CalculatorTool final : public Tool {
public:
    /// Fills in a default description (when empty) and the parameters {expression: string}.
    explicit CalculatorTool(spec::ToolSpec tool_spec);

    const spec::ToolSpec& spec() const override { return spec_; }

    /// {"expression": "2 * (3 + 4)"} → {"result": 14, "text": "14"}; a bad expression is a tool error naming where.
    net::awaitable<ToolOutcome> Call(nlohmann::json args, ToolCallContext context) override;

private:
    spec::ToolSpec spec_;
};

}  // namespace agentos::tools
