#include <gtest/gtest.h>

#include "runtime/core/ids.hpp"
#include "runtime/store/agent_repo.hpp"
#include "runtime/store/memory_repo.hpp"
#include "runtime/store/pg.hpp"
#include "runtime/store/pg_pool.hpp"
#include "runtime/store/workspace_repo.hpp"
#include "tests/support/test_cluster.hpp"

namespace agentos::store {
namespace {

std::vector<std::string> Texts(const std::vector<UserMemory>& memories) {
    std::vector<std::string> out;
    for (const auto& m : memories) {
        out.push_back(m.memory);
    }
    return out;
}

TEST(MemoryRepo, RecentIsTheUsersNewestFirstInItsWorkspace) {
    AGENTOS_REQUIRE_PG();
    PgPool pool(testing::TestCluster::Get().NewDatabase(), 1);
    pool.TransactBlocking([](Tx& tx) {
        const auto ws = WorkspaceRepo(tx).Ensure("w").id;
        const auto other = WorkspaceRepo(tx).Ensure("other").id;
        const auto agent = AgentRepo(tx).EnsureExternal(ws, "a", "A").id;
        MemoryRepo repo(tx);
        for (int i = 0; i < 4; ++i) {
            repo.Create({ws, "alice", "fact " + std::to_string(i), {}, std::nullopt, std::nullopt});
        }
        repo.Create({ws, "bob", "bob's", {}, std::nullopt, std::nullopt});
        repo.Create({other, "alice", "elsewhere", {}, std::nullopt, std::nullopt});
        const auto run_id = core::NewUuidV7();
        const auto stored = repo.Create({ws, "alice", "from a run", {" Food", "food", "Tea "}, agent, run_id});
        EXPECT_EQ(stored.topics, (std::vector<std::string>{"food", "tea"}));
        EXPECT_EQ(stored.agent_id, agent);
        EXPECT_EQ(stored.run_id, run_id);
        EXPECT_EQ(stored.workspace_id, ws);

        // Newest first by id (v7 ids order by creation to the millisecond, so same-millisecond ones in any order).
        const auto recent = repo.Recent(ws, "alice", 3);
        ASSERT_EQ(recent.size(), 3U);
        EXPECT_GT(recent[0].id, recent[1].id);
        EXPECT_GT(recent[1].id, recent[2].id);
        const auto all = repo.Recent(ws, "alice", 50);
        ASSERT_EQ(all.size(), 5U);
        EXPECT_EQ(all[0].id, recent[0].id);
        EXPECT_GT(all[2].id, all[3].id);
        EXPECT_EQ(Texts(repo.Recent(other, "alice", 50)), std::vector<std::string>{"elsewhere"});
        EXPECT_TRUE(repo.Recent(ws, "carol", 50).empty());

        // Another workspace's id is not there for any statement.
        EXPECT_FALSE(repo.Get(other, stored.id));
        EXPECT_FALSE(repo.Update(other, stored.id, {"changed", std::nullopt}));
        EXPECT_FALSE(repo.Delete(other, stored.id));
        const auto changed = repo.Update(ws, stored.id, {std::nullopt, std::vector<std::string>{"B", "a", "b"}});
        ASSERT_TRUE(changed);
        EXPECT_EQ(changed->topics, (std::vector<std::string>{"b", "a"}));
        EXPECT_EQ(changed->memory, "from a run");

        MemoryFilter f;
        f.agent_id = agent;
        EXPECT_EQ(Texts(repo.List(ws, f)), std::vector<std::string>{"from a run"});
        const auto topics = repo.Topics(ws, std::nullopt, std::nullopt, 10);
        ASSERT_EQ(topics.size(), 2U);
        EXPECT_EQ(topics[0].topic, "a");
        EXPECT_EQ(topics[1].count, 1);
        const auto stats = repo.Stats(ws, std::nullopt, 10);
        ASSERT_EQ(stats.size(), 2U);
        EXPECT_EQ(stats[0].external_user_id, "alice");
        EXPECT_EQ(stats[0].memories, 5);
        EXPECT_EQ(stats[1].memories, 1);
        EXPECT_TRUE(repo.Delete(ws, stored.id));
        EXPECT_FALSE(repo.Get(ws, stored.id));
    });
}

}  // namespace
}  // namespace agentos::store
