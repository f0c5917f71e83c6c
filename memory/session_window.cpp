#include "memory/session_window.hpp"

#include <algorithm>

namespace agentos::memory {

std::vector<store::SessionMessage> FromFirstUserMessage(std::vector<store::SessionMessage> messages) {
    const auto first =
        std::find_if(messages.begin(), messages.end(), [](const store::SessionMessage& m) { return m.role == "user"; });
    messages.erase(messages.begin(), first);
    return messages;
}

std::vector<store::SessionMessage> LoadWindow(store::Tx& tx, const std::string& session_id, int limit) {
    if (limit <= 0) {
        return {};
    }
    return FromFirstUserMessage(store::SessionRepo(tx).Window(session_id, limit));
}

}  // namespace agentos::memory
