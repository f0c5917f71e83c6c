// Orchestration overhead: invoking a one-llm-node agent through AgentOS against calling the same fake LLM directly,
// and against the durable writes of such a run done alone.
//
//   agentos_invoke_bench --port P --key KEY --dsn DSN [--seconds S] [--server-pid PID]
//
// The bench serves a fake OpenAI Chat Completions endpoint itself (0 ms: a fixed answer, thread per keep-alive
// connection) and defines the agent `bench-one-node` (a graph with one llm node, openai_compatible at that fake).
// For each concurrency (1, 8, 32), C client threads for S seconds each:
//   direct  — POST /v1/chat/completions to the fake, as the server's provider call does;
//   invoke  — POST /api/v1/agents/bench-one-node/invoke (synchronous) to AgentOS;
//   durable — the run's writes through the store layer alone (a pool of C connections), as the server does them:
//             read the agent, insert the run with run_start; then one statement with the (last) node's step events,
//             run_end, the checkpoint with the usage, and the close.
// Prints one table: runs/s, p50, p99, and the overhead of invoke over direct.

#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/bench_runs.hpp"
#include "bench/bench_util.hpp"
#include "bench/fake_llm.hpp"
#include "runtime/core/ids.hpp"
#include "runtime/core/principal.hpp"
#include "runtime/run_close.hpp"
#include "runtime/store/agent_repo.hpp"
#include "runtime/store/event_repo.hpp"
#include "runtime/store/pg.hpp"
#include "runtime/store/pg_pool.hpp"
#include "runtime/store/run_repo.hpp"
#include "runtime/store/workspace_repo.hpp"

