// User memories through the real server: create, read, change, delete; full-text search and filters; scoping per
// user and per workspace; topics and per-user stats; agent keys; strict input.

#include "tests/support/api_fixture.hpp"

namespace agentos::testing {
namespace {

class MemoriesTest : public ApiTest {
protected:
    HttpResult Create(const nlohmann::json& body, const std::string& key = "") {
        return client().Post("/api/v1/memories", body, key.empty() ? key_ : key);
    }

    /// Creates a memory; returns it.
    nlohmann::json Remember(
        const std::string& user, const std::string& text, const std::vector<std::string>& topics = {}
    ) {
        const auto r = Create({{"external_user_id", user}, {"memory", text}, {"topics", topics}});
        EXPECT_EQ(r.status, 201) << r.body;
        return r.Json()["data"];
    }

    HttpResult Patch(const std::string& id, const std::string& body, const std::string& key = "") {
        return client().Send(
            "PATCH", "/api/v1/memories/" + id, body, {{"Authorization", "Bearer " + (key.empty() ? key_ : key)}}
        );
    }

    HttpResult Delete(const std::string& id, const std::string& key = "") {
        return client().Send(
            "DELETE", "/api/v1/memories/" + id, "", {{"Authorization", "Bearer " + (key.empty() ? key_ : key)}}
        );
    }

    /// The memory texts a list query returns, in order.
    std::vector<std::string> Texts(const std::string& query, const std::string& key = "") {
        const auto r = client().Get("/api/v1/memories" + query, key.empty() ? key_ : key);
        EXPECT_EQ(r.status, 200) << r.body;
        const auto items = r.Json()["data"]["items"];
        std::vector<std::string> out;
        for (const auto& m : items) {
            out.push_back(m["memory"]);
        }
        return out;
    }
};

TEST_F(MemoriesTest, CreateGetUpdateDelete) {
    auto r = Create(
        {{"external_user_id", "alice"}, {"memory", "Prefers tea to coffee."}, {"topics", {"Food", " drinks ", "food"}}}
    );
    ASSERT_EQ(r.status, 201) << r.body;
    const auto created = r.Json()["data"];
    const std::string id = created["id"];
    EXPECT_EQ(id.size(), 36U);
    EXPECT_EQ(created["external_user_id"], "alice");
    EXPECT_EQ(created["memory"], "Prefers tea to coffee.");
    EXPECT_EQ(created["topics"], nlohmann::json({"food", "drinks"})) << "trimmed, lower-cased, first occurrence kept";
    EXPECT_TRUE(created["agent_id"].is_null());
    EXPECT_TRUE(created["run_id"].is_null());
    EXPECT_EQ(created["created_at"].get<std::string>().size(), 24U);  // 2026-05-11T20:00:00.000Z
    EXPECT_EQ(created["updated_at"], created["created_at"]);
    EXPECT_EQ(created.size(), 8U);

    r = client().Get("/api/v1/memories/" + id, key_);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["data"], created);
    // Upper-case ids are accepted.
    std::string upper = id;
    for (char& c : upper) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    EXPECT_EQ(client().Get("/api/v1/memories/" + upper, key_).status, 200);

    r = Patch(id, R"({"memory": "Prefers green tea to coffee."})");
    ASSERT_EQ(r.status, 200) << r.body;
    auto updated = r.Json()["data"];
    EXPECT_EQ(updated["memory"], "Prefers green tea to coffee.");
    EXPECT_EQ(updated["topics"], created["topics"]) << "topics kept when not given";
    EXPECT_EQ(updated["created_at"], created["created_at"]);
    EXPECT_GE(updated["updated_at"].get<std::string>(), created["updated_at"].get<std::string>());

