#pragma once
// What the benchmarks share: a minimal keep-alive HTTP/1.1 client, latency percentiles, and a process's RSS.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace bench {

using Clock = std::chrono::steady_clock;

/// What every benchmark binary is told by bench/run.
struct Options {
    int port = 0;
    std::string key;
    std::string dsn;
    double seconds = 5;
    int server_pid = 0;
};

/// --port P --key KEY --dsn DSN [--seconds S] [--server-pid PID]; nullopt (after a message) when they are wrong.
inline std::optional<Options> ParseOptions(int argc, char** argv) {
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
            return std::nullopt;
        }
    }
    if (o.port == 0 || o.key.empty() || o.dsn.empty()) {
        std::fprintf(stderr, "usage: %s --port P --key KEY --dsn DSN [--seconds S] [--server-pid PID]\n", argv[0]);
        return std::nullopt;
    }
    return o;
}

/// Removes `flag VALUE` from argv-style `args` (a bench's own flags, before ParseOptions reads the shared ones) and
/// returns VALUE.
inline std::optional<std::string> TakeFlag(std::vector<char*>& args, const std::string& flag) {
    for (std::size_t i = 1; i + 1 < args.size(); ++i) {
        if (flag == args[i]) {
            std::string value = args[i + 1];
            args.erase(
                args.begin() + static_cast<std::ptrdiff_t>(i), args.begin() + static_cast<std::ptrdiff_t>(i) + 2
            );
            return value;
        }
    }
    return std::nullopt;
}

/// A minimal keep-alive HTTP/1.1 client: enough for fixed JSON posts, nothing more.
/// A TCP connection to 127.0.0.1:port with TCP_NODELAY; throws when it cannot connect.
inline int ConnectLoopback(int port) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        close(fd);
        throw std::runtime_error("connect failed");
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

class Connection {
public:
    explicit Connection(int port) : fd_(ConnectLoopback(port)) {}

    ~Connection() { close(fd_); }

    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    /// Returns the status; the body in `body`.
    int Post(const std::string& path, const std::string& key, const std::string& json, std::string& body) {
        return Send("POST", path, key, json, body);
    }

    int Get(const std::string& path, const std::string& key, std::string& body) {
        return Send("GET", path, key, "", body);
    }

private:
    int Send(
        const std::string& method,
        const std::string& path,
        const std::string& key,
        const std::string& json,
        std::string& body
    ) {
        std::string req = method + " " + path + " HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer " + key +
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

/// Defines an agent (POST /api/v1/agents); throws unless it was created.
inline void DefineAgent(int port, const std::string& key, const std::string& yaml) {
    Connection c(port);
    std::string body;
    const int status = c.Post("/api/v1/agents", key, yaml, body);
    if (status != 201) {
        throw std::runtime_error("cannot define an agent: " + body);
    }
}

struct Cell {
    double events_per_s = 0;
    double requests_per_s = 0;
    double p50_ms = 0;
    double p99_ms = 0;
    int errors = 0;
};

inline double Percentile(std::vector<double>& v, double p) {
    if (v.empty()) {
        return 0;
    }
    const auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
}

/// Throughput and latency percentiles of one cell, from every worker's latencies.
inline Cell Summarize(
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

/// VmRSS and VmHWM (peak) of a process, in MiB.
inline std::pair<double, double> Rss(int pid) {
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

}  // namespace bench
