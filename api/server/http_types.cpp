#include "api/server/http_types.hpp"

namespace agentos::api {
namespace {

int HexValue(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

}  // namespace

std::optional<std::string_view> Request::Header(std::string_view lower_name) const {
    for (const auto& [name, value] : headers) {
        if (name == lower_name) {
            return value;
        }
    }
    return std::nullopt;
}

std::optional<std::string> Request::QueryParam(std::string_view name) const {
    for (const auto& [k, v] : query) {
        if (k == name) {
            return v;
        }
    }
    return std::nullopt;
}

Response Response::Data(const nlohmann::json& data, int status) {
    Response r;
    r.status = status;
    r.body = nlohmann::json{{"data", data}, {"error", nullptr}}.dump();
    return r;
}

Response Response::Text(std::string body, std::string content_type, int status) {
    Response r;
    r.status = status;
    r.content_type = std::move(content_type);
    r.body = std::move(body);
    return r;
}

Response Response::Stream(StreamKind kind, StreamBody body) {
    Response r;
    r.stream_kind = kind;
    r.stream = std::move(body);
    r.content_type = kind == StreamKind::kSse ? "text/event-stream" : "";
    return r;
}

void Response::SetHeader(std::string name, std::string value) {
    for (auto& [n, v] : headers) {
        if (n == name) {
            v = std::move(value);
            return;
        }
    }
    headers.emplace_back(std::move(name), std::move(value));
}

std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '%') {
            if (i + 2 >= text.size()) {
                return std::nullopt;
            }
            const int hi = HexValue(text[i + 1]);
            const int lo = HexValue(text[i + 2]);
            if (hi < 0 || lo < 0) {
                return std::nullopt;
            }
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out.push_back(' ');
        } else {
            out.push_back(c);
        }
    }
    return out;
}

std::vector<std::pair<std::string, std::string>> ParseQuery(std::string_view query) {
    std::vector<std::pair<std::string, std::string>> out;
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view part = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        if (part.empty()) {
            continue;
        }
        const auto eq = part.find('=');
        auto key = PercentDecode(part.substr(0, eq), true);
        auto value = PercentDecode(eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1), true);
        // A malformed escape keeps the raw text, so validation can name the parameter instead of failing here.
        out.emplace_back(
            key.value_or(std::string(part.substr(0, eq))),
            value.value_or(std::string(eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1)))
        );
    }
    return out;
}

}  // namespace agentos::api
