#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "runtime/core/ids.hpp"
#include "runtime/store/agent_repo.hpp"
#include "runtime/store/event_repo.hpp"
#include "runtime/store/pg_pool.hpp"
#include "runtime/store/run_repo.hpp"
#include "runtime/store/workspace_repo.hpp"
#include "tests/support/test_cluster.hpp"

namespace agentos::store {
namespace {

struct Fixture {
    std::string workspace_id;
    std::string agent_id;
    std::string run_id;
};

Fixture MakeRun(PgPool& pool, const std::string& workspace = "w") {
    Fixture f;
    pool.TransactBlocking([&](Tx& tx) {
        f.workspace_id = WorkspaceRepo(tx).Ensure(workspace).id;
        f.agent_id = AgentRepo(tx).EnsureExternal(f.workspace_id, "a", "A").id;
        NewRun run;
        run.id = core::NewUuidV7();
        run.workspace_id = f.workspace_id;
        run.agent_id = f.agent_id;
        run.source = "ingest";
        run.trigger_type = "sdk";
        ASSERT_TRUE(RunRepo(tx).Insert(run).has_value());
        f.run_id = run.id;
    });
    return f;
}

TEST(EventRepo, ConcurrentBatchesForOneRunGetGapFreeSequenceNumbers) {
    AGENTOS_REQUIRE_PG();
    PgPool pool(testing::TestCluster::Get().NewDatabase(), 8);
    const auto f = MakeRun(pool);
    constexpr int kThreads = 8;
    constexpr int kBatches = 40;
    constexpr int kPerBatch = 5;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int b = 0; b < kBatches; ++b) {
                std::vector<NewEvent> batch;
                for (int e = 0; e < kPerBatch; ++e) {
                    batch.push_back({"tick", core::EventLevel::kInfo, {{"t", t}, {"b", b}, {"e", e}}, std::nullopt});
                }
                pool.TransactBlocking([&](Tx& tx) {
                    const auto r = EventRepo(tx).Append(f.workspace_id, f.run_id, std::nullopt, batch);
                    ASSERT_TRUE(r);
                    EXPECT_EQ(r->last_seq - r->first_seq, kPerBatch - 1);
                });
            }
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    std::vector<EventRecord> all;
    pool.TransactBlocking([&](Tx& tx) { all = EventRepo(tx).List(f.workspace_id, f.run_id, 0, 100000); });
    ASSERT_EQ(all.size(), static_cast<std::size_t>(kThreads * kBatches * kPerBatch));
    for (std::size_t i = 0; i < all.size(); ++i) {
        ASSERT_EQ(all[i].seq, static_cast<std::int64_t>(i + 1));
    }
    // Each batch landed contiguously and in its own order.
    for (std::size_t i = 0; i < all.size(); i += kPerBatch) {
        for (int e = 0; e < kPerBatch; ++e) {
            EXPECT_EQ(all[i + static_cast<std::size_t>(e)].payload["e"], e);
            EXPECT_EQ(all[i + static_cast<std::size_t>(e)].payload["b"], all[i].payload["b"]);
        }
    }
    std::optional<RunRecord> run;
    pool.TransactBlocking([&](Tx& tx) { run = RunRepo(tx).Get(f.workspace_id, f.run_id); });
    EXPECT_EQ(run->last_seq, kThreads * kBatches * kPerBatch);
}

TEST(EventRepo, NothingIsAppendedToAClosedRunOrAcrossWorkspaces) {
    AGENTOS_REQUIRE_PG();
    PgPool pool(testing::TestCluster::Get().NewDatabase(), 2);
    const auto f = MakeRun(pool);
    const auto other = MakeRun(pool, "other");
    const std::vector<NewEvent> one{{"x", core::EventLevel::kInfo, nlohmann::json::object(), std::nullopt}};
    pool.TransactBlocking([&](Tx& tx) {
        EXPECT_FALSE(EventRepo(tx).Append(other.workspace_id, f.run_id, std::nullopt, one));
        EXPECT_FALSE(EventRepo(tx).Append(f.workspace_id, f.run_id, other.agent_id, one));
        EXPECT_TRUE(EventRepo(tx).Append(f.workspace_id, f.run_id, f.agent_id, one));
        EXPECT_TRUE(
            RunRepo(tx).Close(f.workspace_id, f.run_id, core::RunStatus::kCompleted, nullptr, std::nullopt, nullptr)
        );
        EXPECT_FALSE(EventRepo(tx).Append(f.workspace_id, f.run_id, std::nullopt, one));
    });
}

TEST(RunRepo, ConcurrentClosesLetExactlyOneWin) {
    AGENTOS_REQUIRE_PG();
    PgPool pool(testing::TestCluster::Get().NewDatabase(), 8);
    const auto f = MakeRun(pool);
    std::atomic<int> wins{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&, t] {
            pool.TransactBlocking([&](Tx& tx) {
                const auto status = t % 2 == 0 ? core::RunStatus::kCompleted : core::RunStatus::kFailed;
                if (RunRepo(tx).Close(f.workspace_id, f.run_id, status, nullptr, std::nullopt, nullptr)) {
                    ++wins;
                }
            });
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    EXPECT_EQ(wins.load(), 1);
}

}  // namespace
}  // namespace agentos::store
