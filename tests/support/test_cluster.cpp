#include "tests/support/test_cluster.hpp"

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>

#include <gtest/gtest.h>
#include <unistd.h>

#include "runtime/core/crypto.hpp"
#include "runtime/store/embedded_cluster.hpp"
#include "runtime/store/migrator.hpp"

namespace agentos::testing {
namespace {

std::unique_ptr<store::EmbeddedCluster>& Embedded() {
    static std::unique_ptr<store::EmbeddedCluster> cluster;
    return cluster;
}

std::mutex& Mutex() {
    static std::mutex m;
    return m;
}

std::string& StartError() {
    static std::string error;
    return error;
}

}  // namespace

TestCluster& TestCluster::Get() {
    static TestCluster* instance = [] {
        auto* c = new TestCluster();  // NOLINT: lives for the whole test binary
        const char* external = std::getenv("AGENTOS_TEST_PG_DSN");
        if (external != nullptr && *external != '\0') {
            c->base_dsn_ = external;
        } else {
            const auto dir = std::filesystem::path("/tmp") /
                             ("agentos-test-" + std::to_string(getpid()) + "-" + core::RandomBase62(6));
            Embedded() =
                std::make_unique<store::EmbeddedCluster>(store::EmbeddedClusterOptions{dir, false, "postgres"});
            Embedded()->Start();
            c->base_dsn_ = "host=127.0.0.1 port=" + std::to_string(Embedded()->port()) + " user=postgres";
        }
        c->template_name_ = "agentos_tpl_" + std::to_string(getpid()) + "_" + core::RandomBase62(6);
        for (char& ch : c->template_name_) {
            ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        }
        store::CreateDatabase(c->AdminDsn(), c->template_name_);
        store::Migrator().Apply(c->Dsn(c->template_name_));
        return c;
    }();
    return *instance;
}

void TestCluster::Shutdown() {
    auto& cluster = Embedded();
    if (cluster) {
        cluster->Stop(true);
        std::error_code ec;
        std::filesystem::remove_all(cluster->dir(), ec);
        cluster.reset();
    }
}

std::string TestCluster::Dsn(const std::string& database) const {
    return base_dsn_ + " dbname=" + database;
}

std::string TestCluster::AdminDsn() const {
    return Dsn("postgres");
}

std::string TestCluster::NewName() {
    const std::lock_guard lock(Mutex());
    return template_name_ + "_t" + std::to_string(++counter_);
}

std::string TestCluster::NewDatabase() {
    const auto name = NewName();
    store::CreateDatabase(AdminDsn(), name, template_name_);
    return Dsn(name);
}

std::string TestCluster::NewEmptyDatabase() {
    const auto name = NewName();
    store::CreateDatabase(AdminDsn(), name);
    return Dsn(name);
}

bool PostgresAvailable() {
    static const bool available = [] {
        try {
            TestCluster::Get();
            return true;
        } catch (const std::exception& e) {
            StartError() = e.what();
            return false;
        }
    }();
    if (!available) {
        const char* require = std::getenv("AGENTOS_REQUIRE_PG");
        if (require != nullptr && std::string(require) == "1") {
            ADD_FAILURE() << "Postgres is required (AGENTOS_REQUIRE_PG=1) but could not be started: " << StartError();
        }
    }
    return available;
}

}  // namespace agentos::testing
