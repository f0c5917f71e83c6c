// The schedules API through the real server: creating and reading schedules (the next due times in a time zone,
// across a DST change, computed here independently of the server's cron code), lists, PATCH and when it moves
// next_fire_at, enable/disable, delete, manual triggers (queued runs that the workers complete), recorded fires,
// YAML schedules, agent-key and workspace scope, and the bad input a user would send. The crons used here do not
// fire while the tests run, so the firing loop (when it runs) does not interfere.

#include <chrono>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/api_fixture.hpp"

namespace agentos::testing {
namespace {

using Json = nlohmann::json;
namespace ch = std::chrono;

const char* kReporter = R"yaml(
slug: reporter
model: { provider: openai, name: gpt-4o-mini, base_url: "{{LLM}}", api_key_env: FAKE_LLM_KEY }
instructions: You write reports for {{COMPANY}}.
variables:
  COMPANY: { required: true }
)yaml";

const char* kChat = R"yaml(
slug: chat
model: { provider: openai, name: gpt-4o-mini, base_url: "{{LLM}}", api_key_env: FAKE_LLM_KEY }
instructions: You are a friendly assistant.
)yaml";

const char* kYearly = "0 0 1 1 *";  // 1 January, midnight: never during a test run

// --- Time, computed without cctz or the server's cron code: the EU summer-time rule and std::chrono calendars.

std::string Iso(ch::sys_seconds t) {
    const auto day = ch::floor<ch::days>(t);
    const ch::year_month_day ymd{day};
    const ch::hh_mm_ss hms{t - day};
    char buf[40];
    std::snprintf(
        buf,
        sizeof buf,
        "%04d-%02u-%02uT%02ld:%02ld:%02ld.000Z",
        static_cast<int>(ymd.year()),
        static_cast<unsigned>(ymd.month()),
        static_cast<unsigned>(ymd.day()),
        static_cast<long>(hms.hours().count()),
        static_cast<long>(hms.minutes().count()),
        static_cast<long>(hms.seconds().count())
    );
    return buf;
}

ch::sys_days LastSunday(ch::year y, ch::month m) {
    return ch::sys_days{y / m / ch::Sunday[ch::last]};
}

/// Europe/Zurich at 09:00 local on date `d`, as a UTC instant. Summer time (UTC+2) runs from the last Sunday of
/// March to the last Sunday of October (the changes are at 02:00/03:00 local, so 09:00 is already past them).
ch::sys_seconds ZurichNine(ch::sys_days d) {
    const auto y = ch::year_month_day{d}.year();
    const bool summer = d >= LastSunday(y, ch::March) && d < LastSunday(y, ch::October);
    return ch::sys_seconds{d} + ch::hours{9} - ch::hours{summer ? 2 : 1};
}

/// The next `n` weekdays' 09:00 in Zurich after `now`.
std::vector<std::string> ZurichWeekdayNines(ch::sys_seconds now, std::size_t n) {
    std::vector<std::string> out;
    for (auto d = ch::floor<ch::days>(now) - ch::days{1}; out.size() < n; d += ch::days{1}) {
        const ch::weekday wd{d};
        if (wd != ch::Saturday && wd != ch::Sunday && ZurichNine(d) > now) {
            out.push_back(Iso(ZurichNine(d)));
        }
    }
    return out;
}

ch::sys_seconds Now() {
    return ch::floor<ch::seconds>(ch::system_clock::now());
}

ch::year ThisYear() {
    return ch::year_month_day{ch::floor<ch::days>(ch::system_clock::now())}.year();
}

/// Midnight UTC, 1 January, of the coming year: the next due time of kYearly.
std::string NextNewYear() {
    return Iso(ch::sys_seconds{ch::sys_days{(ThisYear() + ch::years{1}) / ch::January / 1}});
}

class ScheduleTest : public HostedApiTest {
protected:
    void SetUp() override {
        HostedApiTest::SetUp();
        if (!HasFatalFailure() && !IsSkipped()) {
            llm_.SetDefault({.text = "Report done."});
        }
    }

    const std::string& Key(const std::string& key) const { return key.empty() ? key_ : key; }

    HttpResult Create(const Json& body, const std::string& key = "") {
        return client().Post("/api/v1/schedules", body, Key(key));
    }

    Json CreateOk(const Json& body) {
        auto r = Create(body);
        EXPECT_EQ(r.status, 201) << r.body;
        return r.Json()["data"];
    }

    HttpResult Get(const std::string& id, const std::string& key = "") {
        return client().Get("/api/v1/schedules/" + id, Key(key));
    }

    HttpResult Patch(const std::string& id, const std::string& body, const std::string& key = "") {
        return client().Send(
            "PATCH",
            "/api/v1/schedules/" + id,
            body,
            {{"Authorization", "Bearer " + Key(key)}, {"Content-Type", "application/json"}}
        );
    }

    Json PatchOk(const std::string& id, const Json& body) {
        auto r = Patch(id, body.dump());
        EXPECT_EQ(r.status, 200) << r.body;
        return r.Json()["data"];
    }

    HttpResult Delete(const std::string& id, const std::string& key = "") {
        return client().Send("DELETE", "/api/v1/schedules/" + id, "", {{"Authorization", "Bearer " + Key(key)}});
    }

