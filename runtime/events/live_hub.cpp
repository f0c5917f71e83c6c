#include "runtime/events/live_hub.hpp"

#include <algorithm>
#include <utility>

namespace agentos::events {
namespace {

/// A listener's share of the item: the JSON it will become, roughly, plus bookkeeping.
constexpr std::size_t kItemOverhead = 160;

void Erase(std::vector<std::shared_ptr<Subscription>>& list, const Subscription* which) {
    list.erase(
        std::remove_if(list.begin(), list.end(), [which](const auto& s) { return s.get() == which; }), list.end()
    );
}

}  // namespace

LiveHub::LiveHub(LiveHubOptions options) : options_(options) {}

LiveHub::~LiveHub() {
    const std::lock_guard lock(mutex_);
    for (auto& [_, list] : by_run_) {
        for (auto& s : list) {
            s->Close();
        }
    }
    for (auto& [_, feeds] : by_workspace_) {
        for (auto& f : feeds) {
            f.subscription->Close();
        }
    }
}

std::shared_ptr<Subscription> LiveHub::FollowRuns(const std::vector<std::string>& run_ids, bool include_children) {
    auto subscription = std::make_shared<Subscription>(options_.subscriber_bytes);
    const std::lock_guard lock(mutex_);
    if (include_children) {
        with_children_[subscription.get()] = true;
    }
    for (const auto& run_id : run_ids) {
        AddRunLocked(subscription, run_id);
    }
    return subscription;
}

void LiveHub::AddRun(const std::shared_ptr<Subscription>& subscription, const std::string& run_id) {
    const std::lock_guard lock(mutex_);
    AddRunLocked(subscription, run_id);
}

void LiveHub::AddRunLocked(const std::shared_ptr<Subscription>& subscription, const std::string& run_id) {
    auto& runs = runs_of_[subscription.get()];
    if (std::find(runs.begin(), runs.end(), run_id) != runs.end()) {
        return;
    }
    runs.push_back(run_id);
    by_run_[run_id].push_back(subscription);
    // Under the lock, so a chunk published meanwhile is either in the replay or delivered, never both or neither.
    if (const auto it = replay_.find(run_id); it != replay_.end()) {
        for (const auto& chunk : it->second.chunks) {
            subscription->Push(chunk);
        }
    }
    if (with_children_.count(subscription.get()) > 0) {
        if (const auto it = children_of_.find(run_id); it != children_of_.end()) {
            const auto children = it->second;  // a copy: the recursion may add to the map
            for (const auto& child : children) {
                AddRunLocked(subscription, child);
            }
        }
    }
}

// A run started inline may be under way before its caller has subscribed (co_spawn runs it at once on the caller's
// strand): the link is kept while the parent executes, and a follower that subscribes later picks its children up.
void LiveHub::LinkChild(const std::string& parent_run_id, const std::string& child_run_id) {
    const std::lock_guard lock(mutex_);
    children_of_[parent_run_id].push_back(child_run_id);
    std::vector<std::shared_ptr<Subscription>> parents;
    if (const auto it = by_run_.find(parent_run_id); it != by_run_.end()) {
        for (const auto& sub : it->second) {
            if (with_children_.count(sub.get()) > 0) {
                parents.push_back(sub);
            }
        }
    }
    for (const auto& sub : parents) {
        AddRunLocked(sub, child_run_id);
    }
}

std::shared_ptr<Subscription> LiveHub::FollowWorkspace(FeedFilter filter) {
    auto subscription = std::make_shared<Subscription>(options_.subscriber_bytes);
    const std::lock_guard lock(mutex_);
    auto workspace = filter.workspace_id;
    by_workspace_[workspace].push_back({std::move(filter), subscription});
    return subscription;
}

void LiveHub::Unsubscribe(const std::shared_ptr<Subscription>& subscription) {
    if (!subscription) {
        return;
    }
    subscription->Close();
    const std::lock_guard lock(mutex_);
    if (const auto it = runs_of_.find(subscription.get()); it != runs_of_.end()) {
        for (const auto& run_id : it->second) {
            if (auto list = by_run_.find(run_id); list != by_run_.end()) {
                Erase(list->second, subscription.get());
                if (list->second.empty()) {
                    by_run_.erase(list);
                }
            }
        }
        runs_of_.erase(it);
    }
    with_children_.erase(subscription.get());
    for (auto it = by_workspace_.begin(); it != by_workspace_.end();) {
        auto& feeds = it->second;
        feeds.erase(
            std::remove_if(feeds.begin(), feeds.end(), [&](const Feed& f) { return f.subscription == subscription; }),
            feeds.end()
        );
        it = feeds.empty() ? by_workspace_.erase(it) : std::next(it);
    }
}

bool LiveHub::Interested(const std::string& workspace_id, const std::string& run_id) const {
    const std::lock_guard lock(mutex_);
    return by_run_.count(run_id) > 0 || by_workspace_.count(workspace_id) > 0;
}

void LiveHub::PublishStored(const std::vector<LiveItemPtr>& items) {
    if (items.empty()) {
        return;
    }
    const auto& first = *items.front();
    const std::lock_guard lock(mutex_);
    if (const auto it = by_run_.find(first.run_id); it != by_run_.end()) {
        for (const auto& s : it->second) {
            for (const auto& item : items) {
                s->Push(item);
            }
        }
    }
    if (const auto it = by_workspace_.find(first.workspace_id); it != by_workspace_.end()) {
        for (const auto& feed : it->second) {
            if ((feed.filter.agent_id && *feed.filter.agent_id != first.agent_id) ||
                (feed.filter.run_id && *feed.filter.run_id != first.run_id)) {
                continue;
            }
            for (const auto& item : items) {
                feed.subscription->Push(item);
            }
        }
    }
}

void LiveHub::PublishChunk(
    const std::string& workspace_id, const std::string& run_id, std::int64_t after_seq, std::string_view delta
) {
    const std::lock_guard lock(mutex_);
    auto& replay = replay_[run_id];
    if (replay.after_seq != after_seq) {
        replay = Replay{after_seq, 1, {}, 0};
    }
    auto item = std::make_shared<LiveItem>();
    item->kind = LiveItem::Kind::kChunk;
    item->workspace_id = workspace_id;
    item->run_id = run_id;
    item->seq = after_seq;
    item->chunk = replay.next_chunk++;
    item->payload = {{"delta", delta}};
    item->bytes = delta.size() + kItemOverhead;
    // Past the cap the buffer stops growing: a follower attaching later gets the call's text from its step end.
    if (replay.bytes + item->bytes <= options_.replay_bytes) {
        replay.bytes += item->bytes;
        replay.chunks.push_back(item);
    }
    if (const auto it = by_run_.find(run_id); it != by_run_.end()) {
        for (const auto& s : it->second) {
            s->Push(item);
        }
    }
}

void LiveHub::Stored(const std::string& run_id, std::int64_t last_seq, bool ended) {
    const std::lock_guard lock(mutex_);
    if (ended) {
        children_of_.erase(run_id);
    }
    const auto it = replay_.find(run_id);
    if (it != replay_.end() && (ended || it->second.after_seq < last_seq)) {
        replay_.erase(it);
    }
}

std::size_t LiveHub::subscriber_count() const {
    const std::lock_guard lock(mutex_);
    std::size_t n = runs_of_.size();
    for (const auto& [_, feeds] : by_workspace_) {
        n += feeds.size();
    }
    return n;
}

std::size_t LiveHub::replay_runs() const {
    const std::lock_guard lock(mutex_);
    return replay_.size();
}

}  // namespace agentos::events
