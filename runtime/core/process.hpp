#pragma once
/// Running a helper program to completion (initdb, pg_ctl). Blocking: start-up and CLI code only.

#include <string>
#include <vector>

namespace agentos::core {

struct ProcessResult {
    int exit_code = -1;  ///< the exit status, or 128 + signal when killed
    std::string output;  ///< stdout and stderr, interleaved
};

/// Runs argv[0] (looked up in PATH) with the given arguments and the current environment.
ProcessResult RunProcess(const std::vector<std::string>& argv);

}  // namespace agentos::core
