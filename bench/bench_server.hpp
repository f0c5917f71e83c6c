#pragma once
// An `agentos serve` child process for the benchmarks that need a second server on the bench's database.

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/bench_util.hpp"

namespace bench {

/// An `agentos serve` child process on the bench's database, its output in a file.
class Server {
public:
    /// `config`: the server config file's text (docs/config.md).
    Server(const std::string& binary, const std::string& dsn, const std::string& name, const std::string& config) {
        config_ = "/tmp/agentos-bench-" + name + ".yaml";
        log_ = "/tmp/agentos-bench-" + name + ".log";
        std::ofstream(config_) << config;
        pid_ = fork();
        if (pid_ == 0) {
            const int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            dup2(fd, 1);
            dup2(fd, 2);
            execl(
                binary.c_str(),
                binary.c_str(),
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--database-url",
                dsn.c_str(),
                "--config",
                config_.c_str(),
                "--rate-limit",
                "0",
                "--pool-size",
                "16",
                static_cast<char*>(nullptr)
            );
            _exit(127);
        }
        const auto deadline = Clock::now() + std::chrono::seconds(30);
        std::smatch m;
        while (Clock::now() < deadline) {
            std::ifstream in(log_);
            const std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            if (std::regex_search(out, m, std::regex(R"(listening on http://127\.0\.0\.1:(\d+))"))) {
                port_ = std::stoi(m[1]);
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        throw std::runtime_error("agentos serve did not start: see " + log_);
    }

    ~Server() {
        if (pid_ > 0) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
        std::remove(config_.c_str());
        std::remove(log_.c_str());
    }

    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    int port() const { return port_; }

    void Kill() {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }

private:
    pid_t pid_ = -1;
    int port_ = 0;
    std::string config_;
    std::string log_;
};

}  // namespace bench
