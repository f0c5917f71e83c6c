#include "runtime/store/migrator.hpp"

#include <algorithm>
#include <map>

#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include "runtime/core/crypto.hpp"
#include "runtime/core/embedded_file.hpp"
#include "runtime/core/error.hpp"
#include "runtime/store/pg_pool.hpp"

namespace agentos::store {
namespace {

// Any constant shared by every AgentOS server; serializes migrations across processes.
constexpr std::string_view kLock = "SELECT pg_advisory_xact_lock(727465)";

constexpr std::string_view kCreateTable = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
    name        text PRIMARY KEY,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
))sql";

std::map<std::string, std::string> AppliedLocked(pqxx::work& tx) {
    tx.exec(std::string(kLock));
    tx.exec(std::string(kCreateTable));
    std::map<std::string, std::string> applied;
    for (const auto& row : tx.exec("SELECT name, checksum FROM schema_migrations")) {
        applied.emplace(row[0].c_str(), row[1].c_str());
    }
    return applied;
}

}  // namespace

Migrator::Migrator() {
    for (const auto& f : core::EmbeddedMigrations()) {
        migrations_.push_back({std::string(f.name), std::string(f.content)});
    }
    std::sort(migrations_.begin(), migrations_.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
}

Migrator::Migrator(std::vector<Migration> migrations) : migrations_(std::move(migrations)) {
    std::sort(migrations_.begin(), migrations_.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
}

std::string Migrator::Checksum(const std::string& sql) {
    return core::HexEncode(core::Sha256(sql));
}

std::vector<std::string> Migrator::Apply(const std::string& dsn) const {
    std::vector<std::string> done;
    try {
        pqxx::connection connection(WithConnectTimeout(dsn, 5));
        for (const auto& m : migrations_) {
            pqxx::work tx(connection);
            const auto applied = AppliedLocked(tx);
            const auto it = applied.find(m.name);
            const std::string sum = Checksum(m.sql);
            if (it != applied.end()) {
                if (it->second != sum) {
                    throw core::Error(
                        core::ErrorCode::kInternal,
                        "migration " + m.name +
                            " was edited after it was applied (checksum differs); landed migrations are "
                            "forward-only: restore the file and add a new migration instead"
                    );
                }
                continue;
            }
            tx.exec(m.sql);
            tx.exec_params("INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)", m.name, sum);
            tx.commit();
            spdlog::info("applied migration {}", m.name);
            done.push_back(m.name);
        }
    } catch (const core::Error&) {
        throw;
    } catch (const pqxx::broken_connection& e) {
        throw core::Error(core::ErrorCode::kUnavailable, std::string("cannot reach the database: ") + e.what());
    } catch (const pqxx::sql_error& e) {
        throw core::Error(core::ErrorCode::kInternal, std::string("migration failed: ") + e.what());
    }
    return done;
}

}  // namespace agentos::store
