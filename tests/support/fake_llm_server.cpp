#include "tests/support/fake_llm_server.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>
#include <utility>

namespace agentos::testing {
namespace {

using nlohmann::json;

constexpr std::int64_t kCreated = 1'700'000'000;

bool IsSpace(char c) {
    return std::isspace(static_cast<unsigned char>(c)) != 0;
}

std::int64_t Words(std::string_view text) {
    std::int64_t words = 0;
    bool in_word = false;
    for (const char c : text) {
        if (IsSpace(c)) {
            in_word = false;
        } else if (!in_word) {
            in_word = true;
            ++words;
        }
    }
    return words;
}

/// `text` as pieces: each word with the whitespace after it (they join back to `text`).
std::vector<std::string> WordPieces(const std::string& text) {
    std::vector<std::string> pieces;
    std::size_t at = 0;
    while (at < text.size()) {
        std::size_t end = at;
        while (end < text.size() && IsSpace(text[end])) {
            ++end;
        }
        while (end < text.size() && !IsSpace(text[end])) {
            ++end;
        }
        while (end < text.size() && IsSpace(text[end])) {
            ++end;
        }
        pieces.push_back(text.substr(at, end - at));
        at = end;
    }
    return pieces;
}

/// `text` in pieces of at most `size` bytes (at least one piece).
std::vector<std::string> SizedPieces(const std::string& text, std::size_t size) {
    std::vector<std::string> pieces;
    for (std::size_t at = 0; at < text.size(); at += size) {
        pieces.push_back(text.substr(at, size));
    }
    if (pieces.empty()) {
        pieces.emplace_back();
    }
    return pieces;
}

/// The text of a content value: a string, or the "text" of its blocks (and of tool_result contents).
std::string ContentText(const json& content) {
    if (content.is_string()) {
        return content.get<std::string>();
    }
    std::string text;
    if (content.is_array()) {
        for (const auto& block : content) {
            if (!block.is_object()) {
                continue;
            }
            if (block.contains("text") && block["text"].is_string()) {
                text += (text.empty() ? "" : " ") + block["text"].get<std::string>();
            } else if (block.contains("content")) {
                text += (text.empty() ? "" : " ") + ContentText(block["content"]);
            }
        }
    }
    return text;
}

/// Whether a content value holds user-written text (a string or a text block), not only tool results.
bool HasUserText(const json& content) {
    if (content.is_string()) {
        return true;
    }
    if (content.is_array()) {
        for (const auto& block : content) {
            if (block.is_object() && block.value("type", "") == "text") {
                return true;
            }
        }
    }
    return false;
}

std::string LastUserText(const json& body) {
    const auto messages = body.find("messages");
    if (messages == body.end() || !messages->is_array()) {
        return "";
    }
    for (auto it = messages->rbegin(); it != messages->rend(); ++it) {
        if (it->is_object() && it->value("role", "") == "user" && it->contains("content") &&
            HasUserText((*it)["content"])) {
            std::string text;
            const json& content = (*it)["content"];
            if (content.is_string()) {
                return content.get<std::string>();
            }
            for (const auto& block : content) {
                if (block.is_object() && block.value("type", "") == "text" && block["text"].is_string()) {
                    text += block["text"].get<std::string>();
                }
            }
            return text;
        }
    }
    return "";
}

std::int64_t PromptWords(const json& body) {
    std::int64_t words = 0;
    if (body.contains("system")) {
        words += Words(ContentText(body["system"]));
    }
    if (body.contains("messages") && body["messages"].is_array()) {
        for (const auto& m : body["messages"]) {
            if (m.is_object() && m.contains("content")) {
                words += Words(ContentText(m["content"]));
            }
        }
    }
    return words;
}

struct ErrorKind {
    const char* openai_type;
    const char* openai_code;
    const char* anthropic_type;
    const char* message;
};

ErrorKind KindOf(int status) {
    switch (status) {
        case 400:
            return {"invalid_request_error", "invalid_request", "invalid_request_error", "bad request"};
        case 401:
            return {"invalid_request_error", "invalid_api_key", "authentication_error", "invalid api key"};
        case 403:
            return {"invalid_request_error", "permission_denied", "permission_error", "permission denied"};
        case 404:
            return {"invalid_request_error", "model_not_found", "not_found_error", "not found"};
        case 413:
            return {"invalid_request_error", "request_too_large", "request_too_large", "request too large"};
        case 429:
            return {"requests", "rate_limit_exceeded", "rate_limit_error", "rate limit reached"};
        case 529:
            return {"server_error", "overloaded", "overloaded_error", "overloaded"};
        default:
            return {"server_error", "server_error", "api_error", "internal server error"};
    }
}

std::string SseData(const json& chunk) {
    return "data: " + chunk.dump() + "\n\n";
}

std::string SseEvent(const std::string& type, const json& data) {
    return "event: " + type + "\ndata: " + data.dump() + "\n\n";
}

/// The arguments as the OpenAI wire's JSON text (a string is sent verbatim).
std::string ArgumentsText(const json& arguments) {
    return arguments.is_string() ? arguments.get<std::string>() : arguments.dump();
}

/// The arguments as an Anthropic tool_use input (an object).
json ArgumentsObject(const json& arguments) {
    if (arguments.is_object()) {
        return arguments;
    }
    if (arguments.is_string()) {
        auto parsed = json::parse(arguments.get<std::string>(), nullptr, false);
        if (parsed.is_object()) {
            return parsed;
        }
    }
    return json::object();
}

}  // namespace

struct FakeLlmServer::State {
    mutable std::mutex mutex;
    std::deque<FakeReply> queue;
    std::optional<FakeReply> fallback;
    std::int64_t served = 0;

