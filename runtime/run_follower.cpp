#include "runtime/run_follower.hpp"

#include <algorithm>
#include <charconv>
#include <utility>

#include "runtime/core/error.hpp"
#include "runtime/core/run_status.hpp"
#include "runtime/event_relay.hpp"
#include "runtime/store/event_repo.hpp"
#include "runtime/store/pg_pool.hpp"

namespace agentos::engine {
namespace {

using core::Error;
using core::RunStatus;
using nlohmann::json;

constexpr int kPage = 500;
/// Chunks held back for a stored event not yet relayed; past this the follower reads the store instead.
constexpr std::size_t kMaxHeld = 4096;
/// How long held chunks may wait for their stored event before the follower reads it from the store.
constexpr std::chrono::milliseconds kHeldWait{250};

/// Whether a stream of a run with this status ends once it has everything.
bool Stops(RunStatus s) {
    return core::IsTerminal(s) || s == RunStatus::kAwaitingApproval || s == RunStatus::kAwaitingInput;
}

bool IsTerminalFrame(const std::string& event) {
    return event == "done" || event == "error" || event == "awaiting_approval" || event == "awaiting_input";
}

std::optional<std::int64_t> ParseCount(std::string_view text) {
    std::int64_t v = 0;
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, v);
    if (text.empty() || ec != std::errc() || ptr != end || v < 0) {
        return std::nullopt;
    }
    return v;
}

json WithRun(const std::string& run_id, const json& payload) {
    json data = payload.is_object() ? payload : json::object();
    data["run_id"] = run_id;
    return data;
}

json OrNull(const json& object, const char* key) {
    return object.is_object() && object.contains(key) ? object[key] : json();
}

/// The terminal frame of a run that stopped without its own (cancelled, or failed with no error event last).
StreamFrame Ending(const events::LiveItem& item) {
    StreamFrame f;
    f.id = std::to_string(item.seq);
    json data = {{"run_id", item.run_id}};
    switch (item.status) {
        case RunStatus::kCompleted:
            f.event = "done";
            data["output"] = OrNull(item.end, "output");
            data["session_id"] = OrNull(item.end, "session_id");
            break;
        case RunStatus::kAwaitingApproval:
            f.event = "awaiting_approval";
            break;
        case RunStatus::kAwaitingInput:
            f.event = "awaiting_input";
            break;
        default: {
            f.event = "error";
            data["code"] = item.status == RunStatus::kCancelled ? "CANCELLED" : "RUN_FAILED";
            const json message = OrNull(item.end, "error_message");
            data["message"] = message.is_string()
                                  ? message
                                  : json(std::string("the run ") + std::string(core::ToString(item.status)));
        }
    }
    f.data = std::move(data);
    return f;
}

}  // namespace

std::optional<StreamPosition> ParseStreamPosition(std::string_view text) {
    const auto dot = text.find('.');
    const auto seq = ParseCount(text.substr(0, dot));
    if (!seq) {
        return std::nullopt;
    }
    StreamPosition p{*seq, 0};
    if (dot != std::string_view::npos) {
        const auto chunk = ParseCount(text.substr(dot + 1));
        if (!chunk) {
            return std::nullopt;
        }
        p.chunk = *chunk;
    }
    return p;
}

StreamFrame FrameOf(const events::LiveItem& item, bool terminal) {
    StreamFrame f;
    f.id = std::to_string(item.seq);
    const json& p = item.payload;
    if (item.type == "run_start") {
        f.event = "run";
        f.data = WithRun(item.run_id, p);
        f.data["agent_id"] = item.agent_id;
        f.data["session_id"] = OrNull(p, "session_id");
    } else if (item.type == "step") {
        f.event = "step";
        f.data = WithRun(item.run_id, p);
    } else if (item.type == "tool_call") {
        f.event = "tool";
        f.data = WithRun(item.run_id, p);
    } else if (item.type == "run_end" && terminal) {
        f.event = "done";
        f.data = {
            {"run_id", item.run_id}, {"output", OrNull(p, "output")}, {"session_id", OrNull(item.end, "session_id")}};
    } else if (item.type == "error" && terminal && item.status == RunStatus::kFailed) {
        f.event = "error";
        f.data = {
            {"run_id", item.run_id},
            {"code", p.is_object() ? p.value("error_type", std::string("RUN_FAILED")) : std::string("RUN_FAILED")},
            {"message", OrNull(p, "error_message")}};
    } else if (item.type == "human_input_requested" && terminal && (item.status == RunStatus::kAwaitingApproval || item.status == RunStatus::kAwaitingInput)) {
        if (item.status == RunStatus::kAwaitingApproval) {
            f.event = "awaiting_approval";
            f.data = {{"run_id", item.run_id}, {"approval_id", OrNull(p, "approval_id")}};
            const json tool = OrNull(OrNull(p, "context"), "tool_name");
            if (tool.is_string()) {
                f.data["tool_name"] = tool;
            }
            const json message = OrNull(p, "question");
            if (message.is_string() && !message.get<std::string>().empty()) {
                f.data["message"] = message;
            }
        } else {
            f.event = "awaiting_input";
            f.data = {
                {"run_id", item.run_id}, {"request_id", OrNull(p, "request_id")}, {"question", OrNull(p, "question")}};
            if (const json options = OrNull(p, "options"); !options.is_null()) {
                f.data["options"] = options;
            }
        }
    } else {
        f.event = "event";
        f.data = {
            {"run_id", item.run_id},
            {"sequence_number", item.seq},
            {"type", item.type},
            {"level", item.level},
            {"payload", p},
            {"occurred_at", item.occurred_at}};
    }
    return f;
}

