#pragma once
/// Idempotency keys: the first answer to a request, kept so that its retries (same key, same request) get it again
/// instead of doing the work twice. A key is claimed before the work starts and answered when it ends.

#include <optional>
#include <string>

namespace agentos::store {

class Tx;

struct IdempotencyRecord {
    std::string request_hash;
    std::optional<int> status_code;  ///< none while the first request is still being answered
    std::string response;
    bool stale = false;  ///< unanswered for so long that its first request is taken to be gone
};

class IdempotencyRepo {
public:
    explicit IdempotencyRepo(Tx& tx) : tx_(tx) {}

    /// Claims `key` for a request with `request_hash`: true when this caller does the work. A key older than the
    /// retention (24 h) counts as free and is claimed anew.
    bool Claim(const std::string& workspace_id, const std::string& key, const std::string& request_hash);

    /// Takes over a claim whose first request never answered (it is stale): true when this caller won it.
    bool TakeOver(const std::string& workspace_id, const std::string& key);

    std::optional<IdempotencyRecord> Get(const std::string& workspace_id, const std::string& key);

    void Answer(const std::string& workspace_id, const std::string& key, int status_code, const std::string& response);

    /// Gives the key up (the work failed before it changed anything): a retry does it again.
    void Release(const std::string& workspace_id, const std::string& key);

    /// Deletes keys past the retention; how many.
    std::int64_t Expire();

private:
    Tx& tx_;
};

}  // namespace agentos::store
