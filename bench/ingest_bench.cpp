// Ingest throughput and latency through the HTTP API, against the raw Postgres rate of the same inserts.
//
//   agentos_ingest_bench --port P --key KEY --dsn DSN [--seconds S] [--server-pid PID]
//
// For each concurrency (1, 8, 32) and batch size (1, 50): C client threads, each with one keep-alive connection and
// its own run, post event batches for S seconds. Then the same batches are inserted directly with libpq by C
// threads, one statement per batch (the statement the server runs: store::EventAppendSql()). Prints one table.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>
#include <unistd.h>

#include "bench/bench_util.hpp"
#include "runtime/store/event_repo.hpp"

namespace {

using bench::Cell;
using bench::Clock;
using bench::Connection;
using bench::Options;

std::string EventsArray(int batch) {
    nlohmann::json events = nlohmann::json::array();
    for (int i = 0; i < batch; ++i) {
        events.push_back(
            {{"type", "step.completed"},
             {"level", "info"},
             {"payload", {{"step", "fetch-data"}, {"rows", 42}, {"note", "a typical small progress event"}}}}
        );
    }
    return events.dump();
}

/// Opens one run per worker through the v1 API (so each worker appends to its own run, as real agents do).
std::vector<std::string> OpenRuns(const Options& o, int n, const std::string& agent_id) {
    Connection c(o.port);
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) {
        std::string body;
        if (c.Post("/api/ingest/v1/run/start", o.key, R"({"agent_id":")" + agent_id + R"("})", body) != 201) {
            throw std::runtime_error("run/start failed: " + body);
        }
        ids.push_back(nlohmann::json::parse(body)["data"]["run_id"]);
    }
    return ids;
}

Cell RunHttp(const Options& o, int concurrency, int batch, const std::string& agent_id) {
    const auto runs = OpenRuns(o, concurrency, agent_id);
    const std::string events = EventsArray(batch);
    std::vector<std::vector<double>> lat(static_cast<std::size_t>(concurrency));
    std::atomic<int> errors{0};
    std::atomic<long> requests{0};
    const auto start = Clock::now();
    const auto end = start + std::chrono::duration<double>(o.seconds);
    std::vector<std::thread> threads;
    for (int t = 0; t < concurrency; ++t) {
        threads.emplace_back([&, t] {
            Connection c(o.port);
            const std::string body =
                R"({"run_id":")" + runs[static_cast<std::size_t>(t)] + R"(","events":)" + events + "}";
            std::string resp;
            while (Clock::now() < end) {
                const auto t0 = Clock::now();
                const int status = c.Post("/api/ingest/v1/events", o.key, body, resp);
                lat[static_cast<std::size_t>(t)].push_back(
                    std::chrono::duration<double, std::milli>(Clock::now() - t0).count()
                );
                if (status != 200) {
                    ++errors;
                }
                ++requests;
            }
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    return bench::Summarize(lat, requests.load(), Clock::now() - start, batch, errors.load());
}

Cell RunDirect(const Options& o, int concurrency, int batch, const std::string& agent_id) {
    const auto runs = OpenRuns(o, concurrency, agent_id);
    const std::string events = EventsArray(batch);
    const std::string sql(agentos::store::EventAppendSql());
    std::vector<std::vector<double>> lat(static_cast<std::size_t>(concurrency));
    std::atomic<int> errors{0};
    std::atomic<long> statements{0};
    const auto start = Clock::now();
    const auto end = start + std::chrono::duration<double>(o.seconds);
    std::vector<std::thread> threads;
    for (int t = 0; t < concurrency; ++t) {
        threads.emplace_back([&, t] {
            PGconn* conn = PQconnectdb(o.dsn.c_str());
            if (PQstatus(conn) != CONNECTION_OK) {
                ++errors;
                PQfinish(conn);
                return;
            }
            const std::string run = runs[static_cast<std::size_t>(t)];
            PGresult* ws = PQexecParams(
                conn,
                "SELECT workspace_id::text FROM runs WHERE id = $1::uuid",
                1,
                nullptr,
                std::vector<const char*>{run.c_str()}.data(),
                nullptr,
                nullptr,
                0
            );
            const std::string workspace = PQntuples(ws) == 1 ? PQgetvalue(ws, 0, 0) : "";
            PQclear(ws);
            PQclear(PQprepare(conn, "append", sql.c_str(), 5, nullptr));
            const std::string count = std::to_string(batch);
            const char* params[5] = {workspace.c_str(), run.c_str(), nullptr, count.c_str(), events.c_str()};
            while (Clock::now() < end) {
                const auto t0 = Clock::now();
                PGresult* r = PQexecPrepared(conn, "append", 5, params, nullptr, nullptr, 0);
                lat[static_cast<std::size_t>(t)].push_back(
                    std::chrono::duration<double, std::milli>(Clock::now() - t0).count()
                );
                if (PQresultStatus(r) != PGRES_TUPLES_OK) {
                    ++errors;
                }
                PQclear(r);
                ++statements;
            }
            PQfinish(conn);
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    return bench::Summarize(lat, statements.load(), Clock::now() - start, batch, errors.load());
}

}  // namespace

int main(int argc, char** argv) {
    const auto parsed = bench::ParseOptions(argc, argv);
    if (!parsed) {
        return 2;
    }
    Options o = *parsed;
    try {
        // The agent every run belongs to: registered by a legacy run_start, then addressed by its slug.
        const std::string agent_id = "bench-agent";
        {
            Connection c(o.port);
            std::string body;
            const std::string setup = R"({"event_type":"run_start","sdk_run_id":"bench-setup-)" +
                                      std::to_string(getpid()) + R"(","agent_name":"bench-agent","payload":{}})";
            if (c.Post("/api/ingest", o.key, setup, body) != 200) {
                throw std::runtime_error("cannot register the bench agent: " + body);
            }
        }
        RunHttp(o, 8, 1, agent_id);  // warm-up: connections, prepared statements, caches

        std::printf(
            "\n%-8s %5s %6s %12s %10s %9s %9s %7s\n",
            "path",
            "conc",
            "batch",
            "events/s",
            "req/s",
            "p50 ms",
            "p99 ms",
            "errors"
        );

        struct Row {
            int c;
            int b;
            Cell http;
            Cell direct;
        };

        std::vector<Row> rows;
        for (const int batch : {1, 50}) {
            for (const int c : {1, 8, 32}) {
                Row r{c, batch, RunHttp(o, c, batch, agent_id), RunDirect(o, c, batch, agent_id)};
                for (const auto& [name, cell] :
                     {std::pair<const char*, const Cell&>{"http", r.http}, {"direct", r.direct}}) {
                    std::printf(
                        "%-8s %5d %6d %12.0f %10.0f %9.2f %9.2f %7d\n",
                        name,
                        c,
                        batch,
                        cell.events_per_s,
                        cell.requests_per_s,
                        cell.p50_ms,
                        cell.p99_ms,
                        cell.errors
                    );
                }
                rows.push_back(r);
                std::fflush(stdout);
            }
        }
        std::printf("\n%5s %6s %22s\n", "conc", "batch", "http / direct events/s");
        for (const auto& r : rows) {
            std::printf(
                "%5d %6d %21.0f%%\n", r.c, r.b, 100.0 * r.http.events_per_s / std::max(1.0, r.direct.events_per_s)
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
