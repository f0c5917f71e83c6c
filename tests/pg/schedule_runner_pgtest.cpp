// The firing loop's decisions against a real Postgres, driven by a manual clock: nothing sleeps, every due time is
// chosen by the test. The run service is not started, so fired runs stay queued where the test can read them.

#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "runtime/agent_service.hpp"
#include "runtime/core/ids.hpp"
#include "runtime/core/metrics.hpp"
#include "runtime/net/http_client.hpp"
#include "runtime/run_service.hpp"
#include "runtime/store/event_repo.hpp"
#include "runtime/store/pg.hpp"
#include "runtime/store/pg_pool.hpp"
#include "runtime/store/run_repo.hpp"
#include "runtime/store/schedule_repo.hpp"
#include "runtime/store/workspace_repo.hpp"
#include "scheduler/schedule_runner.hpp"
#include "scheduler/schedule_service.hpp"
#include "tests/support/test_cluster.hpp"

namespace agentos::scheduler {
namespace {

namespace fs = std::filesystem;

class ManualClock final : public core::Clock {
public:
    core::TimePoint Now() const override {
        const std::lock_guard lock(mutex_);
        return now_;
    }

    void Set(core::TimePoint t) {
        const std::lock_guard lock(mutex_);
        now_ = t;
    }

    void Set(const char* iso) { Set(*core::ParseIso(iso)); }

private:
    mutable std::mutex mutex_;
    core::TimePoint now_;
};

core::TimePoint At(const char* iso) {
    return *core::ParseIso(iso);
}

constexpr const char* kAgentYaml = R"(slug: reporter
name: Reporter
model:
  provider: mock
  script:
    - text: "report"
instructions: You report for {{COMPANY}}.
variables:
  COMPANY: { required: true }
)";

/// One server's worth of services on a fresh database, with the firing loop driven by hand.
class ScheduleRunnerTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!::agentos::testing::PostgresAvailable()) {
            GTEST_SKIP() << "no Postgres";
        }
        dsn_ = ::agentos::testing::TestCluster::Get().NewDatabase();
        pool_ = std::make_unique<store::PgPool>(dsn_, 4);
        agents_ = std::make_unique<engine::AgentService>(*pool_);
        engine::RunServiceOptions options;
        options.server_id = "server-a";
        runs_ = std::make_unique<engine::RunService>(*pool_, *agents_, http_, clock_, options);
        runner_ = MakeRunner(*runs_, "server-a");
        dir_ = fs::temp_directory_path() / ("agentos-sched-" + core::NewUuidV7());
        fs::create_directories(dir_);
    }

    void TearDown() override {
        if (pool_) {
            pool_->Stop();
        }
        fs::remove_all(dir_);
    }

    std::unique_ptr<ScheduleRunner> MakeRunner(engine::RunService& runs, const std::string& server) {
        ScheduleRunnerOptions o;
        o.server_id = server;
        o.batch = 50;
        return std::make_unique<ScheduleRunner>(*pool_, runs, clock_, metrics_, o);
    }

    template <class T>
    T Run(net::awaitable<T> work) {
        auto future = net::co_spawn(ioc_, std::move(work), net::use_future);
        ioc_.restart();
        ioc_.run();
        return future.get();
    }

    FireReport Fire(const char* iso) {
        clock_.Set(iso);
        return Run(runner_->FireDue());
    }

    /// Loads the reporter agent with `schedules` (YAML list text, indented two spaces) from a file, as --agents does.
    void LoadAgent(const std::string& schedules, const std::string& extra = "") {
        std::ofstream(dir_ / "reporter.yaml")
            << kAgentYaml << extra << (schedules.empty() ? "" : "schedules:\n") << schedules;
        engine::AgentService::LoadDirectory(*pool_, "default", dir_);
    }

    std::vector<store::ScheduleRecord> Schedules() {
        std::vector<store::ScheduleRecord> out;
        pool_->TransactBlocking([&](store::Tx& tx) {
            const auto ws = store::WorkspaceRepo(tx).Ensure("default").id;
            out = store::ScheduleRepo(tx).List(ws, {});
        });
        std::reverse(out.begin(), out.end());  // oldest first
        return out;
    }

    std::vector<store::RunRecord> RunsOf(const std::string& schedule_id) {
        std::vector<store::RunRecord> out;
        pool_->TransactBlocking([&](store::Tx& tx) {
            const auto ws = store::WorkspaceRepo(tx).Ensure("default").id;
            store::RunFilter f;
            f.schedule_id = schedule_id;
            f.limit = 1000;
            out = store::RunRepo(tx).List(ws, f);
        });
        std::reverse(out.begin(), out.end());
        return out;
    }

    nlohmann::json RunStart(const store::RunRecord& run) {
        nlohmann::json payload;
        pool_->TransactBlocking([&](store::Tx& tx) {
            const auto events = store::EventRepo(tx).List(run.workspace_id, run.id, 0, 1);
            ASSERT_EQ(events.size(), 1U);
            EXPECT_EQ(events[0].type, "run_start");
            payload = events[0].payload;
        });
        return payload;
    }

    std::vector<store::FireRecord> Fires(const std::string& schedule_id) {
        std::vector<store::FireRecord> out;
        pool_->TransactBlocking([&](store::Tx& tx) {
            out = store::ScheduleRepo(tx).Fires(schedule_id, std::nullopt, 10'000);
        });
        std::reverse(out.begin(), out.end());
        return out;
    }

    void Exec(const std::string& sql) {
        pool_->TransactBlocking([&](store::Tx& tx) { tx.ExecRaw(sql); });
    }

    std::string dsn_;
    ManualClock clock_;
    core::Metrics metrics_;
    outbound::HttpClient http_;
    std::unique_ptr<store::PgPool> pool_;
    std::unique_ptr<engine::AgentService> agents_;
    std::unique_ptr<engine::RunService> runs_;
    std::unique_ptr<ScheduleRunner> runner_;
    net::io_context ioc_;
    fs::path dir_;
};

