// main() of the pg and e2e test binaries: one shared Postgres, stopped when the binary ends.

#include <gtest/gtest.h>

#include "runtime/core/log.hpp"
#include "tests/support/test_cluster.hpp"

namespace {

class ClusterEnvironment : public ::testing::Environment {
public:
    void TearDown() override { agentos::testing::TestCluster::Shutdown(); }
};

}  // namespace

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    agentos::core::InitLogging("warn");
    ::testing::AddGlobalTestEnvironment(new ClusterEnvironment);  // NOLINT: gtest takes ownership
    return RUN_ALL_TESTS();
}
