#include "tools/builtin/current_time_tool.hpp"

#include <string>
#include <utility>

#include <cctz/time_zone.h>

#include "runtime/core/error.hpp"
#include "runtime/core/time.hpp"
#include "scheduler/cron/cron_expr.hpp"

namespace agentos::tools {
namespace {

constexpr std::string_view kDefaultZone = "UTC";

}  // namespace

CurrentTimeTool::CurrentTimeTool(spec::ToolSpec tool_spec, const core::Clock& clock)
    : spec_(std::move(tool_spec)), clock_(&clock) {
    if (spec_.description.empty()) {
        spec_.description = "The current date and time: in UTC, and as local time in an IANA time zone (default UTC).";
    }
    spec_.parameters = {
        {"type", "object"},
        {"properties",
         {{"timezone",
           {{"type", "string"},
            {"description", "IANA time zone name, e.g. Europe/Zurich or America/New_York; default UTC"}}}}},
    };
}

net::awaitable<ToolOutcome> CurrentTimeTool::Call(nlohmann::json args, ToolCallContext /*context*/) {
    std::string zone(kDefaultZone);
    if (args.is_object()) {
        const auto it = args.find("timezone");
        if (it != args.end() && it->is_string() && !it->get_ref<const std::string&>().empty()) {
            zone = it->get<std::string>();
        } else if (it != args.end() && !it->is_null() && !it->is_string()) {
            co_return ToolOutcome::Error("timezone: must be a string (an IANA time zone name)");
        }
    }
    cctz::time_zone tz;
    std::string failure;
    try {
        tz = scheduler::LoadTimeZone(zone, "timezone");
    } catch (const core::Error& e) {
        failure = e.what();
    }
    if (!failure.empty()) {
        co_return ToolOutcome::Error(failure);
    }
    const core::TimePoint now = clock_->Now();
    co_return ToolOutcome{
        nlohmann::json{
            {"utc", core::FormatIso(now)},
            {"timezone", zone},
            {"local", cctz::format("%Y-%m-%dT%H:%M:%S%Ez", now, tz)},
        },
        false,
    };
}

}  // namespace agentos::tools