TEST_F(ScheduleRunnerTest, EachDueTimeFiresOnceWithTheSchedulesInputAndVariables) {
    clock_.Set("2026-06-01T10:00:00Z");
    LoadAgent("  - cron: \"*/5 * * * *\"\n    input: { query: daily report }\n    prompt_variables: { COMPANY: Acme }\n"
    );
    auto schedules = Schedules();
    ASSERT_EQ(schedules.size(), 1U);
    const auto& s = schedules[0];
    EXPECT_EQ(s.source, "yaml");
    EXPECT_EQ(s.yaml_index, 0);
    // Synced with the real clock's now: the next due time is some multiple of five minutes from now.
    ASSERT_TRUE(s.next_fire_at);
    Exec("UPDATE schedules SET next_fire_at = '2026-06-01T10:05:00Z'");

    EXPECT_EQ(Fire("2026-06-01T10:04:59.999Z").fired, 0);
    const FireReport first = Fire("2026-06-01T10:05:00.200Z");
    EXPECT_EQ(first.fired, 1);
    EXPECT_EQ(first.missed, 0);
    EXPECT_EQ(Fire("2026-06-01T10:05:00.300Z").fired, 0) << "a due time fires once";

    const auto runs = RunsOf(s.id);
    ASSERT_EQ(runs.size(), 1U);
    EXPECT_EQ(runs[0].status, core::RunStatus::kQueued);
    EXPECT_EQ(runs[0].trigger_type, "scheduled");
    EXPECT_EQ(runs[0].schedule_id, s.id);
    EXPECT_EQ(runs[0].input, (nlohmann::json{{"query", "daily report"}}));
    EXPECT_EQ(runs[0].prompt_variables, (nlohmann::json{{"COMPANY", "Acme"}}));
    const auto start = RunStart(runs[0]);
    EXPECT_EQ(start["trigger_type"], "scheduled");
    EXPECT_EQ(
        start["schedule"],
        (nlohmann::json{{"schedule_id", s.id}, {"scheduled_for", "2026-06-01T10:05:00.000Z"}, {"manual", false}})
    );

    const auto after = Schedules()[0];
    EXPECT_EQ(after.next_fire_at, At("2026-06-01T10:10:00Z"));
    EXPECT_EQ(after.last_fired_for, At("2026-06-01T10:05:00Z"));
    EXPECT_EQ(after.last_run_id, runs[0].id);
    EXPECT_EQ(after.fire_count, 1);
    const auto fires = Fires(s.id);
    ASSERT_EQ(fires.size(), 1U);
    EXPECT_EQ(fires[0].outcome, "fired");
    EXPECT_EQ(fires[0].run_id, runs[0].id);
    EXPECT_EQ(fires[0].server_id, "server-a");
    EXPECT_EQ(metrics_.Value("agentos_schedule_fires_total", {}), 1);
}

