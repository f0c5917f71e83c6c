#pragma once
/// OpenAiStream: builds a turn's ChatResult from a streamed Chat Completions answer ("stream": true, with
/// stream_options.include_usage), one SSE event at a time: choices[0].delta.content goes to the token sink at once
/// and into the text; choices[0].delta.tool_calls pieces are joined per `index` (id, function.name and
/// function.arguments); usage comes from the last chunk; `data: [DONE]` ends it. Not thread-safe.

#include <cstddef>
#include <map>
#include <string>

#include "runtime/net/sse_parser.hpp"
#include "runtime/providers/llm_provider.hpp"

namespace agentos::providers {

class OpenAiStream {
public:
    /// `provider` names messages ("openai", "openai_compatible"); `fallback_model` is the result's model when the
    /// chunks name none. `on_token` must not be empty.
    OpenAiStream(std::string provider, std::string fallback_model, TokenSink on_token);

    /// One SSE event of the answer. Throws ProviderError for an `error` object or a chunk that is not JSON.
    void OnEvent(const outbound::SseEvent& event);

    /// The result once the body has ended (cost_usd left 0). Throws ProviderError when [DONE] never came.
    ChatResult Finish();

private:
    struct PartialCall {
        std::string id;
        std::string name;
        std::string arguments;
    };

    std::string provider_;
    TokenSink on_token_;
    ChatResult result_;
    std::map<std::size_t, PartialCall> calls_;  ///< by the delta's index, which also orders them
    bool done_ = false;
};

}  // namespace agentos::providers
