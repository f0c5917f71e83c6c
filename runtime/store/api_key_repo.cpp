#include "runtime/store/api_key_repo.hpp"

#include "runtime/core/crypto.hpp"
#include "runtime/store/pg.hpp"

namespace agentos::store {
namespace {

constexpr Query kInsert{"api_key_insert", R"sql(
INSERT INTO api_keys (id, workspace_id, agent_id, kind, prefix, key_hash)
VALUES ($1::uuid, $2::uuid, $3::uuid, $4, $5, decode($6, 'hex')))sql"};

constexpr Query kFindByPrefix{"api_key_find_by_prefix", R"sql(
SELECT id, workspace_id, agent_id, kind, prefix, encode(key_hash, 'hex'),
       (extract(epoch FROM revoked_at) * 1000000)::bigint
FROM api_keys WHERE prefix = $1)sql"};

// Revoking announces the prefix on kApiKeyChannel (delivered at commit) so every server drops its cached copy.
constexpr Query kRevoke{"api_key_revoke", R"sql(
WITH r AS (UPDATE api_keys SET revoked_at = now() WHERE prefix = $1 AND revoked_at IS NULL RETURNING prefix)
SELECT pg_notify('agentos_api_keys', prefix) FROM r)sql"};

std::string HexDecode(const std::string& hex) {
    std::string out;
    out.reserve(hex.size() / 2);
    auto nibble = [](char c) {
        return c <= '9' ? c - '0' : c - 'a' + 10;
    };
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        out.push_back(static_cast<char>((nibble(hex[i]) << 4) | nibble(hex[i + 1])));
    }
    return out;
}

}  // namespace

void ApiKeyRepo::Insert(const ApiKeyRecord& key) {
    tx_.Exec(
        kInsert,
        Params()
            .Add(key.id)
            .Add(key.workspace_id)
            .Add(key.agent_id)
            .Add(key.kind == core::KeyKind::kAgent ? "agent" : "workspace")
            .Add(key.prefix)
            .Add(core::HexEncode(key.key_hash))
    );
}

std::optional<ApiKeyRecord> ApiKeyRepo::FindByPrefix(const std::string& prefix) {
    const auto r = tx_.Exec(kFindByPrefix, Params().Add(prefix));
    if (r.empty()) {
        return std::nullopt;
    }
    const auto row = r[0];
    ApiKeyRecord k;
    k.id = ReadString(row[0]);
    k.workspace_id = ReadString(row[1]);
    k.agent_id = ReadOptString(row[2]);
    k.kind = ReadString(row[3]) == "agent" ? core::KeyKind::kAgent : core::KeyKind::kWorkspace;
    k.prefix = ReadString(row[4]);
    k.key_hash = HexDecode(ReadString(row[5]));
    k.revoked_at = ReadOptTime(row[6]);
    return k;
}

bool ApiKeyRepo::Revoke(const std::string& prefix) {
    return tx_.Exec(kRevoke, Params().Add(prefix)).size() == 1;
}

}  // namespace agentos::store
