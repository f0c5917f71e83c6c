// Agent definitions through the API and from a folder: create from YAML or JSON, versions, rollback, pause,
// delete, and every kind of bad definition answered with its line and column.

#include <filesystem>
#include <fstream>

#include "runtime/core/crypto.hpp"
#include "runtime/core/error.hpp"
#include "tests/support/api_fixture.hpp"
#include "tests/support/child_process.hpp"

namespace agentos::testing {
namespace {

namespace fs = std::filesystem;

const char* kAssistant = R"yaml(slug: helper
name: Helper
description: Says hello
model: { provider: mock }
instructions: "You help {{COMPANY}}."
variables:
  COMPANY: { required: true }
budget: { monthly_cost_usd: 12.5 }
)yaml";

class AgentsTest : public ApiTest {
protected:
    HttpResult PostYaml(
        const std::string& path,
        const std::string& yaml,
        const std::string& method = "POST",
        const std::string& key = ""
    ) {
        return client().Send(
            method,
            path,
            yaml,
            {{"Authorization", "Bearer " + (key.empty() ? key_ : key)}, {"Content-Type", "application/yaml"}}
        );
    }
};

TEST_F(AgentsTest, CreateReadVersionRollBackPauseAndDelete) {
    auto r = PostYaml("/api/v1/agents", kAssistant);
    ASSERT_EQ(r.status, 201) << r.body;
    auto agent = r.Json()["data"];
    EXPECT_EQ(agent["slug"], "helper");
    EXPECT_EQ(agent["name"], "Helper");
    EXPECT_EQ(agent["runtime"], "hosted");
    EXPECT_EQ(agent["source"], "api");
    EXPECT_EQ(agent["current_version"], 1);
    EXPECT_EQ(agent["monthly_budget_usd"], 12.5);
    const std::string id = agent["id"];

    r = client().Get("/api/v1/agents/helper", key_);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["data"]["definition"]["variables"]["COMPANY"]["required"], true);
    EXPECT_EQ(r.Json()["data"]["id"], id);

    ExpectError(PostYaml("/api/v1/agents", kAssistant), 409, "CONFLICT", "already exists");

    // The same text again is not a new version; a changed one is.
    r = PostYaml("/api/v1/agents/helper", kAssistant, "PUT");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["data"]["new_version"], false);
    EXPECT_EQ(r.Json()["data"]["current_version"], 1);
    std::string changed = kAssistant;
    changed.replace(changed.find("Says hello"), 10, "Says hi");
    r = PostYaml("/api/v1/agents/" + id, changed, "PUT");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["data"]["new_version"], true);
    EXPECT_EQ(r.Json()["data"]["current_version"], 2);
    EXPECT_EQ(r.Json()["data"]["description"], "Says hi");

    r = client().Get("/api/v1/agents/helper/versions", key_);
    ASSERT_EQ(r.status, 200) << r.body;
    auto versions = r.Json()["data"]["items"];
    ASSERT_EQ(versions.size(), 2U);
    EXPECT_EQ(versions[0]["version"], 2);
    EXPECT_EQ(versions[0]["current"], true);
    EXPECT_EQ(versions[1]["definition"]["description"], "Says hello");

    // Rollback = publishing the older version.
    r = client().Post("/api/v1/agents/helper/versions/1/publish", nlohmann::json::object(), key_);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["data"]["current_version"], 1);
    EXPECT_EQ(r.Json()["data"]["description"], "Says hello");
    EXPECT_EQ(client().Get("/api/v1/agents/helper", key_).Json()["data"]["definition"]["description"], "Says hello");

    r = client().Post("/api/v1/agents/helper/pause", nlohmann::json::object(), key_);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["data"]["status"], "paused");
    r = client().Post("/api/v1/agents/helper/activate", nlohmann::json::object(), key_);
    EXPECT_EQ(r.Json()["data"]["status"], "active");

    r = client().Send("DELETE", "/api/v1/agents/helper", "", {{"Authorization", "Bearer " + key_}});
    ASSERT_EQ(r.status, 200) << r.body;
    ExpectError(client().Get("/api/v1/agents/helper", key_), 404, "NOT_FOUND");
    ExpectError(client().Get("/api/v1/agents/" + id, key_), 404, "NOT_FOUND");
    // The slug is free again.
    r = PostYaml("/api/v1/agents", kAssistant);
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_NE(r.Json()["data"]["id"], id);
}

