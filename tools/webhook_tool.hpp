#pragma once
/// WebhookTool: a tool defined in YAML with `webhook:` — every call POSTs {"run_id", "tool_call_id", "args"} as JSON
/// to the (templated) URL with `Idempotency-Key: <run_id>:<tool_call_id>`, so a receiver can drop a repeated
/// delivery. Results follow the http tool's rules. Immutable after construction; concurrent calls are fine.

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/net/http_client.hpp"
#include "runtime/template/template.hpp"
#include "tools/tool.hpp"

namespace agentos::tools {

class WebhookTool final : public Tool {
public:
    /// tool_spec.kind must be kWebhook. Throws core::Error (kValidation) for a malformed template.
    WebhookTool(spec::ToolSpec tool_spec, outbound::HttpClient& http);

    const spec::ToolSpec& spec() const override { return spec_; }

    net::awaitable<ToolOutcome> Call(nlohmann::json args, ToolCallContext context) override;

private:
    spec::ToolSpec spec_;
    outbound::HttpClient* http_;
    templating::Template url_;
    std::vector<std::pair<std::string, templating::Template>> headers_;
};

}  // namespace agentos::tools
