#include "tests/support/child_process.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/core/crypto.hpp"
#include "runtime/core/process.hpp"

extern char** environ;  // NOLINT(readability-identifier-naming)

namespace agentos::testing {
namespace {

std::vector<std::string> Environment(const std::vector<std::string>& extra) {
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
        env.emplace_back(*e);
    }
    env.insert(env.end(), extra.begin(), extra.end());
    return env;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
    std::vector<char*> out;
    for (auto& s : strings) {
        out.push_back(s.data());
    }
    out.push_back(nullptr);
    return out;
}

int Spawn(const std::vector<std::string>& args, const std::vector<std::string>& env, const std::string& log_path) {
    std::vector<std::string> argv{AgentosBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    auto envs = Environment(env);
    auto argp = Pointers(argv);
    auto envp = Pointers(envs);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t empty;
    sigemptyset(&empty);
    posix_spawnattr_setsigmask(&attr, &empty);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, argp[0], &actions, &attr, argp.data(), envp.data());
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        throw std::runtime_error("cannot start " + argv[0]);
    }
    return pid;
}

std::string ReadFile(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

int ExitCode(int status) {
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

std::string AgentosBinary() {
    return AGENTOS_BINARY_PATH;
}

std::pair<int, std::string> RunAgentos(const std::vector<std::string>& args, const std::vector<std::string>& env) {
    const std::string log = "/tmp/agentos-cli-" + core::RandomBase62(8) + ".log";
    const int pid = Spawn(args, env, log);
    int status = 0;
    waitpid(pid, &status, 0);
    auto out = ReadFile(log);
    unlink(log.c_str());
    return {ExitCode(status), out};
}

ChildProcess::ChildProcess(const std::vector<std::string>& args, const std::vector<std::string>& env)
    : log_path_("/tmp/agentos-child-" + core::RandomBase62(8) + ".log") {
    pid_ = Spawn(args, env, log_path_);
}

ChildProcess::~ChildProcess() {
    if (pid_ > 0) {
        Stop(SIGKILL, std::chrono::seconds(5));
    }
    unlink(log_path_.c_str());
}

void ChildProcess::Signal(int signal) const {
    if (pid_ > 0) {
        ::kill(pid_, signal);
    }
}

int ChildProcess::Stop(int signal, std::chrono::milliseconds timeout) {
    if (pid_ <= 0) {
        return -1;
    }
    kill(pid_, signal);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            return ExitCode(status);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return -1;
}

std::string ChildProcess::Output() const {
    return ReadFile(log_path_);
}

bool ChildProcess::WaitForOutput(const std::string& text, std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (Output().find(text) != std::string::npos) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

}  // namespace agentos::testing
