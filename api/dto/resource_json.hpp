#pragma once
/// How stored records look on the wire. One function per resource, used by every route that returns it.

#include <optional>

#include <nlohmann/json.hpp>

#include "runtime/core/time.hpp"
#include "runtime/store/agent_repo.hpp"
#include "runtime/store/event_repo.hpp"
#include "runtime/store/memory_repo.hpp"
#include "runtime/store/pause_repo.hpp"
#include "runtime/store/run_repo.hpp"
#include "runtime/store/session_repo.hpp"
#include "runtime/store/task_repo.hpp"

namespace agentos::api {

nlohmann::json RunJson(const store::RunRecord& run);
nlohmann::json EventJson(const store::EventRecord& event);
nlohmann::json TaskJson(const store::TaskRecord& task);
nlohmann::json AgentJson(const store::AgentRecord& agent);
nlohmann::json ApprovalJson(const store::PauseRecord& approval);
nlohmann::json InputRequestJson(const store::PauseRecord& request);
nlohmann::json SessionJson(const store::SessionRecord& session);
nlohmann::json SessionMessageJson(const store::SessionMessage& message);
nlohmann::json MemoryJson(const store::UserMemory& memory);

/// ISO-8601 text, or null.
nlohmann::json TimeJson(const std::optional<core::TimePoint>& t);

/// The value, or null.
template <class T>
nlohmann::json OrNull(const std::optional<T>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

/// {"items": [...], "next_cursor": "..." | null}
nlohmann::json Page(nlohmann::json items, const std::optional<std::string>& next_cursor);

}  // namespace agentos::api