TEST_F(ScheduleRunnerTest, AfterDowntimeOnlyTheLatestDueTimeWithinCatchUpFires) {
    clock_.Set("2026-06-01T10:00:00Z");
    LoadAgent(
        "  - cron: \"* * * * *\"\n    overlap: allow\n    prompt_variables: { COMPANY: Acme }\n"
        "  - cron: \"* * * * *\"\n    overlap: allow\n    catch_up_s: 0\n    prompt_variables: { COMPANY: Acme }\n"
    );
    Exec("UPDATE schedules SET next_fire_at = '2026-06-01T10:01:00Z'");
    // Down from 10:00:30 to 11:00:40: 60 due times passed (10:01 … 11:00).
    const FireReport r = Fire("2026-06-01T11:00:40Z");
    const auto schedules = Schedules();
    ASSERT_EQ(schedules.size(), 2U);
    // catch_up_s 300: 11:00 is 40 s late, so it fires; the 59 before it are missed.
    const auto runs = RunsOf(schedules[0].id);
    ASSERT_EQ(runs.size(), 1U);
    EXPECT_EQ(RunStart(runs[0])["schedule"]["scheduled_for"], "2026-06-01T11:00:00.000Z");
    EXPECT_EQ(schedules[0].skipped_missed, 59);
    // catch_up_s 0: 40 s is beyond the 10 s every due time gets, so nothing fires and all 60 are missed.
    EXPECT_TRUE(RunsOf(schedules[1].id).empty());
    EXPECT_EQ(schedules[1].skipped_missed, 60);
    EXPECT_EQ(r.fired, 1);
    EXPECT_EQ(r.missed, 119);
    EXPECT_EQ(metrics_.Value("agentos_schedule_skipped_total", {{"reason", "missed"}}), 119);
    for (const auto& s : schedules) {
        EXPECT_EQ(s.next_fire_at, At("2026-06-01T11:01:00Z"));
    }
    // Late by 9 s is on time, even with catch_up_s 0.
    EXPECT_EQ(Fire("2026-06-01T11:01:09Z").fired, 2);
}

TEST_F(ScheduleRunnerTest, OverlapSkipsWhileThePreviousRunIsActiveAndAllowFiresAnyway) {
    clock_.Set("2026-06-01T10:00:00Z");
    LoadAgent(
        "  - cron: \"* * * * *\"\n    prompt_variables: { COMPANY: Acme }\n"
        "  - cron: \"* * * * *\"\n    overlap: allow\n    prompt_variables: { COMPANY: Acme }\n"
    );
    Exec("UPDATE schedules SET next_fire_at = '2026-06-01T10:01:00Z'");
    EXPECT_EQ(Fire("2026-06-01T10:01:00.100Z").fired, 2);
    // The runs stay queued (no worker here): the skip schedule skips, the allow one fires.
    const FireReport second = Fire("2026-06-01T10:02:00.100Z");
    EXPECT_EQ(second.fired, 1);
    EXPECT_EQ(second.skipped_overlap, 1);
    const auto schedules = Schedules();
    const auto skip_runs = RunsOf(schedules[0].id);
    ASSERT_EQ(skip_runs.size(), 1U);
    EXPECT_EQ(RunsOf(schedules[1].id).size(), 2U);
    const auto fires = Fires(schedules[0].id);
    ASSERT_EQ(fires.size(), 2U);
    EXPECT_EQ(fires[1].outcome, "skipped_overlap");
    EXPECT_EQ(fires[1].run_id, skip_runs[0].id) << "the skip names the run still active";
    EXPECT_EQ(schedules[0].skipped_overlap, 1);
    EXPECT_EQ(metrics_.Value("agentos_schedule_skipped_total", {{"reason", "overlap"}}), 1);

    // Once the previous run has ended, the next due time fires again.
    Exec("UPDATE runs SET status = 'completed', ended_at = now() WHERE id = '" + skip_runs[0].id + "'");
    EXPECT_EQ(Fire("2026-06-01T10:03:00.100Z").fired, 2);
    EXPECT_EQ(RunsOf(schedules[0].id).size(), 2U);
}