    HttpResult Action(const std::string& id, const std::string& action, const std::string& key = "") {
        return client().Post("/api/v1/schedules/" + id + "/" + action, Json::object(), Key(key));
    }

    /// The ids of a list's items.
    std::vector<std::string> Ids(const std::string& target, const std::string& key = "") {
        auto r = client().Get(target, Key(key));
        EXPECT_EQ(r.status, 200) << r.body;
        std::vector<std::string> out;
        auto body = r.Json();
        auto& items = body["data"]["items"];
        for (auto& item : items) {
            out.push_back(item["id"]);
        }
        return out;
    }

    Json Events(const std::string& run_id) {
        return client().Get("/api/v1/runs/" + run_id + "/events?limit=1000", key_).Json()["data"]["items"];
    }
};

TEST_F(ScheduleTest, ASchedulesNextFiveDueTimesFollowItsTimeZoneAcrossADstChange) {
    // The expected times come from ZurichNine; first, that it knows the spring change of 2027 (Sunday 28 March).
    EXPECT_EQ(Iso(ZurichNine(ch::sys_days{ch::year{2027} / ch::March / 27})), "2027-03-27T08:00:00.000Z");
    EXPECT_EQ(Iso(ZurichNine(ch::sys_days{ch::year{2027} / ch::March / 28})), "2027-03-28T07:00:00.000Z");
    EXPECT_EQ(Iso(ZurichNine(ch::sys_days{ch::year{2027} / ch::March / 29})), "2027-03-29T07:00:00.000Z");
    EXPECT_EQ(Iso(ZurichNine(ch::sys_days{ch::year{2027} / ch::October / 31})), "2027-10-31T08:00:00.000Z");
    Define(kChat);
    auto before = Now();
    auto created = Create({{"agent_id", "chat"}, {"cron", "0 9 * * 1-5"}, {"timezone", "Europe/Zurich"}});
    ASSERT_EQ(created.status, 201) << created.body;
    auto s = created.Json()["data"];
    EXPECT_EQ(s["cron"], "0 9 * * 1-5");
    EXPECT_EQ(s["timezone"], "Europe/Zurich");
    EXPECT_EQ(s["agent_slug"], "chat");
    EXPECT_EQ(s["agent_id"], AgentId("chat"));
    EXPECT_EQ(s["input"], Json::object());
    EXPECT_EQ(s["prompt_variables"], Json::object());
    EXPECT_EQ(s["enabled"], true);
    EXPECT_EQ(s["catch_up_s"], 300);
    EXPECT_EQ(s["overlap"], "skip");
    EXPECT_EQ(s["source"], "api");
    EXPECT_TRUE(s["yaml_index"].is_null());
    EXPECT_TRUE(s["last_fired_for"].is_null());
    EXPECT_TRUE(s["last_run_id"].is_null());
    EXPECT_EQ(s["fire_count"], 0);
    EXPECT_EQ(s["skipped_overlap"], 0);
    EXPECT_EQ(s["skipped_missed"], 0);
    auto expected = ZurichWeekdayNines(before, 5);
    std::vector<std::string> times = s["next_fire_times"];
    EXPECT_EQ(times, expected);
    EXPECT_EQ(s["next_fire_at"], expected.front());

    const std::string id = s["id"];
    auto got = Get(id);
    ASSERT_EQ(got.status, 200) << got.body;
    auto g = got.Json()["data"];
    EXPECT_EQ(g["id"], id);
    EXPECT_EQ(g["next_fire_at"], expected.front());
    times = g["next_fire_times"].get<std::vector<std::string>>();
    EXPECT_EQ(times, expected);
    EXPECT_EQ(g["created_at"], s["created_at"]);
    EXPECT_EQ(g["updated_at"], s["updated_at"]);

    // 26-31 March at 09:00 in Zurich: summer time starts on the last Sunday of March, between the due times.
    auto year = ThisYear();
    while (ZurichNine(ch::sys_days{year / ch::March / 26}) <= Now()) {
        ++year;
    }
    std::vector<std::string> march;
    for (unsigned day = 26; day <= 30; ++day) {
        march.push_back(Iso(ZurichNine(ch::sys_days{year / ch::March / ch::day{day}})));
    }
    if (year == ch::year{2027}) {
        EXPECT_EQ(
            march,
            (std::vector<std::string>{
                "2027-03-26T08:00:00.000Z",
                "2027-03-27T08:00:00.000Z",
                "2027-03-28T07:00:00.000Z",
                "2027-03-29T07:00:00.000Z",
                "2027-03-30T07:00:00.000Z"})
        );
    }
    auto spring =
        CreateOk({{"agent_id", "chat"}, {"cron", "0 9 26-31 3 *"}, {"timezone", "Europe/Zurich"}, {"enabled", false}});
    times = spring["next_fire_times"].get<std::vector<std::string>>();
    EXPECT_EQ(times, march);
    EXPECT_EQ(spring["enabled"], false);
    const std::string spring_id = spring["id"];
    times = Get(spring_id).Json()["data"]["next_fire_times"].get<std::vector<std::string>>();
    EXPECT_EQ(times, march);
}