TEST_F(AgentsTest, JsonDefinitionsWorkToo) {
    const nlohmann::json def = {
        {"slug", "json-agent"}, {"model", {{"provider", "mock"}}}, {"budget", {{"max_steps", 5}}}};
    const auto r = client().Post("/api/v1/agents", def, key_);
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(client().Get("/api/v1/agents/json-agent", key_).Json()["data"]["definition"]["budget"]["max_steps"], 5);
}

TEST_F(AgentsTest, BadDefinitionsAre400WithLineAndColumn) {
    auto r = PostYaml("/api/v1/agents", "slug: x\nmodel: { provider: mock }\nmodle: 1\n");
    ExpectError(r, 400, "VALIDATION_ERROR", "body:3:1: modle: unknown field");
    EXPECT_EQ(r.Json()["error"]["details"]["errors"][0]["line"], 3);
    EXPECT_EQ(r.Json()["error"]["details"]["errors"][0]["column"], 1);
    ExpectError(PostYaml("/api/v1/agents", "slug: x\nmodel: [\n"), 400, "VALIDATION_ERROR", "not valid YAML");
    ExpectError(PostYaml("/api/v1/agents", ""), 400, "VALIDATION_ERROR");
    ExpectError(
        PostYaml("/api/v1/agents", "slug: x\nmodel: { provider: openai_compatible, name: llama3 }\n"),
        400,
        "VALIDATION_ERROR",
        "model.base_url: required"
    );
    ExpectError(
        PostYaml(
            "/api/v1/agents",
            "slug: x\nmodel: { provider: mock }\ngraph:\n  start: a\n  nodes:\n    a: { type: llm, prompt: hi }\n  "
            "edges: [[a, b]]\n"
        ),
        400,
        "VALIDATION_ERROR",
        "body:7:11: graph.edges[0]: 'b' is not a node of the graph"
    );
    ASSERT_EQ(PostYaml("/api/v1/agents", kAssistant).status, 201);
    std::string renamed = kAssistant;
    renamed.replace(renamed.find("slug: helper"), 12, "slug: other");
    ExpectError(
        PostYaml("/api/v1/agents/helper", renamed, "PUT"),
        400,
        "VALIDATION_ERROR",
        "slug: is 'other', but this agent is 'helper'"
    );
    ExpectError(
        client().Post("/api/v1/agents/helper/versions/9/publish", nlohmann::json::object(), key_),
        404,
        "NOT_FOUND",
        "version 9"
    );
    ExpectError(
        client().Post("/api/v1/agents/helper/versions/x/publish", nlohmann::json::object(), key_),
        400,
        "VALIDATION_ERROR",
        "version"
    );
    ExpectError(client().Post("/api/v1/agents/nobody/pause", nlohmann::json::object(), key_), 404, "NOT_FOUND");
    // Nothing of it was stored.
    EXPECT_EQ(client().Get("/api/v1/agents", key_).Json()["data"]["items"].size(), 1U);
    EXPECT_EQ(client().Get("/api/v1/agents/helper/versions", key_).Json()["data"]["items"].size(), 1U);
}

TEST_F(AgentsTest, ChangingAgentsNeedsAWorkspaceKey) {
    ASSERT_EQ(PostYaml("/api/v1/agents", kAssistant).status, 201);
    const auto agent_key = app_->AgentKey("default", "helper");
    EXPECT_EQ(client().Get("/api/v1/agents/helper", agent_key).status, 200);
    ExpectError(
        PostYaml("/api/v1/agents", "slug: y\nmodel: { provider: mock }\n", "POST", agent_key),
        403,
        "FORBIDDEN",
        "workspace key"
    );
    ExpectError(PostYaml("/api/v1/agents/helper", kAssistant, "PUT", agent_key), 403, "FORBIDDEN");
    ExpectError(client().Post("/api/v1/agents/helper/pause", nlohmann::json::object(), agent_key), 403, "FORBIDDEN");
    ExpectError(
        client().Send("DELETE", "/api/v1/agents/helper", "", {{"Authorization", "Bearer " + agent_key}}),
        403,
        "FORBIDDEN"
    );
    // Another workspace does not see it at all.
    ExpectError(client().Get("/api/v1/agents/helper", app_->WorkspaceKey("elsewhere")), 404, "NOT_FOUND");
}