TEST_F(ScheduleRunnerTest, ADisabledScheduleNeverFires) {
    clock_.Set("2026-06-01T10:00:00Z");
    LoadAgent("  - cron: \"* * * * *\"\n    enabled: false\n    prompt_variables: { COMPANY: Acme }\n");
    Exec("UPDATE schedules SET next_fire_at = '2026-06-01T10:01:00Z'");
    EXPECT_EQ(Fire("2026-06-01T10:01:00.100Z").fired, 0);
    EXPECT_EQ(Fire("2026-06-01T10:05:00Z").missed, 0) << "not even counted as missed";
    const auto s = Schedules()[0];
    EXPECT_FALSE(s.definition.enabled);
    EXPECT_TRUE(RunsOf(s.id).empty());
    EXPECT_TRUE(Fires(s.id).empty());
}

TEST_F(ScheduleRunnerTest, APausedAgentsDueTimesAreRecordedSkipped) {
    clock_.Set("2026-06-01T10:00:00Z");
    LoadAgent("  - cron: \"* * * * *\"\n    prompt_variables: { COMPANY: Acme }\n");
    Exec("UPDATE schedules SET next_fire_at = '2026-06-01T10:01:00Z'");
    Exec("UPDATE agents SET status = 'paused'");
    const FireReport r = Fire("2026-06-01T10:01:00.100Z");
    EXPECT_EQ(r.fired, 0);
    EXPECT_EQ(r.skipped_paused, 1);
    const auto s = Schedules()[0];
    EXPECT_TRUE(RunsOf(s.id).empty());
    ASSERT_EQ(Fires(s.id).size(), 1U);
    EXPECT_EQ(Fires(s.id)[0].outcome, "skipped_paused");
    EXPECT_EQ(s.next_fire_at, At("2026-06-01T10:02:00Z"));
}

TEST_F(ScheduleRunnerTest, ARunThatCannotBeMadeIsRecordedAsAnErrorAndTheScheduleGoesOn) {
    clock_.Set("2026-06-01T10:00:00Z");
    LoadAgent("  - cron: \"* * * * *\"\n    prompt_variables: { COMPANY: Acme }\n");
    // The definition requires COMPANY (a load checks that the schedule gives it); here the row has lost it.
    Exec("UPDATE schedules SET next_fire_at = '2026-06-01T10:01:00Z', prompt_variables = '{}'");
    const FireReport r = Fire("2026-06-01T10:01:00.100Z");
    EXPECT_EQ(r.errors, 1);
    const auto s = Schedules()[0];
    const auto fires = Fires(s.id);
    ASSERT_EQ(fires.size(), 1U);
    EXPECT_EQ(fires[0].outcome, "error");
    ASSERT_TRUE(fires[0].error);
    EXPECT_NE(fires[0].error->find("COMPANY"), std::string::npos) << *fires[0].error;
    EXPECT_EQ(s.next_fire_at, At("2026-06-01T10:02:00Z"));
}