TEST_F(ScheduleTest, SchedulesAreListedNewestFirstByAgentAndEnabledWithACursor) {
    Define(kChat);
    Define(kReporter);
    const std::string a = CreateOk({{"agent_id", "chat"}, {"cron", kYearly}})["id"];
    const std::string b = CreateOk(
        {{"agent_id", AgentId("reporter")},
         {"cron", kYearly},
         {"prompt_variables", {{"COMPANY", "Acme"}}},
         {"enabled", false}}
    )["id"];
    const std::string c = CreateOk({{"agent_id", "chat"}, {"cron", "0 0 1 7 *"}, {"overlap", "allow"}})["id"];
    using IdList = std::vector<std::string>;
    EXPECT_EQ(Ids("/api/v1/schedules"), (IdList{c, b, a}));
    EXPECT_EQ(Ids("/api/v1/schedules?agent_id=chat"), (IdList{c, a}));
    EXPECT_EQ(Ids("/api/v1/schedules?agent_id=" + AgentId("reporter")), (IdList{b}));
    EXPECT_EQ(Ids("/api/v1/schedules?enabled=false"), (IdList{b}));
    EXPECT_EQ(Ids("/api/v1/schedules?enabled=true&agent_id=chat"), (IdList{c, a}));
    auto page = client().Get("/api/v1/schedules?limit=2", key_);
    ASSERT_EQ(page.status, 200) << page.body;
    auto first = page.Json()["data"];
    ASSERT_EQ(first["items"].size(), 2U);
    EXPECT_EQ(first["items"][0]["id"], c);
    EXPECT_EQ(first["items"][0]["overlap"], "allow");
    EXPECT_EQ(first["items"][1]["id"], b);
    ASSERT_EQ(first["next_cursor"], b);
    auto second = client().Get("/api/v1/schedules?limit=2&cursor=" + b, key_).Json()["data"];
    ASSERT_EQ(second["items"].size(), 1U);
    EXPECT_EQ(second["items"][0]["id"], a);
    EXPECT_TRUE(second["next_cursor"].is_null());
    EXPECT_EQ(Ids("/api/v1/schedules?limit=3"), (IdList{c, b, a}));
}

TEST_F(ScheduleTest, PatchMovesNextFireAtOnlyWhenCronTimezoneOrEnabledChange) {
    Define(kChat);
    auto s = CreateOk({{"agent_id", "chat"}, {"cron", kYearly}, {"input", {{"message", "old"}}}});
    const std::string id = s["id"];
    EXPECT_EQ(s["next_fire_at"], NextNewYear());

    // input, catch_up_s, overlap, and a cron equal to the stored one: next_fire_at stays.
    auto p = PatchOk(id, {{"input", {{"message", "new"}}}, {"catch_up_s", 0}, {"overlap", "allow"}, {"cron", kYearly}});
    EXPECT_EQ(p["input"], (Json{{"message", "new"}}));
    EXPECT_EQ(p["catch_up_s"], 0);
    EXPECT_EQ(p["overlap"], "allow");
    EXPECT_EQ(p["next_fire_at"], NextNewYear());
    EXPECT_EQ(p["cron"], kYearly);
    EXPECT_GE(p["updated_at"].get<std::string>(), s["updated_at"].get<std::string>());
    EXPECT_EQ(Get(id).Json()["data"]["input"], (Json{{"message", "new"}}));

    // A new cron: the first 1 July after now (UTC).
    auto july = ch::sys_seconds{ch::sys_days{ThisYear() / ch::July / 1}};
    if (july <= Now()) {
        july = ch::sys_seconds{ch::sys_days{(ThisYear() + ch::years{1}) / ch::July / 1}};
    }
    p = PatchOk(id, {{"cron", "0 0 1 7 *"}});
    EXPECT_EQ(p["next_fire_at"], Iso(july));
    EXPECT_EQ(p["next_fire_times"][0], Iso(july));
    EXPECT_EQ(p["input"], (Json{{"message", "new"}}));  // kept

    // A new time zone: 1 July, midnight in Auckland (NZST, UTC+12 in July) is 30 June, noon UTC.
    auto auckland = ch::sys_seconds{ch::sys_days{ThisYear() / ch::June / 30}} + ch::hours{12};
    if (auckland <= Now()) {
        auckland = ch::sys_seconds{ch::sys_days{(ThisYear() + ch::years{1}) / ch::June / 30}} + ch::hours{12};
    }
    p = PatchOk(id, {{"timezone", "Pacific/Auckland"}});
    EXPECT_EQ(p["timezone"], "Pacific/Auckland");
    EXPECT_EQ(p["next_fire_at"], Iso(auckland));

    // Disabled, it misses due times (simulated: its next_fire_at lies in the past); re-enabled it does not catch
    // them up: its next due time is the first one after now.
    p = PatchOk(id, {{"enabled", false}});
    EXPECT_EQ(p["enabled"], false);
    app_->Sql("UPDATE schedules SET next_fire_at = now() - interval '30 days' WHERE id = '" + id + "'");
    EXPECT_LT(Get(id).Json()["data"]["next_fire_at"].get<std::string>(), Iso(Now()));
    p = PatchOk(id, {{"enabled", true}});
    EXPECT_EQ(p["enabled"], true);
    EXPECT_EQ(p["next_fire_at"], Iso(auckland));
    EXPECT_EQ(p["fire_count"], 0);
    EXPECT_EQ(p["skipped_missed"], 0);
    // prompt_variables and the unchanged rest.
    p = PatchOk(id, {{"prompt_variables", Json::object()}});
    EXPECT_EQ(p["prompt_variables"], Json::object());
    EXPECT_EQ(p["overlap"], "allow");
    EXPECT_EQ(p["cron"], "0 0 1 7 *");
}

