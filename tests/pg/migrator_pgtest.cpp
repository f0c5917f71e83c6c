#include <fstream>
#include <map>
#include <thread>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "runtime/core/embedded_file.hpp"
#include "runtime/core/error.hpp"
#include "runtime/store/migrator.hpp"
#include "tests/support/test_cluster.hpp"

namespace agentos::store {
namespace {

using testing::TestCluster;

int CountApplied(const std::string& dsn) {
    pqxx::connection c(dsn);
    pqxx::work w(c);
    return w.exec1("SELECT count(*) FROM schema_migrations")[0].as<int>();
}

TEST(Migrator, AppliesOnceAndIsANoOpAfterwards) {
    AGENTOS_REQUIRE_PG();
    const auto dsn = TestCluster::Get().NewEmptyDatabase();
    const auto first = Migrator().Apply(dsn);
    EXPECT_EQ(first.size(), core::EmbeddedMigrations().size());
    EXPECT_EQ(first.front(), "0001_init.sql");
    EXPECT_TRUE(Migrator().Apply(dsn).empty());
    EXPECT_EQ(CountApplied(dsn), static_cast<int>(core::EmbeddedMigrations().size()));
}

TEST(Migrator, RefusesAnEditedLandedMigration) {
    AGENTOS_REQUIRE_PG();
    const auto dsn = TestCluster::Get().NewEmptyDatabase();
    Migrator(std::vector<Migration>{{"0001_a.sql", "CREATE TABLE a (x int)"}}).Apply(dsn);
    try {
        Migrator(std::vector<Migration>{{"0001_a.sql", "CREATE TABLE a (x int, y int)"}}).Apply(dsn);
        FAIL() << "an edited migration must be refused";
    } catch (const core::Error& e) {
        EXPECT_NE(std::string(e.what()).find("0001_a.sql was edited"), std::string::npos) << e.what();
    }
    // A new migration after it still applies.
    const auto applied =
        Migrator(
            std::vector<Migration>{{"0001_a.sql", "CREATE TABLE a (x int)"}, {"0002_b.sql", "CREATE TABLE b (y int)"}}
        ).Apply(dsn);
    EXPECT_EQ(applied, std::vector<std::string>{"0002_b.sql"});
}

TEST(Migrator, AFailingMigrationRollsBackAndIsNotRecorded) {
    AGENTOS_REQUIRE_PG();
    const auto dsn = TestCluster::Get().NewEmptyDatabase();
    EXPECT_THROW(
        Migrator(std::vector<Migration>{{"0001_bad.sql", "CREATE TABLE c (x int); SELECT nope FROM nowhere"}}
        ).Apply(dsn),
        core::Error
    );
    {
        pqxx::connection c(dsn);
        pqxx::work w(c);
        EXPECT_EQ(w.exec1("SELECT count(*) FROM pg_tables WHERE tablename = 'c'")[0].as<int>(), 0);
    }
    // Nothing was recorded: the fixed migration applies under the same name.
    EXPECT_EQ(
        Migrator(std::vector<Migration>{{"0001_bad.sql", "CREATE TABLE c (x int)"}}).Apply(dsn),
        std::vector<std::string>{"0001_bad.sql"}
    );
}

TEST(Migrator, ConcurrentServersApplyEachMigrationExactlyOnce) {
    AGENTOS_REQUIRE_PG();
    const auto dsn = TestCluster::Get().NewEmptyDatabase();
    std::vector<std::thread> threads;
    std::vector<std::size_t> applied(6);
    for (std::size_t i = 0; i < applied.size(); ++i) {
        threads.emplace_back([&, i] { applied[i] = Migrator().Apply(dsn).size(); });
    }
    for (auto& t : threads) {
        t.join();
    }
    std::size_t total = 0;
    for (const auto n : applied) {
        total += n;
    }
    EXPECT_EQ(total, core::EmbeddedMigrations().size());
    EXPECT_EQ(CountApplied(dsn), static_cast<int>(core::EmbeddedMigrations().size()));
}

TEST(Migrator, LandedMigrationsKeepTheirRecordedChecksums) {
    // tests/data/migrations.sha256 records every landed migration; editing one (or adding one without recording it)
    // fails here, long before a production database refuses it.
    std::ifstream in(std::string(AGENTOS_SOURCE_DIR) + "/tests/data/migrations.sha256");
    ASSERT_TRUE(in) << "tests/data/migrations.sha256 is missing";
    std::map<std::string, std::string> recorded;
    std::string sum;
    std::string name;
    while (in >> sum >> name) {
        recorded[name] = sum;
    }
    for (const auto& f : core::EmbeddedMigrations()) {
        const auto it = recorded.find(std::string(f.name));
        ASSERT_NE(it, recorded.end()) << f.name << " is not recorded in tests/data/migrations.sha256 (sha256sum it)";
        EXPECT_EQ(it->second, Migrator::Checksum(std::string(f.content))) << f.name << " was edited after it landed";
    }
}

}  // namespace
}  // namespace agentos::store
