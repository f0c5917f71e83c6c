#pragma once
/// The Postgres the pg and e2e suites run against: AGENTOS_TEST_PG_DSN (an admin DSN without dbname) when set,
/// else an embedded cluster started once per test binary (the product's own EmbeddedCluster, fsync off).
/// Every test gets a fresh database copied from a template migrated once.

#include <string>

namespace agentos::testing {

class TestCluster {
public:
    /// Starts the cluster on first use. Throws when Postgres cannot be had.
    static TestCluster& Get();

    /// A new database with all migrations applied; returns its DSN.
    std::string NewDatabase();

    /// A new, empty database (no migrations); returns its DSN.
    std::string NewEmptyDatabase();

    /// DSN of the server's `postgres` database, for admin statements.
    std::string AdminDsn() const;

    /// Stops an embedded cluster (called once at the end of the test binary).
    static void Shutdown();

private:
    TestCluster() = default;
    std::string Dsn(const std::string& database) const;
    std::string NewName();

    std::string base_dsn_;
    std::string template_name_;
    int counter_ = 0;
};

/// Skips the test (or fails it when AGENTOS_REQUIRE_PG=1) when no Postgres is available.
/// Returns false when the test must stop.
bool PostgresAvailable();

}  // namespace agentos::testing

#define AGENTOS_REQUIRE_PG()                                                               \
    do {                                                                                   \
        if (!::agentos::testing::PostgresAvailable()) {                                    \
            GTEST_SKIP() << "no Postgres (set AGENTOS_TEST_PG_DSN or install postgresql)"; \
        }                                                                                  \
    } while (0)
