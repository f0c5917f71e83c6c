#pragma once
/// A private Postgres cluster run by AgentOS itself (`agentos dev`, and the test suites): initdb on first use,
/// pg_ctl start/stop, listening on 127.0.0.1 only. When run as root, Postgres runs as the `postgres` OS user.
/// Blocking: start-up code only.

#include <filesystem>
#include <string>
#include <vector>

namespace agentos::store {

struct EmbeddedClusterOptions {
    /// Folder that holds the cluster (created when missing). When the postgres user cannot reach it, a folder
    /// under /tmp derived from this path is used instead (logged).
    std::filesystem::path dir;
    bool durable = true;  ///< false: fsync off (tests; data is disposable)
    std::string database = "agentos";
};

class EmbeddedCluster {
public:
    explicit EmbeddedCluster(EmbeddedClusterOptions options);

    /// initdb when the folder holds no cluster, start it unless it is already running (then reuse it), and create
    /// the database when missing. Throws core::Error (kUnavailable) with Postgres's own output on failure.
    void Start();

    /// pg_ctl stop -m fast; `immediate` skips the shutdown checkpoint (throwaway clusters).
    void Stop(bool immediate = false);

    /// libpq key=value DSN for `database` (default: the configured one).
    std::string Dsn(const std::string& database = "") const;

    int port() const { return port_; }

    const std::filesystem::path& dir() const { return dir_; }

private:
    std::vector<std::string> AsPostgres(std::vector<std::string> argv) const;
    void Prepare();
    bool Running() const;
    int ReadPortFromPidFile() const;

    EmbeddedClusterOptions options_;
    std::filesystem::path dir_;
    std::filesystem::path bin_;
    bool as_root_ = false;
    int port_ = 0;
};

/// CREATE DATABASE `name` (from `template_name` when given, copying files: fast for tests) through `admin_dsn`.
void CreateDatabase(const std::string& admin_dsn, const std::string& name, const std::string& template_name = "");

/// The newest /usr/lib/postgresql/<v>/bin that has initdb, or the folder of `initdb` in PATH.
std::filesystem::path FindPostgresBin();

}  // namespace agentos::store
