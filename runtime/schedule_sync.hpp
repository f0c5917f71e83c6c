#pragma once
/// The schedules an agent's definition declares (`schedules:` in its YAML) kept in the store as source "yaml"
/// schedules, one per list position: created, updated and removed with the definition that is current.

#include <optional>
#include <string_view>

#include "runtime/core/time.hpp"
#include "runtime/spec/agent_spec.hpp"
#include "runtime/store/agent_repo.hpp"
#include "runtime/store/schedule_repo.hpp"

namespace agentos::store {
class Tx;
}  // namespace agentos::store

namespace agentos::engine {

/// The first due time of `d` strictly after `after`; nullopt when the expression never fires (30 February). A cron or
/// time zone that does not parse is a VALIDATION_ERROR naming `<path>cron` / `<path>timezone`. It may read a zone
/// file: call it off the I/O threads (in a transaction's function).
std::optional<core::TimePoint> NextDueAfter(
    const store::ScheduleDefinition& d, core::TimePoint after, std::string_view path = ""
);

/// Makes the agent's yaml schedules what `spec.schedules` says, in `tx`. A schedule whose cron, time zone or enabled
/// flag changed starts over from `now` (no catch-up of what the old one would have fired); one that changed
/// otherwise keeps its next due time. `enabled` is taken from the definition only when it is a new version
/// (`new_version`): loading the same definition again (every start) keeps what enable/disable set through the API.
/// Announces a change to every server's firing loop. Returns whether anything changed.
bool SyncYamlSchedules(
    store::Tx& tx, const store::AgentRecord& agent, const spec::AgentSpec& spec, bool new_version, core::TimePoint now
);

}  // namespace agentos::engine
