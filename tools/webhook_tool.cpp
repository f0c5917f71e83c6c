#include "tools/webhook_tool.hpp"

#include <utility>

#include "runtime/core/error.hpp"
#include "tools/http_tool.hpp"

namespace agentos::tools {

WebhookTool::WebhookTool(spec::ToolSpec tool_spec, outbound::HttpClient& http)
    : spec_(std::move(tool_spec)),
      http_(&http),
      url_(templating::Template::Parse(spec_.http.url, "webhook.url")),
      headers_(detail::ParseHeaders(spec_.http.headers, "webhook")) {}

net::awaitable<ToolOutcome> WebhookTool::Call(nlohmann::json args, ToolCallContext context) {
    const templating::TemplateScope scope{&context.input, nullptr, &args, &context.variables};
    outbound::HttpRequest request;
    request.method = "POST";
    request.timeout = detail::TimeoutOf(spec_.http.timeout_s);
    request.max_body_bytes = kHttpToolMaxBodyBytes;
    std::string failure;
    try {
        request.url = url_.Render(scope, templating::Escape::kUrl);
        request.headers = detail::RenderHeaders(headers_, scope, "webhook");
    } catch (const core::Error& e) {
        failure = e.what();
    }
    if (!failure.empty()) {
        co_return ToolOutcome::Error(failure);
    }
    // After the spec's headers, so that neither can be replaced by them.
    request.headers.emplace_back("Content-Type", "application/json");
    request.headers.emplace_back("Idempotency-Key", context.run_id + ":" + context.tool_call_id);
    request.body =
        nlohmann::json{
            {"run_id", context.run_id},
            {"tool_call_id", context.tool_call_id},
            {"args", args},
        }
            .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    co_return co_await detail::SendForTool(*http_, std::move(request));
}

}  // namespace agentos::tools
