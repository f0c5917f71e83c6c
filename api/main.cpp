// The `agentos` binary: parses the command line and hands over to api/commands.

#include <cstdlib>
#include <iostream>

#include <CLI/CLI.hpp>

#include "api/commands.hpp"
#include "runtime/core/log.hpp"

namespace {

std::string EnvOr(const char* name, std::string fallback) {
    const char* v = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): single-threaded start-up
    return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

void AddServerOptions(CLI::App& cmd, agentos::api::AppConfig& app, std::string& listen) {
    cmd.add_option("--listen", listen, "HOST:PORT to listen on")->capture_default_str();
    cmd.add_option("--pool-size", app.db_pool_size, "database connections")->capture_default_str();
    cmd.add_option("--threads", app.io_threads, "I/O threads")->capture_default_str();
    cmd.add_option("--rate-limit", app.rate_limit_per_minute, "requests per minute per key (0: off)")
        ->envname("AGENTOS_RATE_LIMIT")
        ->capture_default_str();
    cmd.add_option("--max-body-bytes", app.server.max_body_bytes, "largest request body")->capture_default_str();
}

}  // namespace

int main(int argc, char** argv) {
    agentos::api::BlockStopSignals();
    CLI::App cli{"AgentOS: a hosted agent runtime and run recorder backed by Postgres"};
    cli.require_subcommand(1);
    cli.set_version_flag("--version", "agentos 0.1.0");
    std::string log_level = EnvOr("AGENTOS_LOG_LEVEL", "info");
    cli.add_option("--log-level", log_level, "trace|debug|info|warn|error|off")->capture_default_str();

    agentos::api::ServeCommand serve;
    auto* serve_cmd = cli.add_subcommand("serve", "serve the API against a Postgres database");
    AddServerOptions(*serve_cmd, serve.app, serve.listen);
    serve_cmd->add_option("--database-url", serve.app.database_url, "libpq connection string or URL")
        ->envname("DATABASE_URL");
    serve_cmd->add_option(
        "--agents", serve.app.agents_dir, "folder of agent YAML files, loaded into the default workspace"
    );
    serve_cmd->add_option("--config", serve.config_file, "server config file (YAML or JSON; docs/config.md)");

    agentos::api::DevCommand dev;
    auto* dev_cmd = cli.add_subcommand("dev", "serve on a private embedded Postgres (created on first run)");
    AddServerOptions(*dev_cmd, dev.app, dev.listen);
    dev_cmd->add_option("--data-dir", dev.data_dir, "where the cluster and the dev key live")->capture_default_str();
    dev_cmd->add_option("--database-url", dev.app.database_url, "use this database instead of the embedded one");
    dev.app.agents_dir = "examples/agents";
    dev_cmd->add_option("--agents", dev.app.agents_dir, "folder of agent YAML files (empty: none)")
        ->capture_default_str();
    dev_cmd->add_option("--config", dev.config_file, "server config file (YAML or JSON; docs/config.md)");

    std::vector<std::string> validate_files;
    auto* validate_cmd = cli.add_subcommand("validate", "check agent definition files; exit 1 when any has a problem");
    validate_cmd->add_option("FILE", validate_files, "agent YAML (or JSON) files")->required();

    std::string migrate_url;
    auto* migrate_cmd = cli.add_subcommand("migrate", "apply pending database migrations");
    migrate_cmd->add_option("--database-url", migrate_url, "libpq connection string or URL")->envname("DATABASE_URL");

    auto* keys_cmd = cli.add_subcommand("keys", "create and revoke API keys");
    keys_cmd->require_subcommand(1);
    agentos::api::KeysCreateCommand create;
    auto* create_cmd = keys_cmd->add_subcommand("create", "create a key; it is printed once");
    create_cmd->add_option("--workspace", create.workspace, "workspace name (created when missing)")->required();
    create_cmd->add_option("--agent", create.agent, "agent slug: make an agent key scoped to it");
    create_cmd->add_option("--database-url", create.database_url, "libpq connection string or URL")
        ->envname("DATABASE_URL");
    std::string revoke_prefix;
    std::string revoke_url;
    auto* revoke_cmd = keys_cmd->add_subcommand("revoke", "revoke a key by its prefix (or the whole key)");
    revoke_cmd->add_option("PREFIX", revoke_prefix, "e.g. aos_ws_Ab3dE9xQ")->required();
    revoke_cmd->add_option("--database-url", revoke_url, "libpq connection string or URL")->envname("DATABASE_URL");

    CLI11_PARSE(cli, argc, argv);
    agentos::core::InitLogging(log_level);

    if (*serve_cmd) {
        return agentos::api::RunServe(serve);
    }
    if (*dev_cmd) {
        return agentos::api::RunDev(dev);
    }
    if (*validate_cmd) {
        return agentos::api::RunValidate(validate_files);
    }
    if (*migrate_cmd) {
        return agentos::api::RunMigrate(migrate_url);
    }
    if (*create_cmd) {
        return agentos::api::RunKeysCreate(create);
    }
    if (*revoke_cmd) {
        return agentos::api::RunKeysRevoke(revoke_url, revoke_prefix);
    }
    return 1;
}
