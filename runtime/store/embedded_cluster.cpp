#include "runtime/store/embedded_cluster.hpp"

#include <algorithm>
#include <fstream>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pqxx/pqxx>
#include <pwd.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runtime/core/crypto.hpp"
#include "runtime/core/error.hpp"
#include "runtime/core/process.hpp"

namespace agentos::store {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kPostgresUser = "postgres";

[[noreturn]] void Fail(const std::string& what, const std::string& output) {
    std::string tail = output.size() > 2000 ? output.substr(output.size() - 2000) : output;
    throw core::Error(core::ErrorCode::kUnavailable, "embedded Postgres: " + what + (tail.empty() ? "" : "\n" + tail));
}

/// A port that was free a moment ago (bind to 0 and read it back).
int FreePort() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return 0;
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    int port = 0;
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
        port = ntohs(addr.sin_port);
    }
    close(fd);
    return port;
}

std::string ReadFile(const fs::path& file) {
    std::ifstream in(file);
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return content;
}

}  // namespace

fs::path FindPostgresBin() {
    std::vector<fs::path> candidates;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
        if (fs::exists(entry.path() / "bin" / "initdb")) {
            candidates.push_back(entry.path() / "bin");
        }
    }
    if (!candidates.empty()) {
        // Version folders are numbers: the longest, then greatest name is the newest (15 > 9).
        std::sort(candidates.begin(), candidates.end(), [](const fs::path& a, const fs::path& b) {
            const auto sa = a.parent_path().filename().string();
            const auto sb = b.parent_path().filename().string();
            return sa.size() != sb.size() ? sa.size() < sb.size() : sa < sb;
        });
        return candidates.back();
    }
    const auto r = core::RunProcess({"sh", "-c", "command -v initdb"});
    if (r.exit_code == 0 && !r.output.empty()) {
        return fs::path(r.output.substr(0, r.output.find('\n'))).parent_path();
    }
    throw core::Error(
        core::ErrorCode::kUnavailable,
        "embedded Postgres: no Postgres server found (install it: ./scripts/setup, or apt-get install postgresql)"
    );
}

EmbeddedCluster::EmbeddedCluster(EmbeddedClusterOptions options)
    : options_(std::move(options)), dir_(fs::absolute(options_.dir)), as_root_(geteuid() == 0) {}

std::vector<std::string> EmbeddedCluster::AsPostgres(std::vector<std::string> argv) const {
    if (!as_root_) {
        return argv;
    }
    std::vector<std::string> out{"runuser", "-u", std::string(kPostgresUser), "--"};
    out.insert(out.end(), argv.begin(), argv.end());
    return out;
}

void EmbeddedCluster::Prepare() {
    bin_ = FindPostgresBin();
    fs::create_directories(dir_);
    if (!as_root_) {
        fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::replace);
        return;
    }
    // Postgres refuses to run as root: the cluster belongs to the postgres user, who must reach the folder.
    const passwd* pw = getpwnam(std::string(kPostgresUser).c_str());
    if (pw == nullptr) {
        Fail("running as root needs the 'postgres' OS user (apt-get install postgresql creates it)", "");
    }
    auto own = [&](const fs::path& p) {
        if (chown(p.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
            Fail("cannot chown " + p.string() + " to postgres", "");
        }
        fs::permissions(p, fs::perms::owner_all, fs::perm_options::replace);
    };
    own(dir_);
    if (core::RunProcess(AsPostgres({"test", "-w", dir_.string()})).exit_code != 0) {
        const auto fallback =
            fs::path("/tmp") / ("agentos-pg-" + core::HexEncode(core::Sha256(dir_.string())).substr(0, 12));
        spdlog::warn(
            "the postgres user cannot reach {} (a parent folder is private); the cluster lives in {} instead",
            dir_.string(),
            fallback.string()
        );
        dir_ = fallback;
        fs::create_directories(dir_);
        own(dir_);
    }
}

bool EmbeddedCluster::Running() const {
    return core::RunProcess(AsPostgres({(bin_ / "pg_ctl").string(), "status", "-D", (dir_ / "data").string()}))
               .exit_code == 0;
}