RunFollower::RunFollower(
    FollowerDeps deps, std::string workspace_id, std::string run_id, StreamPosition after, bool include_children
)
    : deps_(deps),
      workspace_id_(std::move(workspace_id)),
      run_id_(std::move(run_id)),
      delivered_seq_(after.seq),
      delivered_chunk_(after.chunk),
      include_children_(include_children) {}

RunFollower::~RunFollower() {
    deps_.hub.Unsubscribe(subscription_);
}

bool RunFollower::cut() const {
    return subscription_ && subscription_->overflowed();
}

void RunFollower::Stop() {
    if (subscription_) {
        subscription_->Close();
    }
}

void RunFollower::OnCut(std::function<void()> callback) {
    subscription_->OnOverflow(std::move(callback));
}

net::awaitable<void> RunFollower::Open(std::string field, std::optional<std::string> only_agent_id) {
    // Before reading: whatever commits after the read is heard.
    subscription_ = deps_.hub.FollowRuns({run_id_}, include_children_);
    epoch_ = deps_.relay.epoch();
    std::optional<store::RunFeedPage> page;
    const std::int64_t after = delivered_seq_;
    co_await deps_.pool.Autocommit([&](store::Tx& tx) {
        store::EventRepo events(tx);
        page = events.Follow(workspace_id_, run_id_, after, kPage);
        // Resuming from the very end of a run that stopped: the stream still ends with its terminal frame, so the
        // last event is read (and sent) again.
        if (page && after >= 1 && after == page->last_seq && Stops(page->status)) {
            page = events.Follow(workspace_id_, run_id_, after - 1, kPage);
        }
    });
    if (!page) {
        throw Error::NotFound("run " + run_id_);
    }
    if (only_agent_id && page->agent_id != *only_agent_id) {
        throw Error(core::ErrorCode::kForbidden, "run " + run_id_ + " belongs to another agent than this key's");
    }
    if (after > page->last_seq) {
        throw Error::Validation(
            field,
            "is past the end of run " + run_id_ + " (its last event is " + std::to_string(page->last_seq) +
                "); resume from an id the stream sent"
        );
    }
    agent_id_ = page->agent_id;
    if (after == page->last_seq && after >= 1 && Stops(page->status)) {
        delivered_seq_ = after - 1;
        delivered_chunk_ = 0;
    }
    TakePage(*page, first_);
}

void RunFollower::OpenAtStart(std::string agent_id, nlohmann::json payload) {
    subscription_ = deps_.hub.FollowRuns({run_id_}, include_children_);
    epoch_ = deps_.relay.epoch();
    agent_id_ = std::move(agent_id);
    events::LiveItem start;
    start.workspace_id = workspace_id_;
    start.run_id = run_id_;
    start.agent_id = agent_id_;
    start.seq = 1;
    start.type = "run_start";
    start.payload = std::move(payload);
    start.last_seq = 1;
    first_.push_back(FrameOf(start, false));
    delivered_seq_ = 1;
    delivered_chunk_ = 0;
    catch_up_ = false;
}

void RunFollower::TakePage(const store::RunFeedPage& page, std::vector<StreamFrame>& out) {
    for (const auto& event : page.events) {
        DeliverStored(*ToLiveItem(workspace_id_, run_id_, page, event), out);
        if (done_) {
            return;
        }
    }
    catch_up_ = static_cast<int>(page.events.size()) == kPage;
    if (!catch_up_ && delivered_seq_ == page.last_seq && Stops(page.status) && !done_) {
        events::LiveItem state;  // stopped with nothing left to send (resumed at the end of a cancelled run)
        state.run_id = run_id_;
        state.seq = page.last_seq;
        state.status = page.status;
        state.end = RunEnding(page);
        out.push_back(Ending(state));
        done_ = true;
    }
    FlushHeldChunks(out);
}

