#pragma once
/// How schedules and their recorded fires look on the wire.

#include <nlohmann/json.hpp>

#include "runtime/store/schedule_repo.hpp"
#include "scheduler/schedule_service.hpp"

namespace agentos::api {

/// A schedule as listed.
nlohmann::json ScheduleJson(const store::ScheduleRecord& schedule);

/// A schedule with its next due times (`next_fire_times`): what one-schedule routes answer.
nlohmann::json ScheduleJson(const scheduler::ScheduleView& view);

nlohmann::json FireJson(const store::FireRecord& fire);

}  // namespace agentos::api
