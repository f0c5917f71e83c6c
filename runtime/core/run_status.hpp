#pragma once
/// The wire vocabulary of runs, events and tasks: one enum per concept, one ToString/Parse pair each.

#include <optional>
#include <string_view>

namespace agentos::core {

enum class RunStatus { kQueued, kRunning, kAwaitingApproval, kAwaitingInput, kCompleted, kFailed, kCancelled };

std::string_view ToString(RunStatus status);
std::optional<RunStatus> ParseRunStatus(std::string_view text);

/// completed, failed and cancelled: a run in one of these never changes again.
bool IsTerminal(RunStatus status);

enum class EventLevel { kDebug, kInfo, kWarn, kError };

std::string_view ToString(EventLevel level);
std::optional<EventLevel> ParseEventLevel(std::string_view text);

enum class TaskStatus { kPending, kRunning, kCompleted, kFailed, kSkipped };

std::string_view ToString(TaskStatus status);
std::optional<TaskStatus> ParseTaskStatus(std::string_view text);

}  // namespace agentos::core