    r = Patch(id, R"({"topics": ["Tea"]})");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["data"]["topics"], nlohmann::json({"tea"}));
    EXPECT_EQ(r.Json()["data"]["memory"], "Prefers green tea to coffee.") << "memory kept when not given";
    r = Patch(id, R"({"memory": "Drinks only water.", "topics": []})");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["data"]["memory"], "Drinks only water.");
    EXPECT_EQ(r.Json()["data"]["topics"], nlohmann::json::array());
    EXPECT_EQ(client().Get("/api/v1/memories/" + id, key_).Json()["data"], r.Json()["data"]);

    r = Delete(id);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["data"], nlohmann::json({{"deleted", true}}));
    ExpectError(client().Get("/api/v1/memories/" + id, key_), 404, "NOT_FOUND", "memory " + id + " not found");
    ExpectError(Delete(id), 404, "NOT_FOUND");
    ExpectError(Patch(id, R"({"memory": "x"})"), 404, "NOT_FOUND");
    EXPECT_TRUE(Texts("").empty());
}

TEST_F(MemoriesTest, ListIsNewestFirstWithCursorPages) {
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i) {
        ids.push_back(Remember("alice", "fact " + std::to_string(i))["id"]);
    }
    auto page = client().Get("/api/v1/memories?limit=2", key_).Json()["data"];
    std::vector<std::string> seen;
    for (;;) {
        ASSERT_LE(page["items"].size(), 2U);
        for (const auto& m : page["items"]) {
            seen.push_back(m["id"]);
        }
        if (page["next_cursor"].is_null()) {
            break;
        }
        page = client()
                   .Get("/api/v1/memories?limit=2&cursor=" + page["next_cursor"].get<std::string>(), key_)
                   .Json()["data"];
    }
    EXPECT_EQ(seen, (std::vector<std::string>{ids[4], ids[3], ids[2], ids[1], ids[0]}));
    const auto exact = client().Get("/api/v1/memories?limit=5", key_).Json()["data"];
    EXPECT_EQ(exact["items"].size(), 5U);
    EXPECT_TRUE(exact["next_cursor"].is_null()) << "a full last page has no next page";
}

TEST_F(MemoriesTest, SearchMatchesWholeWords) {
    Remember("alice", "Alice likes green tea in the morning", {"drinks"});
    Remember("alice", "Alice drinks coffee at night", {"drinks"});
    Remember("bob", "Bob plays chess on Sundays", {"hobbies"});

    EXPECT_EQ(Texts("?q=coffee"), std::vector<std::string>{"Alice drinks coffee at night"});
    EXPECT_EQ(Texts("?q=COFFEE"), std::vector<std::string>{"Alice drinks coffee at night"}) << "case-insensitive";
    EXPECT_TRUE(Texts("?q=pizza").empty());
    EXPECT_TRUE(Texts("?q=coff").empty()) << "whole words, not prefixes";
    // Two words: both must occur, in any order.
    EXPECT_EQ(Texts("?q=morning%20green"), std::vector<std::string>{"Alice likes green tea in the morning"});
    EXPECT_TRUE(Texts("?q=tea+night").empty());
    // Web-search syntax: or, a quoted phrase, -word.
    EXPECT_EQ(Texts("?q=tea%20or%20chess").size(), 2U);
    EXPECT_EQ(Texts("?q=%22green%20tea%22"), std::vector<std::string>{"Alice likes green tea in the morning"});
    EXPECT_TRUE(Texts("?q=%22tea%20green%22").empty());
    EXPECT_EQ(Texts("?q=alice%20-coffee"), std::vector<std::string>{"Alice likes green tea in the morning"});
    // Newest first, and combined with the other filters.
    EXPECT_EQ(
        Texts("?q=alice"),
        (std::vector<std::string>{"Alice drinks coffee at night", "Alice likes green tea in the morning"})
    );
    EXPECT_TRUE(Texts("?q=alice&external_user_id=bob").empty());
    EXPECT_EQ(Texts("?q=chess&topic=hobbies").size(), 1U);
    EXPECT_TRUE(Texts("?q=chess&topic=drinks").empty());
    EXPECT_TRUE(Texts("?q=%21%21").empty()) << "no words at all: nothing matches";
}

