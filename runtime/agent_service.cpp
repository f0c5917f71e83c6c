#include "runtime/agent_service.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "runtime/core/error.hpp"
#include "runtime/core/time.hpp"
#include "runtime/schedule_sync.hpp"
#include "runtime/spec/yaml_loader.hpp"
#include "runtime/store/pg_pool.hpp"
#include "runtime/store/schedule_repo.hpp"
#include "runtime/store/workspace_repo.hpp"

namespace agentos::engine {
namespace {

using core::Error;

constexpr std::size_t kMaxCompiled = 1000;

void RequireWorkspaceKey(const core::Principal& who) {
    if (who.IsAgentKey()) {
        throw Error(core::ErrorCode::kForbidden, "changing agents needs a workspace key (aos_ws_…)");
    }
}

std::string ReadFile(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

store::AgentFields FieldsOf(const spec::AgentSpec& spec) {
    return {spec.slug, spec.name, spec.description, spec.hosted ? "hosted" : "external", spec.budget.monthly_cost_usd};
}

store::AgentRecord VisibleAgent(store::Tx& tx, const core::Principal& who, const std::string& ref) {
    auto agent = store::AgentRepo(tx).Get(who.workspace_id, ref);
    if (!agent) {
        throw Error::NotFound("agent " + ref);
    }
    if (who.IsAgentKey() && agent->id != who.agent_id) {
        throw Error(core::ErrorCode::kForbidden, "this agent key belongs to another agent");
    }
    return std::move(*agent);
}

std::optional<std::string> AgentScope(
    store::Tx& tx, const core::Principal& who, const std::optional<std::string>& agent_ref
) {
    if (agent_ref) {
        return VisibleAgent(tx, who, *agent_ref).id;
    }
    return who.agent_id;  // set for agent keys only
}

net::awaitable<store::SavedAgent> AgentService::Create(core::Principal who, std::string text) {
    RequireWorkspaceKey(who);
    store::SavedAgent saved;
    // Parsed on the pool's thread, not the I/O thread: a definition can be large, and the first use of a schedule's
    // time zone reads its tzdata file.
    co_await pool_.Transact([&](store::Tx& tx) {
        nlohmann::json document;
        const auto spec = spec::LoadAgentOrThrow(text, "body", &document);
        saved = store::AgentRepo(tx).Save(who.workspace_id, FieldsOf(spec), document, text, "api", std::nullopt, true);
        SyncYamlSchedules(tx, saved.agent, spec, true, core::SystemClock().Now());
    });
    co_return saved;
}

net::awaitable<store::SavedAgent> AgentService::Update(core::Principal who, std::string ref, std::string text) {
    RequireWorkspaceKey(who);
    store::SavedAgent saved;
    co_await pool_.Transact([&](store::Tx& tx) {  // parsed on the pool's thread, as in Create
        nlohmann::json document;
        const auto spec = spec::LoadAgentOrThrow(text, "body", &document);
        const auto agent = VisibleAgent(tx, who, ref);
        if (spec.slug != agent.slug) {
            throw Error::Validation(
                "slug", "is '" + spec.slug + "', but this agent is '" + agent.slug + "'; a slug cannot change"
            );
        }
        saved = store::AgentRepo(tx).Save(who.workspace_id, FieldsOf(spec), document, text, "api", std::nullopt, false);
        SyncYamlSchedules(tx, saved.agent, spec, saved.new_version, core::SystemClock().Now());
    });
    co_return saved;
}

net::awaitable<store::AgentRecord> AgentService::Publish(core::Principal who, std::string ref, std::int64_t version) {
    RequireWorkspaceKey(who);
    std::optional<store::AgentRecord> published;
    co_await pool_.Transact([&](store::Tx& tx) {
        const auto agent = VisibleAgent(tx, who, ref);
        store::AgentRepo repo(tx);
        const auto v = repo.Version(agent.id, version);
        if (!v) {
            throw Error::NotFound("version " + std::to_string(version) + " of agent " + agent.slug);
        }
        const auto spec = Compile(agent.id, *v);
        published = repo.Publish(who.workspace_id, agent.id, version, FieldsOf(*spec));
        SyncYamlSchedules(tx, *published, *spec, agent.current_version != version, core::SystemClock().Now());
    });
    co_return std::move(*published);
}

net::awaitable<store::AgentRecord> AgentService::SetStatus(core::Principal who, std::string ref, std::string status) {
    RequireWorkspaceKey(who);
    std::optional<store::AgentRecord> updated;
    co_await pool_.Transact([&](store::Tx& tx) {
        const auto agent = VisibleAgent(tx, who, ref);
        updated = store::AgentRepo(tx).SetStatus(who.workspace_id, agent.id, status);
    });
    co_return std::move(*updated);
}

net::awaitable<void> AgentService::Delete(core::Principal who, std::string ref) {
    RequireWorkspaceKey(who);
    co_await pool_.Transact([&](store::Tx& tx) {
        const auto agent = VisibleAgent(tx, who, ref);
        store::AgentRepo(tx).Delete(who.workspace_id, agent.id);
        store::ScheduleRepo schedules(tx);
        schedules.DeleteForAgent(agent.id);  // soft-deleted: no cascade, and a deleted agent's schedules never fire
        schedules.NotifyChanged();
    });
}

net::awaitable<std::pair<store::AgentRecord, std::vector<store::AgentVersionRecord>>> AgentService::Versions(
    core::Principal who, std::string ref
) {
    std::pair<store::AgentRecord, std::vector<store::AgentVersionRecord>> out;
    co_await pool_.Transact([&](store::Tx& tx) {
        out.first = VisibleAgent(tx, who, ref);
        out.second = store::AgentRepo(tx).Versions(out.first.id);
    });
    co_return out;
}

std::shared_ptr<const spec::AgentSpec> AgentService::Compile(
    const std::string& agent_id, const store::AgentVersionRecord& version
) {
    const auto key = std::make_pair(agent_id, version.version);
    {
        const std::lock_guard lock(mutex_);
        if (const auto it = compiled_.find(key); it != compiled_.end()) {
            return it->second;
        }
    }
    // Stored definitions were checked when saved; parsing again is cheap and keeps one source of truth.
    auto spec =
        std::make_shared<const spec::AgentSpec>(spec::LoadAgentOrThrow(version.source_text, "stored definition"));
    const std::lock_guard lock(mutex_);
    if (compiled_.size() >= kMaxCompiled) {
        compiled_.clear();
    }
    compiled_.emplace(key, spec);
    return spec;
}

std::shared_ptr<const spec::AgentSpec> AgentService::Cached(const std::string& agent_id, std::int64_t version) {
    const std::lock_guard lock(mutex_);
    const auto it = compiled_.find(std::make_pair(agent_id, version));
    return it == compiled_.end() ? nullptr : it->second;
}

std::vector<std::string> AgentService::LoadDirectory(
    store::PgPool& pool, const std::string& workspace, const std::filesystem::path& dir
) {
    if (!std::filesystem::is_directory(dir)) {
        throw Error::Validation("--agents", "'" + dir.string() + "' is not a folder");
    }
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        const auto ext = entry.path().extension();
        if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml")) {
            files.push_back(entry.path());
        }
    }
    std::sort(files.begin(), files.end());

