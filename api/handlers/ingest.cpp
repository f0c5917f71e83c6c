// The v1 ingest API: runs reported by agents that execute elsewhere (the server only observes).

#include "api/dto/resource_json.hpp"
#include "api/handlers/services.hpp"
#include "api/server/router.hpp"
#include "runtime/core/error.hpp"
#include "runtime/core/ids.hpp"
#include "runtime/core/json_body.hpp"
#include "runtime/ingest_service.hpp"

namespace agentos::api {
namespace {

using core::Error;
using core::ObjectReader;

constexpr std::size_t kMaxEventsPerBatch = 1000;
constexpr std::size_t kMaxTypeLength = 200;
constexpr std::size_t kMaxExternalIdLength = 255;

std::string RunId(ObjectReader& r) {
    return core::RequireUuid(r.Path("run_id"), r.String("run_id"));
}

std::optional<std::string> BoundedString(ObjectReader& r, std::string_view key, std::size_t max) {
    auto v = r.OptString(key);
    if (v && v->size() > max) {
        throw Error::Validation(r.Path(key), "longer than " + std::to_string(max) + " characters");
    }
    return v;
}

/// An agent id is a UUID or a slug ([a-z0-9][a-z0-9-]{0,63}).
void CheckAgentRef(ObjectReader& r, const std::string& ref) {
    if (core::IsUuid(ref)) {
        return;
    }
    bool slug = !ref.empty() && ref.size() <= 64;
    for (std::size_t i = 0; slug && i < ref.size(); ++i) {
        const char c = ref[i];
        slug = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && i > 0);
    }
    if (!slug) {
        throw Error::Validation(r.Path("agent_id"), "not a UUID or an agent slug");
    }
}

core::TimePoint ParseTime(ObjectReader& r, std::string_view key, const std::string& text) {
    const auto t = core::ParseIso(text);
    if (!t) {
        throw Error::Validation(
            r.Path(key), "not an ISO-8601 time (expected the form 2026-05-11T20:00:00.000Z, got \"" + text + "\")"
        );
    }
    return *t;
}

net::awaitable<Response> StartRun(Services& s, Request& req) {
    const auto body = core::ParseJsonBody(req.body);
    ObjectReader r(body, "");
    engine::StartRunInput in;
    in.agent_ref = r.OptString("agent_id");
    if (in.agent_ref) {
        CheckAgentRef(r, *in.agent_ref);
    }
    in.trigger_type = r.OptEnum("trigger_type", {"manual", "scheduled", "webhook", "sdk"}).value_or("sdk");
    in.input = r.OptObject("input").value_or(nlohmann::json::object());
    in.external_run_id = BoundedString(r, "external_run_id", kMaxExternalIdLength);
    r.Finish();
    const auto result = co_await s.ingest.StartRun(req.Who(), std::move(in));
    nlohmann::json data = {{"run_id", result.run_id}};
    if (result.budget_warning) {
        data["budget_warning"] = *result.budget_warning;
    }
    co_return Response::Data(data, 201);
}

net::awaitable<Response> AppendEvents(Services& s, Request& req) {
    const auto body = core::ParseJsonBody(req.body);
    ObjectReader r(body, "");
    const std::string run_id = RunId(r);
    const auto& events = r.Array("events");
    r.Finish();
    if (events.empty()) {
        throw Error::Validation("events", "must not be empty: send at least one event");
    }
    if (events.size() > kMaxEventsPerBatch) {
        throw Error::Validation("events", "at most " + std::to_string(kMaxEventsPerBatch) + " events per batch");
    }
    std::vector<store::NewEvent> batch;
    batch.reserve(events.size());
    for (std::size_t i = 0; i < events.size(); ++i) {
        ObjectReader e(events[i], core::ElementPath("events", i));
        store::NewEvent ev;
        ev.type = e.String("type");
        if (ev.type.size() > kMaxTypeLength) {
            throw Error::Validation(e.Path("type"), "longer than " + std::to_string(kMaxTypeLength) + " characters");
        }
        ev.level = *core::ParseEventLevel(e.OptEnum("level", {"debug", "info", "warn", "error"}).value_or("info"));
        ev.payload = e.OptObject("payload").value_or(nlohmann::json::object());
        if (const auto at = e.OptString("occurred_at")) {
            ev.occurred_at = ParseTime(e, "occurred_at", *at);
        }
        e.Finish();
        batch.push_back(std::move(ev));
    }
    const auto n = batch.size();
    const auto result = co_await s.ingest.AppendEvents(req.Who(), run_id, std::move(batch));
    co_return Response::Data({
        {"run_id", run_id},
        {"accepted", n},
        {"first_sequence_number", result.first_seq},
        {"last_sequence_number", result.last_seq},
    });
}

nlohmann::json ClosedRunData(const engine::CloseResult& closed) {
    return RunJson(closed.run);
}

net::awaitable<Response> CompleteRun(Services& s, Request& req) {
    const auto body = core::ParseJsonBody(req.body);
    ObjectReader r(body, "");
    const std::string run_id = RunId(r);
    auto output = r.OptObject("output").value_or(nlohmann::json::object());
    r.Finish();
    const auto closed = co_await s.ingest.Complete(req.Who(), run_id, std::move(output));
    co_return Response::Data(ClosedRunData(closed));
}

net::awaitable<Response> FailRun(Services& s, Request& req) {
    const auto body = core::ParseJsonBody(req.body);
    ObjectReader r(body, "");
    const std::string run_id = RunId(r);
    auto message = r.String("error_message");
    auto detail = r.OptObject("error_detail").value_or(nlohmann::json(nullptr));
    r.Finish();
    const auto closed = co_await s.ingest.Fail(req.Who(), run_id, std::move(message), std::move(detail));
    co_return Response::Data(ClosedRunData(closed));
}

net::awaitable<Response> UpsertTask(Services& s, Request& req) {
    const auto body = core::ParseJsonBody(req.body);
    ObjectReader r(body, "");
    store::TaskRecord task;
    task.run_id = RunId(r);
    ObjectReader t(r.Required("task"), "task");
    r.Finish();
    task.id = core::RequireUuid(t.Path("id"), t.String("id"));
    task.name = t.String("name");
    if (task.name.size() > kMaxTypeLength) {
        throw Error::Validation(t.Path("name"), "longer than " + std::to_string(kMaxTypeLength) + " characters");
    }
    task.status = *core::ParseTaskStatus(t.Enum("status", {"pending", "running", "completed", "failed", "skipped"}));
    if (const auto* in = t.Optional("input")) {
        task.input = *in;
    }
    if (const auto* out = t.Optional("output")) {
        task.output = *out;
    }
    t.Finish();
    const auto saved = co_await s.ingest.UpsertTask(req.Who(), std::move(task));
    co_return Response::Data(TaskJson(saved));
}

}  // namespace

void AddIngestRoutes(Router& router, Services& s) {
    router.Add("POST", "/api/ingest/v1/run/start", [&s](Request& req) { return StartRun(s, req); });
    router.Add("POST", "/api/ingest/v1/events", [&s](Request& req) { return AppendEvents(s, req); });
    router.Add("POST", "/api/ingest/v1/run/complete", [&s](Request& req) { return CompleteRun(s, req); });
    router.Add("POST", "/api/ingest/v1/run/fail", [&s](Request& req) { return FailRun(s, req); });
    router.Add("POST", "/api/ingest/v1/tasks", [&s](Request& req) { return UpsertTask(s, req); });
}

}  // namespace agentos::api
