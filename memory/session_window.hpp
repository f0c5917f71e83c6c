#pragma once
/// The part of a session's messages that goes into a turn's prompt: the last `history_messages` of them, starting at
/// a user message so that no tool result is cut from the call it answers (and no provider sees a conversation that
/// opens with the assistant).

#include <string>
#include <vector>

#include "runtime/store/session_repo.hpp"

namespace agentos::store {
class Tx;
}  // namespace agentos::store

namespace agentos::memory {

/// Drops the messages before the first user message (pure).
std::vector<store::SessionMessage> FromFirstUserMessage(std::vector<store::SessionMessage> messages);

/// The window of `session_id` for a prompt: at most `limit` messages, oldest first, markers left out.
std::vector<store::SessionMessage> LoadWindow(store::Tx& tx, const std::string& session_id, int limit);

}  // namespace agentos::memory
