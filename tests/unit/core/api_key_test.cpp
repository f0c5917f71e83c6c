#include "runtime/core/api_key.hpp"

#include <set>

#include <gtest/gtest.h>

#include "runtime/core/crypto.hpp"

namespace agentos::core {
namespace {

TEST(ApiKey, GeneratedKeysParseWithTheirKindAndPrefix) {
    for (const KeyKind kind : {KeyKind::kWorkspace, KeyKind::kAgent}) {
        const auto k = GenerateApiKey(kind);
        EXPECT_EQ(k.key.rfind(std::string(KeyKindPrefix(kind)), 0), 0U);
        EXPECT_EQ(k.key.size(), KeyKindPrefix(kind).size() + 36);
        EXPECT_EQ(k.hash, Sha256(k.key));
        const auto parsed = ParseApiKey(k.key);
        ASSERT_TRUE(parsed);
        EXPECT_EQ(parsed->kind, kind);
        EXPECT_EQ(parsed->prefix, k.prefix);
        EXPECT_EQ(parsed->prefix.size(), KeyKindPrefix(kind).size() + 8);
    }
}

TEST(ApiKey, EverySingleCharacterTypoIsRefusedWithoutAQuery) {
    const auto k = GenerateApiKey(KeyKind::kWorkspace).key;
    const std::string alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    for (std::size_t i = 7; i < k.size(); ++i) {
        std::string typo = k;
        typo[i] = alphabet[(alphabet.find(k[i]) + 1) % alphabet.size()];
        EXPECT_FALSE(ParseApiKey(typo)) << typo;
    }
}

TEST(ApiKey, MalformedKeysAreRefused) {
    const auto k = GenerateApiKey(KeyKind::kAgent).key;
    EXPECT_FALSE(ParseApiKey(""));
    EXPECT_FALSE(ParseApiKey("aos_ws_"));
    EXPECT_FALSE(ParseApiKey(k.substr(0, k.size() - 1)));
    EXPECT_FALSE(ParseApiKey(k + "x"));
    EXPECT_FALSE(ParseApiKey("aos_ws_" + k.substr(10)));  // an agent key's body under the workspace prefix
    std::string bad = k;
    bad[12] = '-';
    EXPECT_FALSE(ParseApiKey(bad));
}

TEST(ApiKey, KeysAreRandom) {
    std::set<std::string> keys;
    for (int i = 0; i < 200; ++i) {
        EXPECT_TRUE(keys.insert(GenerateApiKey(KeyKind::kWorkspace).key).second);
    }
}

TEST(Crypto, ConstantTimeEqualAndHelpers) {
    EXPECT_TRUE(ConstantTimeEqual("abc", "abc"));
    EXPECT_FALSE(ConstantTimeEqual("abc", "abd"));
    EXPECT_FALSE(ConstantTimeEqual("abc", "abcd"));
    EXPECT_EQ(HexEncode(Sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(Crc32("123456789"), 0xCBF43926U);
    EXPECT_EQ(Base62Fixed(61, 2), "0z");
    EXPECT_EQ(RandomBase62(50).size(), 50U);
}

}  // namespace
}  // namespace agentos::core
