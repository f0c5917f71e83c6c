#pragma once
/// The fixture of API tests: a real server on a fresh database, a keep-alive client, a workspace key, and a few
/// steps most tests need (an agent, a started run).

#include <chrono>
#include <cstdlib>
#include <memory>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/fake_llm_server.hpp"
#include "tests/support/test_app.hpp"
#include "tests/support/test_cluster.hpp"
#include "tests/support/test_http_server.hpp"

namespace agentos::testing {

class ApiTest : public ::testing::Test {
protected:
    void SetUp() override {
        AGENTOS_REQUIRE_PG();
        app_ = std::make_unique<TestApp>(Options());
        client_ = std::make_unique<HttpClient>(app_->port());
        key_ = app_->WorkspaceKey();
    }

    virtual TestAppOptions Options() { return {}; }

    HttpClient& client() { return *client_; }

    /// The id of agent `slug` in the default workspace (registered as an external agent when missing).
    std::string AgentId(const std::string& slug) {
        app_->AgentKey("default", slug);
        const auto r = client_->Get("/api/v1/agents/" + slug, key_);
        EXPECT_EQ(r.status, 200) << r.body;
        return r.Json()["data"]["id"];
    }

    /// Starts a v1 ingest run for agent `slug`; returns its id.
    std::string StartRun(const std::string& slug = "bot", const nlohmann::json& extra = nlohmann::json::object()) {
        nlohmann::json body = {{"agent_id", AgentId(slug)}};
        body.update(extra);
        const auto r = client_->Post("/api/ingest/v1/run/start", body, key_);
        EXPECT_EQ(r.status, 201) << r.body;
        return r.Json()["data"]["run_id"];
    }

    std::unique_ptr<TestApp> app_;
    std::unique_ptr<HttpClient> client_;
    std::string key_;
};

/// Creates an agent from YAML through `client`, after replacing each placeholder of `substitutions` (e.g. {{LLM}}).
inline void DefineAgent(
    HttpClient& client,
    const std::string& key,
    std::string yaml,
    const std::vector<std::pair<std::string, std::string>>& substitutions = {}
) {
    for (const auto& [from, to] : substitutions) {
        for (auto p = yaml.find(from); p != std::string::npos; p = yaml.find(from)) {
            yaml.replace(p, from.size(), to);
        }
    }
    const auto r = client.Send(
        "POST", "/api/v1/agents", yaml, {{"Authorization", "Bearer " + key}, {"Content-Type", "application/yaml"}}
    );
    ASSERT_EQ(r.status, 201) << r.body << "\n" << yaml;
}

/// Polls GET /api/v1/runs/:id through `client` until the run's status is `status` or `limit` passes; the run.
inline nlohmann::json WaitForRunStatus(
    HttpClient& client,
    const std::string& key,
    const std::string& run_id,
    const std::string& status,
    std::chrono::seconds limit = std::chrono::seconds(20)
) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    nlohmann::json run;
    do {
        run = client.Get("/api/v1/runs/" + run_id, key).Json()["data"];
        if (run["status"] == status) {
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    } while (std::chrono::steady_clock::now() < deadline);
    return run;
}

/// Expects a 4xx/5xx envelope with `code`, and — when given — a message containing `fragment`.
inline void ExpectError(const HttpResult& r, int status, const std::string& code, const std::string& fragment = "") {
    EXPECT_EQ(r.status, status) << r.body;
    const auto j = nlohmann::json::parse(r.body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r.body;
    EXPECT_TRUE(j["data"].is_null()) << r.body;
    EXPECT_EQ(j["error"]["code"], code) << r.body;
    if (!fragment.empty()) {
        EXPECT_NE(j["error"]["message"].get<std::string>().find(fragment), std::string::npos)
            << "message \"" << j["error"]["message"] << "\" lacks \"" << fragment << "\"";
    }
    EXPECT_TRUE(r.Header("x-request-id").has_value());
}

/// An ApiTest for hosted agents: a fake LLM (its key in FAKE_LLM_KEY), a webhook receiver that answers
/// {"deployed": true}, and Define() with `{{LLM}}` and `{{HOOK}}` (the receiver's /deploy) filled in.
class HostedApiTest : public ApiTest {
protected:
    void SetUp() override {
        setenv("FAKE_LLM_KEY", "sk-test-not-a-real-key", 1);  // NOLINT(concurrency-mt-unsafe): before the threads
        ApiTest::SetUp();
    }

    void Define(const std::string& yaml) {
        DefineAgent(client(), key_, yaml, {{"{{LLM}}", llm_.base_url()}, {"{{HOOK}}", hook_.url("/deploy")}});
    }

    nlohmann::json Run(const std::string& run_id) {
        return client().Get("/api/v1/runs/" + run_id, key_).Json()["data"];
    }

    FakeLlmServer llm_;
    TestHttpServer hook_{[](const RecordedRequest&) {
        return TestResponse{.body = R"({"deployed": true})"};
    }};
};

}  // namespace agentos::testing
