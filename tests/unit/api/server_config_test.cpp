#include "api/server_config.hpp"

#include <gtest/gtest.h>

#include "runtime/core/error.hpp"

namespace agentos::api {
namespace {

std::string ErrorOf(std::string_view text) {
    AppConfig config;
    try {
        ApplyServerConfig(text, "agentos.yaml", config);
    } catch (const core::Error& e) {
        return e.what();
    }
    return "";
}

TEST(ServerConfig, AppliesEveryKey) {
    AppConfig config;
    ApplyServerConfig(
        R"yaml(
pricing:
  my-local-model: { input_per_mtok: 0.5, output_per_mtok: 1.5 }
http_fetch:
  allow_hosts: [wiki.internal, 10.0.0.7]
runs: { max_depth: 3, max_background: 4, mock_fallback: true }
provider_retry: { max_retries: 5, base_delay_ms: 100, max_delay_ms: 2000 }
tls: { ca_file: /etc/ssl/internal.pem }
)yaml",
        "agentos.yaml",
        config
    );
    EXPECT_EQ(config.runs.pricing["my-local-model"]["output_per_mtok"], 1.5);
    EXPECT_EQ(config.runs.http_fetch_allowed_hosts, (std::vector<std::string>{"wiki.internal", "10.0.0.7"}));
    EXPECT_EQ(config.runs.max_depth, 3);
    EXPECT_EQ(config.runs.max_background, 4);
    EXPECT_TRUE(config.runs.mock_fallback);
    EXPECT_EQ(config.runs.retry.max_retries, 5);
    EXPECT_EQ(config.runs.retry.base_delay.count(), 100);
    EXPECT_EQ(config.runs.retry.max_delay.count(), 2000);
    EXPECT_EQ(config.ca_file, "/etc/ssl/internal.pem");
}

TEST(ServerConfig, JsonAndAnEmptyFileWork) {
    AppConfig config;
    ApplyServerConfig(R"({"runs": {"max_depth": 2}})", "agentos.json", config);
    EXPECT_EQ(config.runs.max_depth, 2);
    ApplyServerConfig("", "empty.yaml", config);
    ApplyServerConfig("# nothing yet\n", "empty.yaml", config);
    EXPECT_EQ(config.runs.max_depth, 2);
}

TEST(ServerConfig, MistakesNameTheField) {
    EXPECT_NE(ErrorOf("pricng: {}").find("pricng: unknown field"), std::string::npos) << ErrorOf("pricng: {}");
    EXPECT_NE(ErrorOf("runs: { max_depth: -1 }").find("runs.max_depth"), std::string::npos);
    EXPECT_NE(ErrorOf("runs: { colour: 1 }").find("runs.colour: unknown field"), std::string::npos);
    EXPECT_NE(
        ErrorOf("pricing: { gpt-x: { input_per_mtok: -1, output_per_mtok: 1 } }").find("pricing.gpt-x"),
        std::string::npos
    );
    EXPECT_NE(ErrorOf("http_fetch: { allow_hosts: host }").find("http_fetch.allow_hosts"), std::string::npos);
    EXPECT_NE(ErrorOf("http_fetch: { allow_hosts: [\"\"] }").find("allow_hosts[0]"), std::string::npos);
    EXPECT_NE(ErrorOf("- a\n- b\n").find("a mapping"), std::string::npos);
    EXPECT_NE(ErrorOf("runs: {max_depth: 1\n").find("agentos.yaml:"), std::string::npos);
    EXPECT_NE(ErrorOf("a: 1\na: 2\n").find("given twice"), std::string::npos);
}

TEST(ServerConfig, StreamsAreConfiguredAndCheckedByField) {
    AppConfig config;
    ApplyServerConfig(
        "streams: { max_per_key: 5, ping_interval_ms: 1000, buffer_bytes: 65536, replay_bytes: 0 }", "a.yaml", config
    );
    EXPECT_EQ(config.streams.max_per_key, 5);
    EXPECT_EQ(config.streams.ping_interval.count(), 1000);
    EXPECT_EQ(config.streams.buffer_bytes, 65536U);
    EXPECT_EQ(config.streams.replay_bytes, 0U);
    EXPECT_NE(ErrorOf("streams: { max_per_key: 0 }").find("streams.max_per_key"), std::string::npos);
    EXPECT_NE(ErrorOf("streams: { ping_interval_ms: 10 }").find("streams.ping_interval_ms"), std::string::npos);
    EXPECT_NE(ErrorOf("streams: { buffer_bytes: 100 }").find("streams.buffer_bytes"), std::string::npos);
    EXPECT_NE(ErrorOf("streams: { replay_bytes: -1 }").find("streams.replay_bytes"), std::string::npos);
    EXPECT_NE(ErrorOf("streams: { max_per_key: many }").find("streams.max_per_key"), std::string::npos);
    EXPECT_NE(ErrorOf("streams: { per_key: 3 }").find("streams.per_key: unknown field"), std::string::npos);
}

TEST(ServerConfig, SchedulesAreConfiguredAndCheckedByField) {
    AppConfig config;
    ApplyServerConfig("schedules: { fire: false, batch: 50, keep_fires_hours: 24 }", "a.yaml", config);
    EXPECT_FALSE(config.fire_schedules);
    EXPECT_EQ(config.schedules.batch, 50);
    EXPECT_EQ(config.schedules.keep_fires, std::chrono::hours(24));
    EXPECT_NE(ErrorOf("schedules: { batch: 0 }").find("schedules.batch"), std::string::npos);
    EXPECT_NE(ErrorOf("schedules: { fire: sometimes }").find("schedules.fire"), std::string::npos);
    EXPECT_NE(ErrorOf("schedules: { keep_fires_hours: 0 }").find("schedules.keep_fires_hours"), std::string::npos);
    EXPECT_NE(ErrorOf("schedules: { every: 1 }").find("schedules.every: unknown field"), std::string::npos);
}

TEST(ServerConfig, AMissingFileNamesTheOption) {
    AppConfig config;
    try {
        LoadServerConfigFile("/nonexistent/agentos.yaml", config);
        FAIL() << "no error";
    } catch (const core::Error& e) {
        EXPECT_NE(std::string(e.what()).find("--config"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace agentos::api
