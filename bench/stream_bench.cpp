// Live streams: time to first token through invoke vs directly from the fake LLM; 10,000 streams held open in one
// server (RSS per stream, none dropped); chunks per second delivered to 1,000 followers of one run.
//
// Beside time to first token, the run insert alone (the statement a streamed invoke commits before it says the run's
// id), timed through the store layer: once per sample, with the same idle time before it as the invoke has, and back
// to back. The difference is what an idle Postgres costs the first statement after a pause on this machine.
//
//   agentos_stream_bench --port P --key KEY --dsn DSN [--seconds S] [--server-pid PID]
//
// The server must allow that many streams per key (bench/run passes streams.max_per_key in a config file).

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <poll.h>

#include "bench/bench_runs.hpp"
#include "bench/bench_util.hpp"
#include "bench/fake_llm.hpp"
#include "runtime/store/pg_pool.hpp"
#include "runtime/store/workspace_repo.hpp"

namespace {

using bench::Clock;
using bench::Connection;
using bench::FakeLlm;
using bench::Options;
using Json = nlohmann::json;

double Ms(Clock::duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

/// One streaming request on its own connection; reads the raw bytes as they come.
class Stream {
public:
    Stream(
        int port, const std::string& method, const std::string& path, const std::string& key, const std::string& body
    )
        : fd_(bench::ConnectLoopback(port)) {
        std::string req = method + " " + path + " HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer " + key + "\r\n";
        if (method == "POST") {
            req += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
        }
        req += "\r\n" + body;
        if (send(fd_, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
            throw std::runtime_error("send failed");
        }
    }

    ~Stream() {
        if (fd_ >= 0) {
            close(fd_);
        }
    }

    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;

    int fd() const { return fd_; }

    /// Reads what is there (blocking once); false when the server closed.
    bool ReadSome() {
        char buf[65536];
        const ssize_t n = recv(fd_, buf, sizeof buf, 0);
        if (n <= 0) {
            closed_ = true;
            return false;
        }
        // Count markers across reads: keep a short tail of the previous read.
        std::string text = tail_ + std::string(buf, static_cast<std::size_t>(n));
        for (std::size_t at = 0; (at = text.find("event: chunk\n", at)) != std::string::npos; at += 13) {
            ++chunks_;
        }
        if (text.find("event: done\n") != std::string::npos) {
            done_ = true;
        }
        all_ += text.substr(tail_.size());
        if (all_.size() > 4096) {
            all_.erase(0, all_.size() - 4096);  // only the start (head, run frame) matters beyond counting
        }
        tail_ = text.size() > 12 ? text.substr(text.size() - 12) : text;
        return true;
    }

    /// Reads until `marker` has been seen (or the server closed); the time it was seen.
    Clock::time_point ReadUntil(const std::string& marker) {
        std::string seen;
        for (;;) {
            char buf[65536];
            const ssize_t n = recv(fd_, buf, sizeof buf, 0);
            const auto now = Clock::now();
            if (n <= 0) {
                closed_ = true;
                throw std::runtime_error("closed before " + marker + ": " + seen.substr(0, 300));
            }
            seen.append(buf, static_cast<std::size_t>(n));
            if (seen.find(marker) != std::string::npos) {
                head_ = seen;
                return now;
            }
        }
    }

    void Drain() {
        while (!closed_ && ReadSome()) {
        }
    }

    const std::string& head() const { return head_; }

    long chunks() const { return chunks_; }

    bool done() const { return done_; }

    bool closed() const { return closed_; }

private:
    int fd_ = -1;
    std::string head_;
    std::string tail_;
    std::string all_;
    long chunks_ = 0;
    bool done_ = false;
    bool closed_ = false;
};

std::string RunIdOf(const std::string& head) {
    const auto at = head.find("\"run_id\":\"");
    if (at == std::string::npos) {
        throw std::runtime_error("no run_id in: " + head.substr(0, 300));
    }
    return head.substr(at + 10, 36);
}

void Define(const Options& o, const std::string& yaml) {
    Connection c(o.port);
    std::string body;
    const int status = c.Post("/api/v1/agents", o.key, yaml, body);
    if (status != 201) {
        throw std::runtime_error("cannot define the bench agent: " + body);
    }
}

double Pct(std::vector<double> v, double p) {
    return bench::Percentile(v, p);
}

/// The insert of a streamed invoke's run with its run_start, as the server commits it (flushed); its time in ms.
double InsertRun(agentos::store::PgPool& pool, const agentos::store::AgentRecord& agent) {
    const auto run = bench::HostedRun(agent);
    const auto start = bench::RunStart();
    const auto t0 = Clock::now();
    pool.AutocommitBlocking([&](agentos::store::Tx& tx) { agentos::store::RunRepo(tx).Insert(run, start, true); });
    return Ms(Clock::now() - t0);
}

}  // namespace

int main(int argc, char** argv) {
    const auto parsed = bench::ParseOptions(argc, argv);
    if (!parsed) {
        return 2;
    }
    const Options o = *parsed;
    try {
        std::atomic<int> hold_ms{0};
        std::atomic<bool> long_answer{false};
        std::vector<std::string> pieces;
        for (int i = 0; i < 500; ++i) {
            pieces.push_back("tok" + std::to_string(i) + " ");
        }
        const std::string long_body = bench::StreamAnswer(pieces);
        FakeLlm llm(
            [&](long) { return std::chrono::milliseconds(hold_ms.load()); },
            [&](long) { return long_answer.load() ? long_body : bench::StreamAnswer(); }
        );
        const std::string slug = "bench-stream";
        Define(
            o,
            "slug: " + slug +
                "\nmodel: { provider: openai_compatible, name: gpt-4o-mini, base_url: \"http://127.0.0.1:" +
                std::to_string(llm.port()) + "/v1\" }\ninstructions: You answer arithmetic questions.\n"
        );
        const std::string invoke_path = "/api/v1/agents/" + slug + "/invoke";
        const std::string invoke_body = R"({"input":{"message":"What is six times seven?"},"stream":true})";
        const std::string direct_body =
            Json{
                {"model", "gpt-4o-mini"},
                {"stream", true},
                {"messages",
                 {{{"role", "system"}, {"content", "You answer arithmetic questions."}},
                  {{"role", "user"}, {"content", "What is six times seven?"}}}}}
                .dump();

        // 1. Time to first token, one request at a time, each on a new connection (a stream's connection closes).
        const int samples = std::max(100, static_cast<int>(o.seconds * 100));
        std::vector<double> direct;
        std::vector<double> invoke;
        std::vector<double> insert_paced;
        agentos::store::PgPool pool(o.dsn, 1);
        std::optional<agentos::store::AgentRecord> agent;
        pool.AutocommitBlocking([&](agentos::store::Tx& tx) {
            const auto workspace = agentos::store::WorkspaceRepo(tx).FindByName("default").value();
            agent = agentos::store::AgentRepo(tx).Get(workspace.id, slug);
        });
        for (int i = 0; i < samples + 20; ++i) {
            {
                const auto t0 = Clock::now();
                Stream s(llm.port(), "POST", "/v1/chat/completions", "x", direct_body);
                const auto t1 = s.ReadUntil("\"content\":\"");
                if (i >= 20) {
                    direct.push_back(Ms(t1 - t0));
                }
            }
            {
                const auto t0 = Clock::now();
                Stream s(o.port, "POST", invoke_path, o.key, invoke_body);
                const auto t1 = s.ReadUntil("event: chunk\n");
                if (i >= 20) {  // the first ones warm connections, statements and caches
                    invoke.push_back(Ms(t1 - t0));
                }
                s.Drain();
            }
            const double paced = InsertRun(pool, *agent);
            if (i >= 20) {
                insert_paced.push_back(paced);
            }
        }
        std::vector<double> insert_hot;
        for (int i = 0; i < samples + 20; ++i) {
            const double hot = InsertRun(pool, *agent);
            if (i >= 20) {
                insert_hot.push_back(hot);
            }
        }
        std::printf("\n%-34s %9s %9s\n", "time to first token", "p50 ms", "p99 ms");
        std::printf("%-34s %9.2f %9.2f\n", "direct from the fake LLM", Pct(direct, 0.50), Pct(direct, 0.99));
        std::printf("%-34s %9.2f %9.2f\n", "through invoke (stream: true)", Pct(invoke, 0.50), Pct(invoke, 0.99));
        std::printf(
            "%-34s %9.2f %9.2f\n", "added", Pct(invoke, 0.50) - Pct(direct, 0.50), Pct(invoke, 0.99) - Pct(direct, 0.99)
        );
        std::printf(
            "%-34s %9.2f %9.2f\n", "run insert alone, one per sample", Pct(insert_paced, 0.50), Pct(insert_paced, 0.99)
        );
        std::printf(
            "%-34s %9.2f %9.2f\n", "run insert alone, back to back", Pct(insert_hot, 0.50), Pct(insert_hot, 0.99)
        );
        std::fflush(stdout);

        // 2. 10,000 streams held open: followers of one run whose model call is in flight (the fake holds it).
        hold_ms = 60'000;
        std::string held_run;
        {
            Stream s(o.port, "POST", invoke_path, o.key, invoke_body);
            s.ReadUntil("event: run\n");
            held_run = RunIdOf(s.head());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(500));  // its model call has begun (and is held)
        hold_ms = 0;
        const int n_open = 10'000;
        const auto [rss_before, hwm_before] = bench::Rss(o.server_pid);
        std::vector<std::unique_ptr<Stream>> open;
        open.reserve(n_open);
        const auto t_open = Clock::now();
        for (int i = 0; i < n_open; ++i) {
            open.push_back(std::make_unique<Stream>(o.port, "GET", "/api/v1/runs/" + held_run + "/stream", o.key, ""));
            open.back()->ReadUntil("event: run\n");
        }
        const double open_s = Ms(Clock::now() - t_open) / 1000;
        std::this_thread::sleep_for(std::chrono::seconds(3));
        const auto [rss_after, hwm_after] = bench::Rss(o.server_pid);
        int dropped = 0;
        for (const auto& s : open) {
            pollfd p{s->fd(), POLLIN, 0};
            if (poll(&p, 1, 0) > 0) {
                char c = 0;
                if (recv(s->fd(), &c, 1, MSG_PEEK | MSG_DONTWAIT) <= 0) {
                    ++dropped;
                }
            }
        }
        std::printf("\n%-34s %9s %12s %14s %8s\n", "open streams", "opened in", "server RSS", "per stream", "dropped");
        std::printf(
            "%-34d %8.2fs %6.1f→%.1f MiB %10.1f KiB %8d\n",
            n_open,
            open_s,
            rss_before,
            rss_after,
            (rss_after - rss_before) * 1024.0 / n_open,
            dropped
        );
        std::fflush(stdout);
        open.clear();
        std::this_thread::sleep_for(std::chrono::seconds(1));

        // 3. 1,000 followers of one run whose model streams 500 chunks at once after they have all attached.
        hold_ms = 3'000;
        long_answer = true;
        std::string fan_run;
        std::unique_ptr<Stream> origin = std::make_unique<Stream>(o.port, "POST", invoke_path, o.key, invoke_body);
        origin->ReadUntil("event: run\n");
        fan_run = RunIdOf(origin->head());
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        hold_ms = 0;
        const int n_followers = 1'000;
        std::vector<std::unique_ptr<Stream>> followers;
        for (int i = 0; i < n_followers; ++i) {
            followers.push_back(
                std::make_unique<Stream>(o.port, "GET", "/api/v1/runs/" + fan_run + "/stream", o.key, "")
            );
            followers.back()->ReadUntil("event: run\n");
        }
        long_answer = false;
        std::vector<pollfd> fds;
        for (const auto& f : followers) {
            fds.push_back({f->fd(), POLLIN, 0});
        }
        Clock::time_point first{};
        int finished = 0;
        const auto give_up = Clock::now() + std::chrono::seconds(120);
        while (finished < n_followers && Clock::now() < give_up) {
            if (poll(fds.data(), fds.size(), 1000) <= 0) {
                continue;
            }
            for (std::size_t i = 0; i < fds.size(); ++i) {
                if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
                    continue;
                }
                const long before = followers[i]->chunks();
                const bool open_still = followers[i]->ReadSome();
                if (before == 0 && followers[i]->chunks() > 0 && first == Clock::time_point{}) {
                    first = Clock::now();
                }
                if (!open_still || followers[i]->done()) {
                    fds[i].fd = -1;
                    ++finished;
                }
            }
        }
        const auto last = Clock::now();
        long delivered = 0;
        int complete = 0;
        for (const auto& f : followers) {
            delivered += f->chunks();
            complete += f->chunks() == static_cast<long>(pieces.size()) && f->done() ? 1 : 0;
        }
        const double seconds = std::max(1e-6, Ms(last - first) / 1000);
        std::printf("\n%-34s %12s %10s %14s\n", "followers of one run", "chunks", "seconds", "chunks/s");
        std::printf(
            "%-34d %12ld %10.2f %14.0f\n", n_followers, delivered, seconds, static_cast<double>(delivered) / seconds
        );
        std::printf("followers with all %zu chunks and done: %d of %d\n", pieces.size(), complete, n_followers);
        origin->Drain();
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
