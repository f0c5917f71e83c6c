#pragma once
/// AgentSpec: an agent definition (AGENTS_YAML.md) as typed values, produced by the loader and already checked.
/// Immutable once loaded; shared between runs of one agent version.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace agentos::spec {

/// Where something was written: 1-based line and column in the source text (0 when unknown).
struct SourcePos {
    int line = 0;
    int column = 0;
};

enum class Provider { kOpenAi, kAnthropic, kOpenAiCompatible, kMock };

std::string_view ToString(Provider provider);

struct MockStep {
    std::optional<std::string> text;
    std::optional<std::string> tool_name;  ///< a scripted tool call
    nlohmann::json tool_args = nlohmann::json::object();
};

struct ModelSpec {
    Provider provider = Provider::kMock;
    std::string name;
    std::optional<std::string> base_url;
    std::optional<std::string> api_key_env;
    std::optional<double> temperature;
    std::optional<double> top_p;
    std::optional<std::int64_t> max_tokens;
    std::vector<std::string> stop;
    double timeout_s = 60;
    std::vector<MockStep> script;  ///< mock only; empty = echo
};

struct VariableSpec {
    bool required = false;
    std::optional<std::string> default_value;
    std::string description;
};

struct HttpCallSpec {
    std::string method = "GET";
    std::string url;                             ///< template; values are percent-encoded
    std::map<std::string, std::string> headers;  ///< templates
    nlohmann::json body;                         ///< JSON template; null = none
    double timeout_s = 10;
};

enum class ToolKind { kHttp, kWebhook, kBuiltin };

struct ToolSpec {
    std::string name;
    std::string description;
    nlohmann::json parameters;  ///< JSON Schema of the arguments
    ToolKind kind = ToolKind::kBuiltin;
    HttpCallSpec http;                ///< kHttp and kWebhook (a webhook is a POST of {run_id, tool_call_id, args})
    std::string builtin;              ///< kBuiltin: current_time | calculator | http_fetch | ask_human | call_agent
    std::vector<std::string> agents;  ///< call_agent: the agents it may start
    bool requires_approval = false;
    std::optional<double> approval_timeout_s;
    std::string approval_on_timeout = "reject";
    SourcePos pos;
};

struct MemorySpec {
    std::int64_t history_messages = 20;
    /// The session user's newest memories go into the system prompt, and the agent gets the `remember` tool.
    bool user_memories = false;
};

struct BudgetSpec {
    std::optional<std::int64_t> max_steps;
    std::optional<double> max_cost_usd;
    std::optional<double> monthly_cost_usd;
};

struct ScheduleSpec {
    std::string cron;
    std::string timezone = "UTC";
    nlohmann::json input = nlohmann::json::object();
    std::map<std::string, std::string> prompt_variables;
    bool enabled = true;
    std::int64_t catch_up_s = 300;
    std::string overlap = "skip";  ///< skip | allow
    SourcePos pos;
};

enum class NodeType { kLlm, kTool, kApproval, kInput, kAgent, kRouter };

std::string_view ToString(NodeType type);

struct RouteSpec {
    std::optional<std::string> when;  ///< none: the default route
    std::string to;
    SourcePos pos;
};

struct NodeSpec {
    std::string name;
    NodeType type = NodeType::kLlm;
    std::optional<std::string> output;  ///< state key the node's result goes to
    // llm
    std::string prompt;
    std::vector<std::string> tools;
    // tool
    std::string tool;
    nlohmann::json args = nlohmann::json::object();
    // approval
    std::string message;
    std::optional<std::string> on_reject;
    // input
    std::string question;
    std::vector<std::string> options;
    std::optional<std::string> default_answer;
    // approval and input
    std::optional<double> timeout_s;
    std::string on_timeout = "reject";
    // router
    std::vector<RouteSpec> routes;
    // agent
    std::string agent;
    nlohmann::json input = nlohmann::json::object();
    SourcePos pos;
};

struct GraphSpec {
    std::string start;
    std::vector<NodeSpec> nodes;  ///< in the order written
    std::vector<std::pair<std::string, std::string>> edges;
    std::vector<SourcePos> edge_pos;  ///< where each edge was written
    nlohmann::json output;            ///< JSON template; null = the last node's output
    SourcePos pos;

    const NodeSpec* Find(const std::string& name) const;
};

struct AgentSpec {
    std::string slug;
    std::string name;
    std::string description;
    bool hosted = true;  ///< runtime: hosted | external
    ModelSpec model;
    std::string instructions;
    std::map<std::string, VariableSpec> variables;
    std::vector<ToolSpec> tools;
    MemorySpec memory;
    nlohmann::json output_schema;  ///< null = free text output
    BudgetSpec budget;
    std::vector<ScheduleSpec> schedules;
    std::optional<GraphSpec> graph;
    SourcePos instructions_pos;
    SourcePos output_schema_pos;

    const ToolSpec* FindTool(const std::string& name) const;
};

}  // namespace agentos::spec
