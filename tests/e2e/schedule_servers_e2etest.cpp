// Exactly once across servers: three real `agentos serve` processes on one database fire a schedule due every second,
// for 60 seconds; half-way through one of them is killed (SIGKILL, mid-whatever it was doing). Every second of the
// window must have exactly one fire and one run: 0 double fires, 0 misses, before and after the kill.

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "runtime/core/ids.hpp"
#include "runtime/core/time.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/test_cluster.hpp"

namespace agentos::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

constexpr const char* kTicker = R"(slug: ticker
name: Ticker
model:
  provider: mock
  script:
    - text: "tick"
schedules:
  - cron: "* * * * * *"
    overlap: allow
    input: { query: tick }
)";

struct Fire {
    std::int64_t second = 0;  ///< scheduled_for, Unix seconds
    std::string outcome;
    std::string server;
    std::int64_t fired_at_us = 0;
};

std::vector<Fire> Fires(pqxx::connection& db) {
    pqxx::work tx(db);
    std::vector<Fire> out;
    for (const auto& row :
         tx.exec("SELECT extract(epoch FROM scheduled_for)::bigint, outcome, server_id, "
                 "(extract(epoch FROM fired_at) * 1000000)::bigint FROM schedule_fires ORDER BY scheduled_for")) {
        out.push_back(
            {row[0].as<std::int64_t>(), row[1].as<std::string>(), row[2].as<std::string>(), row[3].as<std::int64_t>()}
        );
    }
    return out;
}

/// 0 double fires and 0 misses among the fires whose due time is in [from, to]: exactly one per second.
void ExpectEverySecondOnce(const std::vector<Fire>& fires, std::int64_t from, std::int64_t to, const char* phase) {
    std::map<std::int64_t, int> per_second;
    for (const auto& f : fires) {
        if (f.second >= from && f.second <= to) {
            ++per_second[f.second];
            EXPECT_EQ(f.outcome, "fired") << phase << " at " << f.second;
        }
    }
    int doubles = 0;
    int misses = 0;
    for (std::int64_t s = from; s <= to; ++s) {
        const int n = per_second.contains(s) ? per_second[s] : 0;
        misses += n == 0 ? 1 : 0;
        doubles += n > 1 ? 1 : 0;
    }
    std::cout << "[ " << phase << " ] " << (to - from + 1) << " due times: " << doubles << " double fires, " << misses
              << " misses\n";
    EXPECT_EQ(doubles, 0) << phase;
    EXPECT_EQ(misses, 0) << phase;
}

TEST(ScheduleServersTest, ThreeServersFireEverySecondExactlyOnceAndStillDoWhenOneIsKilled) {
    AGENTOS_REQUIRE_PG();
    const std::string dsn = TestCluster::Get().NewDatabase();
    const fs::path dir = fs::temp_directory_path() / ("agentos-ticker-" + core::NewUuidV7());
    fs::create_directories(dir);
    std::ofstream(dir / "ticker.yaml") << kTicker;
    const std::vector<std::string> agents = {"--agents", dir.string()};

    auto a = std::make_unique<ServerProcess>(dsn, "", agents);
    auto b = std::make_unique<ServerProcess>(dsn, "", agents);
    auto c = std::make_unique<ServerProcess>(dsn, "", agents);
    const auto now_s = [] {
        return core::ToUnixMicros(core::SystemClock().Now()) / 1'000'000;
    };
    const std::int64_t all_up = now_s();
    std::this_thread::sleep_for(seconds(30));
    const std::int64_t killed_at = now_s();
    EXPECT_EQ(c->Stop(SIGKILL), 128 + SIGKILL);
    c.reset();
    std::this_thread::sleep_for(seconds(30));
    const std::int64_t end = now_s();
    a->Stop(SIGTERM);
    b->Stop(SIGTERM);

    pqxx::connection db(dsn);
    const auto fires = Fires(db);
    ASSERT_FALSE(fires.empty());
    // Three servers: from the second after all were up to the one before the kill. Two: from the second after the
    // kill (the due time it may have held when it died included) to the one before they were stopped.
    ExpectEverySecondOnce(fires, all_up + 1, killed_at - 1, "3 servers");
    ExpectEverySecondOnce(fires, killed_at, end - 1, "after kill");
    // And over everything recorded: no due time twice, none missed between the first and the last.
    ExpectEverySecondOnce(fires, fires.front().second, fires.back().second, "all     ");

    std::vector<double> delays_ms;
    for (const auto& f : fires) {
        delays_ms.push_back(static_cast<double>(f.fired_at_us - f.second * 1'000'000) / 1000.0);
    }
    std::sort(delays_ms.begin(), delays_ms.end());
    std::cout << "[ delay    ] due time to fire row: p50 " << delays_ms[delays_ms.size() / 2] << " ms, max "
              << delays_ms.back() << " ms (debug build with sanitizers)\n";

    std::map<std::string, int> by_server;
    for (const auto& f : fires) {
        ++by_server[f.server];
    }
    std::cout << "[ servers  ] fires by server:";
    for (const auto& [server, n] : by_server) {
        std::cout << " " << server << "=" << n;
    }
    std::cout << "\n";

    pqxx::work tx(db);
    const auto totals = tx.exec1(
        "SELECT count(*), count(DISTINCT r.id), count(DISTINCT e.payload -> 'schedule' ->> 'scheduled_for'), "
        "(SELECT count(*) FROM schedule_fires WHERE outcome = 'fired'), (SELECT skipped_missed FROM schedules) "
        "FROM runs r JOIN events e ON e.run_id = r.id AND e.seq = 1 WHERE r.trigger_type = 'scheduled'"
    );
    EXPECT_EQ(totals[0].as<std::int64_t>(), totals[3].as<std::int64_t>()) << "one run per fire";
    EXPECT_EQ(totals[1].as<std::int64_t>(), totals[0].as<std::int64_t>());
    EXPECT_EQ(totals[2].as<std::int64_t>(), totals[0].as<std::int64_t>()) << "each run for its own due time";
    EXPECT_EQ(totals[4].as<std::int64_t>(), 0) << "nothing counted as missed";
    fs::remove_all(dir);
}

}  // namespace
}  // namespace agentos::testing
