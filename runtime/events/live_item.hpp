#pragma once
/// What a live listener of runs receives: a stored event of a run (with the run's state as read with it), or a
/// token chunk of an LLM call still in flight. Items are shared, read-only, by every listener they reach.

#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "runtime/core/run_status.hpp"

namespace agentos::events {

struct LiveItem {
    enum class Kind { kStored, kChunk };

    Kind kind = Kind::kStored;
    std::string workspace_id;
    std::string run_id;
    std::string agent_id;
    /// Stored: the event's sequence number. Chunk: the run's last stored sequence number before it.
    std::int64_t seq = 0;
    /// Chunk: its place (1-based) among the chunks that follow `seq`.
    std::int64_t chunk = 0;
    std::string type;         ///< stored: the event type
    std::string level;        ///< stored: debug|info|warn|error
    nlohmann::json payload;   ///< stored: the event payload; chunk: {"delta": text}
    std::string occurred_at;  ///< stored: ISO-8601
    /// Stored: the run's status and last sequence number when this event was read, and how it ended (output,
    /// error_message, error_type, session_id) once it has.
    core::RunStatus status = core::RunStatus::kRunning;
    std::int64_t last_seq = 0;
    nlohmann::json end;

    /// Roughly what the item costs a listener's queue, for its memory cap.
    std::size_t bytes = 0;
};

using LiveItemPtr = std::shared_ptr<const LiveItem>;

}  // namespace agentos::events
