#include "runtime/core/ids.hpp"

#include <set>

#include <gtest/gtest.h>

#include "runtime/core/error.hpp"

namespace agentos::core {
namespace {

TEST(Ids, NewUuidV7HasVersionVariantAndIsUnique) {
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        const auto id = NewUuidV7();
        ASSERT_TRUE(IsUuid(id)) << id;
        EXPECT_EQ(id[14], '7') << id;
        EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;
        EXPECT_TRUE(seen.insert(id).second);
    }
}

TEST(Ids, NewUuidV7IsTimeOrderedAcrossMilliseconds) {
    const auto a = NewUuidV7();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(3);
    while (std::chrono::steady_clock::now() < deadline) {
    }
    const auto b = NewUuidV7();
    EXPECT_LT(a, b);
}

TEST(Ids, IsUuidRejectsMalformed) {
    EXPECT_TRUE(IsUuid("01890a5d-ac96-774b-bcce-b302099a8057"));
    EXPECT_TRUE(IsUuid("01890A5D-AC96-774B-BCCE-B302099A8057"));
    EXPECT_FALSE(IsUuid(""));
    EXPECT_FALSE(IsUuid("not-a-uuid"));
    EXPECT_FALSE(IsUuid("01890a5d-ac96-774b-bcce-b302099a805"));
    EXPECT_FALSE(IsUuid("01890a5dxac96-774b-bcce-b302099a8057"));
    EXPECT_FALSE(IsUuid("01890a5d-ac96-774b-bcce-b302099a805g"));
}

TEST(Ids, RequireUuidLowerCasesAndNamesTheField) {
    EXPECT_EQ(RequireUuid("run_id", "01890A5D-AC96-774B-BCCE-B302099A8057"), "01890a5d-ac96-774b-bcce-b302099a8057");
    try {
        RequireUuid("run_id", "abc");
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::kValidation);
        EXPECT_EQ(e.details()["field"], "run_id");
        EXPECT_NE(std::string(e.what()).find("run_id: not a UUID"), std::string::npos);
    }
}

}  // namespace
}  // namespace agentos::core
