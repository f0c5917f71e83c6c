#include "api/middleware/auth.hpp"

#include <cctype>

#include "runtime/core/api_key.hpp"
#include "runtime/core/crypto.hpp"
#include "runtime/core/error.hpp"
#include "runtime/store/pg_pool.hpp"

namespace agentos::api {
namespace {

constexpr auto kCacheTtl = std::chrono::seconds(60);
constexpr std::size_t kMaxCachedKeys = 10'000;

core::Error Unauthenticated() {
    return {core::ErrorCode::kUnauthenticated, "Invalid or revoked key."};
}

}  // namespace

std::optional<store::ApiKeyRecord> Authenticator::Cached(const std::string& prefix) {
    const std::lock_guard lock(mutex_);
    if (!caching_) {
        return std::nullopt;
    }
    const auto it = cache_.find(prefix);
    if (it == cache_.end() || it->second.expires < std::chrono::steady_clock::now()) {
        return std::nullopt;
    }
    return it->second.record;
}

void Authenticator::Remember(const store::ApiKeyRecord& record, std::uint64_t generation) {
    const std::lock_guard lock(mutex_);
    if (!caching_ || generation != generation_) {
        return;  // a revocation arrived while we were reading: the record may already be stale
    }
    if (cache_.size() >= kMaxCachedKeys) {
        cache_.clear();
    }
    cache_[record.prefix] = Entry{record, std::chrono::steady_clock::now() + kCacheTtl};
}

void Authenticator::Forget(const std::string& prefix) {
    const std::lock_guard lock(mutex_);
    ++generation_;
    cache_.erase(prefix);
}

void Authenticator::SetCaching(bool on) {
    const std::lock_guard lock(mutex_);
    ++generation_;
    cache_.clear();
    caching_ = on;
}

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
    auto record = Cached(parsed->prefix);
    if (!record) {
        std::uint64_t generation = 0;
        {
            const std::lock_guard lock(mutex_);
            generation = generation_;
        }
        co_await pool_.Autocommit([&](store::Tx& tx) { record = store::ApiKeyRepo(tx).FindByPrefix(parsed->prefix); });
        if (record) {
            Remember(*record, generation);
        }
    }
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
