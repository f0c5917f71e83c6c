#include "runtime/store/idempotency_repo.hpp"

#include "runtime/store/pg.hpp"

namespace agentos::store {
namespace {

// Keys are kept 24 hours; a claim unanswered for 15 minutes belongs to a request whose server went away.
constexpr Query kClaim{"idempotency_claim", R"sql(
INSERT INTO idempotency_keys (workspace_id, key, request_hash) VALUES ($1::uuid, $2, $3)
ON CONFLICT (workspace_id, key) DO UPDATE
  SET request_hash = EXCLUDED.request_hash, status_code = NULL, response = NULL, created_at = now()
  WHERE idempotency_keys.created_at < now() - interval '24 hours'
RETURNING 1)sql"};

constexpr Query kTakeOver{"idempotency_take_over", R"sql(
UPDATE idempotency_keys SET created_at = now()
WHERE workspace_id = $1::uuid AND key = $2 AND status_code IS NULL AND created_at < now() - interval '15 minutes'
RETURNING 1)sql"};

constexpr Query kGet{"idempotency_get", R"sql(
SELECT request_hash, status_code, response, created_at < now() - interval '15 minutes'
FROM idempotency_keys WHERE workspace_id = $1::uuid AND key = $2)sql"};

constexpr Query kAnswer{"idempotency_answer", R"sql(
UPDATE idempotency_keys SET status_code = $3::int, response = $4 WHERE workspace_id = $1::uuid AND key = $2)sql"};

constexpr Query kRelease{"idempotency_release", R"sql(
DELETE FROM idempotency_keys WHERE workspace_id = $1::uuid AND key = $2 AND status_code IS NULL)sql"};

constexpr Query kExpire{"idempotency_expire", R"sql(
DELETE FROM idempotency_keys WHERE created_at < now() - interval '24 hours')sql"};

}  // namespace

bool IdempotencyRepo::Claim(const std::string& workspace_id, const std::string& key, const std::string& request_hash) {
    return !tx_.Exec(kClaim, Params().Add(workspace_id).Add(key).Add(request_hash)).empty();
}

bool IdempotencyRepo::TakeOver(const std::string& workspace_id, const std::string& key) {
    return !tx_.Exec(kTakeOver, Params().Add(workspace_id).Add(key)).empty();
}

std::optional<IdempotencyRecord> IdempotencyRepo::Get(const std::string& workspace_id, const std::string& key) {
    const auto r = tx_.Exec(kGet, Params().Add(workspace_id).Add(key));
    if (r.empty()) {
        return std::nullopt;
    }
    IdempotencyRecord rec;
    rec.request_hash = ReadString(r[0][0]);
    if (const auto code = ReadOptInt(r[0][1])) {
        rec.status_code = static_cast<int>(*code);
    }
    rec.response = ReadString(r[0][2]);
    rec.stale = ReadBool(r[0][3]);
    return rec;
}

void IdempotencyRepo::Answer(
    const std::string& workspace_id, const std::string& key, int status_code, const std::string& response
) {
    tx_.Exec(kAnswer, Params().Add(workspace_id).Add(key).Add(status_code).Add(response));
}

void IdempotencyRepo::Release(const std::string& workspace_id, const std::string& key) {
    tx_.Exec(kRelease, Params().Add(workspace_id).Add(key));
}

std::int64_t IdempotencyRepo::Expire() {
    return tx_.Exec(kExpire).affected_rows();
}

}  // namespace agentos::store