int EmbeddedCluster::ReadPortFromPidFile() const {
    std::ifstream in(dir_ / "data" / "postmaster.pid");
    std::string line;
    for (int i = 0; i < 4 && std::getline(in, line); ++i) {
    }
    try {
        return std::stoi(line);
    } catch (const std::exception&) {
        return 0;
    }
}

void EmbeddedCluster::Start() {
    Prepare();
    const fs::path data = dir_ / "data";
    if (!fs::exists(data / "PG_VERSION")) {
        std::vector<std::string> argv{
            (bin_ / "initdb").string(),
            "-D",
            data.string(),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale"};
        if (!options_.durable) {
            argv.emplace_back("--no-sync");
        }
        const auto r = core::RunProcess(AsPostgres(argv));
        if (r.exit_code != 0) {
            Fail("initdb failed", r.output);
        }
        spdlog::info("created a Postgres cluster in {}", data.string());
    }
    if (Running()) {
        port_ = ReadPortFromPidFile();
        spdlog::info("reusing the running Postgres cluster in {} (port {})", data.string(), port_);
    } else {
        std::string last;
        for (int attempt = 0; attempt < 3 && port_ == 0; ++attempt) {
            const int port = FreePort();
            std::string opts = "-c listen_addresses=127.0.0.1 -c port=" + std::to_string(port) +
                               " -c unix_socket_directories='' -c max_connections=300";
            if (!options_.durable) {
                opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off";
            }
            const auto r = core::RunProcess(AsPostgres(
                {(bin_ / "pg_ctl").string(),
                 "-D",
                 data.string(),
                 "-l",
                 (dir_ / "server.log").string(),
                 "-w",
                 "-t",
                 "60",
                 "-o",
                 opts,
                 "start"}
            ));
            if (r.exit_code == 0) {
                port_ = port;
            } else {
                last = r.output + ReadFile(dir_ / "server.log");
            }
        }
        if (port_ == 0) {
            Fail("pg_ctl start failed", last);
        }
        spdlog::info("started Postgres from {} on 127.0.0.1:{}", data.string(), port_);
    }
    try {
        pqxx::connection admin(Dsn("postgres"));
        pqxx::nontransaction tx(admin);
        if (tx.exec_params("SELECT 1 FROM pg_database WHERE datname = $1", options_.database).empty()) {
            tx.exec("CREATE DATABASE " + tx.quote_name(options_.database));
        }
    } catch (const pqxx::failure& e) {
        Fail("cannot create the database", e.what());
    }
}

void EmbeddedCluster::Stop(bool immediate) {
    if (bin_.empty() || !fs::exists(dir_ / "data" / "postmaster.pid")) {
        return;
    }
    const auto r = core::RunProcess(AsPostgres(
        {(bin_ / "pg_ctl").string(),
         "-D",
         (dir_ / "data").string(),
         "-m",
         immediate ? "immediate" : "fast",
         "-w",
         "stop"}
    ));
    if (r.exit_code != 0) {
        spdlog::warn("pg_ctl stop: {}", r.output);
    } else {
        spdlog::info("stopped Postgres in {}", (dir_ / "data").string());
    }
}

std::string EmbeddedCluster::Dsn(const std::string& database) const {
    return "host=127.0.0.1 port=" + std::to_string(port_) +
           " user=postgres dbname=" + (database.empty() ? options_.database : database);
}

}  // namespace agentos::store

namespace agentos::store {

void CreateDatabase(const std::string& admin_dsn, const std::string& name, const std::string& template_name) {
    try {
        pqxx::connection admin(admin_dsn);
        pqxx::nontransaction tx(admin);
        std::string sql = "CREATE DATABASE " + tx.quote_name(name);
        if (!template_name.empty()) {
            sql += " TEMPLATE " + tx.quote_name(template_name) + " STRATEGY file_copy";
        }
        tx.exec(sql);
    } catch (const pqxx::failure& e) {
        throw core::Error(
            core::ErrorCode::kUnavailable, std::string("cannot create database ") + name + ": " + e.what()
        );
    }
}

}  // namespace agentos::store
