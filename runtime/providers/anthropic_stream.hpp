#pragma once
/// AnthropicStream: builds a turn's ChatResult from a streamed Messages answer ("stream": true), one SSE event at a
/// time: message_start (model, input tokens), content_block_start (a text or tool_use block), content_block_delta
/// (text_delta → the token sink at once; input_json_delta pieces joined per block and parsed at its
/// content_block_stop), message_delta (output tokens), message_stop (the end). ping and unknown events are ignored;
/// an `error` event is a ProviderError. The result is what the JSON answer would have given. Not thread-safe.

#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "runtime/net/sse_parser.hpp"
#include "runtime/providers/llm_provider.hpp"

namespace agentos::providers {

class AnthropicStream {
public:
    /// `fallback_model` is the result's model when message_start names none. `on_token` must not be empty.
    AnthropicStream(std::string fallback_model, TokenSink on_token);

    /// One SSE event of the answer. Throws ProviderError for an error event or data that is not a JSON object.
    void OnEvent(const outbound::SseEvent& event);

    /// The result once the body has ended (cost_usd left 0). Throws ProviderError when message_stop never came.
    ChatResult Finish();

private:
    struct ToolBlock {
        std::string id;
        std::string name;
        nlohmann::json start_input;  ///< the input content_block_start carried (normally {})
        std::string partial_json;    ///< the input_json_delta pieces so far
        bool stopped = false;
        ToolCall call;  ///< set at content_block_stop
    };

    void StopBlock(ToolBlock& block);

    TokenSink on_token_;
    ChatResult result_;
    std::map<std::int64_t, ToolBlock> tool_blocks_;  ///< by content block index, which also orders them
    bool stopped_ = false;
};

}  // namespace agentos::providers
