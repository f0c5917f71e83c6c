#pragma once
/// IngestService: how runs reported from outside (the v1 ingest API and the legacy single endpoint) become runs
/// and timelines. Each call is one transaction; a run closes exactly once; every access is checked against the
/// caller's workspace and, for agent keys, their agent.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/core/principal.hpp"
#include "runtime/net/asio.hpp"
#include "runtime/run_close.hpp"
#include "runtime/store/event_repo.hpp"
#include "runtime/store/run_repo.hpp"
#include "runtime/store/task_repo.hpp"

namespace agentos::store {
class PgPool;
}  // namespace agentos::store

namespace agentos::engine {

struct StartRunInput {
    std::optional<std::string> agent_ref;  ///< id or slug; defaults to an agent key's own agent
    std::string trigger_type = "sdk";
    nlohmann::json input = nlohmann::json::object();
    std::optional<std::string> external_run_id;
};

struct StartRunResult {
    std::string run_id;
    std::optional<std::string> budget_warning;
};

/// One event of the legacy `POST /api/ingest` endpoint, validated.
struct LegacyEvent {
    std::string event_type;  ///< one of the seven core types
    std::string sdk_run_id;
    nlohmann::json payload = nlohmann::json::object();
    std::optional<std::string> agent_name;
    std::optional<core::TimePoint> occurred_at;
};

struct LegacyResult {
    std::int64_t event_id = 0;
    std::optional<std::string> budget_warning;
};

/// The seven core event types of the legacy endpoint.
bool IsLegacyEventType(std::string_view type);

/// "Research Agent" → "research-agent": lower-case [a-z0-9-], at most 64 characters; empty when nothing is left.
std::string Slugify(std::string_view name);

class IngestService {
public:
    explicit IngestService(store::PgPool& pool) : pool_(pool) {}

    net::awaitable<StartRunResult> StartRun(core::Principal who, StartRunInput in);

    net::awaitable<store::AppendResult> AppendEvents(
        core::Principal who, std::string run_id, std::vector<store::NewEvent> events
    );

    net::awaitable<CloseResult> Complete(core::Principal who, std::string run_id, nlohmann::json output);

    net::awaitable<CloseResult> Fail(
        core::Principal who, std::string run_id, std::string error_message, nlohmann::json error_detail
    );

    net::awaitable<store::TaskRecord> UpsertTask(core::Principal who, store::TaskRecord task);

    net::awaitable<LegacyResult> IngestLegacy(core::Principal who, LegacyEvent event);

private:
    net::awaitable<CloseResult> Close(core::Principal who, std::string run_id, store::RunEnd end);

    store::PgPool& pool_;
};

}  // namespace agentos::engine
