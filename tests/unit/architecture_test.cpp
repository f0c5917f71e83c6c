// The layering rules of STYLE.md, checked on the source tree: who may include pqxx and Beast, and which layer may
// include which.

#include <filesystem>
#include <fstream>
#include <regex>

#include <gtest/gtest.h>

namespace {

namespace fs = std::filesystem;

struct Include {
    std::string file;  // relative to the source root
    std::string target;
};

std::vector<Include> AllIncludes() {
    const fs::path root = AGENTOS_SOURCE_DIR;
    std::vector<Include> out;
    const std::regex include_re(R"re(^\s*#\s*include\s*[<"]([^>"]+)[>"])re");
    for (const char* top : {"api", "runtime", "scheduler", "tools", "memory", "tests", "bench"}) {
        if (!fs::exists(root / top)) {
            continue;
        }
        for (const auto& entry : fs::recursive_directory_iterator(root / top)) {
            const auto ext = entry.path().extension();
            if (!entry.is_regular_file() || (ext != ".cpp" && ext != ".hpp")) {
                continue;
            }
            std::ifstream in(entry.path());
            std::string line;
            const auto rel = fs::relative(entry.path(), root).string();
            while (std::getline(in, line)) {
                std::smatch m;
                if (std::regex_search(line, m, include_re)) {
                    out.push_back({rel, m[1]});
                }
            }
        }
    }
    return out;
}

bool StartsWith(const std::string& s, const std::string& prefix) {
    return s.rfind(prefix, 0) == 0;
}

TEST(Architecture, PqxxOnlyInTheStoreAndTests) {
    for (const auto& inc : AllIncludes()) {
        if (StartsWith(inc.target, "pqxx/")) {
            EXPECT_TRUE(StartsWith(inc.file, "runtime/store/") || StartsWith(inc.file, "tests/"))
                << inc.file << " includes " << inc.target;
        }
    }
}

TEST(Architecture, BeastOnlyInTheServerNetAndTestSupport) {
    for (const auto& inc : AllIncludes()) {
        if (StartsWith(inc.target, "boost/beast")) {
            EXPECT_TRUE(
                StartsWith(inc.file, "api/server/") || StartsWith(inc.file, "runtime/net/") ||
                StartsWith(inc.file, "tests/support/") || StartsWith(inc.file, "bench/")
            ) << inc.file
              << " includes " << inc.target;
        }
    }
}

TEST(Architecture, LayersOnlyIncludeLayersBeforeThem) {
    // core ← store ← {tools, memory} ← engine ← scheduler ← api; a layer may include itself and those before it.
    // The pure parts (runtime/{core,net,spec,template}, scheduler/cron) are core.
    auto layer_of = [](const std::string& path) -> int {
        for (const char* core :
             {"runtime/core/", "runtime/net/", "runtime/spec/", "runtime/template/", "scheduler/cron/"}) {
            if (StartsWith(path, core)) {
                return 0;
            }
        }
        if (StartsWith(path, "runtime/store/")) {
            return 1;
        }
        if (StartsWith(path, "tools/") || StartsWith(path, "memory/")) {
            return 2;
        }
        if (StartsWith(path, "runtime/")) {
            return 3;  // the engine: providers, the graph runtime, run and ingest services
        }
        if (StartsWith(path, "scheduler/")) {
            return 4;
        }
        if (StartsWith(path, "api/")) {
            return 5;
        }
        return -1;
    };
    for (const auto& inc : AllIncludes()) {
        const int from = layer_of(inc.file);
        const int to = layer_of(inc.target);
        if (from < 0 || to < 0) {
            continue;
        }
        EXPECT_LE(to, from) << inc.file << " (layer " << from << ") includes " << inc.target << " (layer " << to << ")";
    }
}

TEST(Architecture, NoCoAwaitInsideAConditionalExpression) {
    // g++ 12 miscompiles `cond ? co_await a : co_await b` (a corrupted result, seen under ASan): use if/else.
    const fs::path root = AGENTOS_SOURCE_DIR;
    const std::regex bad(R"(\?\s*co_await|:\s*co_await\s+\w+(->|\.)\w+\()");
    for (const char* top : {"api", "runtime", "tools", "memory", "scheduler", "tests", "bench"}) {
        if (!fs::exists(root / top)) {
            continue;
        }
        for (const auto& entry : fs::recursive_directory_iterator(root / top)) {
            if (!entry.is_regular_file() || entry.path().extension() != ".cpp") {
                continue;
            }
            std::ifstream in(entry.path());
            std::string line;
            int n = 0;
            while (std::getline(in, line)) {
                ++n;
                if (line.find("//") != std::string::npos && line.find("//") < line.find("co_await")) {
                    continue;  // a comment that mentions the pattern
                }
                EXPECT_FALSE(std::regex_search(line, bad))
                    << fs::relative(entry.path(), root).string() << ":" << n << ": " << line;
            }
        }
    }
}

TEST(Architecture, SqlOnlyInTheStore) {
    const fs::path root = AGENTOS_SOURCE_DIR;
    const std::regex sql_re(R"(\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM)\b)");
    for (const char* top : {"api", "runtime"}) {
        for (const auto& entry : fs::recursive_directory_iterator(root / top)) {
            const auto rel = fs::relative(entry.path(), root).string();
            if (!entry.is_regular_file() || StartsWith(rel, "runtime/store/") || entry.path().extension() == ".json") {
                continue;
            }
            std::ifstream in(entry.path());
            std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            EXPECT_FALSE(std::regex_search(text, sql_re)) << rel << " contains SQL; SQL lives in runtime/store/";
        }
    }
}

}  // namespace
