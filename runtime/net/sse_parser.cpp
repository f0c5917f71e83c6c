#include "runtime/net/sse_parser.hpp"

namespace agentos::outbound {
namespace {

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

}  // namespace

void SseParser::Feed(std::string_view bytes, const EventSink& on_event) {
    if (bytes.empty()) {
        return;  // and keeps after_cr_: the LF of a CR LF may still come
    }
    if (!started_) {
        // The BOM may itself arrive split: hold back a prefix of it until it is whole or ruled out.
        line_.append(bytes);
        if (line_.size() < kByteOrderMark.size() && kByteOrderMark.substr(0, line_.size()) == line_) {
            return;
        }
        started_ = true;
        std::string head = std::move(line_);
        line_.clear();
        if (head.compare(0, kByteOrderMark.size(), kByteOrderMark) == 0) {
            head.erase(0, kByteOrderMark.size());
        }
        Feed(head, on_event);
        return;
    }
    std::size_t at = 0;
    if (after_cr_ && !bytes.empty() && bytes.front() == '\n') {
        at = 1;  // the LF of a CR LF split across two pieces
    }
    after_cr_ = false;
    while (at < bytes.size()) {
        const auto end = bytes.find_first_of("\r\n", at);
        if (end == std::string_view::npos) {
            line_.append(bytes.substr(at));
            return;
        }
        // A line wholly inside this piece needs no copy.
        std::string_view line = bytes.substr(at, end - at);
        if (!line_.empty()) {
            line_.append(line);
            line = line_;
        }
        Line(line, on_event);
        line_.clear();
        at = end + 1;
        if (bytes[end] == '\r') {
            if (at == bytes.size()) {
                after_cr_ = true;
            } else if (bytes[at] == '\n') {
                ++at;
            }
        }
    }
}

void SseParser::Line(std::string_view line, const EventSink& on_event) {
    if (line.empty()) {
        if (has_data_) {
            SseEvent event{std::move(event_), std::move(data_), last_id_};
            event_.clear();
            data_.clear();
            has_data_ = false;
            on_event(event);
        } else {
            event_.clear();
        }
        return;
    }
    if (line.front() == ':') {
        return;  // a comment (providers send them as keep-alives)
    }
    const auto colon = line.find(':');
    const std::string_view field = line.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') {
        value.remove_prefix(1);
    }
    if (field == "data") {
        if (has_data_) {
            data_ += '\n';
        }
        data_.append(value);
        has_data_ = true;
    } else if (field == "event") {
        event_.assign(value);
    } else if (field == "id") {
        if (value.find('\0') == std::string_view::npos) {
            last_id_.assign(value);
        }
    }
}

}  // namespace agentos::outbound
