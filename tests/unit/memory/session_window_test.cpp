#include "memory/session_window.hpp"

#include <gtest/gtest.h>

namespace agentos::memory {
namespace {

std::vector<store::SessionMessage> Of(const std::vector<std::string>& roles) {
    std::vector<store::SessionMessage> out;
    std::int64_t seq = 0;
    for (const auto& role : roles) {
        store::SessionMessage m;
        m.seq = ++seq;
        m.role = role;
        out.push_back(m);
    }
    return out;
}

std::vector<std::string> Roles(const std::vector<store::SessionMessage>& messages) {
    std::vector<std::string> out;
    for (const auto& m : messages) {
        out.push_back(m.role);
    }
    return out;
}

TEST(SessionWindow, StartsAtTheFirstUserMessage) {
    EXPECT_EQ(
        Roles(FromFirstUserMessage(Of({"tool", "assistant", "user", "assistant"}))),
        (std::vector<std::string>{"user", "assistant"})
    );
    // A cut tool turn: the call's results without their call never lead the window.
    EXPECT_EQ(
        Roles(FromFirstUserMessage(
            Of({"assistant", "tool", "tool", "assistant", "user", "assistant", "tool", "assistant"})
        )),
        (std::vector<std::string>{"user", "assistant", "tool", "assistant"})
    );
}

TEST(SessionWindow, KeepsAWindowThatAlreadyStartsWithTheUserAndEmptiesOneWithoutAny) {
    EXPECT_EQ(
        Roles(FromFirstUserMessage(Of({"user", "user", "assistant"}))),
        (std::vector<std::string>{"user", "user", "assistant"})
    );
    EXPECT_TRUE(FromFirstUserMessage(Of({"assistant", "tool", "assistant"})).empty());
    EXPECT_TRUE(FromFirstUserMessage({}).empty());
}

}  // namespace
}  // namespace agentos::memory
