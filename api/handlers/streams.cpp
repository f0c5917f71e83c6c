// Live streams: a run (GET /api/v1/runs/:runId/stream, SSE, resumable by id) and the workspace feed of every stored
// event (GET /api/v1/events/stream as SSE, /api/v1/events/ws as WebSocket).

#include <memory>
#include <utility>

#include "api/dto/query_reader.hpp"
#include "api/handlers/run_stream.hpp"
#include "api/handlers/services.hpp"
#include "api/middleware/auth.hpp"
#include "api/middleware/stream_limit.hpp"
#include "api/server/router.hpp"
#include "runtime/agent_service.hpp"
#include "runtime/core/error.hpp"
#include "runtime/core/ids.hpp"
#include "runtime/event_relay.hpp"
#include "runtime/events/live_hub.hpp"
#include "runtime/store/pg_pool.hpp"

namespace agentos::api {
namespace {

using core::Error;
using nlohmann::json;

std::vector<StreamMessage> Messages(const std::vector<engine::StreamFrame>& frames) {
    std::vector<StreamMessage> out;
    out.reserve(frames.size());
    for (const auto& f : frames) {
        out.push_back({f.id, f.event, f.data.dump()});
    }
    return out;
}

/// Writes a follower's frames until its terminal frame, or until the client goes or falls too far behind.
net::awaitable<void> PumpRun(
    std::shared_ptr<engine::RunFollower> follower, StreamWriter& writer, std::chrono::milliseconds ping
) {
    writer.OnClientGone([follower] { follower->Stop(); });
    follower->OnCut(writer.Aborter());
    for (;;) {  // a follower may be done at once (a run that ended) with its frames still to send
        auto next = follower->Next(ping);
        const auto frames = co_await std::move(next);
        bool ok = true;
        if (!frames.empty()) {
            auto write = writer.Write(Messages(frames));
            ok = co_await std::move(write);
        } else if (follower->done()) {
            break;
        } else {
            auto ping_write = writer.Ping();
            ok = co_await std::move(ping_write);
        }
        if (!ok) {
            break;
        }
    }
}

/// The workspace feed's frame of a stored event.
StreamMessage FeedMessage(const events::LiveItem& item) {
    const json data = {
        {"run_id", item.run_id},
        {"agent_id", item.agent_id},
        {"sequence_number", item.seq},
        {"type", item.type},
        {"level", item.level},
        {"payload", item.payload},
        {"occurred_at", item.occurred_at},
        {"run_status", core::ToString(item.status)}};
    return {item.run_id + ":" + std::to_string(item.seq), item.type, data.dump()};
}

net::awaitable<void> PumpFeed(
    events::LiveHub& hub,
    std::shared_ptr<events::Subscription> sub,
    StreamWriter& writer,
    std::chrono::milliseconds ping
) {
    struct Leave {
        events::LiveHub& hub;
        std::shared_ptr<events::Subscription> sub;

        ~Leave() { hub.Unsubscribe(sub); }
    } leave{hub, sub};

    writer.OnClientGone([sub] { sub->Close(); });
    sub->OnOverflow(writer.Aborter());
    for (;;) {
        auto next = sub->Next(ping);
        const auto items = co_await std::move(next);
        if (sub->closed() || sub->overflowed()) {
            break;
        }
        bool ok = true;
        if (items.empty()) {
            auto ping_write = writer.Ping();
            ok = co_await std::move(ping_write);
        } else {
            std::vector<StreamMessage> messages;
            messages.reserve(items.size());
            for (const auto& item : items) {
                messages.push_back(FeedMessage(*item));
            }
            auto write = writer.Write(std::move(messages));
            ok = co_await std::move(write);
        }
        if (!ok) {
            break;
        }
    }
}

/// `Last-Event-ID` (what an EventSource sends on reconnect) or `?after=`; both is a conflict of two positions.
engine::StreamPosition StreamStart(QueryReader& q, const Request& req, std::string& field) {
    const auto after = q.String("after");
    const auto last_id = req.Header("last-event-id");
    if (after && last_id) {
        throw Error::Validation("after", "give either ?after= or the Last-Event-ID header, not both");
    }
    if (!after && !last_id) {
        field = "after";
        return {};
    }
    field = after ? "after" : "Last-Event-ID";
    const std::string text = after ? *after : std::string(*last_id);
    const auto position = engine::ParseStreamPosition(text);
    if (!position) {
        throw Error::Validation(
            field, "must be an id the stream sent: a sequence number N, or N.K for a chunk (got '" + text + "')"
        );
    }
    return *position;
}

net::awaitable<Response> StreamRun(Services& s, Request& req) {
    QueryReader q(req);
    std::string field;
    const auto after = StreamStart(q, req, field);
    q.Finish();
    const auto run_id = core::RequireUuid("runId", req.Param("runId"));
    co_return co_await RunStreamResponse(s, req, run_id, after, field);
}

net::awaitable<Response> Feed(Services& s, Request& req, StreamKind kind) {
    QueryReader q(req);
    const auto agent_ref = q.String("agent_id");
    const auto run_id = q.Uuid("run_id");
    q.Finish();
    if (kind == StreamKind::kWebSocket) {
        if (!IsWebSocketUpgrade(req)) {
            throw Error::Validation("Upgrade", "this route speaks WebSocket: connect with a WebSocket client");
        }
    }
    const auto& who = req.Who();
    std::optional<std::string> agent_id;
    co_await s.pool.Autocommit([&](store::Tx& tx) { agent_id = engine::AgentScope(tx, who, agent_ref); });
    auto slot = s.streams.Acquire(who.key_id);
    auto sub = s.hub.FollowWorkspace({who.workspace_id, agent_id, run_id});
    const auto ping = s.stream_options.ping_interval;
    auto response = Response::Stream(kind, [&hub = s.hub, sub, slot, ping](StreamWriter& writer) {
        return PumpFeed(hub, sub, writer, ping);
    });
    if (kind == StreamKind::kWebSocket) {
        if (auto protocol = SelectedSubprotocol(req)) {
            response.SetHeader("Sec-WebSocket-Protocol", std::move(*protocol));
        }
    }
    co_return response;
}

}  // namespace

std::shared_ptr<void> StreamSlot(Services& s, const Request& req) {
    return s.streams.Acquire(req.Who().key_id);
}

net::awaitable<Response> RunStreamResponse(
    Services& s,
    const Request& req,
    std::string run_id,
    engine::StreamPosition after,
    std::string field,
    std::shared_ptr<void> slot,
    const engine::InvokeResult* started
) {
    const auto& who = req.Who();
    if (!slot) {
        slot = StreamSlot(s, req);
    }
    const json replay = {
        {"run_id", run_id}, {"status", "running"}, {"stream_url", "/api/v1/runs/" + run_id + "/stream"}};
    auto follower = std::make_shared<engine::RunFollower>(
        engine::FollowerDeps{s.pool, s.hub, s.relay},
        who.workspace_id,
        std::move(run_id),
        after,
        started != nullptr && started->stream_children
    );
    if (started != nullptr && !started->run_start.is_null()) {
        follower->OpenAtStart(started->agent_id, started->run_start);  // no read: time to first token
    } else {
        auto open = follower->Open(std::move(field), who.agent_id);
        co_await std::move(open);
    }
    const auto ping = s.stream_options.ping_interval;
    auto response = Response::Stream(StreamKind::kSse, [follower, slot, ping](StreamWriter& writer) {
        return PumpRun(follower, writer, ping);
    });
    // What an Idempotency-Key retry is answered (202 and this body): the run, and where to follow it.
    response.body = nlohmann::json({{"data", replay}, {"error", nullptr}}).dump();
    co_return response;
}

void AddStreamRoutes(Router& router, Services& s) {
    router.Add("GET", "/api/v1/runs/:runId/stream", [&s](Request& req) { return StreamRun(s, req); });
    router.Add("GET", "/api/v1/events/stream", [&s](Request& req) { return Feed(s, req, StreamKind::kSse); });
    router.Add("GET", "/api/v1/events/ws", [&s](Request& req) { return Feed(s, req, StreamKind::kWebSocket); });
}

}  // namespace agentos::api
