#pragma once
/// The `agentos` binary run as a child process by CLI tests: arguments, extra environment, output captured to a
/// file, and signals.

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace agentos::testing {

/// Path of the agentos binary built with the tests.
std::string AgentosBinary();

/// Runs to completion; returns {exit code, stdout+stderr}.
std::pair<int, std::string> RunAgentos(const std::vector<std::string>& args, const std::vector<std::string>& env = {});

class ChildProcess {
public:
    ChildProcess(const std::vector<std::string>& args, const std::vector<std::string>& env);
    ~ChildProcess();

    /// Sends `signal` and waits up to `timeout` for the exit; returns the exit code (-1 on timeout, then killed).
    int Stop(int signal, std::chrono::milliseconds timeout);

    /// Sends `signal` without waiting (SIGSTOP / SIGCONT).
    void Signal(int signal) const;

    /// Everything the child printed so far.
    std::string Output() const;

    /// Waits until Output() contains `text`; false on timeout or when the child exited.
    bool WaitForOutput(const std::string& text, std::chrono::milliseconds timeout) const;

private:
    int pid_ = -1;
    std::string log_path_;
};

}  // namespace agentos::testing
