#pragma once
/// Who is calling: the authenticated key, its workspace, and — for agent keys — the one agent it may touch.

#include <optional>
#include <string>

namespace agentos::core {

enum class KeyKind { kWorkspace, kAgent };

struct Principal {
    std::string key_id;
    std::string workspace_id;
    KeyKind kind = KeyKind::kWorkspace;
    std::optional<std::string> agent_id;  ///< set for agent keys only

    bool IsAgentKey() const { return kind == KeyKind::kAgent; }
};

}  // namespace agentos::core
