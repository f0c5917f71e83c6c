#include "runtime/providers/openai_stream.hpp"

#include <utility>

#include <nlohmann/json.hpp>

#include "runtime/providers/openai_provider.hpp"
#include "runtime/providers/retry.hpp"

namespace agentos::providers {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxChunkInMessage = 300;

const json* Member(const json& object, const char* name) {
    if (!object.is_object()) {
        return nullptr;
    }
    const auto it = object.find(name);
    return it == object.end() ? nullptr : &*it;
}

const std::string* StringMember(const json& object, const char* name) {
    const json* value = Member(object, name);
    return value != nullptr && value->is_string() ? value->get_ptr<const std::string*>() : nullptr;
}

}  // namespace

OpenAiStream::OpenAiStream(std::string provider, std::string fallback_model, TokenSink on_token)
    : provider_(std::move(provider)), on_token_(std::move(on_token)) {
    result_.model = std::move(fallback_model);
}

void OpenAiStream::OnEvent(const outbound::SseEvent& event) {
    if (done_) {
        return;
    }
    if (event.data == "[DONE]") {
        done_ = true;
        return;
    }
    const json chunk = json::parse(event.data, nullptr, false);
    if (!chunk.is_object()) {
        const std::string start = event.data.substr(0, kMaxChunkInMessage);
        throw ProviderError(provider_ + ": stream chunk is not a JSON object: " + start);
    }
    if (const json* error = Member(chunk, "error"); error != nullptr && !error->is_null()) {
        throw ProviderError(provider_ + ": error in the stream: " + ErrorMessageFromBody(event.data));
    }
    if (const std::string* model = StringMember(chunk, "model"); model != nullptr && !model->empty()) {
        result_.model = *model;
    }
    if (const json* usage = Member(chunk, "usage"); usage != nullptr && usage->is_object()) {
        result_.prompt_tokens = TokenCount(*usage, "prompt_tokens");
        result_.completion_tokens = TokenCount(*usage, "completion_tokens");
    }
    const json* choices = Member(chunk, "choices");
    if (choices == nullptr || !choices->is_array() || choices->empty()) {
        return;  // the usage chunk has no choices
    }
    const json* delta = Member((*choices)[0], "delta");
    if (delta == nullptr) {
        return;
    }
    if (const std::string* content = StringMember(*delta, "content"); content != nullptr && !content->empty()) {
        result_.text += *content;
        on_token_(*content);
    }
    const json* calls = Member(*delta, "tool_calls");
    if (calls == nullptr || !calls->is_array()) {
        return;
    }
    for (std::size_t position = 0; position < calls->size(); ++position) {
        const json& call = (*calls)[position];
        const json* index = Member(call, "index");
        PartialCall& partial =
            calls_[index != nullptr && index->is_number_unsigned() ? index->get<std::size_t>() : position];
        // The id comes once (some servers repeat it): keep it rather than join its copies.
        if (const std::string* id = StringMember(call, "id"); id != nullptr && !id->empty()) {
            partial.id = *id;
        }
        const json* function = Member(call, "function");
        if (function == nullptr) {
            continue;
        }
        if (const std::string* name = StringMember(*function, "name")) {
            partial.name += *name;
        }
        if (const std::string* arguments = StringMember(*function, "arguments")) {
            partial.arguments += *arguments;
        }
    }
}

ChatResult OpenAiStream::Finish() {
    if (!done_) {
        throw ProviderError(provider_ + ": the stream ended before [DONE]");
    }
    for (auto& [index, partial] : calls_) {
        ToolCall call;
        call.id = std::move(partial.id);
        call.name = std::move(partial.name);
        call.arguments = ParseOpenAiArguments(json(std::move(partial.arguments)));
        result_.tool_calls.push_back(std::move(call));
    }
    calls_.clear();
    return std::move(result_);
}

}  // namespace agentos::providers
