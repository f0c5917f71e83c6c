#pragma once
/// AgentService: agent definitions in the store. Creating or updating parses and checks the definition (YAML or
/// JSON); a changed definition becomes a new version; publishing an older version rolls back. Compiled definitions
/// are cached per (agent, version). Thread-safe.

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "runtime/core/principal.hpp"
#include "runtime/net/asio.hpp"
#include "runtime/spec/agent_spec.hpp"
#include "runtime/store/agent_repo.hpp"

namespace agentos::store {
class PgPool;
}  // namespace agentos::store

namespace agentos::engine {

class AgentService {
public:
    explicit AgentService(store::PgPool& pool) : pool_(pool) {}

    /// A new agent; CONFLICT when the slug exists. Needs a workspace key.
    net::awaitable<store::SavedAgent> Create(core::Principal who, std::string text);

    /// A new version of agent `ref` (when the text changed). The definition's slug must be the agent's.
    net::awaitable<store::SavedAgent> Update(core::Principal who, std::string ref, std::string text);

    net::awaitable<store::AgentRecord> Publish(core::Principal who, std::string ref, std::int64_t version);

    /// "active" or "paused".
    net::awaitable<store::AgentRecord> SetStatus(core::Principal who, std::string ref, std::string status);

    net::awaitable<void> Delete(core::Principal who, std::string ref);

    /// The agent (visible to `who`) and its versions, newest first.
    net::awaitable<std::pair<store::AgentRecord, std::vector<store::AgentVersionRecord>>> Versions(
        core::Principal who, std::string ref
    );

    /// The checked definition of one stored version (parsed once, then cached).
    std::shared_ptr<const spec::AgentSpec> Compile(
        const std::string& agent_id, const store::AgentVersionRecord& version
    );

    /// The cached definition of version `version` of the agent, or null when it was not compiled yet.
    std::shared_ptr<const spec::AgentSpec> Cached(const std::string& agent_id, std::int64_t version);

    /// Loads every *.yaml/*.yml file of `dir` into `workspace` (created when missing) as file agents. Blocking: for
    /// start-up. Throws core::Error (VALIDATION_ERROR) listing every problem of every file; nothing is saved then.
    /// Returns one line per file ("research-agent v3 (new version)").
    static std::vector<std::string> LoadDirectory(
        store::PgPool& pool, const std::string& workspace, const std::filesystem::path& dir
    );

private:
    store::PgPool& pool_;
    std::mutex mutex_;
    std::map<std::pair<std::string, std::int64_t>, std::shared_ptr<const spec::AgentSpec>> compiled_;
};

/// The row fields a definition sets.
store::AgentFields FieldsOf(const spec::AgentSpec& spec);

/// The agent `ref` (id or slug) in `who`'s workspace: NOT_FOUND, or FORBIDDEN for another agent's key.
store::AgentRecord VisibleAgent(store::Tx& tx, const core::Principal& who, const std::string& ref);

/// The agent a list is narrowed to: `agent_ref` (an `agent_id` query parameter: id or slug, checked as VisibleAgent
/// does) and, for an agent key, its own agent. None: every agent of the workspace.
std::optional<std::string> AgentScope(
    store::Tx& tx, const core::Principal& who, const std::optional<std::string>& agent_ref
);

}  // namespace agentos::engine
