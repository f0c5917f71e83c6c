#pragma once
/// User memories: short facts about one end user (a session's external_user_id), written through the API or by an
/// agent's remember tool, read back into an agent's system prompt. Every statement is scoped by workspace_id.
/// Topics are stored trimmed, lower-cased and without duplicates (the first occurrence keeps its place).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/core/time.hpp"

namespace agentos::store {

class Tx;

struct UserMemory {
    std::string id, workspace_id, external_user_id, memory;
    std::vector<std::string> topics;
    std::optional<std::string> agent_id, run_id;  ///< the agent (and run) that stored it; null when written by API
    core::TimePoint created_at, updated_at;
};

struct NewMemory {
    std::string workspace_id, external_user_id, memory;
    std::vector<std::string> topics;
    std::optional<std::string> agent_id, run_id;
};

struct MemoryFilter {
    std::optional<std::string> external_user_id;
    std::optional<std::string> topic;      ///< memories that have this topic (compared trimmed and lower-cased)
    std::optional<std::string> query;      ///< full text: websearch_to_tsquery('simple', query) on the memory text
    std::optional<std::string> agent_id;   ///< memories stored by this agent
    std::optional<std::string> before_id;  ///< cursor: the last id of the previous page
    int limit = 50;
};

/// What an update changes; an absent member keeps the stored value.
struct MemoryChange {
    std::optional<std::string> memory;
    std::optional<std::vector<std::string>> topics;
};

struct TopicCount {
    std::string topic;
    std::int64_t count = 0;
};

struct UserMemoryStats {
    std::string external_user_id;
    std::int64_t memories = 0;
    core::TimePoint last_updated_at;  ///< the newest updated_at of the user's memories
};

class MemoryRepo {
public:
    explicit MemoryRepo(Tx& tx) : tx_(tx) {}

    /// Stores a new memory (id = core::NewUuidV7()) and returns it as stored (topics normalized).
    UserMemory Create(const NewMemory& m);

    /// The user's newest memories first (by creation), at most `limit` (for an agent's system prompt).
    std::vector<UserMemory> Recent(const std::string& workspace_id, const std::string& external_user_id, int limit);

    std::optional<UserMemory> Get(const std::string& workspace_id, const std::string& id);

    /// Newest first (by id, also with a text query: no ranking, so the cursor works the same), at most
    /// filter.limit rows.
    std::vector<UserMemory> List(const std::string& workspace_id, const MemoryFilter& filter);

    /// Changes the memory text and/or its topics and sets updated_at; nullopt when there is no such memory.
    std::optional<UserMemory> Update(
        const std::string& workspace_id, const std::string& id, const MemoryChange& change
    );

    /// False when there was no such memory.
    bool Delete(const std::string& workspace_id, const std::string& id);

    /// The distinct topics (of one user, or of everyone) with how many memories have each, by topic name,
    /// after `after_topic` (the cursor), at most `limit`.
    std::vector<TopicCount> Topics(
        const std::string& workspace_id,
        const std::optional<std::string>& external_user_id,
        const std::optional<std::string>& after_topic,
        int limit
    );

    /// One row per user with memories, by external_user_id, after `after_user` (the cursor), at most `limit`.
    std::vector<UserMemoryStats> Stats(
        const std::string& workspace_id, const std::optional<std::string>& after_user, int limit
    );

private:
    Tx& tx_;
};

}  // namespace agentos::store