std::string WriteFile(const fs::path& path, const std::string& text) {
    std::ofstream(path) << text;
    return path.string();
}

TEST(AgentFolder, FilesLoadAtStartAndAChangedFileIsANewVersion) {
    AGENTOS_REQUIRE_PG();
    const fs::path dir = fs::path("/tmp") / ("agentos-agents-" + core::RandomBase62(8));
    fs::create_directories(dir);
    WriteFile(dir / "helper.yaml", kAssistant);
    WriteFile(dir / "notes.txt", "not an agent");
    const auto dsn = TestCluster::Get().NewDatabase();
    TestAppOptions o;
    o.database_url = dsn;
    o.agents_dir = dir.string();
    {
        TestApp app(o);
        HttpClient c(app.port());
        const auto key = app.WorkspaceKey();
        const auto r = c.Get("/api/v1/agents/helper", key);
        ASSERT_EQ(r.status, 200) << r.body;
        EXPECT_EQ(r.Json()["data"]["source"], "file");
        EXPECT_EQ(r.Json()["data"]["current_version"], 1);
    }
    std::string changed = kAssistant;
    changed.replace(changed.find("Says hello"), 10, "Says hi");
    WriteFile(dir / "helper.yaml", changed);
    {
        TestApp app(o);
        HttpClient c(app.port());
        const auto r = c.Get("/api/v1/agents/helper", app.WorkspaceKey());
        EXPECT_EQ(r.Json()["data"]["current_version"], 2);
        EXPECT_EQ(r.Json()["data"]["description"], "Says hi");
    }
    // A broken file stops the start with every problem named.
    WriteFile(dir / "broken.yaml", "slug: broken\nmodel: { provider: nope }\n");
    try {
        TestApp app(o);
        FAIL() << "a broken agent file must stop the start";
    } catch (const core::Error& e) {
        EXPECT_NE(std::string(e.what()).find("broken.yaml:2:20: model.provider: must be one of"), std::string::npos)
            << e.what();
    }
    fs::remove_all(dir);
}

TEST(Cli, ValidateReportsEveryProblemWithItsPlace) {
    const fs::path dir = fs::path("/tmp") / ("agentos-validate-" + core::RandomBase62(8));
    fs::create_directories(dir);
    const auto good = WriteFile(dir / "good.yaml", kAssistant);
    const auto bad = WriteFile(
        dir / "bad.yaml",
        "slug: Bad\nmodel: { provider: mock }\ntools:\n  - name: t\n    http: { url: 'https://a' }\n    webhook: { "
        "url: 'https://b' }\n"
    );
    auto [code, out] = RunAgentos({"validate", good});
    EXPECT_EQ(code, 0) << out;
    EXPECT_NE(out.find("good.yaml: ok (helper)"), std::string::npos) << out;
    std::tie(code, out) = RunAgentos({"validate", good, bad});
    EXPECT_EQ(code, 1) << out;
    EXPECT_NE(out.find("bad.yaml:1:7: slug: must match"), std::string::npos) << out;
    EXPECT_NE(out.find("bad.yaml:6:14: tools[0]: give either http or webhook, not both"), std::string::npos) << out;
    std::tie(code, out) = RunAgentos({"validate", (dir / "missing.yaml").string()});
    EXPECT_EQ(code, 1);
    EXPECT_NE(out.find("cannot read the file"), std::string::npos);
    fs::remove_all(dir);
}

}  // namespace
}  // namespace agentos::testing
