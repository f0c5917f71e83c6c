#pragma once
/// API keys, stored as SHA-256 only. Lookup is by the key's public prefix; the caller compares hashes in constant
/// time.

#include <optional>
#include <string>

#include "runtime/core/principal.hpp"
#include "runtime/core/time.hpp"

namespace agentos::store {

class Tx;

struct ApiKeyRecord {
    std::string id;
    std::string workspace_id;
    std::optional<std::string> agent_id;
    core::KeyKind kind = core::KeyKind::kWorkspace;
    std::string prefix;
    std::string key_hash;  ///< raw 32 bytes
    std::optional<core::TimePoint> revoked_at;
};

class ApiKeyRepo {
public:
    explicit ApiKeyRepo(Tx& tx) : tx_(tx) {}

    void Insert(const ApiKeyRecord& key);

    std::optional<ApiKeyRecord> FindByPrefix(const std::string& prefix);

    /// Marks the key revoked. False when there is no such key or it was already revoked.
    bool Revoke(const std::string& prefix);

private:
    Tx& tx_;
};

}  // namespace agentos::store