TEST_F(MemoriesTest, FilterByTopicAndUser) {
    Remember("alice", "likes pasta", {"food"});
    Remember("alice", "has a cat", {"pets", "home"});
    Remember("bob", "likes sushi", {"food"});
    Remember("bob", "no topics here");

    EXPECT_EQ(Texts("?topic=food"), (std::vector<std::string>{"likes sushi", "likes pasta"}));
    EXPECT_EQ(Texts("?topic=FOOD"), (std::vector<std::string>{"likes sushi", "likes pasta"})) << "lower-cased";
    EXPECT_EQ(Texts("?topic=home"), std::vector<std::string>{"has a cat"});
    EXPECT_TRUE(Texts("?topic=cars").empty());
    EXPECT_EQ(Texts("?topic=food&external_user_id=alice"), std::vector<std::string>{"likes pasta"});
    // Alice does not see Bob's memories with the user filter, and the other way round.
    EXPECT_EQ(Texts("?external_user_id=alice"), (std::vector<std::string>{"has a cat", "likes pasta"}));
    EXPECT_EQ(Texts("?external_user_id=bob"), (std::vector<std::string>{"no topics here", "likes sushi"}));
    EXPECT_TRUE(Texts("?external_user_id=Alice").empty()) << "user ids are compared exactly";
    EXPECT_EQ(Texts("").size(), 4U);
}

TEST_F(MemoriesTest, AnotherWorkspaceSeesNothing) {
    const auto mine = Remember("alice", "lives in Zurich", {"home"});
    const std::string id = mine["id"];
    const auto other = app_->WorkspaceKey("elsewhere");

    ExpectError(client().Get("/api/v1/memories/" + id, other), 404, "NOT_FOUND");
    ExpectError(Patch(id, R"({"memory": "lives in Bern"})", other), 404, "NOT_FOUND");
    ExpectError(Delete(id, other), 404, "NOT_FOUND");
    EXPECT_TRUE(Texts("", other).empty());
    EXPECT_TRUE(Texts("?external_user_id=alice", other).empty());
    EXPECT_TRUE(Texts("?q=zurich", other).empty());
    EXPECT_EQ(client().Get("/api/v1/memories/topics", other).Json()["data"]["items"], nlohmann::json::array());
    EXPECT_EQ(client().Get("/api/v1/memories/stats", other).Json()["data"]["items"], nlohmann::json::array());

    // A user id of the same name in the other workspace is another user.
    EXPECT_EQ(Create({{"external_user_id", "alice"}, {"memory", "lives in Geneva"}}, other).status, 201);
    EXPECT_EQ(Texts("?external_user_id=alice", other), std::vector<std::string>{"lives in Geneva"});
    EXPECT_EQ(Texts("?external_user_id=alice"), std::vector<std::string>{"lives in Zurich"});
    // Nothing of the first workspace changed.
    EXPECT_EQ(client().Get("/api/v1/memories/" + id, key_).Json()["data"], mine);
}

