#pragma once
/// The `current_time` built-in: the time now in UTC and, optionally, in an IANA time zone. Reads the injected Clock,
/// so tests control "now". Immutable after construction; concurrent calls are fine.

#include <nlohmann/json.hpp>

#include "tools/tool.hpp"

namespace agentos::tools {

class CurrentTimeTool final : public Tool {
public:
    /// Fills in a default description (when empty) and the parameters {timezone?: string}.
    CurrentTimeTool(spec::ToolSpec tool_spec, const core::Clock& clock);

    const spec::ToolSpec& spec() const override { return spec_; }

    /// {"timezone"?: "Europe/Zurich"} (default "UTC") → {"utc": "2026-05-11T20:00:00.000Z", "timezone":
    /// "Europe/Zurich", "local": "2026-05-11T22:00:00+02:00"}; an unknown zone is a tool error.
    net::awaitable<ToolOutcome> Call(nlohmann::json args, ToolCallContext context) override;

private:
    spec::ToolSpec spec_;
    const core::Clock* clock_;
};

}  // namespace agentos::tools
