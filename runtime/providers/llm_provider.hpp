#pragma once
/// The LLM provider interface the graph runtime calls: one chat turn (system prompt, messages, tools) in, the
/// model's text and/or tool calls and its token usage out. Implementations: openai, openai_compatible (same wire,
/// any base_url), anthropic, mock. Retries on 429/5xx/transport errors happen inside Chat().

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/net/asio.hpp"
#include "runtime/spec/agent_spec.hpp"

namespace agentos::outbound {
class HttpClient;
}  // namespace agentos::outbound

namespace agentos::providers {

struct ToolCall {
    std::string id;  ///< the provider's call id (OpenAI "call_…", Anthropic "toolu_…"; mock: "call_<n>")
    std::string name;
    nlohmann::json arguments = nlohmann::json::object();  ///< parsed; a model's unparsable arguments → {"_raw": "..."}
};

enum class Role { kUser, kAssistant, kTool };

struct ChatMessage {
    Role role = Role::kUser;
    std::string content;               ///< user/assistant text; for kTool the tool's result (JSON text)
    std::vector<ToolCall> tool_calls;  ///< kAssistant: the calls the model made
    std::string tool_call_id;          ///< kTool: which call this answers
    std::string tool_name;             ///< kTool: the tool's name
};

struct ToolDefinition {
    std::string name;
    std::string description;
    nlohmann::json parameters;  ///< JSON Schema (type: object)
};

struct ChatRequest {
    std::string system;  ///< empty: none
    std::vector<ChatMessage> messages;
    std::vector<ToolDefinition> tools;
    /// For the mock provider: which model call of the run this is (0-based), to pick the script step.
    std::int64_t call_index = 0;
    /// When set, the model is asked for a JSON object (OpenAI response_format json_object; others: prompt only).
    bool json_output = false;
    /// The agent's output_schema when json_output (null otherwise); the unscripted mock answers a placeholder of it.
    nlohmann::json output_schema;
};

struct ChatResult {
    std::string text;
    std::vector<ToolCall> tool_calls;
    std::int64_t prompt_tokens = 0;
    std::int64_t completion_tokens = 0;
    std::string model;    ///< as the provider reported it (or the configured name)
    double cost_usd = 0;  ///< from the price table
};

/// The model call failed for good (retries spent, or an error that retrying cannot fix). The run fails with
/// this message; it names the provider and what happened, never a key.
class ProviderError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Called with each text delta as it arrives (streaming). May be empty.
using TokenSink = std::function<void(std::string_view delta)>;

class LlmProvider {
public:
    virtual ~LlmProvider() = default;

    /// One model turn. Throws ProviderError.
    virtual net::awaitable<ChatResult> Chat(ChatRequest request, TokenSink on_token) = 0;
};

struct RetryPolicy {
    int max_retries = 3;  ///< attempts after the first
    std::chrono::milliseconds base_delay{500};
    std::chrono::milliseconds max_delay{20'000};  ///< also caps Retry-After
};

/// Token prices in USD per million tokens, by model name (exact match, then the longest matching prefix).
class PriceTable {
public:
    PriceTable();  ///< the built-in prices of common OpenAI and Anthropic models
    void Set(const std::string& model, double input_per_mtok, double output_per_mtok);
    /// Overrides from a server config file's `pricing:` mapping ({model: {input_per_mtok, output_per_mtok}}).
    void Load(const nlohmann::json& pricing);
    double Cost(const std::string& model, std::int64_t prompt_tokens, std::int64_t completion_tokens) const;

private:
    struct Price {
        double input = 0;
        double output = 0;
    };

    std::vector<std::pair<std::string, Price>> prices_;
};

struct ProviderContext {
    outbound::HttpClient& http;
    const PriceTable& prices;
    RetryPolicy retry;
    /// Looks up an environment variable (injected for tests); nullopt when unset.
    std::function<std::optional<std::string>(const std::string&)> env;
};

/// The provider for `model`. An unset API key (model.api_key_env, default OPENAI_API_KEY / ANTHROPIC_API_KEY;
/// openai_compatible may run without a key) makes Chat() fail with a ProviderError naming the variable — unless
/// `mock_fallback`, which answers with the mock provider instead (`agentos dev`).
std::unique_ptr<LlmProvider> MakeProvider(
    const spec::ModelSpec& model, const ProviderContext& context, bool mock_fallback
);

/// Whether MakeProvider would fall back to the mock for this model (its key is unset).
bool KeyMissing(const spec::ModelSpec& model, const ProviderContext& context);

}  // namespace agentos::providers
