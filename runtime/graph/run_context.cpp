#include "runtime/graph/run_context.hpp"

namespace agentos::graph {
namespace {

std::string_view RoleName(providers::Role role) {
    switch (role) {
        case providers::Role::kUser:
            return "user";
        case providers::Role::kAssistant:
            return "assistant";
        case providers::Role::kTool:
            return "tool";
    }
    return "user";
}

}  // namespace

nlohmann::json MessageToJson(const providers::ChatMessage& m) {
    nlohmann::json j = {{"role", RoleName(m.role)}, {"content", m.content}};
    if (!m.tool_calls.empty()) {
        auto calls = nlohmann::json::array();
        for (const auto& c : m.tool_calls) {
            calls.push_back({{"id", c.id}, {"name", c.name}, {"arguments", c.arguments}});
        }
        j["tool_calls"] = std::move(calls);
    }
    if (m.role == providers::Role::kTool) {
        j["tool_call_id"] = m.tool_call_id;
        j["tool_name"] = m.tool_name;
    }
    return j;
}

providers::ChatMessage MessageFromJson(const nlohmann::json& j) {
    providers::ChatMessage m;
    const std::string role = j.value("role", "user");
    m.role = role == "assistant" ? providers::Role::kAssistant
             : role == "tool"    ? providers::Role::kTool
                                 : providers::Role::kUser;
    m.content = j.value("content", "");
    if (const auto it = j.find("tool_calls"); it != j.end() && it->is_array()) {
        for (const auto& c : *it) {
            m.tool_calls.push_back(
                {c.value("id", ""), c.value("name", ""), c.value("arguments", nlohmann::json::object())}
            );
        }
    }
    m.tool_call_id = j.value("tool_call_id", "");
    m.tool_name = j.value("tool_name", "");
    return m;
}

nlohmann::json Progress::ToJson() const {
    auto messages_json = nlohmann::json::array();
    for (const auto& m : messages) {
        messages_json.push_back(MessageToJson(m));
    }
    auto history_json = nlohmann::json::array();
    for (const auto& m : history) {
        history_json.push_back(MessageToJson(m));
    }
    return {
        {"history", std::move(history_json)},
        {"node", node ? nlohmann::json(*node) : nlohmann::json(nullptr)},
        {"state", state},
        {"llm_node", llm_node ? nlohmann::json(*llm_node) : nlohmann::json(nullptr)},
        {"messages", std::move(messages_json)},
        {"model_calls", model_calls},
        {"steps", steps},
        {"reasked", reasked},
        {"last_output", last_output},
        {"session_loaded", session_loaded},
        {"user_memories", user_memories},
        {"memory_user", memory_user},
    };
}

Progress Progress::FromJson(const nlohmann::json& c) {
    Progress p;
    if (!c.is_object()) {
        return p;
    }
    if (const auto it = c.find("node"); it != c.end() && it->is_string()) {
        p.node = it->get<std::string>();
    }
    p.state = c.value("state", nlohmann::json::object());
    if (const auto it = c.find("llm_node"); it != c.end() && it->is_string()) {
        p.llm_node = it->get<std::string>();
    }
    if (const auto it = c.find("messages"); it != c.end() && it->is_array()) {
        for (const auto& m : *it) {
            p.messages.push_back(MessageFromJson(m));
        }
    }
    if (const auto it = c.find("history"); it != c.end() && it->is_array()) {
        for (const auto& m : *it) {
            p.history.push_back(MessageFromJson(m));
        }
    }
    p.model_calls = c.value("model_calls", std::int64_t{0});
    p.steps = c.value("steps", std::int64_t{0});
    p.reasked = c.value("reasked", false);
    p.last_output = c.value("last_output", nlohmann::json());
    p.session_loaded = c.value("session_loaded", false);
    p.user_memories = c.value("user_memories", std::string());
    p.memory_user = c.value("memory_user", std::string());
    return p;
}

}  // namespace agentos::graph
