#include "tools/http_tool.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <exception>
#include <string>
#include <utility>

#include "runtime/core/error.hpp"
#include "tools/builtin/calculator.hpp"

namespace agentos::tools {
namespace {

/// Longest body excerpt in the error for a non-2xx answer.
constexpr std::size_t kErrorExcerptBytes = 500;

bool IsTokenChar(char c) {
    static constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           kSpecials.find(c) != std::string_view::npos;
}

void ReplaceAll(std::string& text, std::string_view from, std::string_view to) {
    if (from.empty()) {
        return;
    }
    for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
        text.replace(at, from.size(), to);
    }
}

/// The message of a transport failure, with the URL's query left out.
std::string Describe(const outbound::TransportError& error, const outbound::HttpRequest& request) {
    const std::string shown = request.method + " " + detail::RedactUrl(request.url);
    switch (error.kind()) {
        case outbound::TransportError::Kind::kTimeout:
            return shown + ": no response within " + detail::Seconds(request.timeout);
        case outbound::TransportError::Kind::kTooLarge:
            return shown + ": the response body is larger than " + std::to_string(request.max_body_bytes >> 10) +
                   " KiB";
        case outbound::TransportError::Kind::kConnect:
        case outbound::TransportError::Kind::kTls:
        case outbound::TransportError::Kind::kProtocol:
            break;
    }
    std::string message = error.what();
    ReplaceAll(message, request.url, detail::RedactUrl(request.url));
    return message;
}

}  // namespace

