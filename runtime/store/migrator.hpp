#pragma once
/// Applies the numbered, forward-only SQL migrations (compiled in from migrations/), each in its own transaction
/// under a transaction-scoped advisory lock, recording name and checksum in schema_migrations. A landed migration
/// whose text changed is refused. Blocking: call at start-up or from the CLI, never on an I/O thread.

#include <string>
#include <vector>

namespace agentos::store {

struct Migration {
    std::string name;  ///< "0001_init.sql"
    std::string sql;
};

class Migrator {
public:
    /// The migrations compiled into the binary, in name order.
    Migrator();
    explicit Migrator(std::vector<Migration> migrations);

    /// Applies what is pending; returns the names applied (empty when up to date). Throws core::Error
    /// (kInternal) when a landed migration was edited, naming it.
    std::vector<std::string> Apply(const std::string& dsn) const;

    /// SHA-256 hex of a migration's text, as recorded.
    static std::string Checksum(const std::string& sql);

private:
    std::vector<Migration> migrations_;
};

}  // namespace agentos::store