TEST_F(ScheduleTest, EnableAndDisableAnswerTheScheduleAndReenablingStartsFromNow) {
    Define(kChat);
    const std::string id = CreateOk({{"agent_id", "chat"}, {"cron", kYearly}})["id"];
    auto r = Action(id, "disable");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["data"]["enabled"], false);
    EXPECT_EQ(r.Json()["data"]["next_fire_times"].size(), 5U);
    EXPECT_EQ(Get(id).Json()["data"]["enabled"], false);
    EXPECT_EQ(Ids("/api/v1/schedules?enabled=false"), (std::vector<std::string>{id}));
    r = Action(id, "disable");  // already disabled: the same answer
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["data"]["enabled"], false);

    app_->Sql("UPDATE schedules SET next_fire_at = now() - interval '1 day' WHERE id = '" + id + "'");
    r = Action(id, "enable");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["data"]["enabled"], true);
    EXPECT_EQ(r.Json()["data"]["next_fire_at"], NextNewYear());
    r = Action(id, "enable");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["data"]["next_fire_at"], NextNewYear());
    EXPECT_EQ(Ids("/api/v1/schedules?enabled=true"), (std::vector<std::string>{id}));
    EXPECT_TRUE(Ids("/api/v1/schedules?enabled=false").empty());
}

TEST_F(ScheduleTest, TriggerQueuesARunOfTheScheduleThatTheWorkersComplete) {
    Define(kReporter);
    auto s = CreateOk(
        {{"agent_id", "reporter"},
         {"cron", kYearly},
         {"input", {{"query", "daily report"}}},
         {"prompt_variables", {{"COMPANY", "Acme"}}}}
    );
    const std::string id = s["id"];
    auto triggered = Action(id, "trigger");
    ASSERT_EQ(triggered.status, 202) << triggered.body;
    auto t = triggered.Json()["data"];
    EXPECT_EQ(t["schedule_id"], id);
    EXPECT_EQ(t["status"], "queued");
    const std::string run_id = t["run_id"];

    auto run = WaitForRunStatus(client(), key_, run_id, "completed");
    ASSERT_EQ(run["status"], "completed") << run;
    EXPECT_EQ(run["trigger_type"], "scheduled");
    EXPECT_EQ(run["schedule_id"], id);
    EXPECT_EQ(run["agent_slug"], "reporter");
    EXPECT_EQ(run["input"], (Json{{"query", "daily report"}}));
    EXPECT_EQ(run["output"]["content"], "Report done.");
    // The schedule's prompt variables filled the system prompt; the input's query was the user message.
    auto requests = llm_.requests();
    ASSERT_EQ(requests.size(), 1U);
    EXPECT_EQ(requests[0]["messages"][0]["content"], "You write reports for Acme.");
    EXPECT_EQ(requests[0]["messages"][1]["content"], "daily report");
    auto events = Events(run_id);
    ASSERT_FALSE(events.empty());
    EXPECT_EQ(events[0]["type"], "run_start");
    EXPECT_EQ(events[0]["payload"]["trigger_type"], "scheduled");
    EXPECT_EQ(
        events[0]["payload"]["schedule"], (Json{{"schedule_id", id}, {"scheduled_for", nullptr}, {"manual", true}})
    );

    // A second trigger is a second run, also on a disabled schedule; neither moves next_fire_at or records a fire.
    ASSERT_EQ(Action(id, "disable").status, 200);
    auto again = Action(id, "trigger");
    ASSERT_EQ(again.status, 202) << again.body;
    const std::string second = again.Json()["data"]["run_id"];
    EXPECT_NE(second, run_id);
    EXPECT_EQ(WaitForRunStatus(client(), key_, second, "completed")["status"], "completed");

    using IdList = std::vector<std::string>;
    EXPECT_EQ(Ids("/api/v1/schedules/" + id + "/runs"), (IdList{second, run_id}));
    EXPECT_EQ(Ids("/api/v1/runs?schedule_id=" + id), (IdList{second, run_id}));
    EXPECT_EQ(Ids("/api/v1/runs?schedule_id=" + id + "&trigger_type=scheduled"), (IdList{second, run_id}));
    auto runs = client().Get("/api/v1/schedules/" + id + "/runs?limit=1", key_).Json()["data"];
    ASSERT_EQ(runs["items"].size(), 1U);
    EXPECT_EQ(runs["items"][0]["id"], second);
    EXPECT_EQ(runs["items"][0]["trigger_type"], "scheduled");
    EXPECT_EQ(runs["items"][0]["schedule_id"], id);
    EXPECT_EQ(runs["next_cursor"], second);
    EXPECT_EQ(Ids("/api/v1/schedules/" + id + "/runs?cursor=" + second), (IdList{run_id}));
    EXPECT_EQ(Ids("/api/v1/schedules/" + id + "/runs?status=failed"), IdList{});

    auto after = Get(id).Json()["data"];
    EXPECT_EQ(after["next_fire_at"], NextNewYear());
    EXPECT_EQ(after["fire_count"], 0);
    EXPECT_TRUE(after["last_run_id"].is_null());
    auto fires = client().Get("/api/v1/schedules/" + id + "/fires", key_);
    ASSERT_EQ(fires.status, 200) << fires.body;
    EXPECT_EQ(fires.Json()["data"]["items"], Json::array());

    // With an Idempotency-Key, a retried trigger gets the first answer and makes no run.
    const Headers idem = {{"Authorization", "Bearer " + key_}, {"Idempotency-Key", "trigger-once"}};
    auto k1 = client().Send("POST", "/api/v1/schedules/" + id + "/trigger", "{}", idem);
    ASSERT_EQ(k1.status, 202) << k1.body;
    auto k2 = client().Send("POST", "/api/v1/schedules/" + id + "/trigger", "{}", idem);
    ASSERT_EQ(k2.status, 202) << k2.body;
    EXPECT_EQ(k1.Json()["data"]["run_id"], k2.Json()["data"]["run_id"]);
    WaitForRunStatus(client(), key_, k1.Json()["data"]["run_id"], "completed");
    EXPECT_EQ(Ids("/api/v1/schedules/" + id + "/runs").size(), 3U);
}

