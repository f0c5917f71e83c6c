#include "api/commands.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include "api/server_config.hpp"
#include "runtime/core/api_key.hpp"
#include "runtime/core/crypto.hpp"
#include "runtime/core/error.hpp"
#include "runtime/core/file_lock.hpp"
#include "runtime/core/ids.hpp"
#include "runtime/ingest_service.hpp"
#include "runtime/spec/yaml_loader.hpp"
#include "runtime/store/agent_repo.hpp"
#include "runtime/store/api_key_repo.hpp"
#include "runtime/store/embedded_cluster.hpp"
#include "runtime/store/migrator.hpp"
#include "runtime/store/pg_pool.hpp"
#include "runtime/store/workspace_repo.hpp"

namespace agentos::api {
namespace fs = std::filesystem;

namespace {

int Report(const core::Error& e) {
    std::cerr << "agentos: " << e.what() << "\n";
    return e.code() == core::ErrorCode::kValidation ? 2 : 1;
}

std::string RequireDatabaseUrl(const std::string& url) {
    if (url.empty()) {
        throw core::Error::Validation("--database-url", "required (or set DATABASE_URL)");
    }
    return url;
}

/// Inserts a freshly generated key; returns it (the only time it is ever shown).
std::string CreateKey(store::Tx& tx, const std::string& workspace_id, const std::optional<std::string>& agent_id) {
    const auto kind = agent_id ? core::KeyKind::kAgent : core::KeyKind::kWorkspace;
    const auto generated = core::GenerateApiKey(kind);
    store::ApiKeyRecord rec;
    rec.id = core::NewUuidV7();
    rec.workspace_id = workspace_id;
    rec.agent_id = agent_id;
    rec.kind = kind;
    rec.prefix = generated.prefix;
    rec.key_hash = generated.hash;
    store::ApiKeyRepo(tx).Insert(rec);
    return generated.key;
}

/// True when `key` is stored, unrevoked, for `workspace_id`. Inserts it when `insert_missing` and it is unknown.
bool EnsureKnownKey(store::Tx& tx, const std::string& workspace_id, const std::string& key, bool insert_missing) {
    const auto parsed = core::ParseApiKey(key);
    if (!parsed || parsed->kind != core::KeyKind::kWorkspace) {
        return false;
    }
    const auto found = store::ApiKeyRepo(tx).FindByPrefix(parsed->prefix);
    if (found) {
        return !found->revoked_at && found->workspace_id == workspace_id &&
               core::ConstantTimeEqual(found->key_hash, core::Sha256(key));
    }
    if (!insert_missing) {
        return false;
    }
    store::ApiKeyRecord rec;
    rec.id = core::NewUuidV7();
    rec.workspace_id = workspace_id;
    rec.kind = core::KeyKind::kWorkspace;
    rec.prefix = parsed->prefix;
    rec.key_hash = core::Sha256(key);
    store::ApiKeyRepo(tx).Insert(rec);
    return true;
}

std::string ReadFirstLine(const fs::path& file) {
    std::ifstream in(file);
    std::string line;
    std::getline(in, line);
    return line;
}

/// The dev workspace key: AGENTOS_DEV_KEY when set, else the one in <data-dir>/dev-key, else a new one
/// (written there, readable by the owner only).
std::string DevKey(store::PgPool& pool, const fs::path& data_dir) {
    std::string key;
    pool.TransactBlocking([&](store::Tx& tx) {
        const auto ws = store::WorkspaceRepo(tx).Ensure("default");
        if (const char* env = std::getenv("AGENTOS_DEV_KEY"); env != nullptr && *env != '\0') {
            if (!EnsureKnownKey(tx, ws.id, env, true)) {
                throw core::Error::Validation(
                    "AGENTOS_DEV_KEY",
                    "not a usable workspace key of the default workspace (create one with: agentos keys create "
                    "--workspace default)"
                );
            }
            key = env;
            return;
        }
        const auto file = data_dir / "dev-key";
        if (fs::exists(file)) {
            const auto stored = ReadFirstLine(file);
            if (EnsureKnownKey(tx, ws.id, stored, false)) {
                key = stored;
                return;
            }
            spdlog::warn("{} holds no valid key any more; creating a new one", file.string());
        }
        key = CreateKey(tx, ws.id, std::nullopt);
        {
            std::ofstream out(file, std::ios::trunc);
            out << key << "\n";
        }
        fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
    });
    return key;
}

}  // namespace

std::string CreateApiKey(store::PgPool& pool, const std::string& workspace, const std::string& agent_slug) {
    std::string key;
    pool.TransactBlocking([&](store::Tx& tx) {
        const auto ws = store::WorkspaceRepo(tx).Ensure(workspace);
        std::optional<std::string> agent_id;
        if (!agent_slug.empty()) {
            store::AgentRepo agents(tx);
            auto agent = agents.Get(ws.id, agent_slug);
            if (!agent) {
                agent = agents.EnsureExternal(ws.id, agent_slug, agent_slug);
                spdlog::info("registered agent '{}' (external) in workspace '{}'", agent_slug, workspace);
            }
            agent_id = agent->id;
        }
        key = CreateKey(tx, ws.id, agent_id);
    });
    return key;
}

void BlockStopSignals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    std::signal(SIGPIPE, SIG_IGN);  // NOLINT(concurrency-mt-unsafe): before any thread starts
}

