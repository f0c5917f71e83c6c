#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "runtime/core/ids.hpp"
#include "runtime/store/agent_repo.hpp"
#include "runtime/store/event_repo.hpp"
#include "runtime/store/pg.hpp"
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
        RunEnd end;
        end.only_agent_id = other.agent_id;
        EXPECT_FALSE(RunRepo(tx).Close(f.workspace_id, f.run_id, end));
        EXPECT_FALSE(RunRepo(tx).Close(other.workspace_id, f.run_id, RunEnd{}));
        EXPECT_TRUE(RunRepo(tx).Close(f.workspace_id, f.run_id, RunEnd{}));
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
                RunEnd end;
                end.status = t % 2 == 0 ? core::RunStatus::kCompleted : core::RunStatus::kFailed;
                end.events = {{"end", core::EventLevel::kInfo, {{"t", t}}, std::nullopt}};
                if (RunRepo(tx).Close(f.workspace_id, f.run_id, end)) {
                    ++wins;
                }
            });
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    EXPECT_EQ(wins.load(), 1);
    std::vector<EventRecord> events;
    pool.TransactBlocking([&](Tx& tx) { events = EventRepo(tx).List(f.workspace_id, f.run_id, 0, 100); });
    EXPECT_EQ(events.size(), 1u);  // only the winner's last event was stored
}

TEST(RunRepo, CloseAppendsItsEventsAfterTheOthersAndBooksTheCost) {
    AGENTOS_REQUIRE_PG();
    PgPool pool(testing::TestCluster::Get().NewDatabase(), 1);
    const auto f = MakeRun(pool);
    std::optional<ClosedRun> closed;
    pool.TransactBlocking([&](Tx& tx) {
        EventRepo(tx).Append(
            f.workspace_id, f.run_id, std::nullopt, {{"a", core::EventLevel::kInfo, {}, std::nullopt}}
        );
        AgentRepo(tx).AddMonthlyCost(f.agent_id, 1.5);
        const FinalStep step{nlohmann::json{{"steps", 3}}, 3, 10, 5, 0.25, std::string("m1")};
        RunEnd end;
        end.output = {{"answer", "it's 42"}};
        end.events = {
            {"step", core::EventLevel::kInfo, {{"phase", "end"}}, std::nullopt},
            {"run_end", core::EventLevel::kInfo, {{"output", "it's 42"}}, std::nullopt}};
        end.step = &step;
        closed = RunRepo(tx).Close(f.workspace_id, f.run_id, end);
    });
    ASSERT_TRUE(closed);
    EXPECT_EQ(closed->run.status, core::RunStatus::kCompleted);
    EXPECT_EQ(closed->run.output["answer"], "it's 42");
    EXPECT_EQ(closed->run.last_seq, 3);
    EXPECT_EQ(closed->run.step_count, 3);
    EXPECT_EQ(closed->run.total_tokens, 15);
    EXPECT_EQ(closed->run.model, "m1");
    EXPECT_DOUBLE_EQ(closed->spend.month_cost_usd, 1.75);  // the month's earlier 1.5 and this run's 0.25
    std::vector<EventRecord> events;
    pool.TransactBlocking([&](Tx& tx) { events = EventRepo(tx).List(f.workspace_id, f.run_id, 0, 100); });
    ASSERT_EQ(events.size(), 3u);
    EXPECT_EQ(events[0].type, "a");
    EXPECT_EQ(events[1].type, "step");
    EXPECT_EQ(events[2].type, "run_end");
    EXPECT_EQ(events[2].seq, 3);
}

TEST(RunRepo, ACloseWithoutCostReportsTheMonthAsItIs) {
    AGENTOS_REQUIRE_PG();
    PgPool pool(testing::TestCluster::Get().NewDatabase(), 1);
    const auto f = MakeRun(pool);
    std::optional<ClosedRun> closed;
    pool.TransactBlocking([&](Tx& tx) {
        AgentRepo(tx).AddMonthlyCost(f.agent_id, 2.0);
        closed = RunRepo(tx).Close(f.workspace_id, f.run_id, RunEnd{});
    });
    ASSERT_TRUE(closed);
    EXPECT_DOUBLE_EQ(closed->spend.month_cost_usd, 2.0);
    EXPECT_EQ(closed->run.last_seq, 0);
}

TEST(Tx, ADeferredFlushStatementKeepsItsParametersAndEndsWithItsTransaction) {
    AGENTOS_REQUIRE_PG();
    PgPool pool(testing::TestCluster::Get().NewDatabase(), 1);
    const auto f = MakeRun(pool);
    // Quotes, backslashes and JSON survive the literal form that a deferred statement sends.
    const std::string tricky = R"(it's a \back\slash and "quotes" '; DROP TABLE runs; --)";
    // The test cluster runs with synchronous_commit off; this session (the pool's one connection) turns it on.
    pool.TransactBlocking([&](Tx& tx) { tx.ExecRaw("SET synchronous_commit = on"); });
    for (int i = 0; i < 2; ++i) {  // the second time the statement is prepared already
        pool.TransactBlocking([&](Tx& tx) {
            tx.DeferFlush();
            EXPECT_TRUE(RunRepo(tx).SaveStep(
                f.workspace_id,
                f.run_id,
                nlohmann::json{{"note", tricky}},
                i + 1,
                Usage{1, 2, 3, 0.5, std::nullopt},
                {{"step", core::EventLevel::kInfo, {{"note", tricky}}, std::nullopt}},
                0
            ));
            EXPECT_EQ(ReadString(tx.ExecRaw("SHOW synchronous_commit")[0][0]), "off");
        });
    }
    pool.TransactBlocking([&](Tx& tx) {
        EXPECT_EQ(ReadString(tx.ExecRaw("SHOW synchronous_commit")[0][0]), "on");  // it ended with its transaction
        const auto run = RunRepo(tx).Get(f.workspace_id, f.run_id);
        EXPECT_EQ(run->checkpoint["note"], tricky);
        EXPECT_EQ(run->step_count, 2);
        EXPECT_EQ(run->total_tokens, 6);
        EXPECT_EQ(run->model, std::nullopt);
        const auto events = EventRepo(tx).List(f.workspace_id, f.run_id, 0, 10);
        ASSERT_EQ(events.size(), 2u);
        EXPECT_EQ(events[1].payload["note"], tricky);
        EXPECT_EQ(events[1].seq, 2);
    });
}

}  // namespace
}  // namespace agentos::store
