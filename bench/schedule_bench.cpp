// Schedules due at once: N schedules (default 10,000) all due at the same second, fired by two servers (the bench's
// `agentos dev` and a second `agentos serve` on its database). Prints the time until every due time had fired and
// until every run had started and completed, the fire latency (due time to the fire's row, p50/p99/max; target p99
// <= 2 s), how the fires split between the servers, and the firing transactions' time per fire (from both servers'
// /metrics).
//
//   agentos_schedule_bench --port P --key KEY --dsn DSN --agentos BIN [--schedules N]

#include <cstdio>
#include <map>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_server.hpp"
#include "bench/bench_util.hpp"
#include "runtime/store/pg.hpp"
#include "runtime/store/pg_pool.hpp"

namespace {

using bench::Clock;
using bench::Connection;
using bench::Server;
using std::chrono::milliseconds;

/// The sum of one unlabelled series in a server's /metrics (0 when absent).
double Metric(int port, const std::string& key, const std::string& name) {
    Connection c(port);
    std::string body;
    if (c.Get("/metrics", key, body) != 200) {
        throw std::runtime_error("GET /metrics failed: " + body);
    }
    std::smatch m;
    if (std::regex_search(body, m, std::regex("\n" + name + R"( ([0-9.eE+-]+))"))) {
        return std::stod(m[1]);
    }
    return 0;
}

std::int64_t Count(agentos::store::PgPool& pool, const std::string& sql) {
    std::int64_t n = 0;
    pool.TransactBlocking([&](agentos::store::Tx& tx) { n = agentos::store::ReadInt(tx.ExecRaw(sql)[0][0]); });
    return n;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<char*> args(argv, argv + argc);
    const std::string binary = bench::TakeFlag(args, "--agentos").value_or("");
    const int schedules = std::stoi(bench::TakeFlag(args, "--schedules").value_or("10000"));
    const auto parsed = bench::ParseOptions(static_cast<int>(args.size()), args.data());
    if (!parsed || binary.empty()) {
        std::fprintf(stderr, "also needed: --agentos PATH (the agentos binary)\n");
        return 2;
    }
    const auto& o = *parsed;
    try {
        bench::DefineAgent(
            o.port, o.key, "slug: bench-tick\nmodel:\n  provider: mock\n  script:\n    - text: \"tick\"\n"
        );
        Server second(binary, o.dsn, "bench-sched-b", "runs:\n  server_id: bench-sched-b\n");
        agentos::store::PgPool pool(o.dsn, 2);
        // All due at one whole second, 3 s ahead; "0 * * * *" makes each one's next due time an hour later.
        std::string due_at;
        pool.TransactBlocking([&](agentos::store::Tx& tx) {
            due_at = agentos::store::ReadString(tx.ExecRaw("SELECT (date_trunc('second', now()) + interval '3 s')::text"
            )[0][0]);
            tx.ExecRaw(
                "INSERT INTO schedules (id, workspace_id, agent_id, source, cron, timezone, overlap, next_fire_at) "
                "SELECT gen_random_uuid(), a.workspace_id, a.id, 'api', '0 * * * *', 'UTC', 'allow', '" +
                due_at + "'::timestamptz FROM agents a, generate_series(1, " + std::to_string(schedules) +
                ") WHERE a.slug = 'bench-tick'"
            );
            tx.ExecRaw("SELECT pg_notify('agentos_schedules', '')");
        });
        const std::string mine =
            "schedule_id IN (SELECT s.id FROM schedules s JOIN agents a ON a.id = s.agent_id "
            "WHERE a.slug = 'bench-tick')";
        const auto deadline = Clock::now() + std::chrono::seconds(300);
        std::int64_t fired = 0;
        std::int64_t started = 0;
        std::int64_t completed = 0;
        while (Clock::now() < deadline) {
            fired = Count(pool, "SELECT count(*) FROM schedule_fires WHERE outcome = 'fired' AND " + mine);
            started = Count(pool, "SELECT count(*) FROM runs WHERE started_at IS NOT NULL AND " + mine);
            completed = Count(pool, "SELECT count(*) FROM runs WHERE status = 'completed' AND " + mine);
            if (completed == schedules) {
                break;
            }
            std::this_thread::sleep_for(milliseconds(200));
        }
        std::vector<double> delays;
        std::map<std::string, std::int64_t> by_server;
        double all_fired_s = 0;
        double all_started_s = 0;
        double all_completed_s = 0;
        pool.TransactBlocking([&](agentos::store::Tx& tx) {
            for (const auto& row : tx.ExecRaw(
                     "SELECT extract(epoch FROM fired_at - scheduled_for)::float8, server_id FROM schedule_fires "
                     "WHERE " +
                     mine
                 )) {
                delays.push_back(agentos::store::ReadDouble(row[0]));
                ++by_server[agentos::store::ReadString(row[1])];
            }
            const auto t = tx.ExecRaw(
                "SELECT extract(epoch FROM (SELECT max(fired_at) FROM schedule_fires WHERE " + mine + ") - '" + due_at +
                "'::timestamptz)::float8, extract(epoch FROM (SELECT max(started_at) FROM runs WHERE " + mine +
                ") - '" + due_at +
                "'::timestamptz)::float8, extract(epoch FROM (SELECT max(ended_at) FROM runs "
                "WHERE " +
                mine + ") - '" + due_at + "'::timestamptz)::float8"
            );
            all_fired_s = agentos::store::ReadDouble(t[0][0]);
            all_started_s = agentos::store::ReadDouble(t[0][1]);
            all_completed_s = agentos::store::ReadDouble(t[0][2]);
        });
        double tx_seconds = 0;
        double fires_total = 0;
        for (const int port : {o.port, second.port()}) {
            tx_seconds += Metric(port, o.key, "agentos_schedule_fire_transaction_seconds_total");
            fires_total += Metric(port, o.key, "agentos_schedule_fires_total");
        }
        pool.TransactBlocking([&](agentos::store::Tx& tx) {
            tx.ExecRaw("DELETE FROM schedules WHERE agent_id IN (SELECT id FROM agents WHERE slug = 'bench-tick')");
        });
        pool.Stop();

        std::printf("\n%-44s %12s\n", "schedules due at the same second", "value");
        std::printf("%-44s %12d\n", "schedules", schedules);
        std::printf("%-44s %12lld\n", "fired", static_cast<long long>(fired));
        std::printf("%-44s %12lld\n", "runs started", static_cast<long long>(started));
        std::printf("%-44s %12lld\n", "runs completed", static_cast<long long>(completed));
        for (const auto& [server, n] : by_server) {
            std::printf("%-44s %12lld\n", ("fired by " + server).c_str(), static_cast<long long>(n));
        }
        std::printf("%-44s %12.2f\n", "due time to all fired, s", all_fired_s);
        std::printf("%-44s %12.2f\n", "due time to all runs started, s", all_started_s);
        std::printf("%-44s %12.2f\n", "due time to all runs completed, s", all_completed_s);
        std::printf("%-44s %12.0f\n", "fire latency p50, ms", bench::Percentile(delays, 0.50) * 1000);
        std::printf("%-44s %12.0f\n", "fire latency p99, ms", bench::Percentile(delays, 0.99) * 1000);
        std::printf("%-44s %12.0f\n", "fire latency max, ms", bench::Percentile(delays, 1.0) * 1000);
        std::printf("%-44s %12s\n", "target (p99 <= 2 s)", bench::Percentile(delays, 0.99) <= 2.0 ? "met" : "NOT met");
        std::printf(
            "%-44s %12.3f\n",
            "firing transaction time per fire, ms",
            fires_total > 0 ? tx_seconds / fires_total * 1000 : 0.0
        );
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench failed: %s\n", e.what());
        return 1;
    }
    return 0;
}
