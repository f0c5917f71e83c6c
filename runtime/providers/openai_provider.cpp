#include "runtime/providers/openai_provider.hpp"

#include <utility>

#include "runtime/net/http_client.hpp"
#include "runtime/net/sse_parser.hpp"
#include "runtime/providers/openai_stream.hpp"
#include "runtime/providers/retry.hpp"

namespace agentos::providers {
namespace {

using nlohmann::json;

/// A tool call's arguments as the JSON text the API wants; {"_raw": "…"} (what the model sent unparsable) goes
/// back as that text.
std::string ArgumentsText(const json& arguments) {
    if (arguments.is_object() && arguments.size() == 1 && arguments.contains("_raw") && arguments["_raw"].is_string()) {
        return arguments["_raw"].get<std::string>();
    }
    return DumpJson(arguments.is_null() ? json::object() : arguments);
}

}  // namespace

json ParseOpenAiArguments(const json& arguments) {
    if (arguments.is_object()) {
        return arguments;
    }
    if (!arguments.is_string()) {
        return arguments.is_null() ? json::object() : json{{"_raw", DumpJson(arguments)}};
    }
    const auto text = arguments.get<std::string>();
    if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
        return json::object();
    }
    auto parsed = json::parse(text, nullptr, false);
    if (!parsed.is_object()) {
        return json{{"_raw", text}};
    }
    return parsed;
}

namespace {

/// A message's text content: a string, or an array of parts whose "text" fields are joined.
std::string ContentText(const json& content) {
    if (content.is_string()) {
        return content.get<std::string>();
    }
    std::string text;
    if (content.is_array()) {
        for (const auto& part : content) {
            if (part.is_object() && part.contains("text") && part["text"].is_string()) {
                text += part["text"].get<std::string>();
            }
        }
    }
    return text;
}

}  // namespace

json OpenAiRequestBody(const spec::ModelSpec& model, const ChatRequest& request) {
    json messages = json::array();
    if (!request.system.empty()) {
        messages.push_back({{"role", "system"}, {"content", request.system}});
    }
    for (const auto& m : request.messages) {
        switch (m.role) {
            case Role::kUser:
                messages.push_back({{"role", "user"}, {"content", m.content}});
                break;
            case Role::kAssistant: {
                json message = {{"role", "assistant"}};
                if (m.tool_calls.empty()) {
                    message["content"] = m.content;
                } else {
                    message["content"] = m.content.empty() ? json(nullptr) : json(m.content);
                    json calls = json::array();
                    for (const auto& call : m.tool_calls) {
                        calls.push_back(
                            {{"id", call.id},
                             {"type", "function"},
                             {"function", {{"name", call.name}, {"arguments", ArgumentsText(call.arguments)}}}}
                        );
                    }
                    message["tool_calls"] = std::move(calls);
                }
                messages.push_back(std::move(message));
                break;
            }
            case Role::kTool:
                messages.push_back({{"role", "tool"}, {"tool_call_id", m.tool_call_id}, {"content", m.content}});
                break;
        }
    }
    json body = {{"model", model.name}, {"messages", std::move(messages)}};
    if (!request.tools.empty()) {
        json tools = json::array();
        for (const auto& tool : request.tools) {
            json parameters = tool.parameters.is_object() ? tool.parameters : json{{"type", "object"}};
            tools.push_back(
                {{"type", "function"},
                 {"function",
                  {{"name", tool.name}, {"description", tool.description}, {"parameters", std::move(parameters)}}}}
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
    if (model.max_tokens) {
        body["max_tokens"] = *model.max_tokens;
    }
    if (!model.stop.empty()) {
        body["stop"] = model.stop;
    }
    if (request.json_output) {
        body["response_format"] = {{"type", "json_object"}};
    }
    return body;
}

ChatResult ParseOpenAiResponse(const json& body, const std::string& fallback_model, const std::string& provider) {
    const auto choices = body.find("choices");
    if (choices == body.end() || !choices->is_array() || choices->empty() || !(*choices)[0].is_object() ||
        !(*choices)[0].contains("message") || !(*choices)[0]["message"].is_object()) {
        throw ProviderError(provider + ": response has no choices[0].message");
    }
    const json& message = (*choices)[0]["message"];
    ChatResult result;
    if (const auto content = message.find("content"); content != message.end()) {
        result.text = ContentText(*content);
    }
    if (const auto calls = message.find("tool_calls"); calls != message.end() && calls->is_array()) {
        for (const auto& call : *calls) {
            if (!call.is_object()) {
                continue;
            }
            ToolCall tool_call;
            if (const auto id = call.find("id"); id != call.end() && id->is_string()) {
                tool_call.id = id->get<std::string>();
            }
            if (const auto function = call.find("function"); function != call.end() && function->is_object()) {
                if (const auto name = function->find("name"); name != function->end() && name->is_string()) {
                    tool_call.name = name->get<std::string>();
                }
                const auto arguments = function->find("arguments");
                tool_call.arguments = arguments != function->end() ? ParseOpenAiArguments(*arguments) : json::object();
            }
            result.tool_calls.push_back(std::move(tool_call));
        }
    }
    const json usage = body.contains("usage") ? body["usage"] : json();
    result.prompt_tokens = TokenCount(usage, "prompt_tokens");
    result.completion_tokens = TokenCount(usage, "completion_tokens");
    const auto model = body.find("model");
    result.model = model != body.end() && model->is_string() && !model->get<std::string>().empty()
                       ? model->get<std::string>()
                       : fallback_model;
    return result;
}

OpenAiProvider::OpenAiProvider(
    spec::ModelSpec model, std::string api_key, outbound::HttpClient* http, const PriceTable* prices, RetryPolicy retry
)
    : model_(std::move(model)),
      api_key_(std::move(api_key)),
      http_(http),
      prices_(prices),
      retry_(retry),
      provider_(spec::ToString(model_.provider)) {}

net::awaitable<ChatResult> OpenAiProvider::Chat(ChatRequest request, TokenSink on_token) {
    const bool streaming = static_cast<bool>(on_token);
    json body = OpenAiRequestBody(model_, request);
    if (streaming) {
        body["stream"] = true;
        body["stream_options"] = {{"include_usage", true}};  // else a stream carries no token counts
    }
    outbound::HttpRequest http_request;
    http_request.method = "POST";
    http_request.url = JoinUrl(model_.base_url, kOpenAiBaseUrl, "/chat/completions");
    http_request.headers = {
        {"content-type", "application/json"}, {"accept", streaming ? "text/event-stream" : "application/json"}};
    if (!api_key_.empty()) {
        http_request.headers.emplace_back("authorization", "Bearer " + api_key_);
    }
    http_request.body = DumpJson(body);
    http_request.timeout = RequestTimeout(model_);
    RetryCall call{provider_, api_key_, retry_};
    ChatResult result;
    if (streaming) {
        OpenAiStream stream(provider_, model_.name, std::move(on_token));  // in this frame, which outlives the send
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
        result = ParseOpenAiResponse(ParseResponseBody(provider_, response.body), model_.name, provider_);
    }
    result.cost_usd = prices_->Cost(result.model, result.prompt_tokens, result.completion_tokens);
    co_return result;
}

}  // namespace agentos::providers