namespace {

using bench::Cell;
using bench::Clock;
using bench::Connection;
using bench::FakeLlm;
using bench::Options;
using Json = nlohmann::json;

/// C threads, each with its own keep-alive connection to `port`, posting `body` to `path` for S seconds.
Cell RunHttp(const Options& o, int port, int concurrency, const std::string& path, const std::string& body) {
    std::vector<std::vector<double>> lat(static_cast<std::size_t>(concurrency));
    std::atomic<int> errors{0};
    std::atomic<long> requests{0};
    const auto start = Clock::now();
    const auto end = start + std::chrono::duration<double>(o.seconds);
    std::vector<std::thread> threads;
    for (int t = 0; t < concurrency; ++t) {
        threads.emplace_back([&, t] {
            Connection c(port);
            std::string resp;
            while (Clock::now() < end) {
                const auto t0 = Clock::now();
                const int status = c.Post(path, o.key, body, resp);
                lat[static_cast<std::size_t>(t)].push_back(
                    std::chrono::duration<double, std::milli>(Clock::now() - t0).count()
                );
                if (status != 200 || resp.find("\"status\":\"failed\"") != std::string::npos) {
                    ++errors;
                }
                ++requests;
            }
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    return bench::Summarize(lat, requests.load(), Clock::now() - start, 1, errors.load());
}

/// The writes of one run of the one-node agent, in the statements the server uses for them (autocommit).
void DurableRun(agentos::store::PgPool& pool, const std::string& workspace_id, const std::string& slug) {
    using namespace agentos;
    std::string run_id;
    Json checkpoint;
    pool.AutocommitBlocking([&](store::Tx& tx) {  // invoke: the agent, then the run (read back) with run_start
        const auto agent = store::AgentRepo(tx).Get(workspace_id, slug);
        const auto run = bench::HostedRun(*agent);
        tx.DeferFlush();
        store::RunRepo(tx).Insert(run, bench::RunStart());
        run_id = run.id;
        checkpoint = run.checkpoint;
    });
    const Json output = {{"content", "The answer is 42."}};
    const Json step_end = {{"node_name", "answer"}, {"node_type", "llm"}, {"phase", "end"}, {"duration_ms", 0}};
    pool.AutocommitBlocking([&](store::Tx& tx) {  // the node was the last: its events, run_end, checkpoint, close
        const store::FinalStep step{checkpoint, 1, 24, 6, 0.0000072, "gpt-4o-mini"};
        store::RunEnd end;
        end.output = output;
        end.events = {
            {"step", core::EventLevel::kInfo, {{"node_name", "answer"}, {"phase", "start"}}, std::nullopt},
            {"step", core::EventLevel::kInfo, step_end, std::nullopt},
            {"run_end", core::EventLevel::kInfo, {{"output", output}}, std::nullopt}};
        end.step = &step;
        end.end_pauses = false;  // as the executor's close
        engine::CloseOpenRun(tx, workspace_id, run_id, end);
    });
}

Cell RunDurable(const Options& o, int concurrency, const std::string& workspace_id, const std::string& slug) {
    agentos::store::PgPool pool(o.dsn, static_cast<std::size_t>(concurrency));
    DurableRun(pool, workspace_id, slug);  // prepares the statements of every connection it lands on
    std::vector<std::vector<double>> lat(static_cast<std::size_t>(concurrency));
    std::atomic<int> errors{0};
    std::atomic<long> runs{0};
    const auto start = Clock::now();
    const auto end = start + std::chrono::duration<double>(o.seconds);
    std::vector<std::thread> threads;
    for (int t = 0; t < concurrency; ++t) {
        threads.emplace_back([&, t] {
            while (Clock::now() < end) {
                const auto t0 = Clock::now();
                try {
                    DurableRun(pool, workspace_id, slug);
                } catch (const std::exception&) {
                    ++errors;
                }
                lat[static_cast<std::size_t>(t)].push_back(
                    std::chrono::duration<double, std::milli>(Clock::now() - t0).count()
                );
                ++runs;
            }
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    const auto cell = bench::Summarize(lat, runs.load(), Clock::now() - start, 1, errors.load());
    pool.Stop();
    return cell;
}

void Print(const char* path, int c, const Cell& cell) {
    std::printf(
        "%-8s %5d %10.0f %9.2f %9.2f %7d\n", path, c, cell.requests_per_s, cell.p50_ms, cell.p99_ms, cell.errors
    );
}

}  // namespace

int main(int argc, char** argv) {
    const auto parsed = bench::ParseOptions(argc, argv);
    if (!parsed) {
        return 2;
    }
    Options o = *parsed;
    try {
        FakeLlm llm;
        const std::string slug = "bench-one-node";
        const std::string yaml = "slug: " + slug +
                                 "\nmodel: { provider: openai_compatible, name: gpt-4o-mini, base_url: "
                                 "\"http://127.0.0.1:" +
                                 std::to_string(llm.port()) +
                                 "/v1\" }\n"
                                 "instructions: You answer arithmetic questions.\n"
                                 "graph:\n  start: answer\n  nodes:\n"
                                 "    answer: { type: llm, prompt: \"{{input.message}}\", output: answer }\n";
        std::string workspace_id;
        {
            Connection c(o.port);
            std::string body;
            const int status = c.Post("/api/v1/agents", o.key, yaml, body);
            if (status != 201) {
                throw std::runtime_error("cannot define the bench agent: " + body);
            }
            agentos::store::PgPool pool(o.dsn, 1);
            pool.TransactBlocking([&](agentos::store::Tx& tx) {
                workspace_id = agentos::store::WorkspaceRepo(tx).FindByName("default").value().id;
            });
            pool.Stop();
        }
        const std::string invoke_path = "/api/v1/agents/" + slug + "/invoke";
        const std::string invoke_body = R"({"input":{"message":"What is six times seven?"}})";
        const std::string direct_body =
            Json{
                {"model", "gpt-4o-mini"},
                {"messages",
                 {{{"role", "system"}, {"content", "You answer arithmetic questions."}},
                  {{"role", "user"}, {"content", "What is six times seven?"}}}}}
                .dump();
        const std::string direct_path = "/v1/chat/completions";
        o.seconds = std::max(0.5, o.seconds / 5);  // warm-up: connections, prepared statements, caches
        RunHttp(o, o.port, 8, invoke_path, invoke_body);
        o.seconds *= 5;

        std::printf("\n%-8s %5s %10s %9s %9s %7s\n", "path", "conc", "runs/s", "p50 ms", "p99 ms", "errors");

        struct Row {
            int c;
            Cell direct;
            Cell invoke;
            Cell durable;
        };

        std::vector<Row> rows;
        for (const int c : {1, 8, 32}) {
            Row r{c, {}, {}, {}};
            r.direct = RunHttp(o, llm.port(), c, direct_path, direct_body);
            Print("direct", c, r.direct);
            r.invoke = RunHttp(o, o.port, c, invoke_path, invoke_body);
            Print("invoke", c, r.invoke);
            r.durable = RunDurable(o, c, workspace_id, slug);
            Print("durable", c, r.durable);
            rows.push_back(r);
            std::fflush(stdout);
        }
        std::printf("\n%5s %20s %20s %22s\n", "conc", "p50 overhead ms", "p99 overhead ms", "invoke / durable runs/s");
        for (const auto& r : rows) {
            std::printf(
                "%5d %20.2f %20.2f %21.0f%%\n",
                r.c,
                r.invoke.p50_ms - r.direct.p50_ms,
                r.invoke.p99_ms - r.direct.p99_ms,
                100.0 * r.invoke.requests_per_s / std::max(1.0, r.durable.requests_per_s)
            );
        }
        if (o.server_pid > 0) {
            const auto [rss, hwm] = bench::Rss(o.server_pid);
            std::printf("\nserver RSS now %.1f MiB, peak %.1f MiB\n", rss, hwm);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench failed: %s\n", e.what());
        return 1;
    }
    return 0;
}