// Zurich's daily 02:30 across both changes of 2026: on 29 March 02:30 does not exist (it fires once, at 03:00 CEST
// = 01:00Z), on 25 October it happens twice (it fires once, at the first: 02:30 CEST = 00:30Z). The loop is stepped
// every 10 minutes of manual time through each day.
TEST_F(ScheduleRunnerTest, DailyJobAcrossDstChangesFiresOncePerDayThroughTheLoop) {
    clock_.Set("2026-03-27T12:00:00Z");
    LoadAgent("  - cron: \"30 2 * * *\"\n    timezone: Europe/Zurich\n    prompt_variables: { COMPANY: Acme }\n");
    const auto id = Schedules()[0].id;
    Exec("UPDATE schedules SET next_fire_at = '2026-03-28T01:30:00Z', overlap = 'allow'");
    auto step = [&](const char* from, const char* to) {
        for (auto t = At(from); t <= At(to); t += std::chrono::minutes(10)) {
            clock_.Set(t);
            Run(runner_->FireDue());
        }
    };
    step("2026-03-28T00:00:00Z", "2026-03-31T00:00:00Z");
    Exec("UPDATE schedules SET next_fire_at = '2026-10-24T00:30:00Z'");
    step("2026-10-24T00:00:00Z", "2026-10-27T00:00:00Z");
    std::vector<std::string> fired;
    for (const auto& f : Fires(id)) {
        EXPECT_EQ(f.outcome, "fired");
        fired.push_back(core::FormatIso(f.scheduled_for));
    }
    EXPECT_EQ(
        fired,
        (std::vector<std::string>{
            "2026-03-28T01:30:00.000Z",   // CET (+1)
            "2026-03-29T01:00:00.000Z",   // 02:30 skipped: the gap's end, 03:00 CEST
            "2026-03-30T00:30:00.000Z",   // CEST (+2)
            "2026-10-24T00:30:00.000Z",   // CEST
            "2026-10-25T00:30:00.000Z",   // 02:30 twice: the first one (CEST)
            "2026-10-26T01:30:00.000Z"})  // CET
    );
    EXPECT_EQ(RunsOf(id).size(), 6U);
}

TEST_F(ScheduleRunnerTest, AManualTriggerAtTheSameInstantAsATickMakesTwoDistinctRuns) {
    clock_.Set("2026-06-01T10:00:00Z");
    LoadAgent("  - cron: \"* * * * *\"\n    prompt_variables: { COMPANY: Acme }\n");
    Exec("UPDATE schedules SET next_fire_at = '2026-06-01T10:01:00Z'");
    const auto s = Schedules()[0];
    core::Principal who;
    who.workspace_id = s.workspace_id;
    ScheduleService service(*pool_, *runs_, clock_);
    clock_.Set("2026-06-01T10:01:00Z");
    const auto triggered = Run(service.Trigger(who, s.id));
    EXPECT_EQ(Run(runner_->FireDue()).fired, 1);
    const auto runs = RunsOf(s.id);
    ASSERT_EQ(runs.size(), 2U);
    EXPECT_NE(runs[0].id, runs[1].id);
    std::set<bool> manual;
    for (const auto& r : runs) {
        EXPECT_EQ(r.trigger_type, "scheduled");
        manual.insert(RunStart(r)["schedule"]["manual"].get<bool>());
    }
    EXPECT_EQ(manual, (std::set<bool>{false, true}));
    EXPECT_TRUE(runs[0].id == triggered.run_id || runs[1].id == triggered.run_id);
    EXPECT_EQ(Fires(s.id).size(), 1U) << "the trigger records no fire";
}

TEST_F(ScheduleRunnerTest, TwoServersFiringTheSameDueSchedulesFireEachOnce) {
    clock_.Set("2026-06-01T10:00:00Z");
    LoadAgent("");
    std::string agent_id;
    std::string ws;
    pool_->TransactBlocking([&](store::Tx& tx) {
        ws = store::WorkspaceRepo(tx).Ensure("default").id;
        agent_id = store::AgentRepo(tx).Get(ws, "reporter")->id;
    });
    constexpr int kSchedules = 400;
    pool_->TransactBlocking([&](store::Tx& tx) {
        store::ScheduleRepo repo(tx);
        for (int i = 0; i < kSchedules; ++i) {
            store::NewSchedule s;
            s.id = core::NewUuidV7();
            s.workspace_id = ws;
            s.agent_id = agent_id;
            s.definition.cron = "* * * * *";
            s.definition.prompt_variables = {{"COMPANY", "Acme"}};
            s.next_fire_at = At("2026-06-01T10:01:00Z");
            repo.Create(s);
        }
    });
    // A second server: its own pool, run service and runner on the same database, firing at the same instant.
    store::PgPool other_pool(dsn_, 4);
    engine::AgentService other_agents(other_pool);
    engine::RunServiceOptions options;
    options.server_id = "server-b";
    engine::RunService other_runs(other_pool, other_agents, http_, clock_, options);
    ScheduleRunnerOptions o;
    o.server_id = "server-b";
    o.batch = 50;
    ScheduleRunner other(other_pool, other_runs, clock_, metrics_, o);
    clock_.Set("2026-06-01T10:01:00.050Z");
    net::io_context other_ioc;
    auto b = net::co_spawn(other_ioc, other.FireDue(), net::use_future);
    std::thread t([&] { other_ioc.run(); });
    const FireReport a = Run(runner_->FireDue());
    t.join();
    const FireReport rb = b.get();
    other_pool.Stop();
    EXPECT_EQ(a.fired + rb.fired, kSchedules);
    std::int64_t runs = 0;
    std::int64_t distinct = 0;
    pool_->TransactBlocking([&](store::Tx& tx) {
        const auto r =
            tx.ExecRaw("SELECT count(*), count(DISTINCT schedule_id) FROM runs WHERE trigger_type = 'scheduled'");
        runs = store::ReadInt(r[0][0]);
        distinct = store::ReadInt(r[0][1]);
    });
    EXPECT_EQ(runs, kSchedules);
    EXPECT_EQ(distinct, kSchedules);
    std::cout << "[ servers  ] server-a fired " << a.fired << ", server-b " << rb.fired << "\n";
}

