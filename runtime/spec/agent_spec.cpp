#include "runtime/spec/agent_spec.hpp"

namespace agentos::spec {

std::string_view ToString(Provider provider) {
    switch (provider) {
        case Provider::kOpenAi:
            return "openai";
        case Provider::kAnthropic:
            return "anthropic";
        case Provider::kOpenAiCompatible:
            return "openai_compatible";
        case Provider::kMock:
            return "mock";
    }
    return "mock";
}

std::string_view ToString(NodeType type) {
    switch (type) {
        case NodeType::kLlm:
            return "llm";
        case NodeType::kTool:
            return "tool";
        case NodeType::kApproval:
            return "approval";
        case NodeType::kInput:
            return "input";
        case NodeType::kAgent:
            return "agent";
        case NodeType::kRouter:
            return "router";
    }
    return "llm";
}

const NodeSpec* GraphSpec::Find(const std::string& node_name) const {
    for (const auto& n : nodes) {
        if (n.name == node_name) {
            return &n;
        }
    }
    return nullptr;
}

const ToolSpec* AgentSpec::FindTool(const std::string& tool_name) const {
    for (const auto& t : tools) {
        if (t.name == tool_name) {
            return &t;
        }
    }
    return nullptr;
}

}  // namespace agentos::spec
