#pragma once
/// OpenAiProvider: the OpenAI Chat Completions API (POST {base_url}/chat/completions), for provider `openai` and
/// for `openai_compatible` servers (same wire, any base_url, the key optional). With a token sink the answer is
/// streamed ("stream": true, SSE; see OpenAiStream) and each text delta reaches the sink as it arrives; without one
/// it arrives whole as JSON.

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "runtime/providers/llm_provider.hpp"

namespace agentos::providers {

constexpr std::string_view kOpenAiBaseUrl = "https://api.openai.com/v1";

/// The Chat Completions request body for one turn: model, messages (system first; assistant tool_calls with
/// arguments as JSON text; tool results as role "tool"), tools, sampling settings, response_format.
nlohmann::json OpenAiRequestBody(const spec::ModelSpec& model, const ChatRequest& request);

/// The turn's result from a Chat Completions response body: choices[0].message content and tool_calls (unparsable
/// arguments → {"_raw": "…"}), usage, model (`fallback_model` when absent). cost_usd is left 0. Throws
/// ProviderError ("<provider>: …") when the body has no choices[0].message.
ChatResult ParseOpenAiResponse(
    const nlohmann::json& body, const std::string& fallback_model, const std::string& provider
);

/// A tool call's arguments as a model sent them: JSON text (usually; blank → {}) or an object (some compatible
/// servers). What does not parse to an object is kept as {"_raw": "<text>"}.
nlohmann::json ParseOpenAiArguments(const nlohmann::json& arguments);

class OpenAiProvider : public LlmProvider {
public:
    /// `api_key` empty: no Authorization header (openai_compatible). `http` and `prices` must outlive this.
    OpenAiProvider(
        spec::ModelSpec model,
        std::string api_key,
        outbound::HttpClient* http,
        const PriceTable* prices,
        RetryPolicy retry
    );

    net::awaitable<ChatResult> Chat(ChatRequest request, TokenSink on_token) override;

private:
    spec::ModelSpec model_;
    std::string api_key_;
    outbound::HttpClient* http_;
    const PriceTable* prices_;
    RetryPolicy retry_;
    std::string provider_;  ///< "openai" or "openai_compatible", for messages
};

}  // namespace agentos::providers