net::awaitable<void> RunFollower::CatchUp(std::vector<StreamFrame>& out) {
    std::optional<store::RunFeedPage> page;
    const std::int64_t after = delivered_seq_;
    co_await deps_.pool.Autocommit([&](store::Tx& tx) {
        page = store::EventRepo(tx).Follow(workspace_id_, run_id_, after, kPage);
    });
    if (!page) {  // deleted meanwhile
        out.push_back({std::to_string(delivered_seq_), "error", {{"run_id", run_id_}, {"code", "NOT_FOUND"}}});
        done_ = true;
        co_return;
    }
    TakePage(*page, out);
}

void RunFollower::DeliverStored(const events::LiveItem& item, std::vector<StreamFrame>& out) {
    if (item.seq <= delivered_seq_) {
        return;  // had it already
    }
    if (item.seq > delivered_seq_ + 1) {
        catch_up_ = true;  // something in between did not reach us live: the store has it
        return;
    }
    const bool stops = item.seq == item.last_seq && Stops(item.status);
    out.push_back(FrameOf(item, stops));
    delivered_seq_ = item.seq;
    delivered_chunk_ = 0;
    if (stops) {
        if (!IsTerminalFrame(out.back().event)) {
            out.push_back(Ending(item));
        }
        done_ = true;
    }
}

void RunFollower::FlushHeldChunks(std::vector<StreamFrame>& out) {
    std::vector<events::LiveItemPtr> later;
    for (const auto& chunk : held_) {
        if (chunk->seq > delivered_seq_) {
            later.push_back(chunk);
        } else if (!done_ && chunk->seq == delivered_seq_ && chunk->chunk > delivered_chunk_) {
            out.push_back(
                {std::to_string(chunk->seq) + "." + std::to_string(chunk->chunk),
                 "chunk",
                 WithRun(chunk->run_id, chunk->payload)}
            );
            delivered_chunk_ = chunk->chunk;
        }
    }
    held_ = std::move(later);
}

void RunFollower::ConsumeChild(const events::LiveItem& item, std::vector<StreamFrame>& out) {
    if (item.kind == events::LiveItem::Kind::kChunk) {
        auto data = WithRun(item.run_id, item.payload);
        data["parent_run_id"] = run_id_;
        out.push_back({"", "child_chunk", std::move(data)});
        return;
    }
    const bool stops = item.seq == item.last_seq && Stops(item.status);
    StreamFrame f = FrameOf(item, stops);
    f.id.clear();  // a child's frames are live only: the parent's ids stay the parent's sequence
    f.event = "child_" + f.event;
    f.data["parent_run_id"] = run_id_;
    out.push_back(std::move(f));
}

void RunFollower::Consume(const events::LiveItemPtr& item, std::vector<StreamFrame>& out) {
    if (item->run_id != run_id_) {
        ConsumeChild(*item, out);
        return;
    }
    if (item->kind == events::LiveItem::Kind::kStored) {
        DeliverStored(*item, out);
        FlushHeldChunks(out);
        return;
    }
    if (item->seq < delivered_seq_ || (item->seq == delivered_seq_ && item->chunk <= delivered_chunk_)) {
        return;  // a chunk of an LLM call whose step is stored (or one we sent)
    }
    if (item->seq == delivered_seq_) {
        out.push_back(
            {std::to_string(item->seq) + "." + std::to_string(item->chunk),
             "chunk",
             WithRun(item->run_id, item->payload)}
        );
        delivered_chunk_ = item->chunk;
        return;
    }
    held_.push_back(item);  // after an event not relayed yet
    if (held_.size() > kMaxHeld) {
        catch_up_ = true;
    }
}

net::awaitable<std::vector<StreamFrame>> RunFollower::Next(std::chrono::milliseconds ping_after) {
    std::vector<StreamFrame> out = std::move(first_);
    first_.clear();
    while (!done_ && out.empty()) {
        if (catch_up_) {
            co_await CatchUp(out);
            continue;
        }
        auto items = co_await subscription_->Next(held_.empty() ? ping_after : kHeldWait);
        if (subscription_->overflowed() || subscription_->closed()) {
            done_ = true;
            break;
        }
        if (items.empty()) {
            if (!held_.empty() || deps_.relay.epoch() != epoch_) {
                epoch_ = deps_.relay.epoch();
                catch_up_ = true;  // the relay is late or lost something: the store has it
                continue;
            }
            break;  // time for a ping
        }
        for (const auto& item : items) {
            if (done_) {
                break;
            }
            Consume(item, out);
        }
    }
    co_return out;
}

}  // namespace agentos::engine
