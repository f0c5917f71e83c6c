#pragma once
/// MockProvider: a model that needs no network, for tests, examples and `agentos dev`. It answers with the scripted
/// steps in order (ChatRequest::call_index picks the step; past the end the last step repeats) or, without a
/// script, echoes the last user message — or, asked for an output_schema, answers SchemaPlaceholder(schema) so that
/// structured-output agents run offline too. Token counts are word counts; the cost is 0.

#include <cstdint>
#include <string_view>
#include <vector>

#include "runtime/providers/llm_provider.hpp"

namespace agentos::providers {

/// The number of whitespace-separated words in `text`.
std::int64_t CountWords(std::string_view text);

/// A small value that fits a plain JSON Schema: an object with its required properties (or, when none are
/// required, all of them), strings "mock" (or the first enum/const value), numbers at their minimum or 0, false,
/// empty arrays (or minItems placeholders). Schemas outside that subset may not validate; the run then fails
/// with OutputSchemaError as it would with a real model.
nlohmann::json SchemaPlaceholder(const nlohmann::json& schema, int depth = 0);

class MockProvider : public LlmProvider {
public:
    explicit MockProvider(std::vector<spec::MockStep> script = {});

    /// The reply to `request`: text and/or one tool call with id "call_<call_index>"; model "mock"; prompt_tokens
    /// = words of the request's messages, completion_tokens = words of the reply text.
    ChatResult Reply(const ChatRequest& request) const;

    /// Reply(); on_token (if set) receives the text word by word (each word with the whitespace after it).
    net::awaitable<ChatResult> Chat(ChatRequest request, TokenSink on_token) override;

private:
    std::vector<spec::MockStep> script_;
};

}  // namespace agentos::providers
