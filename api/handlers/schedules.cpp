// Schedules: an agent run on a cron expression in a time zone. Create, list, read (with the next due times),
// change, delete, enable, disable, trigger one run now, and list a schedule's runs and recorded fires. The firing
// loop (every server) fires the due times; these routes only define and inspect.

#include "api/dto/query_reader.hpp"
#include "api/dto/resource_json.hpp"
#include "api/dto/schedule_json.hpp"
#include "api/handlers/services.hpp"
#include "api/middleware/idempotency.hpp"
#include "api/server/router.hpp"
#include "runtime/core/error.hpp"
#include "runtime/core/ids.hpp"
#include "runtime/core/json_body.hpp"
#include "scheduler/schedule_service.hpp"

namespace agentos::api {
namespace {

using core::Error;
using Json = nlohmann::json;

constexpr std::size_t kMaxCron = 200;
constexpr std::size_t kMaxTimezone = 100;

std::string ScheduleId(const Request& req) {
    return core::RequireUuid("scheduleId", req.Param("scheduleId"));
}

std::string ReadCron(core::ObjectReader& r) {
    auto cron = r.String("cron");
    core::CheckText("cron", cron, kMaxCron);
    return cron;
}

std::optional<std::string> ReadTimezone(core::ObjectReader& r) {
    auto tz = r.OptString("timezone");
    if (tz) {
        core::CheckText("timezone", *tz, kMaxTimezone);
    }
    return tz;
}

/// prompt_variables: an object whose values are strings.
std::optional<Json> ReadVariables(core::ObjectReader& r) {
    auto vars = r.OptObject("prompt_variables");
    if (vars) {
        for (const auto& [name, value] : vars->items()) {
            if (!value.is_string()) {
                throw Error::Validation(
                    "prompt_variables." + name, std::string("must be a string, not ").append(core::JsonTypeName(value))
                );
            }
        }
    }
    return vars;
}

std::optional<std::int64_t> ReadCatchUp(core::ObjectReader& r) {
    return r.OptInt("catch_up_s", 0, scheduler::kMaxCatchUpSeconds);
}

std::optional<std::string> ReadOverlap(core::ObjectReader& r) {
    return r.OptEnum("overlap", {"skip", "allow"});
}

/// Routes that take no fields: an empty body or {}.
void NoFields(const Request& req) {
    if (!req.body.empty()) {
        const auto body = core::ParseJsonBody(req.body);
        core::ObjectReader(body, "").Finish();
    }
}

net::awaitable<Response> CreateSchedule(Services& s, Request& req) {
    QueryReader(req).Finish();
    const auto body = core::ParseJsonBody(req.body);
    core::ObjectReader r(body, "");
    scheduler::NewScheduleRequest in;
    in.agent_ref = r.String("agent_id");
    auto& d = in.definition;
    d.cron = ReadCron(r);
    d.timezone = ReadTimezone(r).value_or("UTC");
    d.input = r.OptObject("input").value_or(Json::object());
    d.prompt_variables = ReadVariables(r).value_or(Json::object());
    d.enabled = r.OptBool("enabled").value_or(true);
    d.catch_up_s = ReadCatchUp(r).value_or(300);
    d.overlap = ReadOverlap(r).value_or("skip");
    r.Finish();
    auto created = s.schedules.Create(req.Who(), std::move(in));
    const auto view = co_await std::move(created);
    co_return Response::Data(ScheduleJson(view), 201);
}

net::awaitable<Response> ListSchedules(Services& s, Request& req) {
    QueryReader q(req);
    store::ScheduleFilter f;
    auto agent_ref = q.String("agent_id");
    if (const auto enabled = q.Enum("enabled", {"true", "false"})) {
        f.enabled = *enabled == "true";
    }
    f.before_id = q.Uuid("cursor");
    const int limit = q.Limit();
    f.limit = limit + 1;
    q.Finish();
    auto listed = s.schedules.List(req.Who(), std::move(agent_ref), f);
    auto schedules = co_await std::move(listed);
    const auto next = TrimPage(schedules, limit);
    Json items = Json::array();
    for (const auto& schedule : schedules) {
        items.push_back(ScheduleJson(schedule));
    }
    co_return Response::Data(Page(std::move(items), next));
}

net::awaitable<Response> GetSchedule(Services& s, Request& req) {
    QueryReader(req).Finish();
    auto got = s.schedules.Get(req.Who(), ScheduleId(req));
    const auto view = co_await std::move(got);
    co_return Response::Data(ScheduleJson(view));
}

net::awaitable<Response> UpdateSchedule(Services& s, Request& req) {
    QueryReader(req).Finish();
    const auto id = ScheduleId(req);
    const auto body = core::ParseJsonBody(req.body);
    core::ObjectReader r(body, "");
    if (r.Optional("agent_id") != nullptr) {
        throw Error::Validation("agent_id", "a schedule's agent cannot change: create a schedule for the other agent");
    }
    scheduler::ScheduleChange change;
    if (r.Optional("cron") != nullptr) {
        change.cron = ReadCron(r);
    }
    change.timezone = ReadTimezone(r);
    change.input = r.OptObject("input");
    change.prompt_variables = ReadVariables(r);
    change.enabled = r.OptBool("enabled");
    change.catch_up_s = ReadCatchUp(r);
    change.overlap = ReadOverlap(r);
    r.Finish();
    if (change.Empty()) {
        throw Error::Validation(
            "body", "nothing to change: give cron, timezone, input, prompt_variables, enabled, catch_up_s or overlap"
        );
    }
    auto updated = s.schedules.Update(req.Who(), id, std::move(change));
    const auto view = co_await std::move(updated);
    co_return Response::Data(ScheduleJson(view));
}

net::awaitable<Response> DeleteSchedule(Services& s, Request& req) {
    QueryReader(req).Finish();
    auto deleted = s.schedules.Delete(req.Who(), ScheduleId(req));
    co_await std::move(deleted);
    co_return Response::Data({{"deleted", true}});
}

net::awaitable<Response> EnableSchedule(Services& s, Request& req, bool enabled) {
    QueryReader(req).Finish();
    const auto id = ScheduleId(req);
    NoFields(req);
    auto changed = enabled ? s.schedules.Enable(req.Who(), id) : s.schedules.Disable(req.Who(), id);
    const auto view = co_await std::move(changed);
    co_return Response::Data(ScheduleJson(view));
}

net::awaitable<Response> TriggerScheduleOnce(Services& s, Request& req) {
    QueryReader(req).Finish();
    const auto id = ScheduleId(req);
    NoFields(req);
    auto triggered = s.schedules.Trigger(req.Who(), id);
    const auto run = co_await std::move(triggered);
    co_return Response::Data({{"run_id", run.run_id}, {"schedule_id", run.schedule_id}, {"status", "queued"}}, 202);
}

net::awaitable<Response> ScheduleRuns(Services& s, Request& req) {
    QueryReader q(req);
    store::RunFilter f;
    f.status = q.Status("status");
    f.before_id = q.Uuid("cursor");
    const int limit = q.Limit();
    f.limit = limit + 1;
    q.Finish();
    auto listed = s.schedules.Runs(req.Who(), ScheduleId(req), f);
    auto runs = co_await std::move(listed);
    const auto next = TrimPage(runs, limit);
    Json items = Json::array();
    for (const auto& r : runs) {
        items.push_back(RunJson(r));
    }
    co_return Response::Data(Page(std::move(items), next));
}

net::awaitable<Response> ScheduleFires(Services& s, Request& req) {
    QueryReader q(req);
    std::optional<core::TimePoint> before;
    if (const auto cursor = q.String("cursor")) {
        before = core::ParseIso(*cursor);
        if (!before) {
            throw Error::Validation("cursor", "must be the next_cursor of the previous page (an ISO-8601 time)");
        }
    }
    const int limit = q.Limit();
    q.Finish();
    auto listed = s.schedules.Fires(req.Who(), ScheduleId(req), before, limit);
    const auto page = co_await std::move(listed);
    Json items = Json::array();
    for (const auto& f : page.fires) {
        items.push_back(FireJson(f));
    }
    std::optional<std::string> next;
    if (page.next_before) {
        next = core::FormatIso(*page.next_before);
    }
    co_return Response::Data(Page(std::move(items), next));
}

}  // namespace

void AddScheduleRoutes(Router& router, Services& s) {
    router.Add("POST", "/api/v1/schedules", [&s](Request& req) { return CreateSchedule(s, req); });
    router.Add("GET", "/api/v1/schedules", [&s](Request& req) { return ListSchedules(s, req); });
    router.Add("GET", "/api/v1/schedules/:scheduleId", [&s](Request& req) { return GetSchedule(s, req); });
    router.Add("PATCH", "/api/v1/schedules/:scheduleId", [&s](Request& req) { return UpdateSchedule(s, req); });
    router.Add("DELETE", "/api/v1/schedules/:scheduleId", [&s](Request& req) { return DeleteSchedule(s, req); });
    router.Add("POST", "/api/v1/schedules/:scheduleId/enable", [&s](Request& req) {
        return EnableSchedule(s, req, true);
    });
    router.Add("POST", "/api/v1/schedules/:scheduleId/disable", [&s](Request& req) {
        return EnableSchedule(s, req, false);
    });
    router.Add("POST", "/api/v1/schedules/:scheduleId/trigger", [&s](Request& req) {
        return Idempotent(s.pool, req, [&s, &req] { return TriggerScheduleOnce(s, req); });
    });
    router.Add("GET", "/api/v1/schedules/:scheduleId/runs", [&s](Request& req) { return ScheduleRuns(s, req); });
    router.Add("GET", "/api/v1/schedules/:scheduleId/fires", [&s](Request& req) { return ScheduleFires(s, req); });
}

}  // namespace agentos::api
