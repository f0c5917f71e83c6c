#include "runtime/providers/mock_provider.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>
#include <utility>

namespace agentos::providers {
namespace {

bool IsSpace(char c) {
    return std::isspace(static_cast<unsigned char>(c)) != 0;
}

std::string FirstType(const nlohmann::json& schema) {
    const auto it = schema.find("type");
    if (it == schema.end()) {
        return schema.contains("properties") ? "object" : "string";
    }
    if (it->is_array()) {
        for (const auto& t : *it) {
            if (t.is_string() && t != "null") {
                return t.get<std::string>();
            }
        }
        return "null";
    }
    return it->is_string() ? it->get<std::string>() : "string";
}

}  // namespace

nlohmann::json SchemaPlaceholder(const nlohmann::json& schema, int depth) {
    using Json = nlohmann::json;
    if (!schema.is_object() || depth > 16) {
        return nullptr;
    }
    if (const auto c = schema.find("const"); c != schema.end()) {
        return *c;
    }
    if (const auto e = schema.find("enum"); e != schema.end() && e->is_array() && !e->empty()) {
        return e->front();
    }
    const std::string type = FirstType(schema);
    if (type == "object") {
        Json out = Json::object();
        const auto props = schema.value("properties", Json::object());
        const auto required = schema.value("required", Json::array());
        if (required.is_array() && !required.empty()) {
            for (const auto& name : required) {
                if (name.is_string()) {
                    out[name.get<std::string>()] =
                        SchemaPlaceholder(props.value(name.get<std::string>(), Json::object()), depth + 1);
                }
            }
        } else if (props.is_object()) {
            for (const auto& [name, sub] : props.items()) {
                out[name] = SchemaPlaceholder(sub, depth + 1);
            }
        }
        return out;
    }
    if (type == "array") {
        Json out = Json::array();
        const auto count = schema.value("minItems", 0);
        for (int i = 0; i < count && i < 16; ++i) {
            out.push_back(SchemaPlaceholder(schema.value("items", Json::object()), depth + 1));
        }
        return out;
    }
    if (type == "integer" || type == "number") {
        const auto minimum = schema.find("minimum");
        if (minimum != schema.end() && minimum->is_number()) {
            return type == "integer" ? Json(static_cast<std::int64_t>(std::ceil(minimum->get<double>())))
                                     : Json(minimum->get<double>());
        }
        return 0;
    }
    if (type == "boolean") {
        return false;
    }
    if (type == "null") {
        return nullptr;
    }
    const auto min_length = schema.value("minLength", 0);
    std::string text = "mock";
    if (min_length > 4) {
        text.append(static_cast<std::size_t>(std::min(min_length, 4096)) - 4, 'x');
    }
    return text;
}

std::int64_t CountWords(std::string_view text) {
    std::int64_t words = 0;
    bool in_word = false;
    for (const char c : text) {
        if (IsSpace(c)) {
            in_word = false;
        } else if (!in_word) {
            in_word = true;
            ++words;
        }
    }
    return words;
}

MockProvider::MockProvider(std::vector<spec::MockStep> script) : script_(std::move(script)) {}

ChatResult MockProvider::Reply(const ChatRequest& request) const {
    ChatResult result;
    result.model = "mock";
    if (script_.empty()) {
        const auto last_user =
            std::find_if(request.messages.rbegin(), request.messages.rend(), [](const ChatMessage& m) {
                return m.role == Role::kUser;
            });
        if (request.json_output && request.output_schema.is_object()) {
            result.text = SchemaPlaceholder(request.output_schema).dump();
        } else if (last_user != request.messages.rend()) {
            result.text = last_user->content;
        }
    } else {
        const auto last = static_cast<std::int64_t>(script_.size()) - 1;
        const auto& step = script_[static_cast<std::size_t>(std::clamp(request.call_index, std::int64_t{0}, last))];
        result.text = step.text.value_or("");
        if (step.tool_name) {
            ToolCall call;
            call.id = "call_" + std::to_string(request.call_index);
            call.name = *step.tool_name;
            call.arguments = step.tool_args.is_object() ? step.tool_args : nlohmann::json::object();
            result.tool_calls.push_back(std::move(call));
        }
    }
    for (const auto& m : request.messages) {
        result.prompt_tokens += CountWords(m.content);
    }
    result.completion_tokens = CountWords(result.text);
    return result;
}

net::awaitable<ChatResult> MockProvider::Chat(ChatRequest request, TokenSink on_token) {
    ChatResult result = Reply(request);
    if (on_token) {
        // Each word with the whitespace after it, so the deltas join back to the text.
        const std::string& text = result.text;
        std::size_t at = 0;
        while (at < text.size()) {
            std::size_t end = at;
            while (end < text.size() && IsSpace(text[end])) {
                ++end;  // leading whitespace goes with the first word
            }
            while (end < text.size() && !IsSpace(text[end])) {
                ++end;
            }
            while (end < text.size() && IsSpace(text[end])) {
                ++end;
            }
            on_token(std::string_view(text).substr(at, end - at));
            at = end;
        }
    }
    co_return result;
}

}  // namespace agentos::providers
