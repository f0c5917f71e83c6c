#pragma once
/// SseParser: an incremental parser for Server-Sent Events (text/event-stream), for reading an LLM provider's
/// streamed answer as its bytes arrive. Feed it pieces split anywhere (even inside a CR LF pair or a UTF-8
/// sequence); it calls back with each event once the blank line that ends it has arrived. Follows the WHATWG
/// event-stream rules: lines end with LF, CR LF or CR; `:` starts a comment; a field without a colon has an empty
/// value; one space after the colon is dropped; `data` lines join with LF; an event with no data field is not
/// dispatched; `id` carries over to later events; `retry` and unknown fields are ignored. A last event that the
/// stream ends before its blank line is never emitted (the stream was cut). Not thread-safe.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace agentos::outbound {

struct SseEvent {
    std::string event;  ///< the `event` field; empty when the event had none (the spec's default "message")
    std::string data;   ///< the `data` lines joined with "\n"
    std::string id;     ///< the last `id` seen in the stream so far

    friend bool operator==(const SseEvent&, const SseEvent&) = default;
};

class SseParser {
public:
    using EventSink = std::function<void(const SseEvent& event)>;

    /// Parses `bytes`, calling `on_event` for each event they complete. An exception from `on_event` propagates;
    /// the parser is then in an unspecified state.
    void Feed(std::string_view bytes, const EventSink& on_event);

    /// Bytes held for a line or an event not finished yet.
    std::size_t buffered() const { return line_.size() + data_.size(); }

private:
    void Line(std::string_view line, const EventSink& on_event);

    std::string line_;       ///< the current line so far
    bool after_cr_ = false;  ///< the last byte was a CR: a LF right after it ends no new line
    bool started_ = false;   ///< past the optional byte-order mark at the start of the stream
    std::string event_;      ///< the event being built
    std::string data_;
    bool has_data_ = false;
    std::string last_id_;
};

}  // namespace agentos::outbound