    /// The reply for the next request, and its sequence number (for ids).
    std::pair<FakeReply, std::int64_t> Next(const json& body) {
        const std::lock_guard lock(mutex);
        const std::int64_t n = ++served;
        if (!queue.empty()) {
            FakeReply reply = std::move(queue.front());
            queue.pop_front();
            return {std::move(reply), n};
        }
        if (fallback) {
            return {*fallback, n};
        }
        FakeReply echo;
        echo.text = LastUserText(body);
        return {std::move(echo), n};
    }
};

namespace {

struct Turn {
    const FakeReply* reply = nullptr;
    std::string model;
    std::int64_t prompt_tokens = 0;
    std::int64_t completion_tokens = 0;
    std::int64_t n = 0;
    std::vector<FakeToolCall> calls;  ///< with ids filled in
    bool include_usage = false;       ///< OpenAI streaming: stream_options.include_usage
};

TestResponse ErrorResponse(bool openai, int status, const std::string& text) {
    const ErrorKind kind = KindOf(status);
    const std::string message = text.empty() ? kind.message : text;
    TestResponse res;
    res.status = status;
    if (openai) {
        res.body =
            json{{"error", {{"message", message}, {"type", kind.openai_type}, {"code", kind.openai_code}}}}.dump();
    } else {
        res.body = json{{"type", "error"}, {"error", {{"type", kind.anthropic_type}, {"message", message}}}}.dump();
    }
    return res;
}

std::string OpenAiJson(const Turn& t) {
    json message = {
        {"role", "assistant"}, {"content", t.reply->text.empty() && !t.calls.empty() ? json() : json(t.reply->text)}};
    if (!t.calls.empty()) {
        json calls = json::array();
        for (const auto& c : t.calls) {
            calls.push_back(
                {{"id", c.id},
                 {"type", "function"},
                 {"function", {{"name", c.name}, {"arguments", ArgumentsText(c.arguments)}}}}
            );
        }
        message["tool_calls"] = std::move(calls);
    }
    return json{
        {"id", "chatcmpl-fake-" + std::to_string(t.n)},
        {"object", "chat.completion"},
        {"created", kCreated},
        {"model", t.model},
        {"choices",
         json::array(
             {{{"index", 0},
               {"message", std::move(message)},
               {"finish_reason", t.calls.empty() ? "stop" : "tool_calls"}}}
         )},
        {"usage",
         {{"prompt_tokens", t.prompt_tokens},
          {"completion_tokens", t.completion_tokens},
          {"total_tokens", t.prompt_tokens + t.completion_tokens}}}}
        .dump();
}

std::vector<std::string> OpenAiStream(const Turn& t) {
    const std::string id = "chatcmpl-fake-" + std::to_string(t.n);
    const auto chunk = [&](json delta, json finish_reason) {
        return SseData(
            {{"id", id},
             {"object", "chat.completion.chunk"},
             {"created", kCreated},
             {"model", t.model},
             {"choices",
              json::array({{{"index", 0}, {"delta", std::move(delta)}, {"finish_reason", std::move(finish_reason)}}})}}
        );
    };
    std::vector<std::string> events;
    events.push_back(chunk({{"role", "assistant"}, {"content", ""}}, nullptr));
    for (const auto& piece : WordPieces(t.reply->text)) {
        events.push_back(chunk({{"content", piece}}, nullptr));
    }
    for (std::size_t i = 0; i < t.calls.size(); ++i) {
        const auto& c = t.calls[i];
        events.push_back(chunk(
            {{"tool_calls",
              json::array(
                  {{{"index", i},
                    {"id", c.id},
                    {"type", "function"},
                    {"function", {{"name", c.name}, {"arguments", ""}}}}}
              )}},
            nullptr
        ));
        for (const auto& piece : SizedPieces(ArgumentsText(c.arguments), 8)) {
            events.push_back(
                chunk({{"tool_calls", json::array({{{"index", i}, {"function", {{"arguments", piece}}}}})}}, nullptr)
            );
        }
    }
    events.push_back(chunk(json::object(), t.calls.empty() ? "stop" : "tool_calls"));
    if (!t.include_usage) {
        events.emplace_back("data: [DONE]\n\n");
        return events;
    }
    events.push_back(SseData(
        {{"id", id},
         {"object", "chat.completion.chunk"},
         {"created", kCreated},
         {"model", t.model},
         {"choices", json::array()},
         {"usage",
          {{"prompt_tokens", t.prompt_tokens},
           {"completion_tokens", t.completion_tokens},
           {"total_tokens", t.prompt_tokens + t.completion_tokens}}}}
    ));
    events.emplace_back("data: [DONE]\n\n");
    return events;
}

std::string AnthropicJson(const Turn& t) {
    json content = json::array();
    if (!t.reply->text.empty() || t.calls.empty()) {
        content.push_back({{"type", "text"}, {"text", t.reply->text}});
    }
    for (const auto& c : t.calls) {
        content.push_back(
            {{"type", "tool_use"}, {"id", c.id}, {"name", c.name}, {"input", ArgumentsObject(c.arguments)}}
        );
    }
    return json{
        {"id", "msg_fake_" + std::to_string(t.n)},
        {"type", "message"},
        {"role", "assistant"},
        {"model", t.model},
        {"content", std::move(content)},
        {"stop_reason", t.calls.empty() ? "end_turn" : "tool_use"},
        {"stop_sequence", nullptr},
        {"usage", {{"input_tokens", t.prompt_tokens}, {"output_tokens", t.completion_tokens}}}}
        .dump();
}

std::vector<std::string> AnthropicStream(const Turn& t) {
    std::vector<std::string> events;
    events.push_back(SseEvent(
        "message_start",
        {{"type", "message_start"},
         {"message",
          {{"id", "msg_fake_" + std::to_string(t.n)},
           {"type", "message"},
           {"role", "assistant"},
           {"model", t.model},
           {"content", json::array()},
           {"stop_reason", nullptr},
           {"stop_sequence", nullptr},
           {"usage", {{"input_tokens", t.prompt_tokens}, {"output_tokens", 1}}}}}}
    ));
    std::size_t index = 0;
    if (!t.reply->text.empty() || t.calls.empty()) {
        events.push_back(SseEvent(
            "content_block_start",
            {{"type", "content_block_start"}, {"index", index}, {"content_block", {{"type", "text"}, {"text", ""}}}}
        ));
        for (const auto& piece : WordPieces(t.reply->text)) {
            events.push_back(SseEvent(
                "content_block_delta",
                {{"type", "content_block_delta"},
                 {"index", index},
                 {"delta", {{"type", "text_delta"}, {"text", piece}}}}
            ));
        }
        events.push_back(SseEvent("content_block_stop", {{"type", "content_block_stop"}, {"index", index}}));
        ++index;
    }
    for (const auto& c : t.calls) {
        events.push_back(SseEvent(
            "content_block_start",
            {{"type", "content_block_start"},
             {"index", index},
             {"content_block", {{"type", "tool_use"}, {"id", c.id}, {"name", c.name}, {"input", json::object()}}}}
        ));
        for (const auto& piece : SizedPieces(ArgumentsObject(c.arguments).dump(), 8)) {
            events.push_back(SseEvent(
                "content_block_delta",
                {{"type", "content_block_delta"},
                 {"index", index},
                 {"delta", {{"type", "input_json_delta"}, {"partial_json", piece}}}}
            ));
        }
        events.push_back(SseEvent("content_block_stop", {{"type", "content_block_stop"}, {"index", index}}));
        ++index;
    }
    events.push_back(SseEvent(
        "message_delta",
        {{"type", "message_delta"},
         {"delta", {{"stop_reason", t.calls.empty() ? "end_turn" : "tool_use"}, {"stop_sequence", nullptr}}},
         {"usage", {{"output_tokens", t.completion_tokens}}}}
    ));
    events.push_back(SseEvent("message_stop", {{"type", "message_stop"}}));
    return events;
}

/// Cuts a stream's events short as `reply.stream_end` asks.
void EndStream(bool openai, const FakeReply& reply, TestResponse& res) {
    if (reply.stream_end == FakeStreamEnd::kComplete) {
        return;
    }
    res.chunks.resize(std::min(res.chunks.size(), reply.stream_events));
    switch (reply.stream_end) {
        case FakeStreamEnd::kComplete:
        case FakeStreamEnd::kEndEarly:
            break;
        case FakeStreamEnd::kHangUp:
            res.cut_after_chunks = true;
            if (res.chunks.empty()) {
                res.chunks.emplace_back();  // the headers go out, then the connection closes
            }
            break;
        case FakeStreamEnd::kError:
            if (openai) {
                res.chunks.push_back(SseData(
                    {{"error",
                      {{"message", "the model failed mid-stream"}, {"type", "server_error"}, {"code", nullptr}}}}
                ));
            } else {
                res.chunks.push_back(SseEvent(
                    "error", {{"type", "error"}, {"error", {{"type", "overloaded_error"}, {"message", "Overloaded"}}}}
                ));
            }
            break;
    }
    if (res.chunks.empty()) {
        res.chunks.emplace_back();  // an empty body, still chunked
    }
}

}  // namespace

FakeLlmServer::FakeLlmServer() : state_(std::make_shared<State>()) {
    server_ = std::make_unique<TestHttpServer>([state = state_](const RecordedRequest& req) -> TestResponse {
        const std::string path = req.target.substr(0, req.target.find('?'));
        const bool openai = path.size() >= 17 && path.compare(path.size() - 17, 17, "/chat/completions") == 0;
        const bool anthropic = !openai && path.size() >= 9 && path.compare(path.size() - 9, 9, "/messages") == 0;
        if (req.method != "POST" || (!openai && !anthropic)) {
            return ErrorResponse(true, 404, "no route " + req.method + " " + path);
        }
        const json body = json::parse(req.body, nullptr, false);
        if (!body.is_object()) {
            return ErrorResponse(openai, 400, "the body is not a JSON object");
        }
        auto [reply, n] = state->Next(body);
        TestResponse res;
        if (reply.status < 200 || reply.status >= 300) {
            res = ErrorResponse(openai, reply.status, reply.text);
        } else {
            Turn turn;
            turn.reply = &reply;
            turn.n = n;
            turn.model = !reply.model.empty() ? reply.model : body.value("model", std::string("fake"));
            turn.prompt_tokens = reply.prompt_tokens >= 0 ? reply.prompt_tokens : PromptWords(body);
            turn.completion_tokens = reply.completion_tokens >= 0 ? reply.completion_tokens : Words(reply.text);
            for (std::size_t i = 0; i < reply.tool_calls.size(); ++i) {
                FakeToolCall call = reply.tool_calls[i];
                if (call.id.empty()) {
                    call.id = (openai ? "call_fake_" : "toolu_fake_") + std::to_string(n) + "_" + std::to_string(i);
                }
                turn.calls.push_back(std::move(call));
            }
            res.status = reply.status;
            if (body.value("stream", false)) {
                res.content_type = "text/event-stream";
                turn.include_usage = body.contains("stream_options") && body["stream_options"].is_object() &&
                                     body["stream_options"].value("include_usage", false);
                res.chunks = openai ? OpenAiStream(turn) : AnthropicStream(turn);
                res.chunk_delay = reply.chunk_delay;
                EndStream(openai, reply, res);
            } else {
                res.body = openai ? OpenAiJson(turn) : AnthropicJson(turn);
            }
        }
        if (reply.retry_after_s) {
            res.headers.emplace_back("retry-after", std::to_string(*reply.retry_after_s));
        }
        res.delay = reply.delay;
        res.hang_up = reply.hang_up;
        return res;
    });
}

FakeLlmServer::~FakeLlmServer() = default;

std::uint16_t FakeLlmServer::port() const {
    return server_->port();
}

std::string FakeLlmServer::base_url() const {
    return server_->url("/v1");
}

void FakeLlmServer::Push(FakeReply reply) {
    const std::lock_guard lock(state_->mutex);
    state_->queue.push_back(std::move(reply));
}

void FakeLlmServer::SetDefault(FakeReply reply) {
    const std::lock_guard lock(state_->mutex);
    state_->fallback = std::move(reply);
}

std::vector<nlohmann::json> FakeLlmServer::requests() const {
    std::vector<nlohmann::json> out;
    for (const auto& req : server_->requests()) {
        auto body = json::parse(req.body, nullptr, false);
        out.push_back(body.is_discarded() ? json() : std::move(body));
    }
    return out;
}

std::vector<RecordedRequest> FakeLlmServer::raw_requests() const {
    return server_->requests();
}

std::size_t FakeLlmServer::request_count() const {
    return server_->request_count();
}

std::size_t FakeLlmServer::connection_count() const {
    return server_->connection_count();
}

}  // namespace agentos::testing
