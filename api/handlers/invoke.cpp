// Invoking hosted agents: POST /api/v1/agents/:agentId/invoke. Synchronous (the answer waits for the run's end),
// or background (202, queued). The run is its own task: a client that disconnects does not stop it.

#include "api/dto/query_reader.hpp"
#include "api/handlers/services.hpp"
#include "api/server/router.hpp"
#include "runtime/core/error.hpp"
#include "runtime/core/ids.hpp"
#include "runtime/core/json_body.hpp"
#include "runtime/run_service.hpp"

namespace agentos::api {
namespace {

using core::Error;
using Json = nlohmann::json;

constexpr std::size_t kMaxHistory = 1000;

std::vector<providers::ChatMessage> ReadHistory(const Json& history) {
    if (!history.is_array()) {
        throw Error::Validation("history", "must be an array of {role, content}");
    }
    if (history.size() > kMaxHistory) {
        throw Error::Validation("history", "at most " + std::to_string(kMaxHistory) + " messages");
    }
    std::vector<providers::ChatMessage> out;
    for (std::size_t i = 0; i < history.size(); ++i) {
        core::ObjectReader m(history[i], core::ElementPath("history", i));
        const auto role = m.Enum("role", {"user", "assistant"});
        const auto content = m.String("content");
        m.Finish();
        out.push_back({role == "user" ? providers::Role::kUser : providers::Role::kAssistant, content, {}, "", ""});
    }
    return out;
}

net::awaitable<Response> Invoke(Services& s, Request& req) {
    QueryReader(req).Finish();
    const auto body = req.body.empty() ? Json::object() : core::ParseJsonBody(req.body);
    core::ObjectReader r(body, "");
    engine::InvokeRequest in;
    in.agent_ref = req.Param("agentId");
    in.input = r.OptObject("input").value_or(Json::object());
    if (const auto vars = r.OptObject("prompt_variables")) {
        for (const auto& [k, v] : vars->items()) {
            if (!v.is_string()) {
                throw Error::Validation(
                    "prompt_variables." + k, std::string("must be a string, not ").append(core::JsonTypeName(v))
                );
            }
            in.prompt_variables[k] = v.get<std::string>();
        }
    }
    const auto session_id = r.OptString("session_id");
    const bool start_session = r.OptBool("start_session").value_or(false);
    const auto external_user_id = r.OptString("external_user_id");
    const auto* history = r.Optional("history");
    if (const auto parent = r.OptString("parent_run_id")) {
        in.parent_run_id = core::RequireUuid("parent_run_id", *parent);
    }
    in.stream = r.OptBool("stream").value_or(false);
    in.background = r.OptBool("background").value_or(false);
    r.OptEnum("multitask_strategy", {"reject", "enqueue"});
    r.Finish();

    if (history != nullptr && (session_id || start_session)) {
        throw Error::Validation(
            "history", "history (client-managed) and session_id/start_session (server-managed) exclude each other"
        );
    }
    if (session_id) {
        core::RequireUuid("session_id", *session_id);
    }
    if (external_user_id && !session_id && !start_session) {
        throw Error::Validation("external_user_id", "only meaningful with session_id or start_session");
    }
    if (session_id || start_session) {
        throw Error::Validation(
            session_id ? "session_id" : "start_session",
            "server-managed sessions are not available on this server yet; send history instead"
        );
    }
    if (history != nullptr) {
        in.history = ReadHistory(*history);
    }
    const auto result = co_await s.runs.Invoke(req.Who(), std::move(in));
    if (result.queued) {
        co_return Response::Data(
            {{"run_id", result.run_id}, {"status", "queued"}, {"output", nullptr}, {"session_id", nullptr}}, 202
        );
    }
    const auto& o = result.outcome;
    if (o.status == core::RunStatus::kCompleted) {
        co_return Response::Data(
            {{"run_id", result.run_id}, {"status", "completed"}, {"output", o.output}, {"session_id", nullptr}}
        );
    }
    co_return Response::Data({
        {"run_id", result.run_id},
        {"status", core::ToString(o.status)},
        {"output", nullptr},
        {"session_id", nullptr},
        {"error_type", o.error_type ? Json(*o.error_type) : Json(nullptr)},
        {"error_message", o.error_message ? Json(*o.error_message) : Json(nullptr)},
    });
}

}  // namespace

void AddInvokeRoutes(Router& router, Services& s) {
    router.Add("POST", "/api/v1/agents/:agentId/invoke", [&s](Request& req) { return Invoke(s, req); });
}

}  // namespace agentos::api
