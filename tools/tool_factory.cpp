// MakeTool (the tool for one definition of an agent), the call_agent built-in, and Preview.

#include <algorithm>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "runtime/core/error.hpp"
#include "tools/builtin/calculator_tool.hpp"
#include "tools/builtin/current_time_tool.hpp"
#include "tools/builtin/http_fetch_tool.hpp"
#include "tools/http_tool.hpp"
#include "tools/tool.hpp"
#include "tools/webhook_tool.hpp"

namespace agentos::tools {
namespace {

/// Longest preview, in characters (code points), the ellipsis included.
constexpr std::size_t kPreviewChars = 500;

/// The `call_agent` built-in: a child run of one of the agents the spec lists, through the ChildRunLauncher.
class CallAgentTool final : public Tool {
public:
    CallAgentTool(spec::ToolSpec tool_spec, ChildRunLauncher* children)
        : spec_(std::move(tool_spec)), children_(children) {
        if (spec_.description.empty()) {
            spec_.description =
                "Starts a run of another agent with the given input and waits for its output. Agents: " + AgentList() +
                ".";
        }
        spec_.parameters = {
            {"type", "object"},
            {"properties",
             {
                 {"agent",
                  {{"type", "string"}, {"enum", spec_.agents}, {"description", "The slug of the agent to run"}}},
                 {"input", {{"type", "object"}, {"description", "The input of the agent's run"}}},
             }},
            {"required", nlohmann::json::array({"agent", "input"})},
        };
    }

    const spec::ToolSpec& spec() const override { return spec_; }

    net::awaitable<ToolOutcome> Call(nlohmann::json args, ToolCallContext context) override {
        if (children_ == nullptr) {
            co_return ToolOutcome::Error("call_agent is not available here");
        }
        if (!args.is_object() || !args.contains("agent") || !args["agent"].is_string()) {
            co_return ToolOutcome::Error("agent: required, one of " + AgentList());
        }
        const std::string agent = args["agent"].get<std::string>();
        if (std::find(spec_.agents.begin(), spec_.agents.end(), agent) == spec_.agents.end()) {
            co_return ToolOutcome::Error(
                "agent: '" + detail::Utf8Prefix(agent, 100) + "' is not one of the agents this tool may call (" +
                AgentList() + ")"
            );
        }
        nlohmann::json input = nlohmann::json::object();
        if (args.contains("input") && !args["input"].is_null()) {
            input = args["input"];
        }
        if (!input.is_object()) {
            co_return ToolOutcome::Error("input: must be an object");
        }
        // Assigned inside the try and returned after it: see detail::SendForTool about g++ 12.
        nlohmann::json output;
        std::optional<std::string> failure;
        try {
            output = co_await children_->RunChild(agent, std::move(input), std::move(context));
        } catch (const core::Error& e) {
            failure = e.what();
        }
        if (failure) {
            co_return ToolOutcome::Error(*failure);
        }
        co_return ToolOutcome{nlohmann::json{{"output", std::move(output)}}, false};
    }

private:
    std::string AgentList() const {
        std::string out;
        for (const auto& agent : spec_.agents) {
            out += (out.empty() ? "" : ", ") + agent;
        }
        return out;
    }

    spec::ToolSpec spec_;
    ChildRunLauncher* children_;
};

}  // namespace

std::unique_ptr<Tool> MakeTool(const spec::ToolSpec& spec, const ToolEnvironment& environment) {
    switch (spec.kind) {
        case spec::ToolKind::kHttp:
            return std::make_unique<HttpTool>(spec, environment.http);
        case spec::ToolKind::kWebhook:
            return std::make_unique<WebhookTool>(spec, environment.http);
        case spec::ToolKind::kBuiltin:
            break;
    }
    if (spec.builtin == "current_time") {
        return std::make_unique<CurrentTimeTool>(spec, environment.clock);
    }
    if (spec.builtin == "calculator") {
        return std::make_unique<CalculatorTool>(spec);
    }
    if (spec.builtin == "http_fetch") {
        return std::make_unique<HttpFetchTool>(spec, environment.http, environment.http_fetch_policy);
    }
    if (spec.builtin == "call_agent") {
        return std::make_unique<CallAgentTool>(spec, environment.children);
    }
    if (spec.builtin == "ask_human") {
        return nullptr;  // not a tool: the runtime pauses the run for a person's answer
    }
    throw core::Error::Validation("use", "unknown built-in tool '" + spec.builtin + "'");
}

std::string Preview(const nlohmann::json& value) {
    // At most 4 bytes per character: cut long text before counting, so a 5 MiB output is not scanned whole.
    constexpr std::size_t kMaxBytes = 4 * kPreviewChars + 4;
    const std::string text =
        value.is_string()
            ? detail::Utf8Prefix(value.get_ref<const std::string&>(), kMaxBytes)
            : detail::Utf8Prefix(value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), kMaxBytes);
    // Count characters, not bytes: a UTF-8 continuation byte is 10xxxxxx.
    std::size_t chars = 0;
    std::size_t cut = std::string::npos;  // where character kPreviewChars - 1 (0-based) starts
    for (std::size_t i = 0; i < text.size(); ++i) {
        if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
            if (chars == kPreviewChars - 1) {
                cut = i;
            }
            ++chars;
        }
    }
    if (chars <= kPreviewChars) {
        return text;
    }
    return text.substr(0, cut) + "…";
}

}  // namespace agentos::tools
