#pragma once
/// Tools are what a model (or a tool node) can call besides other models: http and webhook tools defined in YAML,
/// and the built-ins current_time, calculator, http_fetch, ask_human and call_agent. A failing tool is a result the
/// model sees ({"error": "..."}), never an exception across the run.

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/net/asio.hpp"
#include "runtime/spec/agent_spec.hpp"
#include "tools/net_guard.hpp"

namespace agentos::outbound {
class HttpClient;
}  // namespace agentos::outbound

namespace agentos::core {
class Clock;
}  // namespace agentos::core

namespace agentos::tools {

/// What a call knows about where it happens.
struct ToolCallContext {
    std::string run_id;
    std::string tool_call_id;
    std::string workspace_id;
    nlohmann::json input = nlohmann::json::object();  ///< the run's input (templates may read it)
    std::map<std::string, std::string> variables;     ///< the run's prompt variables
};

struct ToolOutcome {
    nlohmann::json output;  ///< what the model sees
    bool is_error = false;  ///< then output is {"error": "<what went wrong>"}

    static ToolOutcome Error(const std::string& message) { return {nlohmann::json{{"error", message}}, true}; }
};

class Tool {
public:
    virtual ~Tool() = default;

    virtual const spec::ToolSpec& spec() const = 0;

    /// The arguments were already validated against spec().parameters.
    virtual net::awaitable<ToolOutcome> Call(nlohmann::json args, ToolCallContext context) = 0;
};

/// Starts a child run of another agent and waits for its output (RunService implements it; App injects it).
class ChildRunLauncher {
public:
    virtual ~ChildRunLauncher() = default;

    /// The child's output, or throws core::Error with why it failed.
    virtual net::awaitable<nlohmann::json> RunChild(
        std::string agent_slug, nlohmann::json input, ToolCallContext context
    ) = 0;
};

struct ToolEnvironment {
    outbound::HttpClient& http;
    const core::Clock& clock;
    AddressPolicy http_fetch_policy;       ///< which hosts http_fetch may reach
    ChildRunLauncher* children = nullptr;  ///< call_agent; null: unavailable
};

/// The tool for one definition of an agent.
std::unique_ptr<Tool> MakeTool(const spec::ToolSpec& spec, const ToolEnvironment& environment);

/// "Paris weather" → at most 500 characters, for the tool_call event previews.
std::string Preview(const nlohmann::json& value);

}  // namespace agentos::tools
