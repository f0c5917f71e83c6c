#include "runtime/event_relay.hpp"

#include <sstream>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <spdlog/spdlog.h>

#include "runtime/core/time.hpp"
#include "runtime/store/pg_pool.hpp"

namespace agentos::engine {
namespace {

/// At most this many events per read; a longer batch is read in pages.
constexpr int kPage = 500;

}  // namespace

nlohmann::json RunEnding(const store::RunFeedPage& page) {
    return {
        {"output", page.output},
        {"error_message", page.error_message ? nlohmann::json(*page.error_message) : nlohmann::json()},
        {"session_id", page.session_id ? nlohmann::json(*page.session_id) : nlohmann::json()}};
}

events::LiveItemPtr ToLiveItem(
    const std::string& workspace_id,
    const std::string& run_id,
    const store::RunFeedPage& page,
    const store::EventRecord& event
) {
    auto item = std::make_shared<events::LiveItem>();
    item->kind = events::LiveItem::Kind::kStored;
    item->workspace_id = workspace_id;
    item->run_id = run_id;
    item->agent_id = page.agent_id;
    item->seq = event.seq;
    item->type = event.type;
    item->level = std::string(core::ToString(event.level));
    item->payload = event.payload;
    item->occurred_at = core::FormatIso(event.occurred_at);
    item->status = page.status;
    item->last_seq = page.last_seq;
    if (event.seq == page.last_seq) {
        item->end = RunEnding(page);
    }
    // What the item will cost a listener's queue: its payload's JSON text (measured once, for every listener) and
    // the frame around it. A step end carrying a long answer counts in full against a slow reader's cap.
    item->bytes = 160 + item->type.size() + event.payload.dump().size();
    return item;
}

EventRelay::EventRelay(store::PgPool& pool, events::LiveHub& hub) : pool_(pool), hub_(hub) {}

void EventRelay::Start(net::io_context& ioc) {
    ioc_ = &ioc;
}

void EventRelay::SetListening(bool) {
    ++epoch_;
}

void EventRelay::OnNotify(const std::string& payload) {
    std::istringstream in(payload);
    std::string workspace_id;
    std::string run_id;
    std::int64_t first = 0;
    std::int64_t last = 0;
    if (!(in >> workspace_id >> run_id >> first >> last) || first < 1 || last < first) {
        spdlog::warn("ignoring a malformed {} notification: {}", kEventsChannel, payload);
        return;
    }
    if (ioc_ == nullptr || !hub_.Interested(workspace_id, run_id)) {
        return;
    }
    const std::lock_guard lock(mutex_);
    // Consecutive ranges of one run (a run's steps, one after the other) are read as one.
    if (!pending_.empty() && pending_.back().run_id == run_id && pending_.back().last + 1 == first) {
        pending_.back().last = last;
    } else {
        pending_.push_back({std::move(workspace_id), std::move(run_id), first, last});
    }
    if (!draining_) {
        draining_ = true;
        net::co_spawn(*ioc_, Drain(), net::detached);
    }
}

net::awaitable<void> EventRelay::Drain() {
    for (;;) {
        Announced next;
        {
            const std::lock_guard lock(mutex_);
            if (pending_.empty()) {
                draining_ = false;
                co_return;
            }
            next = std::move(pending_.front());
            pending_.pop_front();
        }
        auto relay = Relay(std::move(next.workspace_id), std::move(next.run_id), next.first, next.last);
        co_await std::move(relay);
    }
}

net::awaitable<void> EventRelay::Relay(
    std::string workspace_id, std::string run_id, std::int64_t first, std::int64_t last
) {
    try {
        for (std::int64_t after = first - 1; after < last;) {
            std::optional<store::RunFeedPage> page;
            const int limit = static_cast<int>(std::min<std::int64_t>(kPage, last - after));
            co_await pool_.Autocommit([&](store::Tx& tx) {
                page = store::EventRepo(tx).Follow(workspace_id, run_id, after, limit);
            });
            if (!page || page->events.empty()) {
                co_return;
            }
            std::vector<events::LiveItemPtr> items;
            items.reserve(page->events.size());
            for (const auto& event : page->events) {
                items.push_back(ToLiveItem(workspace_id, run_id, *page, event));
            }
            after = page->events.back().seq;
            hub_.PublishStored(items);
        }
    } catch (const std::exception& e) {
        // A follower misses nothing for it: it finds the gap at its next item, or the next epoch, and reads the store.
        spdlog::warn("could not relay events of run {}: {}", run_id, e.what());
    }
}

}  // namespace agentos::engine
