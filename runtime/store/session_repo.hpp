#pragma once
/// Server-managed sessions: a conversation with one agent (and optionally one end user) whose messages the server
/// keeps. A session runs one turn at a time: the run that holds it is `active_run_id` (taken under the session's row
/// lock; passed on to the next waiting run by the turn-end trigger of migration 0005).

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/core/time.hpp"

namespace agentos::store {

class Tx;

struct SessionRecord {
    std::string id;
    std::string workspace_id;
    std::string agent_id;
    std::string agent_slug;
    std::optional<std::string> external_user_id;
    std::optional<std::string> name;
    std::optional<std::string> active_run_id;  ///< the run holding it (queued to start, running or paused)
    std::int64_t message_count = 0;
    core::TimePoint created_at;
    core::TimePoint updated_at;
};

struct SessionMessage {
    std::int64_t seq = 0;
    std::string run_id;
    std::string role;  ///< user | assistant | tool
    std::optional<std::string> content;
    nlohmann::json tool_calls;  ///< assistant: [{id, name, arguments}], else null
    std::optional<std::string> tool_call_id;
    std::optional<std::string> tool_name;
    std::string status =
        "complete";  ///< complete, or failed / cancelled for the marker of a turn that did not complete
    core::TimePoint created_at;
};

struct NewSession {
    std::string id;
    std::string workspace_id;
    std::string agent_id;
    std::optional<std::string> external_user_id;
    std::optional<std::string> name;
    std::optional<std::string> active_run_id;
};

struct SessionFilter {
    std::optional<std::string> agent_id;
    std::optional<std::string> external_user_id;
    std::optional<std::string> before_id;  ///< cursor: sessions older than this one
    int limit = 50;
};

enum class SessionDelete { kDeleted, kNotFound, kBusy };

class SessionRepo {
public:
    explicit SessionRepo(Tx& tx) : tx_(tx) {}

    SessionRecord Create(const NewSession& s);

    std::optional<SessionRecord> Get(const std::string& workspace_id, const std::string& id);

    /// The session, its row locked until the transaction ends (a turn is about to take it or queue on it).
    std::optional<SessionRecord> Lock(const std::string& workspace_id, const std::string& id);

    /// `run_id` holds the session now; its end user is set if it had none.
    void Take(const std::string& id, const std::string& run_id, const std::optional<std::string>& external_user_id);

    std::vector<SessionRecord> List(const std::string& workspace_id, const SessionFilter& f);

    std::optional<SessionRecord> Rename(
        const std::string& workspace_id, const std::string& id, const std::optional<std::string>& name
    );

    /// Deletes a session that no turn holds or waits for; its runs keep their session_id.
    SessionDelete Delete(const std::string& workspace_id, const std::string& id);

    /// The last `limit` messages (markers included), oldest first.
    std::vector<SessionMessage> Messages(const std::string& session_id, int limit);

    /// The last `limit` messages a prompt may contain (markers left out), oldest first. One index range scan from the
    /// end: its cost does not grow with the session's length.
    std::vector<SessionMessage> Window(const std::string& session_id, int limit);

private:
    Tx& tx_;
};

}  // namespace agentos::store
