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

#include "runtime/store/event_repo.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
    int port = 0;
    std::string key;
    std::string dsn;
    double seconds = 5;
    int server_pid = 0;
};

/// A minimal keep-alive HTTP/1.1 client: enough for fixed JSON posts, nothing more.
class Connection {
public:
    explicit Connection(int port) {
        fd_ = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<std::uint16_t>(port));
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
            throw std::runtime_error("connect failed");
        }
        int one = 1;
        setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }

    ~Connection() { close(fd_); }

    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    /// Returns the status; the body in `body`.
    int Post(const std::string& path, const std::string& key, const std::string& json, std::string& body) {
        std::string req = "POST " + path + " HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer " + key +
                          "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(json.size()) +
                          "\r\n\r\n" + json;
        std::size_t sent = 0;
        while (sent < req.size()) {
            const ssize_t n = send(fd_, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
            if (n <= 0) {
                throw std::runtime_error("send failed");
            }
            sent += static_cast<std::size_t>(n);
        }
        std::size_t header_end = std::string::npos;
        while ((header_end = buf_.find("\r\n\r\n")) == std::string::npos) {
            Fill();
        }
        const int status = std::atoi(buf_.substr(9, 3).c_str());
        const auto cl = buf_.find("Content-Length: ");
        const std::size_t length = cl < header_end ? std::stoul(buf_.substr(cl + 16)) : 0;
        while (buf_.size() < header_end + 4 + length) {
            Fill();
        }
        body = buf_.substr(header_end + 4, length);
        buf_.erase(0, header_end + 4 + length);
        return status;
    }

private:
    void Fill() {
        char tmp[65536];
        const ssize_t n = recv(fd_, tmp, sizeof tmp, 0);
        if (n <= 0) {
            throw std::runtime_error("connection closed");
        }
        buf_.append(tmp, static_cast<std::size_t>(n));
    }

    int fd_ = -1;
    std::string buf_;
};

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

struct Cell {
    double events_per_s = 0;
    double requests_per_s = 0;
    double p50_ms = 0;
    double p99_ms = 0;
    int errors = 0;
};

double Percentile(std::vector<double>& v, double p) {
    if (v.empty()) {
        return 0;
    }
    const auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
}

/// Throughput and latency percentiles of one cell, from every worker's latencies.
Cell Summarize(
    const std::vector<std::vector<double>>& latencies, long count, Clock::duration elapsed, int batch, int errors
) {
    std::vector<double> all;
    for (const auto& v : latencies) {
        all.insert(all.end(), v.begin(), v.end());
    }
    Cell cell;
    cell.requests_per_s = static_cast<double>(count) / std::chrono::duration<double>(elapsed).count();
    cell.events_per_s = cell.requests_per_s * batch;
    cell.p50_ms = Percentile(all, 0.50);
    cell.p99_ms = Percentile(all, 0.99);
    cell.errors = errors;
    return cell;
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
    return Summarize(lat, requests.load(), Clock::now() - start, batch, errors.load());
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
    return Summarize(lat, statements.load(), Clock::now() - start, batch, errors.load());
}

/// VmRSS and VmHWM (peak) of a process, in MiB.
std::pair<double, double> Rss(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    double rss = 0;
    double hwm = 0;
    while (std::getline(in, line)) {
        if (line.rfind("VmRSS:", 0) == 0) {
            rss = std::stod(line.substr(6)) / 1024.0;
        } else if (line.rfind("VmHWM:", 0) == 0) {
            hwm = std::stod(line.substr(6)) / 1024.0;
        }
    }
    return {rss, hwm};
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        const std::string value = argv[i + 1];
        if (flag == "--port") {
            o.port = std::stoi(value);
        } else if (flag == "--key") {
            o.key = value;
        } else if (flag == "--dsn") {
            o.dsn = value;
        } else if (flag == "--seconds") {
            o.seconds = std::stod(value);
        } else if (flag == "--server-pid") {
            o.server_pid = std::stoi(value);
        } else {
            std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
            return 2;
        }
    }
    if (o.port == 0 || o.key.empty() || o.dsn.empty()) {
        std::fprintf(
            stderr, "usage: agentos_ingest_bench --port P --key KEY --dsn DSN [--seconds S] [--server-pid PID]\n"
        );
        return 2;
    }
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
            const auto [rss, hwm] = Rss(o.server_pid);
            std::printf("\nserver RSS now %.1f MiB, peak %.1f MiB\n", rss, hwm);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench failed: %s\n", e.what());
        return 1;
    }
    return 0;
}