TEST_F(ScheduleTest, FiresAreListedNewestFirstWithACursor) {
    Define(kChat);
    const std::string id = CreateOk({{"agent_id", "chat"}, {"cron", kYearly}})["id"];
    const std::string run = "01934f6e-0000-7000-8000-0000000000aa";
    app_->Sql(
        "INSERT INTO schedule_fires (schedule_id, scheduled_for, outcome, run_id, error, server_id) VALUES "
        "('" +
        id + "', '2026-01-01T00:00:00Z', 'fired', '" + run +
        "', NULL, 'server-a'), "
        "('" +
        id + "', '2026-01-02T00:00:00Z', 'skipped_overlap', '" + run +
        "', NULL, 'server-b'), "
        "('" +
        id + "', '2026-01-03T00:00:00Z', 'error', NULL, 'prompt_variables: missing required X', 'server-a')"
    );
    auto r = client().Get("/api/v1/schedules/" + id + "/fires?limit=2", key_);
    ASSERT_EQ(r.status, 200) << r.body;
    auto page = r.Json()["data"];
    ASSERT_EQ(page["items"].size(), 2U);
    auto& newest = page["items"][0];
    EXPECT_EQ(newest["scheduled_for"], "2026-01-03T00:00:00.000Z");
    EXPECT_EQ(newest["outcome"], "error");
    EXPECT_TRUE(newest["run_id"].is_null());
    EXPECT_EQ(newest["error"], "prompt_variables: missing required X");
    EXPECT_EQ(newest["server_id"], "server-a");
    EXPECT_TRUE(newest["fired_at"].is_string());
    EXPECT_EQ(page["items"][1]["outcome"], "skipped_overlap");
    EXPECT_EQ(page["items"][1]["run_id"], run);
    ASSERT_EQ(page["next_cursor"], "2026-01-02T00:00:00.000Z");
    auto rest = client().Get("/api/v1/schedules/" + id + "/fires?limit=2&cursor=2026-01-02T00:00:00.000Z", key_);
    ASSERT_EQ(rest.status, 200) << rest.body;
    auto last = rest.Json()["data"];
    ASSERT_EQ(last["items"].size(), 1U);
    EXPECT_EQ(last["items"][0]["scheduled_for"], "2026-01-01T00:00:00.000Z");
    EXPECT_EQ(last["items"][0]["outcome"], "fired");
    EXPECT_TRUE(last["next_cursor"].is_null());
    EXPECT_EQ(client().Get("/api/v1/schedules/" + id + "/fires", key_).Json()["data"]["items"].size(), 3U);
}

TEST_F(ScheduleTest, DeletingAScheduleKeepsItsRuns) {
    Define(kChat);
    const std::string id = CreateOk({{"agent_id", "chat"}, {"cron", kYearly}})["id"];
    auto triggered = Action(id, "trigger");
    ASSERT_EQ(triggered.status, 202) << triggered.body;
    const std::string run_id = triggered.Json()["data"]["run_id"];
    WaitForRunStatus(client(), key_, run_id, "completed");
    auto deleted = Delete(id);
    ASSERT_EQ(deleted.status, 200) << deleted.body;
    EXPECT_EQ(deleted.Json()["data"], (Json{{"deleted", true}}));
    ExpectError(Get(id), 404, "NOT_FOUND", "schedule");
    ExpectError(Delete(id), 404, "NOT_FOUND", "schedule");
    ExpectError(Action(id, "trigger"), 404, "NOT_FOUND", "schedule");
    ExpectError(client().Get("/api/v1/schedules/" + id + "/runs", key_), 404, "NOT_FOUND", "schedule");
    EXPECT_TRUE(Ids("/api/v1/schedules").empty());
    EXPECT_EQ(Run(run_id)["schedule_id"], id);  // kept for the record
    EXPECT_EQ(Ids("/api/v1/runs?schedule_id=" + id), (std::vector<std::string>{run_id}));
}

