#include "api/server_config.hpp"

#include <fstream>
#include <sstream>

#include "runtime/core/error.hpp"
#include "runtime/core/json_body.hpp"
#include "runtime/providers/llm_provider.hpp"
#include "runtime/spec/yaml_loader.hpp"

namespace agentos::api {
namespace {

using core::Error;
using Json = nlohmann::json;

constexpr std::size_t kMaxConfigBytes = 1 << 20;

std::vector<std::string> HostList(const Json& list, const std::string& path) {
    if (!list.is_array()) {
        throw Error::Validation(path, "must be a list of host names");
    }
    std::vector<std::string> hosts;
    for (std::size_t i = 0; i < list.size(); ++i) {
        if (!list[i].is_string() || list[i].get<std::string>().empty()) {
            throw Error::Validation(core::ElementPath(path, i), "must be a host name");
        }
        hosts.push_back(list[i].get<std::string>());
    }
    return hosts;
}

}  // namespace

void ApplyServerConfig(std::string_view text, std::string_view source_name, AppConfig& config) {
    const Json doc = spec::LoadYamlDocument(text, source_name);
    if (doc.is_null()) {
        return;  // an empty file configures nothing
    }
    if (!doc.is_object()) {
        throw Error::Validation(std::string(source_name), "a config file is a mapping (pricing: ..., runs: ...)");
    }
    core::ObjectReader top(doc, "");
    if (const auto* pricing = top.Optional("pricing")) {
        providers::PriceTable check;  // refuses a malformed table now rather than at the first run
        check.Load(*pricing);
        config.runs.pricing = *pricing;
    }
    if (const auto fetch = top.OptObject("http_fetch")) {
        core::ObjectReader r(*fetch, "http_fetch");
        if (const auto* hosts = r.Optional("allow_hosts")) {
            config.runs.http_fetch_allowed_hosts = HostList(*hosts, "http_fetch.allow_hosts");
        }
        r.Finish();
    }
    if (const auto runs = top.OptObject("runs")) {
        core::ObjectReader r(*runs, "runs");
        if (const auto v = r.OptInt("max_depth", 0, 100)) {
            config.runs.max_depth = static_cast<int>(*v);
        }
        if (const auto v = r.OptInt("max_background", 0, 10'000)) {
            config.runs.max_background = static_cast<int>(*v);
        }
        if (const auto v = r.OptBool("mock_fallback")) {
            config.runs.mock_fallback = *v;
        }
        if (const auto v = r.OptInt("lease_seconds", 1, 3600)) {
            config.runs.lease_seconds = static_cast<int>(*v);
        }
        if (const auto v = r.OptInt("max_recoveries", 0, 100)) {
            config.runs.max_recoveries = static_cast<int>(*v);
        }
        if (const auto v = r.OptString("server_id")) {
            config.runs.server_id = *v;
        }
        r.Finish();
    }
    if (const auto retry = top.OptObject("provider_retry")) {
        core::ObjectReader r(*retry, "provider_retry");
        if (const auto v = r.OptInt("max_retries", 0, 20)) {
            config.runs.retry.max_retries = static_cast<int>(*v);
        }
        if (const auto v = r.OptInt("base_delay_ms", 1, 600'000)) {
            config.runs.retry.base_delay = std::chrono::milliseconds(*v);
        }
        if (const auto v = r.OptInt("max_delay_ms", 1, 3'600'000)) {
            config.runs.retry.max_delay = std::chrono::milliseconds(*v);
        }
        r.Finish();
    }
    if (const auto schedules = top.OptObject("schedules")) {
        core::ObjectReader r(*schedules, "schedules");
        if (const auto v = r.OptBool("fire")) {
            config.fire_schedules = *v;
        }
        if (const auto v = r.OptInt("batch", 1, 10'000)) {
            config.schedules.batch = static_cast<int>(*v);
        }
        if (const auto v = r.OptInt("keep_fires_hours", 1, 24 * 3660)) {
            config.schedules.keep_fires = std::chrono::hours(*v);
        }
        r.Finish();
    }
    if (const auto streams = top.OptObject("streams")) {
        core::ObjectReader r(*streams, "streams");
        if (const auto v = r.OptInt("max_per_key", 1, 100'000)) {
            config.streams.max_per_key = static_cast<int>(*v);
        }
        if (const auto v = r.OptInt("ping_interval_ms", 100, 600'000)) {
            config.streams.ping_interval = std::chrono::milliseconds(*v);
        }
        if (const auto v = r.OptInt("buffer_bytes", 4096, 1LL << 30)) {
            config.streams.buffer_bytes = static_cast<std::size_t>(*v);
        }
        if (const auto v = r.OptInt("replay_bytes", 0, 1LL << 30)) {
            config.streams.replay_bytes = static_cast<std::size_t>(*v);
        }
        r.Finish();
    }
    if (const auto tls = top.OptObject("tls")) {
        core::ObjectReader r(*tls, "tls");
        if (const auto v = r.OptString("ca_file")) {
            config.ca_file = *v;
        }
        r.Finish();
    }
    top.Finish();
}

void LoadServerConfigFile(const std::string& path, AppConfig& config) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw Error::Validation("--config", "cannot read " + path);
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (text.view().size() > kMaxConfigBytes) {
        throw Error::Validation("--config", path + " is larger than 1 MiB");
    }
    ApplyServerConfig(text.view(), path, config);
}

}  // namespace agentos::api
