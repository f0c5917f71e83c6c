#pragma once
/// What handlers may use, built once by App. Handlers are thin: parse, call a service or a store, serialize.

#include <chrono>

namespace agentos::core {
class Metrics;
}  // namespace agentos::core

namespace agentos::store {
class PgPool;
}  // namespace agentos::store

namespace agentos::engine {
class AgentService;
class EventRelay;
class IngestService;
class RunService;
}  // namespace agentos::engine

namespace agentos::events {
class LiveHub;
}  // namespace agentos::events

namespace agentos::scheduler {
class ScheduleService;
}  // namespace agentos::scheduler

namespace agentos::api {

class Router;
class StreamLimiter;

struct StreamOptions {
    std::chrono::milliseconds ping_interval{15'000};  ///< `: ping` on a quiet stream
};

struct Services {
    store::PgPool& pool;
    engine::IngestService& ingest;
    engine::AgentService& agents;
    engine::RunService& runs;
    core::Metrics& metrics;
    events::LiveHub& hub;
    engine::EventRelay& relay;
    StreamLimiter& streams;
    StreamOptions stream_options;
    scheduler::ScheduleService& schedules;
};

void AddIngestRoutes(Router& router, Services& services);
void AddLegacyIngestRoutes(Router& router, Services& services);
void AddRunRoutes(Router& router, Services& services);
void AddInvokeRoutes(Router& router, Services& services);
void AddPauseRoutes(Router& router, Services& services);
void AddAgentRoutes(Router& router, Services& services);
void AddServiceRoutes(Router& router, Services& services);
void AddStreamRoutes(Router& router, Services& services);
void AddSessionRoutes(Router& router, Services& services);
void AddMemoryRoutes(Router& router, Services& services);
void AddScheduleRoutes(Router& router, Services& services);

/// Every route of the server, in one place.
void AddAllRoutes(Router& router, Services& services);

}  // namespace agentos::api