TEST_F(ScheduleTest, AYamlScheduleChangesOnlyThroughItsAgentDefinitionButCanBeDisabled) {
    Define(kChat);
    const std::string id = "01934f6e-6f0a-7a1e-9d2c-3b4a5c6d7e80";
    app_->Sql(
        "INSERT INTO schedules (id, workspace_id, agent_id, source, yaml_index, cron, timezone, next_fire_at) "
        "SELECT '" +
        id +
        "', workspace_id, id, 'yaml', 2, '0 0 1 1 *', 'UTC', now() + interval '300 days' "
        "FROM agents WHERE slug = 'chat'"
    );
    auto s = Get(id).Json()["data"];
    EXPECT_EQ(s["source"], "yaml");
    EXPECT_EQ(s["yaml_index"], 2);
    EXPECT_EQ(s["next_fire_times"][0], NextNewYear());
    ExpectError(Patch(id, R"({"cron": "0 0 1 7 *"})"), 409, "CONFLICT", "schedules[2]");
    ExpectError(Patch(id, R"({"input": {"a": 1}, "enabled": false})"), 409, "CONFLICT", "agent definition");
    ExpectError(Delete(id), 409, "CONFLICT", "schedules[2]");
    EXPECT_EQ(Get(id).Json()["data"]["enabled"], true);
    auto off = Patch(id, R"({"enabled": false})");
    ASSERT_EQ(off.status, 200) << off.body;
    EXPECT_EQ(off.Json()["data"]["enabled"], false);
    auto on = Action(id, "enable");
    ASSERT_EQ(on.status, 200) << on.body;
    EXPECT_EQ(on.Json()["data"]["enabled"], true);
    auto down = Action(id, "disable");
    ASSERT_EQ(down.status, 200) << down.body;
    EXPECT_EQ(down.Json()["data"]["enabled"], false);
    auto triggered = Action(id, "trigger");
    ASSERT_EQ(triggered.status, 202) << triggered.body;
    EXPECT_EQ(WaitForRunStatus(client(), key_, triggered.Json()["data"]["run_id"], "completed")["status"], "completed");
}

TEST_F(ScheduleTest, AgentKeysManageOnlyTheirAgentsSchedulesAndOtherWorkspacesSeeNone) {
    Define(kChat);
    Define(kReporter);
    const std::string chat_key = app_->AgentKey("default", "chat");
    auto own = Create({{"agent_id", "chat"}, {"cron", kYearly}}, chat_key);
    ASSERT_EQ(own.status, 201) << own.body;
    const std::string mine = own.Json()["data"]["id"];
    const std::string theirs =
        CreateOk({{"agent_id", "reporter"}, {"cron", kYearly}, {"prompt_variables", {{"COMPANY", "Acme"}}}})["id"];
    ExpectError(Create({{"agent_id", "reporter"}, {"cron", kYearly}}, chat_key), 403, "FORBIDDEN");
    EXPECT_EQ(Ids("/api/v1/schedules", chat_key), (std::vector<std::string>{mine}));
    EXPECT_EQ(Ids("/api/v1/schedules?agent_id=chat", chat_key), (std::vector<std::string>{mine}));
    ExpectError(client().Get("/api/v1/schedules?agent_id=reporter", chat_key), 403, "FORBIDDEN");
    EXPECT_EQ(Get(mine, chat_key).status, 200);
    ExpectError(Get(theirs, chat_key), 403, "FORBIDDEN");
    ExpectError(Patch(theirs, R"({"enabled": false})", chat_key), 403, "FORBIDDEN");
    ExpectError(Delete(theirs, chat_key), 403, "FORBIDDEN");
    ExpectError(Action(theirs, "disable", chat_key), 403, "FORBIDDEN");
    ExpectError(Action(theirs, "trigger", chat_key), 403, "FORBIDDEN");
    ExpectError(client().Get("/api/v1/schedules/" + theirs + "/runs", chat_key), 403, "FORBIDDEN");
    ExpectError(client().Get("/api/v1/schedules/" + theirs + "/fires", chat_key), 403, "FORBIDDEN");
    EXPECT_EQ(Patch(mine, R"({"enabled": false})", chat_key).status, 200);
    auto triggered = Action(mine, "trigger", chat_key);
    ASSERT_EQ(triggered.status, 202) << triggered.body;
    WaitForRunStatus(client(), key_, triggered.Json()["data"]["run_id"], "completed");
    EXPECT_EQ(Delete(mine, chat_key).status, 200);

    const std::string other = app_->WorkspaceKey("elsewhere");
    ExpectError(Get(theirs, other), 404, "NOT_FOUND", "schedule");
    ExpectError(Patch(theirs, R"({"enabled": false})", other), 404, "NOT_FOUND", "schedule");
    ExpectError(Delete(theirs, other), 404, "NOT_FOUND", "schedule");
    ExpectError(Action(theirs, "enable", other), 404, "NOT_FOUND", "schedule");
    ExpectError(Action(theirs, "trigger", other), 404, "NOT_FOUND", "schedule");
    ExpectError(client().Get("/api/v1/schedules/" + theirs + "/runs", other), 404, "NOT_FOUND", "schedule");
    ExpectError(client().Get("/api/v1/schedules/" + theirs + "/fires", other), 404, "NOT_FOUND", "schedule");
    ExpectError(Create({{"agent_id", "reporter"}, {"cron", kYearly}}, other), 404, "NOT_FOUND", "agent");
    EXPECT_TRUE(Ids("/api/v1/schedules", other).empty());
    EXPECT_EQ(Get(theirs).Json()["data"]["enabled"], true);  // untouched
}

