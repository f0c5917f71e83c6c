#pragma once
/// AnthropicProvider: the Anthropic Messages API (POST {base_url}/messages, x-api-key, anthropic-version
/// 2023-06-01). With a token sink the answer is streamed ("stream": true, SSE; see AnthropicStream) and each text
/// delta reaches the sink as it arrives; without one it arrives whole as JSON.

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "runtime/providers/llm_provider.hpp"

namespace agentos::providers {

constexpr std::string_view kAnthropicBaseUrl = "https://api.anthropic.com/v1";
constexpr std::string_view kAnthropicVersion = "2023-06-01";
constexpr std::int64_t kAnthropicDefaultMaxTokens = 1024;  ///< the API requires max_tokens

/// The Messages request body for one turn: top-level system, max_tokens, user/assistant messages as content blocks
/// (assistant tool calls as tool_use blocks; tool results as tool_result blocks of a user message, consecutive ones
/// merged into one), tools with input_schema, sampling settings (stop → stop_sequences).
nlohmann::json AnthropicRequestBody(const spec::ModelSpec& model, const ChatRequest& request);

/// The turn's result from a Messages response body: text blocks joined, tool_use blocks as ToolCalls, usage, model
/// (`fallback_model` when absent). cost_usd is left 0. Throws ProviderError when the body has no content array.
ChatResult ParseAnthropicResponse(const nlohmann::json& body, const std::string& fallback_model);

class AnthropicProvider : public LlmProvider {
public:
    /// `http` and `prices` must outlive this.
    AnthropicProvider(
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
};

}  // namespace agentos::providers
