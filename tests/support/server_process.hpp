#pragma once
/// One `agentos serve` process on a test database (a real second server, not one in the test's process), with the
/// fake LLM's key in its environment.

#include <chrono>
#include <cstdint>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/child_process.hpp"
#include "tests/support/http_client.hpp"

namespace agentos::testing {

class ServerProcess {
public:
    /// `config_path` empty: no --config. `extra`: more `serve` arguments (e.g. --agents DIR).
    explicit ServerProcess(
        const std::string& dsn, const std::string& config_path = "", const std::vector<std::string>& extra = {}
    )
        : process_(Args(dsn, config_path, extra), {"FAKE_LLM_KEY=sk-test-not-a-real-key"}) {
        EXPECT_TRUE(process_.WaitForOutput("listening on", std::chrono::milliseconds(30000))) << process_.Output();
        std::smatch m;
        const auto out = process_.Output();
        if (std::regex_search(out, m, std::regex(R"(listening on http://127\.0\.0\.1:(\d+))"))) {
            port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
        } else {
            ADD_FAILURE() << out;
        }
    }

    std::uint16_t port() const { return port_; }

    HttpClient Client() const { return HttpClient(port_); }

    int Stop(int signal) { return process_.Stop(signal, std::chrono::milliseconds(15000)); }

    void Signal(int signal) const { process_.Signal(signal); }

    std::string Output() const { return process_.Output(); }

private:
    static std::vector<std::string> Args(
        const std::string& dsn, const std::string& config_path, const std::vector<std::string>& extra
    ) {
        std::vector<std::string> args = {
            "serve", "--listen", "127.0.0.1:0", "--database-url", dsn, "--rate-limit", "0"};
        if (!config_path.empty()) {
            args.insert(args.end(), {"--config", config_path});
        }
        args.insert(args.end(), extra.begin(), extra.end());
        return args;
    }

    ChildProcess process_;
    std::uint16_t port_ = 0;
};

}  // namespace agentos::testing
