// The agentos binary itself: --help, migrate, keys create/revoke, and `agentos dev` with its embedded Postgres
// (created on first start, reused with its data on the next, stopped cleanly on SIGTERM/SIGINT).

#include <filesystem>
#include <fstream>
#include <regex>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/core/api_key.hpp"
#include "runtime/core/crypto.hpp"
#include "runtime/core/embedded_file.hpp"
#include "tests/support/api_fixture.hpp"
#include "tests/support/child_process.hpp"

namespace agentos::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

TEST(Cli, HelpDescribesEverySubcommand) {
    auto [code, out] = RunAgentos({"--help"});
    EXPECT_EQ(code, 0) << out;
    for (const char* sub : {"serve", "dev", "migrate", "keys"}) {
        EXPECT_NE(out.find(sub), std::string::npos) << sub;
    }
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"serve", "--help"},
             {"dev", "--help"},
             {"migrate", "--help"},
             {"keys", "create", "--help"},
             {"keys", "revoke", "--help"}}) {
        auto [c, o] = RunAgentos(args);
        EXPECT_EQ(c, 0) << o;
        EXPECT_NE(o.find("--"), std::string::npos) << o;
    }
    std::tie(code, out) = RunAgentos({"serve", "--help"});
    EXPECT_NE(out.find("--listen"), std::string::npos);
    EXPECT_NE(out.find("DATABASE_URL"), std::string::npos);
    std::tie(code, out) = RunAgentos({"dev", "--help"});
    EXPECT_NE(out.find("--data-dir"), std::string::npos);
}

TEST(Cli, BadArgumentsExitNonZeroWithAMessage) {
    AGENTOS_REQUIRE_PG();
    auto [code, out] =
        RunAgentos({"serve", "--listen", "nonsense", "--database-url", TestCluster::Get().NewDatabase()});
    EXPECT_EQ(code, 2) << out;
    EXPECT_NE(out.find("--listen: expected HOST:PORT"), std::string::npos) << out;
    std::tie(code, out) = RunAgentos({"serve"}, {"DATABASE_URL="});
    EXPECT_NE(code, 0);
    EXPECT_NE(out.find("--database-url: required"), std::string::npos) << out;
    std::tie(code, out) =
        RunAgentos({"keys", "create", "--workspace", "w", "--agent", "Not A Slug", "--database-url", "host=x"});
    EXPECT_EQ(code, 2) << out;
    std::tie(code, out) = RunAgentos({"frobnicate"});
    EXPECT_NE(code, 0);
}

TEST(Cli, MigrateIsIdempotent) {
    AGENTOS_REQUIRE_PG();
    const auto dsn = TestCluster::Get().NewEmptyDatabase();
    auto [code, out] = RunAgentos({"migrate", "--database-url", dsn});
    EXPECT_EQ(code, 0) << out;
    EXPECT_NE(
        out.find("applied " + std::to_string(core::EmbeddedMigrations().size()) + " migration(s)"), std::string::npos
    ) << out;
    std::tie(code, out) = RunAgentos({"migrate"}, {"DATABASE_URL=" + dsn});
    EXPECT_EQ(code, 0) << out;
    EXPECT_NE(out.find("database is up to date"), std::string::npos) << out;
}

TEST(Cli, KeysAreCreatedPrintedOnceAndRevokedByPrefix) {
    AGENTOS_REQUIRE_PG();
    TestApp app;
    HttpClient client(app.port());
    auto [code, out] = RunAgentos({"keys", "create", "--workspace", "acme", "--database-url", app.dsn()});
    ASSERT_EQ(code, 0) << out;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(out, m, std::regex("(aos_ws_[0-9A-Za-z]{36})"))) << out;
    const std::string ws_key = m[1];
    EXPECT_EQ(client.Get("/api/v1/runs", ws_key).status, 200);

    std::tie(code, out) =
        RunAgentos({"keys", "create", "--workspace", "acme", "--agent", "billing-bot", "--database-url", app.dsn()});
    ASSERT_EQ(code, 0) << out;
    ASSERT_TRUE(std::regex_search(out, m, std::regex("(aos_agent_[0-9A-Za-z]{36})"))) << out;
    const std::string agent_key = m[1];
    const auto agent = client.Get("/api/v1/agents/billing-bot", agent_key);
    ASSERT_EQ(agent.status, 200) << agent.body;
    EXPECT_EQ(agent.Json()["data"]["runtime"], "external");

    const auto prefix = core::ParseApiKey(ws_key)->prefix;
    std::tie(code, out) = RunAgentos({"keys", "revoke", prefix, "--database-url", app.dsn()});
    EXPECT_EQ(code, 0) << out;
    EXPECT_EQ(client.Get("/api/v1/runs", ws_key).status, 401);
    EXPECT_EQ(client.Get("/api/v1/agents/billing-bot", agent_key).status, 200);
    std::tie(code, out) = RunAgentos({"keys", "revoke", prefix, "--database-url", app.dsn()});
    EXPECT_EQ(code, 1) << out;
    EXPECT_NE(out.find("no active key"), std::string::npos);
}