TEST_F(MemoriesTest, TopicsWithCountsAndPerUserStats) {
    Remember("alice", "likes pasta", {"food", "italy"});
    Remember("alice", "likes pizza", {"Food"});
    Remember("bob", "likes sushi", {"food", "japan"});
    const auto last = Remember("carol", "no topics");

    auto r = client().Get("/api/v1/memories/topics", key_);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(
        r.Json()["data"]["items"],
        nlohmann::json::parse(R"([{"topic":"food","count":3},{"topic":"italy","count":1},{"topic":"japan","count":1}])")
    );
    EXPECT_TRUE(r.Json()["data"]["next_cursor"].is_null());
    r = client().Get("/api/v1/memories/topics?external_user_id=alice", key_);
    EXPECT_EQ(
        r.Json()["data"]["items"], nlohmann::json::parse(R"([{"topic":"food","count":2},{"topic":"italy","count":1}])")
    );
    EXPECT_EQ(
        client().Get("/api/v1/memories/topics?external_user_id=carol", key_).Json()["data"]["items"],
        nlohmann::json::array()
    );
    // Pages by topic name.
    auto page = client().Get("/api/v1/memories/topics?limit=2", key_).Json()["data"];
    ASSERT_EQ(page["items"].size(), 2U);
    EXPECT_EQ(page["next_cursor"], "italy");
    page = client().Get("/api/v1/memories/topics?limit=2&cursor=italy", key_).Json()["data"];
    EXPECT_EQ(page["items"], nlohmann::json::parse(R"([{"topic":"japan","count":1}])"));
    EXPECT_TRUE(page["next_cursor"].is_null());

    r = client().Get("/api/v1/memories/stats", key_);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto stats = r.Json()["data"]["items"];
    ASSERT_EQ(stats.size(), 3U);
    EXPECT_EQ(stats[0]["external_user_id"], "alice");
    EXPECT_EQ(stats[0]["memories"], 2);
    EXPECT_EQ(stats[1]["external_user_id"], "bob");
    EXPECT_EQ(stats[1]["memories"], 1);
    EXPECT_EQ(stats[2]["external_user_id"], "carol");
    EXPECT_EQ(stats[2]["last_updated_at"], last["updated_at"]);
    EXPECT_EQ(stats[0].size(), 3U);
    // A change moves last_updated_at.
    const std::string carol_id = last["id"];
    const auto changed = Patch(carol_id, R"({"memory": "still no topics"})").Json()["data"];
    EXPECT_EQ(
        client().Get("/api/v1/memories/stats?cursor=bob", key_).Json()["data"]["items"][0]["last_updated_at"],
        changed["updated_at"]
    );
    page = client().Get("/api/v1/memories/stats?limit=2", key_).Json()["data"];
    ASSERT_EQ(page["items"].size(), 2U);
    EXPECT_EQ(page["next_cursor"], "bob");
    page = client().Get("/api/v1/memories/stats?limit=2&cursor=bob", key_).Json()["data"];
    ASSERT_EQ(page["items"].size(), 1U);
    EXPECT_EQ(page["items"][0]["external_user_id"], "carol");
    EXPECT_TRUE(page["next_cursor"].is_null());
}

TEST_F(MemoriesTest, AgentKeysReadAllAndChangeTheirOwn) {
    const auto agent_id = AgentId("bot");
    const auto agent_key = app_->AgentKey("default", "bot");
    const std::string from_api = Remember("alice", "written with the workspace key")["id"];

    auto r = Create({{"external_user_id", "alice"}, {"memory", "written by the bot"}}, agent_key);
    ASSERT_EQ(r.status, 201) << r.body;
    const std::string own = r.Json()["data"]["id"];
    EXPECT_EQ(r.Json()["data"]["agent_id"], agent_id);
    EXPECT_TRUE(r.Json()["data"]["run_id"].is_null());

    // It reads every memory of the workspace.
    EXPECT_EQ(Texts("?external_user_id=alice", agent_key).size(), 2U);
    EXPECT_EQ(client().Get("/api/v1/memories/" + from_api, agent_key).status, 200);
    EXPECT_EQ(Texts("?agent_id=bot"), std::vector<std::string>{"written by the bot"});
    EXPECT_EQ(Texts("?agent_id=" + agent_id, agent_key), std::vector<std::string>{"written by the bot"});
    ExpectError(client().Get("/api/v1/memories?agent_id=nobody", key_), 404, "NOT_FOUND");

    // It changes and deletes only its own.
    ExpectError(Patch(from_api, R"({"memory": "changed"})", agent_key), 403, "FORBIDDEN", "its own agent stored");
    ExpectError(Delete(from_api, agent_key), 403, "FORBIDDEN");
    r = Patch(own, R"({"topics": ["notes"]})", agent_key);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["data"]["topics"], nlohmann::json({"notes"}));
    EXPECT_EQ(Delete(own, agent_key).status, 200);
    // The workspace key may change anyone's.
    EXPECT_EQ(Patch(from_api, R"({"memory": "changed"})").status, 200);
}

