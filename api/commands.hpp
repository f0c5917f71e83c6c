#pragma once
/// The `agentos` subcommands, each a plain function returning the process exit code. main.cpp only parses
/// the command line into these option structs.

#include <string>
#include <vector>

#include "api/app.hpp"

namespace agentos::store {
class PgPool;
}  // namespace agentos::store

namespace agentos::api {

struct ServeCommand {
    AppConfig app;
    std::string listen = "127.0.0.1:8080";
    std::string config_file;  ///< --config: docs/config.md
};

struct DevCommand {
    AppConfig app;
    std::string listen = "127.0.0.1:8080";
    std::string data_dir = ".agentos";
    std::string config_file;
};

struct KeysCreateCommand {
    std::string database_url;
    std::string workspace;
    std::string agent;  ///< empty: a workspace key
};

/// Creates a key in `workspace` (created when missing); with `agent_slug`, an agent key for that agent
/// (registered as an external agent when missing). Returns the key: the only time it is ever shown. Blocking.
std::string CreateApiKey(store::PgPool& pool, const std::string& workspace, const std::string& agent_slug);

int RunServe(ServeCommand cmd);
int RunDev(DevCommand cmd);
int RunMigrate(const std::string& database_url);
int RunValidate(const std::vector<std::string>& files);
int RunKeysCreate(const KeysCreateCommand& cmd);
int RunKeysRevoke(const std::string& database_url, const std::string& prefix);

/// Blocks SIGINT/SIGTERM in the calling thread (and the threads it starts later) so WaitForStopSignal can take
/// them; call first thing in main.
void BlockStopSignals();

/// Waits for SIGINT or SIGTERM and returns its number.
int WaitForStopSignal();

}  // namespace agentos::api