namespace detail {

std::vector<std::pair<std::string, templating::Template>> ParseHeaders(
    const std::map<std::string, std::string>& headers, std::string_view field
) {
    std::vector<std::pair<std::string, templating::Template>> out;
    out.reserve(headers.size());
    for (const auto& [name, value] : headers) {
        out.emplace_back(name, templating::Template::Parse(value, std::string(field) + ".headers." + name));
    }
    return out;
}

std::vector<std::pair<std::string, std::string>> RenderHeaders(
    const std::vector<std::pair<std::string, templating::Template>>& headers,
    const templating::TemplateScope& scope,
    std::string_view field
) {
    std::vector<std::pair<std::string, std::string>> out;
    out.reserve(headers.size());
    for (const auto& [name, value] : headers) {
        const std::string path = std::string(field) + ".headers." + name;
        if (name.empty() || !std::all_of(name.begin(), name.end(), IsTokenChar)) {
            throw core::Error::Validation(path, "not a valid header name");
        }
        std::string text = value.Render(scope);
        if (text.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
            throw core::Error::Validation(path, "the value contains a line break or NUL");
        }
        out.emplace_back(name, std::move(text));
    }
    return out;
}

std::string_view Trim(std::string_view text) {
    const auto is_space = [](char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
    };
    while (!text.empty() && is_space(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && is_space(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

std::string Seconds(std::chrono::milliseconds duration) {
    return FormatNumber(static_cast<double>(duration.count()) / 1000.0) + " s";
}

std::chrono::milliseconds TimeoutOf(double timeout_s) {
    const double ms = std::clamp(timeout_s * 1000.0, 1.0, 24.0 * 3600 * 1000);
    return std::chrono::milliseconds(std::llround(ms));
}

std::string RedactUrl(std::string_view url) {
    const std::size_t query = url.find_first_of("?#");
    if (query == std::string_view::npos) {
        return std::string(url);
    }
    return std::string(url.substr(0, query)) + (url[query] == '?' ? "?…" : "");
}

std::string Utf8Prefix(std::string_view text, std::size_t max_bytes, bool* truncated) {
    static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
    std::string out;
    out.reserve(std::min(text.size(), max_bytes));
    bool cut = false;
    std::size_t i = 0;
    while (i < text.size()) {
        const auto lead = static_cast<unsigned char>(text[i]);
        std::size_t length = 0;
        std::uint32_t code_point = 0;
        std::uint32_t minimum = 0;  // below it the sequence is overlong
        if (lead < 0x80) {
            length = 1;
            code_point = lead;
        } else if ((lead & 0xE0) == 0xC0) {
            length = 2;
            code_point = lead & 0x1FU;
            minimum = 0x80;
        } else if ((lead & 0xF0) == 0xE0) {
            length = 3;
            code_point = lead & 0x0FU;
            minimum = 0x800;
        } else if ((lead & 0xF8) == 0xF0) {
            length = 4;
            code_point = lead & 0x07U;
            minimum = 0x10000;
        }
        bool valid = length > 0 && i + length <= text.size();
        for (std::size_t k = 1; valid && k < length; ++k) {
            const auto next = static_cast<unsigned char>(text[i + k]);
            valid = (next & 0xC0) == 0x80;
            code_point = (code_point << 6) | (next & 0x3FU);
        }
        valid =
            valid && code_point >= minimum && code_point <= 0x10FFFF && (code_point < 0xD800 || code_point > 0xDFFF);
        const std::string_view piece = valid ? text.substr(i, length) : kReplacement;
        if (out.size() + piece.size() > max_bytes) {
            cut = true;
            break;
        }
        out.append(piece);
        i += valid ? length : 1;
    }
    if (truncated != nullptr) {
        *truncated = cut;
    }
    return out;
}

ToolOutcome OutcomeOf(const outbound::HttpResponse& response) {
    if (response.status >= 200 && response.status < 300) {
        nlohmann::json parsed = nlohmann::json::parse(response.body, nullptr, false);
        if (!parsed.is_discarded()) {
            return {std::move(parsed), false};
        }
        bool truncated = false;
        nlohmann::json output{
            {"status", response.status},
            {"body", Utf8Prefix(response.body, kHttpToolMaxTextBytes, &truncated)},
        };
        if (truncated) {
            output["truncated"] = true;
        }
        return {std::move(output), false};
    }
    bool truncated = false;
    const std::string excerpt = Utf8Prefix(Trim(response.body), kErrorExcerptBytes, &truncated);
    return ToolOutcome::Error(
        "HTTP " + std::to_string(response.status) + ": " + (excerpt.empty() ? "(empty body)" : excerpt) +
        (truncated ? "…" : "")
    );
}

net::awaitable<ToolOutcome> SendForTool(outbound::HttpClient& http, outbound::HttpRequest request) {
    // g++ 12 destroys a local twice when it is initialized from co_await inside a try block (or when co_return
    // leaves one): assign to a variable declared outside, and return after the try.
    outbound::HttpResponse response;
    std::string failure;
    try {
        response = co_await http.Send(request);
    } catch (const outbound::TransportError& e) {
        failure = Describe(e, request);
    } catch (const core::Error&) {
        failure = request.method + " " + RedactUrl(request.url) + ": not a usable http(s) URL";
    }
    if (!failure.empty()) {
        co_return ToolOutcome::Error(failure);
    }
    co_return OutcomeOf(response);
}

}  // namespace detail

HttpTool::HttpTool(spec::ToolSpec tool_spec, outbound::HttpClient& http)
    : spec_(std::move(tool_spec)),
      http_(&http),
      url_(templating::Template::Parse(spec_.http.url, "http.url")),
      headers_(detail::ParseHeaders(spec_.http.headers, "http")) {}

net::awaitable<ToolOutcome> HttpTool::Call(nlohmann::json args, ToolCallContext context) {
    const templating::TemplateScope scope{&context.input, nullptr, &args, &context.variables};
    outbound::HttpRequest request;
    request.method = spec_.http.method;
    request.timeout = detail::TimeoutOf(spec_.http.timeout_s);
    request.max_body_bytes = kHttpToolMaxBodyBytes;
    std::string failure;
    try {
        request.url = url_.Render(scope, templating::Escape::kUrl);
        if (!spec_.http.body.is_null()) {
            // First, so that a Content-Type among the spec's headers wins.
            request.headers.emplace_back("Content-Type", "application/json");
            request.body = templating::RenderJson(spec_.http.body, scope, "http.body")
                               .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        }
        auto headers = detail::RenderHeaders(headers_, scope, "http");
        request.headers.insert(request.headers.end(), headers.begin(), headers.end());
    } catch (const core::Error& e) {
        failure = e.what();
    }
    if (!failure.empty()) {
        co_return ToolOutcome::Error(failure);
    }
    co_return co_await detail::SendForTool(*http_, std::move(request));
}

}  // namespace agentos::tools
