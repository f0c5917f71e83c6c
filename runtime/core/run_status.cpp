#include "runtime/core/run_status.hpp"

#include <array>
#include <utility>

namespace agentos::core {
namespace {

template <class E, std::size_t N>
std::string_view NameOf(const std::array<std::pair<E, std::string_view>, N>& table, E value) {
    for (const auto& [e, name] : table) {
        if (e == value) {
            return name;
        }
    }
    return "unknown";
}

template <class E, std::size_t N>
std::optional<E> Lookup(const std::array<std::pair<E, std::string_view>, N>& table, std::string_view text) {
    for (const auto& [e, name] : table) {
        if (name == text) {
            return e;
        }
    }
    return std::nullopt;
}

constexpr std::array<std::pair<RunStatus, std::string_view>, 7> kRunStatuses{{
    {RunStatus::kQueued, "queued"},
    {RunStatus::kRunning, "running"},
    {RunStatus::kAwaitingApproval, "awaiting_approval"},
    {RunStatus::kAwaitingInput, "awaiting_input"},
    {RunStatus::kCompleted, "completed"},
    {RunStatus::kFailed, "failed"},
    {RunStatus::kCancelled, "cancelled"},
}};

constexpr std::array<std::pair<EventLevel, std::string_view>, 4> kLevels{{
    {EventLevel::kDebug, "debug"},
    {EventLevel::kInfo, "info"},
    {EventLevel::kWarn, "warn"},
    {EventLevel::kError, "error"},
}};

constexpr std::array<std::pair<TaskStatus, std::string_view>, 5> kTaskStatuses{{
    {TaskStatus::kPending, "pending"},
    {TaskStatus::kRunning, "running"},
    {TaskStatus::kCompleted, "completed"},
    {TaskStatus::kFailed, "failed"},
    {TaskStatus::kSkipped, "skipped"},
}};

}  // namespace

std::string_view ToString(RunStatus status) {
    return NameOf(kRunStatuses, status);
}

std::optional<RunStatus> ParseRunStatus(std::string_view text) {
    return Lookup(kRunStatuses, text);
}

bool IsTerminal(RunStatus status) {
    return status == RunStatus::kCompleted || status == RunStatus::kFailed || status == RunStatus::kCancelled;
}

std::string_view ToString(EventLevel level) {
    return NameOf(kLevels, level);
}

std::optional<EventLevel> ParseEventLevel(std::string_view text) {
    return Lookup(kLevels, text);
}

std::string_view ToString(TaskStatus status) {
    return NameOf(kTaskStatuses, status);
}

std::optional<TaskStatus> ParseTaskStatus(std::string_view text) {
    return Lookup(kTaskStatuses, text);
}

}  // namespace agentos::core
