#include "tests/support/test_app.hpp"

#include <pqxx/pqxx>

#include "api/commands.hpp"
#include "runtime/store/pg_pool.hpp"
#include "tests/support/test_cluster.hpp"

namespace agentos::testing {

TestApp::TestApp(TestAppOptions options) {
    dsn_ = options.database_url.empty() ? TestCluster::Get().NewDatabase() : options.database_url;
    api::AppConfig config;
    config.server = options.server;
    config.server.host = "127.0.0.1";
    config.server.port = 0;
    config.database_url = dsn_;
    config.db_pool_size = options.db_pool_size;
    config.io_threads = options.io_threads;
    config.rate_limit_per_minute = options.rate_limit_per_minute;
    config.apply_migrations = true;
    config.agents_dir = options.agents_dir;
    config.runs = options.runs;
    config.streams = options.streams;
    config.shutdown_grace = std::chrono::milliseconds(3000);
    app_ = std::make_unique<api::App>(config);
    app_->Start();
}

TestApp::~TestApp() {
    Stop();
}

void TestApp::Stop() {
    if (app_) {
        app_->Stop();
    }
}

std::string TestApp::WorkspaceKey(const std::string& workspace) {
    return api::CreateApiKey(app_->pool(), workspace, "");
}

std::string TestApp::AgentKey(const std::string& workspace, const std::string& agent_slug) {
    return api::CreateApiKey(app_->pool(), workspace, agent_slug);
}

void TestApp::Sql(const std::string& sql) {
    pqxx::connection c(dsn_);
    pqxx::work w(c);
    w.exec(sql);
    w.commit();
}

}  // namespace agentos::testing
