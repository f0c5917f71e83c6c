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
constexpr std::string_view kKeyProtocol = "bearer.";
constexpr std::string_view kAgentosProtocol = "agentos";

core::Error Unauthenticated() {
    return {core::ErrorCode::kUnauthenticated, "Invalid or revoked key."};
}

/// The key: from `Authorization: Bearer <key>`, or for a WebSocket upgrade without that header, from its
/// `bearer.<key>` subprotocol.
std::optional<std::string> PresentedKey(const Request& request) {
    const auto header = request.Header("authorization");
    if (!header) {
        if (!IsWebSocketUpgrade(request)) {
            return std::nullopt;
        }
        for (const auto& p : OfferedSubprotocols(request)) {
            if (p.size() > kKeyProtocol.size() && p.compare(0, kKeyProtocol.size(), kKeyProtocol) == 0) {
                return p.substr(kKeyProtocol.size());
            }
        }
        return std::nullopt;
    }
    constexpr std::string_view kBearer = "bearer ";
    if (header->size() <= kBearer.size()) {
        return std::nullopt;
    }
    for (std::size_t i = 0; i < kBearer.size(); ++i) {  // the scheme name is case-insensitive (RFC 9110)
        if (std::tolower(static_cast<unsigned char>((*header)[i])) != kBearer[i]) {
            return std::nullopt;
        }
    }
    return std::string(header->substr(kBearer.size()));
}

}  // namespace

bool IsWebSocketUpgrade(const Request& request) {
    const auto upgrade = request.Header("upgrade");
    if (!upgrade) {
        return false;
    }
    std::string lower(*upgrade);
    for (auto& c : lower) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return lower == "websocket";
}

std::vector<std::string> OfferedSubprotocols(const Request& request) {
    std::vector<std::string> out;
    const auto header = request.Header("sec-websocket-protocol");
    if (!header) {
        return out;
    }
    std::string_view rest(*header);
    while (!rest.empty()) {
        const auto comma = rest.find(',');
        std::string_view item = rest.substr(0, comma);
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) {
            item.remove_prefix(1);
        }
        while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) {
            item.remove_suffix(1);
        }
        if (!item.empty()) {
            out.emplace_back(item);
        }
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
    return out;
}

std::optional<std::string> SelectedSubprotocol(const Request& request) {
    for (const auto& p : OfferedSubprotocols(request)) {
        if (p == kAgentosProtocol) {
            return p;
        }
    }
    return std::nullopt;
}

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
    const auto presented = PresentedKey(request);
    if (!presented) {
        throw Unauthenticated();
    }
    const std::string& key = *presented;
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