TEST_F(ScheduleRunnerTest, YamlSchedulesFollowTheDefinitionAndGoWithTheAgent) {
    clock_.Set("2026-06-01T10:00:00Z");
    LoadAgent(
        "  - cron: \"0 9 * * 1-5\"\n    timezone: Europe/Zurich\n    prompt_variables: { COMPANY: Acme }\n"
        "  - cron: \"@daily\"\n    prompt_variables: { COMPANY: Acme }\n"
    );
    auto before = Schedules();
    ASSERT_EQ(before.size(), 2U);
    EXPECT_EQ(before[0].definition.timezone, "Europe/Zurich");
    EXPECT_EQ(before[1].definition.cron, "@daily");

    // Disabled through the API (here: the repo), then the same definition loads again (a restart): it stays off.
    pool_->TransactBlocking([&](store::Tx& tx) {
        auto d = before[1].definition;
        d.enabled = false;
        store::ScheduleRepo(tx).Update(before[1].workspace_id, before[1].id, d, before[1].next_fire_at);
    });
    LoadAgent(
        "  - cron: \"0 9 * * 1-5\"\n    timezone: Europe/Zurich\n    prompt_variables: { COMPANY: Acme }\n"
        "  - cron: \"@daily\"\n    prompt_variables: { COMPANY: Acme }\n"
    );
    EXPECT_FALSE(Schedules()[1].definition.enabled);

    // A new version: the first changes its input (keeps its id and next due time), the second is gone.
    LoadAgent(
        "  - cron: \"0 9 * * 1-5\"\n    timezone: Europe/Zurich\n    input: { query: q }\n"
        "    prompt_variables: { COMPANY: Acme }\n"
    );
    auto after = Schedules();
    ASSERT_EQ(after.size(), 1U);
    EXPECT_EQ(after[0].id, before[0].id);
    EXPECT_EQ(after[0].definition.input, (nlohmann::json{{"query", "q"}}));
    EXPECT_EQ(after[0].next_fire_at, before[0].next_fire_at);

    // A changed cron starts over from now.
    LoadAgent("  - cron: \"*/10 * * * *\"\n    prompt_variables: { COMPANY: Acme }\n");
    after = Schedules();
    ASSERT_EQ(after.size(), 1U);
    EXPECT_EQ(after[0].id, before[0].id);
    ASSERT_TRUE(after[0].next_fire_at);
    EXPECT_LE(*after[0].next_fire_at - core::SystemClock().Now(), std::chrono::minutes(10));

    // Deleting the agent removes its schedules.
    core::Principal who;
    pool_->TransactBlocking([&](store::Tx& tx) { who.workspace_id = store::WorkspaceRepo(tx).Ensure("default").id; });
    Run(agents_->Delete(who, "reporter"));
    EXPECT_TRUE(Schedules().empty());
}

}  // namespace
}  // namespace agentos::scheduler
