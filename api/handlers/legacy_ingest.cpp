// The single legacy endpoint, POST /api/ingest: one event per request, runs keyed by the SDK's own run id.
// Its success body is the seed's `{status, event_id, budget_warning?}`, not the envelope; errors use the envelope.

#include "api/handlers/services.hpp"
#include "api/server/router.hpp"
#include "runtime/core/error.hpp"
#include "runtime/core/json_body.hpp"
#include "runtime/ingest_service.hpp"

namespace agentos::api {
namespace {

using core::Error;

constexpr std::size_t kMaxSdkRunIdLength = 255;

net::awaitable<Response> IngestLegacy(Services& s, Request& req) {
    const auto body = core::ParseJsonBody(req.body);
    core::ObjectReader r(body, "");
    engine::LegacyEvent e;
    e.event_type = r.String("event_type");
    if (!engine::IsLegacyEventType(e.event_type)) {
        throw Error::Validation(
            "event_type",
            "must be one of run_start, step, tool_call, error, run_end, human_input_requested, human_input_received "
            "(got \"" +
                e.event_type + "\")"
        );
    }
    e.sdk_run_id = r.String("sdk_run_id");
    if (e.sdk_run_id.size() > kMaxSdkRunIdLength) {
        throw Error::Validation("sdk_run_id", "longer than " + std::to_string(kMaxSdkRunIdLength) + " characters");
    }
    const auto* payload = r.Optional("payload");
    if (payload == nullptr) {
        throw Error::Validation("payload", "required (an object; {} when the event carries nothing)");
    }
    if (!payload->is_object()) {
        throw Error::Validation(
            "payload", std::string("must be a JSON object, not ").append(core::JsonTypeName(*payload))
        );
    }
    e.payload = *payload;
    e.agent_name = r.OptString("agent_name");
    if (e.agent_name && e.agent_name->empty()) {
        throw Error::Validation("agent_name", "must not be empty");
    }
    if (const auto at = r.OptString("occurred_at")) {
        e.occurred_at = core::ParseIso(*at);
        if (!e.occurred_at) {
            throw Error::Validation(
                "occurred_at", "not an ISO-8601 time (expected the form 2026-04-02T10:00:00Z, got \"" + *at + "\")"
            );
        }
    }
    r.Finish();
    const auto result = co_await s.ingest.IngestLegacy(req.Who(), std::move(e));
    nlohmann::json out = {{"status", "ok"}, {"event_id", result.event_id}};
    if (result.budget_warning) {
        out["budget_warning"] = *result.budget_warning;
    }
    co_return Response::Text(out.dump(), "application/json");
}

}  // namespace

void AddLegacyIngestRoutes(Router& router, Services& s) {
    router.Add("POST", "/api/ingest", [&s](Request& req) { return IngestLegacy(s, req); });
}

}  // namespace agentos::api
