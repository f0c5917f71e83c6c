#pragma once
/// Live streams of runs as HTTP responses (SSE or WebSocket), shared by the stream routes and by invoke / resolve /
/// respond with `stream: true`.

#include <memory>
#include <optional>
#include <string>

#include "api/server/http_types.hpp"
#include "runtime/run_follower.hpp"
#include "runtime/run_service.hpp"

namespace agentos::api {

struct Services;

/// Opens a follower of `run_id` from `after` (errors — unknown run, a position past the end, another agent's run —
/// are thrown before any byte is sent, so they answer in the error envelope) and answers with its SSE stream.
/// `field` names where the position came from, for the error. `slot`: the caller's stream slot, taken before it
/// started the run (none: taken here).
net::awaitable<Response> RunStreamResponse(
    Services& s,
    const Request& req,
    std::string run_id,
    engine::StreamPosition after,
    std::string field,
    std::shared_ptr<void> slot = nullptr,
    const engine::InvokeResult* started = nullptr  ///< a run this request started: begin with its run_start
);

/// The caller's slot for one more stream (RATE_LIMITED past the per-key limit).
std::shared_ptr<void> StreamSlot(Services& s, const Request& req);

}  // namespace agentos::api