int WaitForStopSignal() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    int sig = 0;
    sigwait(&set, &sig);
    return sig;
}

int RunServe(ServeCommand cmd) {
    try {
        ParseListen(cmd.listen, cmd.app.server);
        if (!cmd.config_file.empty()) {
            LoadServerConfigFile(cmd.config_file, cmd.app);
        }
        cmd.app.database_url = RequireDatabaseUrl(cmd.app.database_url);
        App app(cmd.app);
        app.Start();
        const int sig = WaitForStopSignal();
        spdlog::info("signal {}: shutting down", sig);
        app.Stop();
        return 0;
    } catch (const core::Error& e) {
        return Report(e);
    }
}

int RunDev(DevCommand cmd) {
    std::optional<core::FileLock> lock;  // declared first: released after the cluster has stopped
    std::unique_ptr<store::EmbeddedCluster> cluster;
    try {
        ParseListen(cmd.listen, cmd.app.server);
        cmd.app.runs.mock_fallback = true;  // agents whose provider key is unset still answer (offline development)
        if (!cmd.config_file.empty()) {
            LoadServerConfigFile(cmd.config_file, cmd.app);  // may turn the fallback off again
        }
        const fs::path data_dir = fs::absolute(cmd.data_dir);
        fs::create_directories(data_dir);
        // One `agentos dev` per data dir: a second would reuse the first's Postgres, and the first's exit would stop
        // it under the second. A few seconds' wait covers a restart while the previous one is still stopping.
        long holder = 0;
        lock = core::FileLock::Acquire(data_dir / "dev.lock", std::chrono::seconds(5), &holder);
        if (!lock) {
            throw core::Error(
                core::ErrorCode::kConflict,
                "another agentos dev" + (holder > 0 ? " (pid " + std::to_string(holder) + ")" : std::string()) +
                    " is already serving from " + data_dir.string() + ": stop it first, or pass another --data-dir"
            );
        }
        if (cmd.app.database_url.empty()) {
            cluster = std::make_unique<store::EmbeddedCluster>(store::EmbeddedClusterOptions{
                data_dir / "pg", true, "agentos"});
            cluster->Start();
            cmd.app.database_url = cluster->Dsn();
        }
        store::Migrator().Apply(cmd.app.database_url);
        std::string key;
        {
            store::PgPool pool(cmd.app.database_url, 1);
            key = DevKey(pool, data_dir);
        }
        cmd.app.apply_migrations = false;
        if (!cmd.app.agents_dir.empty() && !fs::is_directory(cmd.app.agents_dir)) {
            spdlog::warn("no agent folder at {}; serving without file agents", cmd.app.agents_dir);
            cmd.app.agents_dir.clear();
        }
        App app(cmd.app);
        app.Start();
        std::cout << "\nAgentOS dev server: " << app.base_url() << "\n"
                  << "workspace key (also in " << (data_dir / "dev-key").string() << "):\n  " << key << "\n"
                  << "try:\n  curl -H \"Authorization: Bearer " << key << "\" " << app.base_url()
                  << "/api/v1/agents\n\n"
                  << std::flush;
        const int sig = WaitForStopSignal();
        spdlog::info("signal {}: shutting down", sig);
        app.Stop();
        if (cluster) {
            cluster->Stop();
        }
        return 0;
    } catch (const core::Error& e) {
        if (cluster) {
            cluster->Stop();
        }
        return Report(e);
    }
}

