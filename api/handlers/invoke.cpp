// Invoking hosted agents: POST /api/v1/agents/:agentId/invoke. Synchronous (the answer waits for the run's end or
// pause), or background (202, queued). Resuming a paused run answers the same way: resolve an approval, respond to
// an input request. The run is its own task: a client that disconnects does not stop it.

#include "api/dto/query_reader.hpp"
#include "api/handlers/run_stream.hpp"
#include "api/handlers/services.hpp"
#include "api/middleware/idempotency.hpp"
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
constexpr std::size_t kMaxUser = 200;  ///< external_user_id, in characters (as for sessions and memories)

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

/// How a run that was started or resumed answers: 200 completed (or failed / cancelled, with why), 202 paused or
/// queued.
Response RunAnswer(const engine::InvokeResult& result) {
    const Json session = result.session_id ? Json(*result.session_id) : Json(nullptr);
    if (result.queued) {
        return Response::Data(
            {{"run_id", result.run_id}, {"status", "queued"}, {"output", nullptr}, {"session_id", session}}, 202
        );
    }
    const auto& o = result.outcome;
    if (o.status == core::RunStatus::kCompleted) {
        return Response::Data(
            {{"run_id", result.run_id}, {"status", "completed"}, {"output", o.output}, {"session_id", session}}
        );
    }
    if (o.pause) {
        const auto& p = *o.pause;
        Json waiting;
        if (p.kind == "approval") {
            waiting = {{"approval_id", p.id}};
            if (p.tool_name) {
                waiting["tool_name"] = *p.tool_name;
            }
            if (p.message) {
                waiting["message"] = *p.message;
            }
        } else {
            waiting = {{"request_id", p.id}, {"question", p.question.value_or("")}};
            if (!p.options.is_null()) {
                waiting["options"] = p.options;
            }
        }
        return Response::Data(
            {{"run_id", result.run_id},
             {"status", core::ToString(o.status)},
             {p.kind == "approval" ? "awaiting_approval" : "awaiting_input", std::move(waiting)},
             {"output", nullptr},
             {"session_id", session}},
            202
        );
    }
    return Response::Data({
        {"run_id", result.run_id},
        {"status", core::ToString(o.status)},
        {"output", nullptr},
        {"session_id", session},
        {"error_type", o.error_type ? Json(*o.error_type) : Json(nullptr)},
        {"error_message", o.error_message ? Json(*o.error_message) : Json(nullptr)},
    });
}

/// The JSON answer, or for `stream: true` the run's SSE stream from where this request started or resumed it.
net::awaitable<Response> Answer(
    Services& s, const Request& req, engine::InvokeResult result, std::shared_ptr<void> slot
) {
    if (!result.streaming) {
        co_return RunAnswer(result);
    }
    auto stream =
        RunStreamResponse(s, req, result.run_id, {result.stream_after, 0}, "stream", std::move(slot), &result);
    co_return co_await std::move(stream);
}

net::awaitable<Response> InvokeOnce(Services& s, Request& req) {
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
    in.stream_children = r.OptBool("stream_children").value_or(false);
    in.background = r.OptBool("background").value_or(false);
    const auto strategy = r.OptEnum("multitask_strategy", {"reject", "enqueue"});
    r.Finish();

    if (in.stream_children && !in.stream) {
        throw Error::Validation("stream_children", "only meaningful with stream: true");
    }
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
    if (session_id && start_session) {
        throw Error::Validation("start_session", "give session_id to continue a session or start_session to open one");
    }
    if (external_user_id) {
        core::CheckText("external_user_id", *external_user_id, kMaxUser);
    }
    if (strategy && !session_id && !start_session) {
        throw Error::Validation("multitask_strategy", "only meaningful with session_id or start_session");
    }
    in.session_id = session_id;
    in.start_session = start_session;
    in.external_user_id = external_user_id;
    in.enqueue = strategy == "enqueue";
    if (history != nullptr) {
        in.history = ReadHistory(*history);
    }
    auto slot = in.stream ? StreamSlot(s, req) : nullptr;  // before the run starts: a 429 starts nothing
    const auto result = co_await s.runs.Invoke(req.Who(), std::move(in));
    co_return co_await Answer(s, req, result, std::move(slot));
}

net::awaitable<Response> ResolveOnce(Services& s, Request& req) {
    QueryReader(req).Finish();
    engine::ResolveRequest in;
    in.approval_id = core::RequireUuid("approvalId", req.Param("approvalId"));
    const auto body = core::ParseJsonBody(req.body);
    core::ObjectReader r(body, "");
    in.decision = r.Enum("decision", {"approve", "reject"});
    in.comment = r.OptString("comment");
    in.responded_by = r.OptString("responded_by");
    in.stream = r.OptBool("stream").value_or(false);
    r.Finish();
    auto slot = in.stream ? StreamSlot(s, req) : nullptr;
    const auto result = co_await s.runs.Resolve(req.Who(), std::move(in));
    co_return co_await Answer(s, req, result, std::move(slot));
}

net::awaitable<Response> RespondOnce(Services& s, Request& req) {
    QueryReader(req).Finish();
    engine::RespondRequest in;
    in.request_id = core::RequireUuid("requestId", req.Param("requestId"));
    const auto body = core::ParseJsonBody(req.body);
    core::ObjectReader r(body, "");
    const auto* response = r.Optional("response");
    if (response == nullptr || !(response->is_string() || response->is_object())) {
        throw Error::Validation(
            "response",
            response == nullptr
                ? "required: the answer, a string or an object"
                : std::string("must be a string or an object, not ").append(core::JsonTypeName(*response))
        );
    }
    in.response = *response;
    in.responded_by = r.OptString("responded_by");
    in.stream = r.OptBool("stream").value_or(false);
    r.Finish();
    auto slot = in.stream ? StreamSlot(s, req) : nullptr;
    const auto result = co_await s.runs.Respond(req.Who(), std::move(in));
    co_return co_await Answer(s, req, result, std::move(slot));
}

}  // namespace

void AddInvokeRoutes(Router& router, Services& s) {
    // Each may carry an Idempotency-Key: a retry gets the first answer, and the run is started or resumed once.
    router.Add("POST", "/api/v1/agents/:agentId/invoke", [&s](Request& req) {
        return Idempotent(s.pool, req, [&s, &req] { return InvokeOnce(s, req); });
    });
    router.Add("POST", "/api/v1/approvals/:approvalId/resolve", [&s](Request& req) {
        return Idempotent(s.pool, req, [&s, &req] { return ResolveOnce(s, req); });
    });
    router.Add("POST", "/api/v1/input-requests/:requestId/respond", [&s](Request& req) {
        return Idempotent(s.pool, req, [&s, &req] { return RespondOnce(s, req); });
    });
}

}  // namespace agentos::api