TEST_F(MemoriesTest, BadInputIs400) {
    const auto id = Remember("alice", "a fact")["id"].get<std::string>();
    // Lists.
    ExpectError(client().Get("/api/v1/memories?q=", key_), 400, "VALIDATION_ERROR", "q: must not be empty");
    ExpectError(client().Get("/api/v1/memories?q=%20%20", key_), 400, "VALIDATION_ERROR", "q: must not be empty");
    ExpectError(client().Get("/api/v1/memories?q=+", key_), 400, "VALIDATION_ERROR", "q: must not be empty");
    ExpectError(client().Get("/api/v1/memories?topic=%20", key_), 400, "VALIDATION_ERROR", "topic: must not be empty");
    ExpectError(
        client().Get("/api/v1/memories?q=" + std::string(1001, 'a'), key_), 400, "VALIDATION_ERROR", "q: at most 1000"
    );
    ExpectError(client().Get("/api/v1/memories?cursor=xyz", key_), 400, "VALIDATION_ERROR", "cursor: not a UUID");
    ExpectError(client().Get("/api/v1/memories?limit=0", key_), 400, "VALIDATION_ERROR", "limit");
    ExpectError(
        client().Get("/api/v1/memories?user=alice", key_), 400, "VALIDATION_ERROR", "user: unknown query parameter"
    );
    ExpectError(
        client().Get("/api/v1/memories/topics?q=x", key_), 400, "VALIDATION_ERROR", "q: unknown query parameter"
    );
    ExpectError(
        client().Get("/api/v1/memories/stats?external_user_id=alice", key_),
        400,
        "VALIDATION_ERROR",
        "external_user_id: unknown query parameter"
    );

    // Create.
    ExpectError(Create({{"external_user_id", "alice"}}), 400, "VALIDATION_ERROR", "memory: required");
    ExpectError(
        Create({{"external_user_id", "alice"}, {"memory", 42}}), 400, "VALIDATION_ERROR", "memory: must be a string"
    );
    ExpectError(
        Create({{"external_user_id", "alice"}, {"memory", ""}}), 400, "VALIDATION_ERROR", "memory: must not be empty"
    );
    ExpectError(
        Create({{"external_user_id", "alice"}, {"memory", " \n "}}),
        400,
        "VALIDATION_ERROR",
        "memory: must not be empty"
    );
    ExpectError(
        Create({{"external_user_id", "alice"}, {"memory", std::string(10'001, 'a')}}),
        400,
        "VALIDATION_ERROR",
        "memory: at most 10000 characters"
    );
    // 10,000 characters of two bytes each are fine: the limit counts characters.
    std::string umlauts;
    for (int i = 0; i < 10'000; ++i) {
        umlauts += "\xC3\xA4";
    }
    EXPECT_EQ(Create({{"external_user_id", "alice"}, {"memory", umlauts}}).status, 201);
    ExpectError(Create({{"memory", "x"}}), 400, "VALIDATION_ERROR", "external_user_id: required");
    ExpectError(
        Create({{"external_user_id", 7}, {"memory", "x"}}),
        400,
        "VALIDATION_ERROR",
        "external_user_id: must be a string"
    );
    ExpectError(
        Create({{"external_user_id", std::string(201, 'u')}, {"memory", "x"}}),
        400,
        "VALIDATION_ERROR",
        "external_user_id: at most 200 characters"
    );
    ExpectError(
        Create({{"external_user_id", "alice"}, {"memory", "x"}, {"topics", "food"}}),
        400,
        "VALIDATION_ERROR",
        "topics: must be an array"
    );
    ExpectError(
        Create({{"external_user_id", "alice"}, {"memory", "x"}, {"topics", {"food", 3}}}),
        400,
        "VALIDATION_ERROR",
        "topics[1]: must be a string, not a number"
    );
    ExpectError(
        Create({{"external_user_id", "alice"}, {"memory", "x"}, {"topics", {"food", " "}}}),
        400,
        "VALIDATION_ERROR",
        "topics[1]: must not be empty"
    );
    ExpectError(
        Create(
            {{"external_user_id", "alice"}, {"memory", "x"}, {"topics", nlohmann::json::array({std::string(101, 't')})}}
        ),
        400,
        "VALIDATION_ERROR",
        "topics[0]: at most 100 characters"
    );
    ExpectError(
        Create({{"external_user_id", "alice"}, {"memory", "x"}, {"topics", std::vector<std::string>(21, "t")}}),
        400,
        "VALIDATION_ERROR",
        "topics: at most 20 topics"
    );
    auto r = Create({{"external_user_id", "alice"}, {"memory", "x"}, {"topic", "food"}});
    ExpectError(r, 400, "VALIDATION_ERROR", "topic: unknown field");
    EXPECT_EQ(r.Json()["error"]["details"]["unknown_fields"], nlohmann::json({"topic"}));
    ExpectError(
        Create({{"external_user_id", "alice"}, {"memory", "x"}, {"agent_id", id}}),
        400,
        "VALIDATION_ERROR",
        "agent_id: unknown field"
    );
    ExpectError(
        client().PostRaw("/api/v1/memories", "[1]", key_), 400, "VALIDATION_ERROR", "body: must be a JSON object"
    );
    ExpectError(client().PostRaw("/api/v1/memories", "{", key_), 400, "VALIDATION_ERROR", "malformed JSON");

    // Update.
    ExpectError(Patch(id, "{}"), 400, "VALIDATION_ERROR", "nothing to change");
    ExpectError(Patch(id, R"({"memory": null})"), 400, "VALIDATION_ERROR", "nothing to change");
    ExpectError(Patch(id, ""), 400, "VALIDATION_ERROR", "body");
    ExpectError(Patch(id, R"({"memory": ""})"), 400, "VALIDATION_ERROR", "memory: must not be empty");
    ExpectError(Patch(id, R"({"memory": ["x"]})"), 400, "VALIDATION_ERROR", "memory: must be a string");
    ExpectError(Patch(id, R"({"topics": {"a": 1}})"), 400, "VALIDATION_ERROR", "topics: must be an array");
    ExpectError(Patch(id, R"({"topics": [true]})"), 400, "VALIDATION_ERROR", "topics[0]: must be a string");
    ExpectError(
        Patch(id, R"({"memory": "y", "external_user_id": "bob"})"),
        400,
        "VALIDATION_ERROR",
        "external_user_id: unknown field"
    );
    EXPECT_EQ(client().Get("/api/v1/memories/" + id, key_).Json()["data"]["memory"], "a fact") << "nothing changed";

    // Ids.
    ExpectError(client().Get("/api/v1/memories/not-a-uuid", key_), 400, "VALIDATION_ERROR", "memoryId: not a UUID");
    ExpectError(Patch("1234", R"({"memory": "x"})"), 400, "VALIDATION_ERROR", "memoryId: not a UUID");
    ExpectError(Delete("1234"), 400, "VALIDATION_ERROR", "memoryId: not a UUID");
    const std::string unknown = "018f0c7e-5b1a-7c3d-9e2f-0a1b2c3d4e5f";
    ExpectError(client().Get("/api/v1/memories/" + unknown, key_), 404, "NOT_FOUND");
    ExpectError(Patch(unknown, R"({"memory": "x"})"), 404, "NOT_FOUND");
    ExpectError(Delete(unknown), 404, "NOT_FOUND");
    ExpectError(client().Get("/api/v1/memories/" + id + "?x=1", key_), 400, "VALIDATION_ERROR", "x: unknown query");

    // Keys.
    ExpectError(client().Get("/api/v1/memories"), 401, "UNAUTHENTICATED");
    ExpectError(
        client().Post("/api/v1/memories", {{"external_user_id", "a"}, {"memory", "x"}}), 401, "UNAUTHENTICATED"
    );
    ExpectError(client().Get("/api/v1/memories/" + id), 401, "UNAUTHENTICATED");
    ExpectError(client().Send("DELETE", "/api/v1/memories/" + id), 401, "UNAUTHENTICATED");
    ExpectError(client().Get("/api/v1/memories/topics"), 401, "UNAUTHENTICATED");
    ExpectError(client().Get("/api/v1/memories/stats"), 401, "UNAUTHENTICATED");
    EXPECT_EQ(Texts("").size(), 2U);
}

}  // namespace
}  // namespace agentos::testing