    struct Loaded {
        std::filesystem::path path;
        std::string text;
        spec::AgentSpec spec;
        nlohmann::json document;
    };

    std::vector<Loaded> agents;
    std::vector<std::string> problems;
    std::map<std::string, std::string> slugs;
    for (const auto& path : files) {
        const std::string text = ReadFile(path);
        auto loaded = spec::LoadAgent(text);
        for (const auto& e : loaded.errors) {
            problems.push_back(spec::FormatSpecError(e, path.string()));
        }
        if (!loaded.spec) {
            continue;
        }
        if (const auto [it, fresh] = slugs.emplace(loaded.spec->slug, path.string()); !fresh) {
            problems.push_back(
                path.string() + ": slug '" + loaded.spec->slug + "' is already defined by " + it->second
            );
            continue;
        }
        agents.push_back({path, text, std::move(*loaded.spec), std::move(loaded.document)});
    }
    if (!problems.empty()) {
        std::string message;
        for (const auto& p : problems) {
            message += (message.empty() ? "" : "\n") + p;
        }
        throw Error(core::ErrorCode::kValidation, message, nlohmann::json{{"errors", problems}});
    }
    std::vector<std::string> report;
    pool.TransactBlocking([&](store::Tx& tx) {
        report.clear();
        const auto ws = store::WorkspaceRepo(tx).Ensure(workspace);
        for (const auto& a : agents) {
            const auto saved = store::AgentRepo(tx).Save(
                ws.id, FieldsOf(a.spec), a.document, a.text, "file", std::filesystem::absolute(a.path).string(), false
            );
            SyncYamlSchedules(tx, saved.agent, a.spec, saved.created || saved.new_version, core::SystemClock().Now());
            report.push_back(
                a.spec.slug + " v" + std::to_string(saved.agent.current_version.value_or(0)) +
                (saved.created       ? " (new)"
                 : saved.new_version ? " (new version)"
                                     : "") +
                " from " + a.path.string()
            );
        }
    });
    return report;
}

}  // namespace agentos::engine
