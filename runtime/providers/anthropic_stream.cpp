#include "runtime/providers/anthropic_stream.hpp"

#include <utility>

#include "runtime/providers/retry.hpp"

namespace agentos::providers {
namespace {

using nlohmann::json;

constexpr const char* kProvider = "anthropic";
constexpr std::size_t kMaxEventInMessage = 300;

const json& Field(const json& object, const char* name) {
    static const json kNull;
    if (!object.is_object()) {
        return kNull;
    }
    const auto it = object.find(name);
    return it == object.end() ? kNull : *it;
}

std::string StringField(const json& object, const char* name) {
    const json& value = Field(object, name);
    return value.is_string() ? value.get<std::string>() : std::string();
}

/// The ToolCall arguments for a block's input, as ParseAnthropicResponse makes them: an object as is, nothing → {},
/// anything else → {"_raw": "<JSON text>"}.
json InputArguments(const json& input) {
    if (input.is_null()) {
        return json::object();
    }
    if (input.is_object()) {
        return input;
    }
    return json{{"_raw", DumpJson(input)}};
}

}  // namespace

AnthropicStream::AnthropicStream(std::string fallback_model, TokenSink on_token) : on_token_(std::move(on_token)) {
    result_.model = std::move(fallback_model);
}

void AnthropicStream::OnEvent(const outbound::SseEvent& event) {
    if (stopped_) {
        return;
    }
    const json data = json::parse(event.data, nullptr, false);
    if (!data.is_object()) {
        throw ProviderError(
            std::string(kProvider) + ": stream event is not a JSON object: " + event.data.substr(0, kMaxEventInMessage)
        );
    }
    // The data's own type is the authority; the SSE event name repeats it.
    std::string type = StringField(data, "type");
    if (type.empty()) {
        type = event.event;
    }
    if (type == "error") {
        throw ProviderError(std::string(kProvider) + ": error in the stream: " + ErrorMessageFromBody(event.data));
    }
    if (type == "message_start") {
        const json& message = Field(data, "message");
        if (const std::string model = StringField(message, "model"); !model.empty()) {
            result_.model = model;
        }
        const json& usage = Field(message, "usage");
        result_.prompt_tokens = TokenCount(usage, "input_tokens");
        result_.completion_tokens = TokenCount(usage, "output_tokens");
    } else if (type == "content_block_start") {
        const json& block = Field(data, "content_block");
        const std::string block_type = StringField(block, "type");
        if (block_type == "text") {
            // Normally empty; any text it does carry is part of the answer.
            if (const std::string text = StringField(block, "text"); !text.empty()) {
                result_.text += text;
                on_token_(text);
            }
        } else if (block_type == "tool_use") {
            const json& index = Field(data, "index");
            ToolBlock& tool = tool_blocks_[index.is_number_integer() ? index.get<std::int64_t>() : -1];
            tool.id = StringField(block, "id");
            tool.name = StringField(block, "name");
            tool.start_input = Field(block, "input");
        }
    } else if (type == "content_block_delta") {
        const json& delta = Field(data, "delta");
        const std::string delta_type = StringField(delta, "type");
        if (delta_type == "text_delta") {
            if (const std::string text = StringField(delta, "text"); !text.empty()) {
                result_.text += text;
                on_token_(text);
            }
        } else if (delta_type == "input_json_delta") {
            const json& index = Field(data, "index");
            const auto it = tool_blocks_.find(index.is_number_integer() ? index.get<std::int64_t>() : -1);
            if (it != tool_blocks_.end()) {
                it->second.partial_json += StringField(delta, "partial_json");
            }
        }
    } else if (type == "content_block_stop") {
        const json& index = Field(data, "index");
        const auto it = tool_blocks_.find(index.is_number_integer() ? index.get<std::int64_t>() : -1);
        if (it != tool_blocks_.end()) {
            StopBlock(it->second);
        }
    } else if (type == "message_delta") {
        const json& usage = Field(data, "usage");
        if (usage.is_object()) {
            if (usage.contains("output_tokens")) {
                result_.completion_tokens = TokenCount(usage, "output_tokens");
            }
            if (usage.contains("input_tokens")) {
                result_.prompt_tokens = TokenCount(usage, "input_tokens");
            }
        }
    } else if (type == "message_stop") {
        stopped_ = true;
    }
}

void AnthropicStream::StopBlock(ToolBlock& block) {
    if (block.stopped) {
        return;
    }
    block.stopped = true;
    block.call.id = block.id;
    block.call.name = block.name;
    if (block.partial_json.find_first_not_of(" \t\r\n") == std::string::npos) {
        block.call.arguments = InputArguments(block.start_input);
        return;
    }
    const json input = json::parse(block.partial_json, nullptr, false);
    block.call.arguments = input.is_discarded() ? json{{"_raw", block.partial_json}} : InputArguments(input);
}

ChatResult AnthropicStream::Finish() {
    if (!stopped_) {
        throw ProviderError(std::string(kProvider) + ": the stream ended before message_stop");
    }
    for (auto& [index, block] : tool_blocks_) {
        StopBlock(block);  // a block the stream never closed still counts, as the JSON answer would have it
        result_.tool_calls.push_back(std::move(block.call));
    }
    tool_blocks_.clear();
    return std::move(result_);
}

}  // namespace agentos::providers