TEST_F(ScheduleTest, APausedAgentMayGetASchedulesButItsSchedulesCannotBeTriggered) {
    Define(kReporter);
    ASSERT_EQ(client().Post("/api/v1/agents/reporter/pause", Json::object(), key_).status, 200);
    // Not checked against the definition while paused (its due times are skipped until it is activated).
    auto created = Create({{"agent_id", "reporter"}, {"cron", kYearly}});
    ASSERT_EQ(created.status, 201) << created.body;
    const std::string id = created.Json()["data"]["id"];
    ExpectError(Action(id, "trigger"), 400, "VALIDATION_ERROR", "paused");
    ASSERT_EQ(client().Post("/api/v1/agents/reporter/activate", Json::object(), key_).status, 200);
    // Active again: the missing COMPANY is found when the run is planned.
    ExpectError(Action(id, "trigger"), 400, "VALIDATION_ERROR", "COMPANY");
    ExpectError(Patch(id, R"({"prompt_variables": {}})"), 400, "VALIDATION_ERROR", "COMPANY");
    EXPECT_EQ(Patch(id, R"({"prompt_variables": {"COMPANY": "Acme"}})").status, 200);
    auto triggered = Action(id, "trigger");
    ASSERT_EQ(triggered.status, 202) << triggered.body;
    EXPECT_EQ(WaitForRunStatus(client(), key_, triggered.Json()["data"]["run_id"], "completed")["status"], "completed");
}

