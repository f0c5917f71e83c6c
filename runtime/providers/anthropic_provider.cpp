#include "runtime/providers/anthropic_provider.hpp"

#include <utility>

#include "runtime/net/http_client.hpp"
#include "runtime/net/sse_parser.hpp"
#include "runtime/providers/anthropic_stream.hpp"
#include "runtime/providers/retry.hpp"

namespace agentos::providers {
namespace {

using nlohmann::json;

constexpr const char* kProvider = "anthropic";

std::string StringField(const json& object, const char* field) {
    const auto it = object.find(field);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

json AnthropicRequestBody(const spec::ModelSpec& model, const ChatRequest& request) {
    json messages = json::array();
    for (const auto& m : request.messages) {
        switch (m.role) {
            case Role::kUser:
                messages.push_back(
                    {{"role", "user"}, {"content", json::array({{{"type", "text"}, {"text", m.content}}})}}
                );
                break;
            case Role::kAssistant: {
                json content = json::array();
                if (!m.content.empty() || m.tool_calls.empty()) {
                    content.push_back({{"type", "text"}, {"text", m.content}});
                }
                for (const auto& call : m.tool_calls) {
                    content.push_back(
                        {{"type", "tool_use"},
                         {"id", call.id},
                         {"name", call.name},
                         {"input", call.arguments.is_object() ? call.arguments : json::object()}}
                    );
                }
                messages.push_back({{"role", "assistant"}, {"content", std::move(content)}});
                break;
            }
            case Role::kTool: {
                json result = {{"type", "tool_result"}, {"tool_use_id", m.tool_call_id}, {"content", m.content}};
                // Consecutive tool results answer one assistant turn: they go in one user message.
                const bool merge = !messages.empty() && messages.back()["role"] == "user" &&
                                   !messages.back()["content"].empty() &&
                                   messages.back()["content"].back()["type"] == "tool_result";
                if (merge) {
                    messages.back()["content"].push_back(std::move(result));
                } else {
                    messages.push_back({{"role", "user"}, {"content", json::array({std::move(result)})}});
                }
                break;
            }
        }
    }
    json body = {
        {"model", model.name},
        {"max_tokens", model.max_tokens.value_or(kAnthropicDefaultMaxTokens)},
        {"messages", std::move(messages)}};
    if (!request.system.empty()) {
        body["system"] = request.system;
    }
    if (!request.tools.empty()) {
        json tools = json::array();
        for (const auto& tool : request.tools) {
            json schema = tool.parameters.is_object() ? tool.parameters : json{{"type", "object"}};
            tools.push_back(
                {{"name", tool.name}, {"description", tool.description}, {"input_schema", std::move(schema)}}
            );
        }
        body["tools"] = std::move(tools);
    }
    if (model.temperature) {
        body["temperature"] = *model.temperature;
    }
    if (model.top_p) {
        body["top_p"] = *model.top_p;
    }
    if (!model.stop.empty()) {
        body["stop_sequences"] = model.stop;
    }
    return body;
}

ChatResult ParseAnthropicResponse(const json& body, const std::string& fallback_model) {
    const auto content = body.find("content");
    if (content == body.end() || !content->is_array()) {
        throw ProviderError(std::string(kProvider) + ": response has no content");
    }
    ChatResult result;
    for (const auto& block : *content) {
        if (!block.is_object()) {
            continue;
        }
        const std::string type = StringField(block, "type");
        if (type == "text") {
            result.text += StringField(block, "text");
        } else if (type == "tool_use") {
            ToolCall call;
            call.id = StringField(block, "id");
            call.name = StringField(block, "name");
            const auto input = block.find("input");
            if (input == block.end() || input->is_null()) {
                call.arguments = json::object();
            } else if (input->is_object()) {
                call.arguments = *input;
            } else {
                call.arguments = {{"_raw", DumpJson(*input)}};
            }
            result.tool_calls.push_back(std::move(call));
        }
    }
    const json usage = body.contains("usage") ? body["usage"] : json();
    result.prompt_tokens = TokenCount(usage, "input_tokens");
    result.completion_tokens = TokenCount(usage, "output_tokens");
    const std::string model = StringField(body, "model");
    result.model = model.empty() ? fallback_model : model;
    return result;
}

AnthropicProvider::AnthropicProvider(
    spec::ModelSpec model, std::string api_key, outbound::HttpClient* http, const PriceTable* prices, RetryPolicy retry
)
    : model_(std::move(model)), api_key_(std::move(api_key)), http_(http), prices_(prices), retry_(retry) {}

net::awaitable<ChatResult> AnthropicProvider::Chat(ChatRequest request, TokenSink on_token) {
    const bool streaming = static_cast<bool>(on_token);
    json body = AnthropicRequestBody(model_, request);
    if (streaming) {
        body["stream"] = true;
    }
    outbound::HttpRequest http_request;
    http_request.method = "POST";
    http_request.url = JoinUrl(model_.base_url, kAnthropicBaseUrl, "/messages");
    http_request.headers = {
        {"content-type", "application/json"},
        {"accept", streaming ? "text/event-stream" : "application/json"},
        {"anthropic-version", std::string(kAnthropicVersion)}};
    if (!api_key_.empty()) {
        http_request.headers.emplace_back("x-api-key", api_key_);
    }
    http_request.body = DumpJson(body);
    http_request.timeout = RequestTimeout(model_);
    RetryCall call{kProvider, api_key_, retry_};
    ChatResult result;
    if (streaming) {
        AnthropicStream stream(model_.name, std::move(on_token));  // in this frame, which outlives the send
        auto send = SendSseWithRetry(
            http_,
            std::move(http_request),
            std::move(call),
            [&stream](const outbound::SseEvent& event) { stream.OnEvent(event); }
        );
        co_await std::move(send);
        result = stream.Finish();
    } else {
        auto send = SendWithRetry(http_, std::move(http_request), std::move(call));
        const outbound::HttpResponse response = co_await std::move(send);
        result = ParseAnthropicResponse(ParseResponseBody(kProvider, response.body), model_.name);
    }
    result.cost_usd = prices_->Cost(result.model, result.prompt_tokens, result.completion_tokens);
    co_return result;
}

}  // namespace agentos::providers