int RunValidate(const std::vector<std::string>& files) {
    bool clean = true;
    std::map<std::string, std::string> slugs;  // a folder of agents needs one file per slug
    for (const auto& file : files) {
        std::ifstream in(file, std::ios::binary);
        if (!in) {
            std::cerr << file << ": cannot read the file\n";
            clean = false;
            continue;
        }
        const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        const auto loaded = spec::LoadAgent(text);
        for (const auto& e : loaded.errors) {
            std::cerr << spec::FormatSpecError(e, file) << "\n";
        }
        if (loaded.spec) {
            if (const auto [it, fresh] = slugs.emplace(loaded.spec->slug, file); !fresh) {
                std::cerr << file << ": slug '" << loaded.spec->slug << "' is already defined by " << it->second
                          << "\n";
                clean = false;
                continue;
            }
            std::cout << file << ": ok (" << loaded.spec->slug << ")\n";
        }
        clean = clean && loaded.errors.empty();
    }
    return clean ? 0 : 1;
}

int RunMigrate(const std::string& database_url) {
    try {
        const auto applied = store::Migrator().Apply(RequireDatabaseUrl(database_url));
        std::cout << (applied.empty() ? "database is up to date"
                                      : "applied " + std::to_string(applied.size()) + " migration(s)")
                  << "\n";
        return 0;
    } catch (const core::Error& e) {
        return Report(e);
    }
}

int RunKeysCreate(const KeysCreateCommand& cmd) {
    try {
        if (cmd.workspace.empty()) {
            throw core::Error::Validation("--workspace", "required");
        }
        if (!cmd.agent.empty() && engine::Slugify(cmd.agent) != cmd.agent) {
            throw core::Error::Validation(
                "--agent", "an agent slug is lower-case letters, digits and '-' (like my-agent)"
            );
        }
        store::PgPool pool(RequireDatabaseUrl(cmd.database_url), 1);
        const std::string key = CreateApiKey(pool, cmd.workspace, cmd.agent);
        const std::string prefix = core::ParseApiKey(key)->prefix;
        std::cerr << "created " << (cmd.agent.empty() ? "workspace" : "agent") << " key " << prefix
                  << "… for workspace '" << cmd.workspace << "'; it is shown only now:\n";
        std::cout << key << "\n";
        return 0;
    } catch (const core::Error& e) {
        return Report(e);
    }
}

int RunKeysRevoke(const std::string& database_url, const std::string& prefix_or_key) {
    try {
        std::string prefix = prefix_or_key;
        if (const auto parsed = core::ParseApiKey(prefix_or_key)) {
            prefix = parsed->prefix;
        }
        store::PgPool pool(RequireDatabaseUrl(database_url), 1);
        bool revoked = false;
        pool.TransactBlocking([&](store::Tx& tx) { revoked = store::ApiKeyRepo(tx).Revoke(prefix); });
        if (!revoked) {
            throw core::Error(core::ErrorCode::kNotFound, "no active key with prefix " + prefix);
        }
        std::cout << "revoked " << prefix << "\n";
        return 0;
    } catch (const core::Error& e) {
        return Report(e);
    }
}

}  // namespace agentos::api
