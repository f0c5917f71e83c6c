#include "api/middleware/auth.hpp"

#include <cctype>

#include "runtime/core/api_key.hpp"
#include "runtime/core/crypto.hpp"
#include "runtime/core/error.hpp"
#include "runtime/store/api_key_repo.hpp"
#include "runtime/store/pg_pool.hpp"

namespace agentos::api {
namespace {

core::Error Unauthenticated() {
    return {core::ErrorCode::kUnauthenticated, "Invalid or revoked key."};
}

}  // namespace

net::awaitable<core::Principal> Authenticator::Authenticate(const Request& request) {
    const auto header = request.Header("authorization");
    constexpr std::string_view kBearer = "bearer ";
    if (!header || header->size() <= kBearer.size()) {
        throw Unauthenticated();
    }
    for (std::size_t i = 0; i < kBearer.size(); ++i) {  // the scheme name is case-insensitive (RFC 9110)
        if (std::tolower(static_cast<unsigned char>((*header)[i])) != kBearer[i]) {
            throw Unauthenticated();
        }
    }
    const std::string key(header->substr(kBearer.size()));
    const auto parsed = core::ParseApiKey(key);
    if (!parsed) {
        throw Unauthenticated();
    }
    std::optional<store::ApiKeyRecord> record;
    co_await pool_.Autocommit([&](store::Tx& tx) { record = store::ApiKeyRepo(tx).FindByPrefix(parsed->prefix); });
    if (!record || record->revoked_at || !core::ConstantTimeEqual(core::Sha256(key), record->key_hash)) {
        throw Unauthenticated();
    }
    core::Principal p;
    p.key_id = record->id;
    p.workspace_id = record->workspace_id;
    p.kind = record->kind;
    p.agent_id = record->agent_id;
    co_return p;
}

}  // namespace agentos::api
