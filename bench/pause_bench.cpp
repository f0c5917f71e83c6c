// Durable pauses and recovery:
//   1. memory — N runs paused at once (an approval node each): the server's RSS before and after, and after N more
//      (a paused run lives only in Postgres, so the server should not grow with the number paused);
//   2. resolve — resolving those approvals at concurrency 8, each to the run's completion: resolves/s, p50/p99;
//   3. recovery — K runs in flight on a second server (`agentos serve`, lease L s) against a model that never
//      answers them; that server is killed with SIGKILL; the time until a third server has claimed every one of
//      them (target: under L + 5 s).
//
//   agentos_pause_bench --port P --key KEY --dsn DSN --agentos BIN [--server-pid PID] [--runs N]

#include <atomic>
#include <cstdio>
#include <fstream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/wait.h>

#include "bench/bench_server.hpp"
#include "bench/bench_util.hpp"
#include "bench/fake_llm.hpp"
#include "runtime/store/pg.hpp"
#include "runtime/store/pg_pool.hpp"

namespace {

using bench::Clock;
using bench::Connection;
using bench::DefineAgent;
using bench::Server;
using Json = nlohmann::json;
using std::chrono::milliseconds;

constexpr int kLeaseSeconds = 5;
constexpr int kInFlight = 64;

/// A short lease (so recovery is quick to measure) and no provider retries.
std::string PauseConfig(const std::string& name) {
    return "runs:\n  lease_seconds: " + std::to_string(kLeaseSeconds) + "\n  server_id: " + name +
           "\nprovider_retry:\n  max_retries: 0\n";
}

/// Invokes `agent` `n` times from `concurrency` threads; the approval ids of the paused runs.
std::vector<std::string> PauseMany(int port, const std::string& key, int n, int concurrency) {
    std::vector<std::string> ids(static_cast<std::size_t>(n));
    std::atomic<int> next{0};
    std::atomic<int> errors{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < concurrency; ++t) {
        threads.emplace_back([&] {
            Connection c(port);
            std::string body;
            for (int i = next++; i < n; i = next++) {
                const int status = c.Post("/api/v1/agents/bench-approval/invoke", key, "{}", body);
                const auto j = Json::parse(body, nullptr, false);
                if (status != 202 || j.is_discarded()) {
                    ++errors;
                    continue;
                }
                ids[static_cast<std::size_t>(i)] = j["data"]["awaiting_approval"]["approval_id"];
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    if (errors > 0) {
        throw std::runtime_error(std::to_string(errors.load()) + " invokes did not pause");
    }
    return ids;
}

}  // namespace

int main(int argc, char** argv) {
    // Own flags first (--agentos, --runs), the shared ones after.
    std::vector<char*> args(argv, argv + argc);
    const std::string binary = bench::TakeFlag(args, "--agentos").value_or("");
    const int runs = std::stoi(bench::TakeFlag(args, "--runs").value_or("10000"));
    const auto parsed = bench::ParseOptions(static_cast<int>(args.size()), args.data());
    if (!parsed || binary.empty()) {
        std::fprintf(stderr, "also needed: --agentos PATH (the agentos binary)\n");
        return 2;
    }
    const auto& o = *parsed;
    try {
        DefineAgent(o.port, o.key, R"yaml(
slug: bench-approval
model: { provider: mock }
graph:
  start: check
  nodes:
    check: { type: approval, message: "Go?" }
    done:  { type: tool, tool: calculator, args: { expression: "6*7" }, output: answer }
  edges: [[check, done]]
tools:
  - use: calculator
)yaml");

        // 1. memory
        PauseMany(o.port, o.key, 200, 8);  // warm-up: connections, prepared statements, caches
        std::this_thread::sleep_for(milliseconds(500));
        const auto before = bench::Rss(o.server_pid);
        const auto t0 = Clock::now();
        auto approvals = PauseMany(o.port, o.key, runs, 16);
        const double pause_s = std::chrono::duration<double>(Clock::now() - t0).count();
        std::this_thread::sleep_for(milliseconds(500));
        const auto after = bench::Rss(o.server_pid);
        // As many again: memory that paused runs held would grow again; allocator warm-up does not.
        PauseMany(o.port, o.key, runs, 16);
        std::this_thread::sleep_for(milliseconds(500));
        const auto again = bench::Rss(o.server_pid);
        std::printf("\n%-34s %12s\n", "paused runs", "value");
        std::printf("%-34s %12d\n", "runs paused at once", runs);
        std::printf("%-34s %12.0f\n", "pauses/s (invoke to 202)", runs / pause_s);
        std::printf("%-34s %12.1f\n", "server RSS before, MiB", before.first);
        std::printf("%-34s %12.1f\n", "server RSS after, MiB", after.first);
        std::printf(
            "%-34s %12.1f\n", "first batch, KiB per 1,000 runs", (after.first - before.first) * 1024 / runs * 1000
        );
        std::printf("%-34s %12.1f\n", "after as many again paused, MiB", again.first);
        std::printf(
            "%-34s %12.1f\n", "second batch, KiB per 1,000 runs", (again.first - after.first) * 1024 / runs * 1000
        );

        // 2. resolve to completion at concurrency 8
        const int resolves = std::min<int>(runs, 4000);
        std::vector<std::vector<double>> lat(8);
        std::atomic<int> next{0};
        std::atomic<int> errors{0};
        const auto r0 = Clock::now();
        std::vector<std::thread> threads;
        for (int t = 0; t < 8; ++t) {
            threads.emplace_back([&, t] {
                Connection c(o.port);
                std::string body;
                for (int i = next++; i < resolves; i = next++) {
                    const auto s0 = Clock::now();
                    const int status = c.Post(
                        "/api/v1/approvals/" + approvals[static_cast<std::size_t>(i)] + "/resolve",
                        o.key,
                        R"({"decision":"approve"})",
                        body
                    );
                    lat[static_cast<std::size_t>(t)].push_back(
                        std::chrono::duration<double, std::milli>(Clock::now() - s0).count()
                    );
                    if (status != 200 || body.find("\"completed\"") == std::string::npos) {
                        ++errors;
                    }
                }
            });
        }
        for (auto& t : threads) {
            t.join();
        }
        const auto cell = bench::Summarize(lat, resolves, Clock::now() - r0, 1, errors.load());
        std::printf("\n%-8s %5s %10s %9s %9s %7s\n", "path", "conc", "runs/s", "p50 ms", "p99 ms", "errors");
        std::printf(
            "%-8s %5d %10.0f %9.2f %9.2f %7d\n",
            "resolve",
            8,
            cell.requests_per_s,
            cell.p50_ms,
            cell.p99_ms,
            cell.errors
        );

        // 3. recovery after SIGKILL
        bench::FakeLlm llm([](long n) { return n < kInFlight ? milliseconds(600'000) : milliseconds(0); });
        Server victim(binary, o.dsn, "bench-victim", PauseConfig("bench-victim"));
        DefineAgent(
            victim.port(),
            o.key,
            "slug: bench-slow\nmodel: { provider: openai_compatible, name: m, base_url: \"http://127.0.0.1:" +
                std::to_string(llm.port()) + "/v1\" }\n"
        );
        std::vector<std::thread> clients;
        for (int i = 0; i < kInFlight; ++i) {
            clients.emplace_back([&] {
                try {
                    Connection c(victim.port());
                    std::string body;
                    c.Post("/api/v1/agents/bench-slow/invoke", o.key, "{}", body);
                } catch (const std::exception&) {
                    // the server is killed under it
                }
            });
        }
        const auto wait_until = Clock::now() + std::chrono::seconds(30);
        while (llm.requests() < kInFlight && Clock::now() < wait_until) {
            std::this_thread::sleep_for(milliseconds(10));
        }
        if (llm.requests() < kInFlight) {
            throw std::runtime_error("the runs did not all reach the model");
        }
        Server rescuer(binary, o.dsn, "bench-rescuer", PauseConfig("bench-rescuer"));
        agentos::store::PgPool pool(o.dsn, 1);
        const auto killed = Clock::now();
        victim.Kill();
        for (auto& c : clients) {
            c.join();
        }
        std::int64_t left = kInFlight;
        while (left > 0 && Clock::now() - killed < std::chrono::seconds(60)) {
            pool.TransactBlocking([&](agentos::store::Tx& tx) {
                left = agentos::store::ReadInt(tx.ExecRaw(
                    "SELECT count(*) FROM runs WHERE lease_owner = 'bench-victim' AND status = 'running'"
                )[0][0]);
            });
            std::this_thread::sleep_for(milliseconds(20));
        }
        const double recovery_s = std::chrono::duration<double>(Clock::now() - killed).count();
        pool.Stop();
        std::printf("\n%-34s %12s\n", "recovery after SIGKILL", "value");
        std::printf("%-34s %12d\n", "runs in flight on the killed server", kInFlight);
        std::printf("%-34s %12d\n", "lease, s", kLeaseSeconds);
        std::printf("%-34s %12.2f\n", "kill to all claimed, s", recovery_s);
        std::printf("%-34s %12s\n", "target (lease + 5 s)", recovery_s < kLeaseSeconds + 5 ? "met" : "NOT met");
        if (left > 0) {
            std::printf("%-34s %12lld\n", "runs never claimed", static_cast<long long>(left));
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench failed: %s\n", e.what());
        return 1;
    }
    return 0;
}