/// Starts `agentos dev` and returns the base URL it printed.
std::string StartDev(ChildProcess& dev) {
    EXPECT_TRUE(dev.WaitForOutput("workspace key", milliseconds(60000))) << dev.Output();
    std::smatch m;
    const auto out = dev.Output();
    if (!std::regex_search(out, m, std::regex(R"(AgentOS dev server: http://127\.0\.0\.1:(\d+))"))) {
        ADD_FAILURE() << out;
        return "";
    }
    return m[1];
}

std::string ReadLine(const fs::path& p) {
    std::ifstream in(p);
    std::string line;
    std::getline(in, line);
    return line;
}

TEST(Cli, DevCreatesItsPostgresOnceKeepsDataAndStopsItCleanly) {
    AGENTOS_REQUIRE_PG();
    // Under a private (0700) parent when root, so the postgres user cannot reach it: the cluster moves to /tmp.
    const fs::path parent = fs::path("/tmp") / ("agentos-devtest-" + core::RandomBase62(8));
    fs::create_directories(parent);
    fs::permissions(parent, fs::perms::owner_all, fs::perm_options::replace);
    const fs::path data_dir = parent / "data";

    std::string run_id;
    std::string key;
    {
        ChildProcess dev({"dev", "--data-dir", data_dir.string(), "--listen", "127.0.0.1:0"}, {"AGENTOS_DEV_KEY="});
        const auto port = StartDev(dev);
        ASSERT_FALSE(port.empty());
        key = ReadLine(data_dir / "dev-key");
        ASSERT_TRUE(core::ParseApiKey(key)) << key;
        EXPECT_NE(dev.Output().find(key), std::string::npos) << "the key is printed";
        EXPECT_EQ(fs::status(data_dir / "dev-key").permissions() & fs::perms::group_read, fs::perms::none);
        if (getuid() == 0) {
            EXPECT_NE(dev.Output().find("cannot reach"), std::string::npos) << dev.Output();
        }
        HttpClient c(static_cast<std::uint16_t>(std::stoi(port)));
        EXPECT_EQ(c.Get("/health").status, 200);
        const auto r = c.Post(
            "/api/ingest",
            {{"event_type", "run_start"},
             {"sdk_run_id", "persist-me"},
             {"agent_name", "dev-bot"},
             {"payload", nlohmann::json::object()}},
            key
        );
        ASSERT_EQ(r.status, 200) << r.body;
        EXPECT_EQ(dev.Stop(SIGTERM, milliseconds(30000)), 0) << dev.Output();
        EXPECT_NE(dev.Output().find("stopped Postgres"), std::string::npos) << dev.Output();
    }
    {
        // Second start: the same cluster and data, the same key from the file; AGENTOS_DEV_KEY adds another.
        const auto extra = core::GenerateApiKey(core::KeyKind::kWorkspace).key;
        ChildProcess dev(
            {"dev", "--data-dir", data_dir.string(), "--listen", "127.0.0.1:0"}, {"AGENTOS_DEV_KEY=" + extra}
        );
        const auto port = StartDev(dev);
        ASSERT_FALSE(port.empty());
        EXPECT_EQ(dev.Output().find("created a Postgres cluster"), std::string::npos) << "the cluster is reused";
        HttpClient c(static_cast<std::uint16_t>(std::stoi(port)));
        const auto runs = c.Get("/api/v1/runs", key);
        ASSERT_EQ(runs.status, 200) << runs.body;
        ASSERT_EQ(runs.Json()["data"]["items"].size(), 1U);
        EXPECT_EQ(runs.Json()["data"]["items"][0]["external_run_id"], "persist-me");
        EXPECT_EQ(c.Get("/api/v1/runs", extra).status, 200);
        // Another `agentos dev` on the same data dir would reuse this Postgres and stop it under this server when it
        // exits: it refuses, naming the dir, and this server goes on.
        ChildProcess twin({"dev", "--data-dir", data_dir.string(), "--listen", "127.0.0.1:0"}, {"AGENTOS_DEV_KEY="});
        EXPECT_TRUE(twin.WaitForOutput("already serving from " + data_dir.string(), milliseconds(30000)))
            << twin.Output();
        EXPECT_EQ(twin.Stop(0, milliseconds(30000)), 1) << twin.Output();
        EXPECT_EQ(twin.Output().find("reusing the running Postgres"), std::string::npos) << twin.Output();
        EXPECT_EQ(c.Get("/health").status, 200);
        EXPECT_EQ(c.Get("/api/v1/runs", key).status, 200);
        EXPECT_EQ(dev.Stop(SIGINT, milliseconds(30000)), 0) << dev.Output();
    }
    // No postmaster is left behind, wherever the cluster lived.
    const fs::path fallback =
        fs::path("/tmp") / ("agentos-pg-" + core::HexEncode(core::Sha256((data_dir / "pg").string())).substr(0, 12));
    EXPECT_FALSE(fs::exists(data_dir / "pg" / "data" / "postmaster.pid"));
    EXPECT_FALSE(fs::exists(fallback / "data" / "postmaster.pid"));
    std::error_code ec;
    fs::remove_all(fallback, ec);
    fs::remove_all(parent, ec);
}

}  // namespace
}  // namespace agentos::testing
