// Every example agent in examples/agents must load cleanly: they are what a new user runs first.

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "runtime/spec/yaml_loader.hpp"

namespace agentos::spec {
namespace {

TEST(Examples, EveryExampleAgentIsValidAndSlugsAreUnique) {
    const std::filesystem::path dir = std::filesystem::path(AGENTOS_SOURCE_DIR) / "examples" / "agents";
    std::set<std::string> slugs;
    int count = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.path().extension() != ".yaml") {
            continue;
        }
        std::ifstream in(entry.path());
        std::stringstream text;
        text << in.rdbuf();
        const auto loaded = LoadAgent(text.str());
        for (const auto& e : loaded.errors) {
            ADD_FAILURE() << FormatSpecError(e, entry.path().string());
        }
        if (loaded.spec) {
            EXPECT_TRUE(slugs.insert(loaded.spec->slug).second) << "duplicate slug " << loaded.spec->slug;
        }
        ++count;
    }
    EXPECT_GE(count, 5);
    for (const char* expected : {"assistant", "weather", "summarizer", "research", "extractor", "mock-demo"}) {
        EXPECT_TRUE(slugs.count(expected)) << expected;
    }
}

}  // namespace
}  // namespace agentos::spec