TEST_F(ScheduleTest, BadScheduleInputGetsA400NamingTheField) {
    Define(kChat);
    Define(kReporter);
    const Json base = {{"agent_id", "chat"}, {"cron", kYearly}};
    auto with = [&](const Json& extra) {
        Json body = base;
        body.update(extra);
        return body;
    };
    auto bad = [&](const Json& extra, const std::string& fragment) {
        SCOPED_TRACE(extra.dump());
        ExpectError(Create(with(extra)), 400, "VALIDATION_ERROR", fragment);
    };
    // Malformed crons: the message names the field, the cron field and the bad token.
    bad({{"cron", "0 0 1 1 * 2027 x"}}, "cron: 7 fields");
    bad({{"cron", "61 * * * *"}}, "cron: minute field: '61' is out of range 0-59");
    bad({{"cron", "*/0 * * * *"}}, "cron: minute field: step 0");
    bad({{"cron", "5-1 * * * *"}}, "cron: minute field: range '5-1' runs backwards");
    bad({{"cron", "0 0 * FOO *"}}, "cron: month field: unknown name 'FOO'");
    bad({{"cron", "@sometimes"}}, "cron: unknown alias");
    bad({{"cron", "0 0 30 2 *"}}, "cron: '0 0 30 2 *' never fires");
    bad({{"cron", "   "}}, "cron: must not be empty");
    bad({{"cron", 5}}, "cron: must be a string");
    bad({{"timezone", "Mars/Olympus_Mons"}}, "timezone: unknown time zone 'Mars/Olympus_Mons'");
    bad({{"timezone", 1}}, "timezone: must be a string");
    bad({{"catch_up_s", -1}}, "catch_up_s: must be between 0 and 31536000");
    bad({{"catch_up_s", 31536001}}, "catch_up_s: must be at most 31536000");
    bad({{"catch_up_s", 1.5}}, "catch_up_s: must be an integer");
    bad({{"catch_up_s", "300"}}, "catch_up_s: must be an integer");
    bad({{"input", "daily"}}, "input: must be a JSON object");
    bad({{"input", Json::array()}}, "input: must be a JSON object");
    bad({{"prompt_variables", Json::array({"x"})}}, "prompt_variables: must be a JSON object");
    bad({{"prompt_variables", {{"COMPANY", 5}}}}, "prompt_variables.COMPANY: must be a string");
    bad({{"overlap", "queue"}}, "overlap: must be one of skip, allow");
    bad({{"enabled", "yes"}}, "enabled: must be true or false");
    bad({{"colour", "blue"}}, "colour: unknown field");
    // Prompt variables are checked against an active agent's definition.
    bad({{"agent_id", "reporter"}}, "prompt_variables: missing required COMPANY");
    bad({{"agent_id", "reporter"}, {"prompt_variables", {{"COMPANY", "A"}, {"TONE", "dry"}}}}, "does not declare TONE");
    bad({{"prompt_variables", {{"COMPANY", "Acme"}}}}, "prompt_variables: agent chat does not declare COMPANY");
    // Agents: external (ingest only), unknown, missing.
    AgentId("ingested");
    bad({{"agent_id", "ingested"}}, "agent_id: agent 'ingested' is external");
    ExpectError(Create(with({{"agent_id", "nobody"}})), 404, "NOT_FOUND", "agent nobody");
    ExpectError(Create({{"cron", kYearly}}), 400, "VALIDATION_ERROR", "agent_id: required");
    ExpectError(Create({{"agent_id", "chat"}}), 400, "VALIDATION_ERROR", "cron: required");
    ExpectError(client().PostRaw("/api/v1/schedules", "[]", key_), 400, "VALIDATION_ERROR", "body");
    ExpectError(client().PostRaw("/api/v1/schedules", "{", key_), 400, "VALIDATION_ERROR", "body");
    EXPECT_TRUE(Ids("/api/v1/schedules").empty());  // none of these made a schedule

    // PATCH: the same field rules, and what cannot change.
    const std::string id = CreateOk(base)["id"];
    auto bad_patch = [&](const std::string& body, const std::string& fragment) {
        SCOPED_TRACE(body);
        ExpectError(Patch(id, body), 400, "VALIDATION_ERROR", fragment);
    };
    bad_patch(R"({"cron": "61 * * * *"})", "cron: minute field: '61'");
    bad_patch(R"({"cron": "0 0 30 2 *"})", "cron: '0 0 30 2 *' never fires");
    bad_patch(R"({"cron": "* * * * * * *"})", "cron: 7 fields");
    bad_patch(R"({"timezone": "Europe/Atlantis"})", "timezone: unknown time zone");
    bad_patch(R"({"catch_up_s": -5})", "catch_up_s");
    bad_patch(R"({"input": 3})", "input: must be a JSON object");
    bad_patch(R"({"prompt_variables": {"X": true}})", "prompt_variables.X: must be a string");
    bad_patch(R"({"overlap": "never"})", "overlap");
    bad_patch(R"({"enabled": 1})", "enabled: must be true or false");
    bad_patch(R"({"agent_id": "reporter"})", "agent_id: a schedule's agent cannot change");
    bad_patch(R"({"cron": "0 0 1 7 *", "color": 1})", "color: unknown field");
    bad_patch("{}", "body: nothing to change");
    bad_patch(R"({"prompt_variables": {"COMPANY": "Acme"}})", "does not declare COMPANY");
    bad_patch("[1]", "body: must be a JSON object");
    auto unchanged = Get(id).Json()["data"];
    EXPECT_EQ(unchanged["cron"], kYearly);
    EXPECT_EQ(unchanged["timezone"], "UTC");

    // Ids, query parameters and bodies of the other routes.
    ExpectError(Get("nope"), 400, "VALIDATION_ERROR", "scheduleId: not a UUID");
    ExpectError(Patch("nope", R"({"enabled": false})"), 400, "VALIDATION_ERROR", "scheduleId");
    ExpectError(Delete("nope"), 400, "VALIDATION_ERROR", "scheduleId");
    ExpectError(Action("nope", "trigger"), 400, "VALIDATION_ERROR", "scheduleId");
    const std::string unknown = "018f0c7e-5b1a-7c3d-9e2f-0a1b2c3d4e5f";
    ExpectError(Get(unknown), 404, "NOT_FOUND", "schedule " + unknown);
    ExpectError(Patch(unknown, R"({"enabled": false})"), 404, "NOT_FOUND", "schedule");
    ExpectError(Action(unknown, "enable"), 404, "NOT_FOUND", "schedule");
    ExpectError(client().Get("/api/v1/schedules?enabled=maybe", key_), 400, "VALIDATION_ERROR", "enabled");
    ExpectError(client().Get("/api/v1/schedules?cursor=x", key_), 400, "VALIDATION_ERROR", "cursor");
    ExpectError(client().Get("/api/v1/schedules?limit=0", key_), 400, "VALIDATION_ERROR", "limit");
    ExpectError(client().Get("/api/v1/schedules?agent_id=nobody", key_), 404, "NOT_FOUND", "agent");
    ExpectError(client().Get("/api/v1/schedules?sort=asc", key_), 400, "VALIDATION_ERROR", "sort");
    ExpectError(client().Get("/api/v1/schedules/" + id + "?verbose=1", key_), 400, "VALIDATION_ERROR", "verbose");
    ExpectError(client().Get("/api/v1/schedules/" + id + "/runs?cursor=x", key_), 400, "VALIDATION_ERROR", "cursor");
    ExpectError(client().Get("/api/v1/schedules/" + id + "/runs?status=done", key_), 400, "VALIDATION_ERROR", "status");
    ExpectError(client().Get("/api/v1/schedules/" + id + "/fires?cursor=x", key_), 400, "VALIDATION_ERROR", "cursor");
    ExpectError(client().Get("/api/v1/schedules/" + id + "/fires?limit=500", key_), 400, "VALIDATION_ERROR", "limit");
    ExpectError(
        client().Post("/api/v1/schedules/" + id + "/trigger", {{"input", Json::object()}}, key_),
        400,
        "VALIDATION_ERROR",
        "input: unknown field"
    );
    ExpectError(
        client().Post("/api/v1/schedules/" + id + "/enable", {{"now", true}}, key_),
        400,
        "VALIDATION_ERROR",
        "now: unknown field"
    );
    ExpectError(client().Get("/api/v1/schedules", ""), 401, "UNAUTHENTICATED");
    ExpectError(client().Post("/api/v1/schedules/" + id + "/trigger", Json::object(), ""), 401, "UNAUTHENTICATED");
}

}  // namespace
}  // namespace agentos::testing
