// Turn latency against session length: a turn of a session holding 10, 100, 1,000 and 10,000 stored messages, one
// turn at a time, against the same invoke without a session. Loading the window (the last memory.history_messages,
// 20) must not grow with the session's length.
//
//   agentos_session_bench --port P --key KEY --dsn DSN [--seconds S]
//
// The bench serves a fake OpenAI Chat Completions endpoint (0 ms), defines `bench-chat` (the agent loop at that
// fake), opens one session per length, and stores its earlier messages directly (user/assistant pairs, one
// statement), as if that many turns had happened. Each cell then runs turns for S seconds on one keep-alive
// connection. Prints one table: stored messages, turns, p50, p99, and the p50 added over the invoke without a session.

#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/bench_util.hpp"
#include "bench/fake_llm.hpp"
#include "runtime/store/pg.hpp"
#include "runtime/store/pg_pool.hpp"

namespace {

using bench::Clock;
using bench::Connection;
using bench::FakeLlm;
using bench::Options;
using Json = nlohmann::json;

struct Row {
    long turns = 0;
    double p50_ms = 0;
    double p99_ms = 0;
    int errors = 0;
};

/// Turns (or plain invokes, when `session` is empty) one at a time for `seconds`.
Row Turns(const Options& o, const std::string& path, const std::string& session, double seconds) {
    Connection c(o.port);
    std::string body;
    std::vector<double> lat;
    Row row;
    Json request = {{"input", {{"message", "What is six times seven?"}}}};
    if (!session.empty()) {
        request["session_id"] = session;
    }
    const std::string text = request.dump();
    const auto end = Clock::now() + std::chrono::duration<double>(seconds);
    while (Clock::now() < end) {
        const auto t0 = Clock::now();
        const int status = c.Post(path, o.key, text, body);
        lat.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        if (status != 200 || body.find("\"completed\"") == std::string::npos) {
            ++row.errors;
        }
    }
    row.turns = static_cast<long>(lat.size());
    row.p50_ms = bench::Percentile(lat, 0.50);
    row.p99_ms = bench::Percentile(lat, 0.99);
    return row;
}

std::string StartSession(const Options& o, const std::string& path) {
    Connection c(o.port);
    std::string body;
    const int status = c.Post(path, o.key, R"({"input":{"message":"Hello."},"start_session":true})", body);
    const auto j = Json::parse(body, nullptr, false);
    if (status != 200 || !j.is_object() || !j["data"]["session_id"].is_string()) {
        throw std::runtime_error("cannot open a session: " + body);
    }
    return j["data"]["session_id"];
}

/// Stores `n` more messages in the session (alternating user / assistant), as `n / 2` earlier turns would have.
void Seed(agentos::store::PgPool& pool, const std::string& session, int n) {
    pool.TransactBlocking([&](agentos::store::Tx& tx) {
        const std::string id = "'" + session + "'::uuid";
        tx.ExecRaw(
            "INSERT INTO session_messages (session_id, seq, run_id, role, content) "
            "SELECT " +
            id +
            ", s.message_count + g, gen_random_uuid(), "
            "CASE WHEN g % 2 = 1 THEN 'user' ELSE 'assistant' END, 'earlier message ' || g "
            "FROM sessions s, generate_series(1, " +
            std::to_string(n) + ") g WHERE s.id = " + id
        );
        tx.ExecRaw("UPDATE sessions SET message_count = message_count + " + std::to_string(n) + " WHERE id = " + id);
    });
}

}  // namespace

int main(int argc, char** argv) {
    const auto parsed = bench::ParseOptions(argc, argv);
    if (!parsed) {
        return 2;
    }
    const Options o = *parsed;
    try {
        FakeLlm llm;
        const std::string slug = "bench-chat";
        {
            Connection c(o.port);
            std::string body;
            const std::string yaml = "slug: " + slug +
                                     "\nmodel: { provider: openai_compatible, name: gpt-4o-mini, base_url: "
                                     "\"http://127.0.0.1:" +
                                     std::to_string(llm.port()) +
                                     "/v1\" }\ninstructions: You answer arithmetic questions.\n"
                                     "memory: { history_messages: 20 }\n";
            if (c.Post("/api/v1/agents", o.key, yaml, body) != 201) {
                throw std::runtime_error("cannot define the bench agent: " + body);
            }
        }
        const std::string path = "/api/v1/agents/" + slug + "/invoke";
        agentos::store::PgPool pool(o.dsn, 1);
        Turns(o, path, "", std::max(0.5, o.seconds / 5));  // warm-up: connections, statements, caches
        const Row plain = Turns(o, path, "", o.seconds);
        std::printf("\n%-26s %8s %9s %9s %12s %7s\n", "turn", "turns", "p50 ms", "p99 ms", "added p50", "errors");
        std::printf(
            "%-26s %8ld %9.2f %9.2f %12s %7d\n", "no session", plain.turns, plain.p50_ms, plain.p99_ms, "", plain.errors
        );
        for (const int length : {10, 100, 1000, 10000}) {
            const std::string session = StartSession(o, path);
            Seed(pool, session, length - 2);  // the opening turn stored 2
            Turns(o, path, session, std::max(0.3, o.seconds / 10));
            const Row r = Turns(o, path, session, o.seconds);
            const std::string label = "session of " + std::to_string(length) + " messages";
            std::printf(
                "%-26s %8ld %9.2f %9.2f %+11.2f  %7d\n",
                label.c_str(),
                r.turns,
                r.p50_ms,
                r.p99_ms,
                r.p50_ms - plain.p50_ms,
                r.errors
            );
            std::fflush(stdout);
        }
        pool.Stop();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "session bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
