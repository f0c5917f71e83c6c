#include "runtime/net/sse_parser.hpp"

#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace agentos::outbound {

// Found by argument-dependent lookup, so not in the anonymous namespace.
void PrintTo(const SseEvent& e, std::ostream* os) {
    *os << "{event=" << e.event << " data=" << e.data << " id=" << e.id << "}";
}

namespace {

/// The events of `pieces` fed one after another to one parser.
std::vector<SseEvent> Parse(const std::vector<std::string>& pieces) {
    SseParser parser;
    std::vector<SseEvent> events;
    for (const auto& piece : pieces) {
        parser.Feed(piece, [&events](const SseEvent& e) { events.push_back(e); });
    }
    return events;
}

std::vector<SseEvent> Parse(const std::string& stream) {
    return Parse(std::vector<std::string>{stream});
}

// Anthropic's shape (event + data), OpenAI's (data only, [DONE]), comments, CR LF, CR alone, a BOM, multi-line data,
// ids, fields with and without a space, unknown fields, and an event with no data (not dispatched).
const std::string kMixed =
    "\xEF\xBB\xBF: a comment first\r\n"
    "event: message_start\r\n"
    "data: {\"type\":\"message_start\"}\r\n"
    "\r\n"
    "data:{\"choices\":[]}\n"
    "id: 7\n"
    "retry: 1000\n"
    "\n"
    ":keep-alive\n\n"
    "event: ping\n\n"
    "data: line one\r"
    "data: line two\r"
    "data\r"
    "unknown: field\r"
    "\r"
    "event:x\n"
    "data:  two spaces\n"
    "\n"
    "data: [DONE]\n\n";

const std::vector<SseEvent> kMixedEvents = {
    {"message_start", "{\"type\":\"message_start\"}", ""},
    {"", "{\"choices\":[]}", "7"},
    {"", "line one\nline two\n", "7"},
    {"x", " two spaces", "7"},
    {"", "[DONE]", "7"},
};

TEST(SseParser, ParsesFieldsCommentsAndLineEndings) {
    EXPECT_EQ(Parse(kMixed), kMixedEvents);
}

TEST(SseParser, SplitAtEveryBytePositionGivesTheSameEvents) {
    for (std::size_t cut = 0; cut <= kMixed.size(); ++cut) {
        EXPECT_EQ(Parse({kMixed.substr(0, cut), kMixed.substr(cut)}), kMixedEvents) << "cut at " << cut;
    }
    for (std::size_t a = 0; a <= kMixed.size(); a += 3) {
        for (std::size_t b = a; b <= kMixed.size(); ++b) {
            ASSERT_EQ(Parse({kMixed.substr(0, a), kMixed.substr(a, b - a), kMixed.substr(b)}), kMixedEvents)
                << "cuts at " << a << " and " << b;
        }
    }
}

TEST(SseParser, OneByteAtATimeGivesTheSameEvents) {
    std::vector<std::string> bytes;
    for (const char c : kMixed) {
        bytes.emplace_back(1, c);
    }
    EXPECT_EQ(Parse(bytes), kMixedEvents);
}

TEST(SseParser, AnEventIsEmittedOnlyAtItsBlankLine) {
    SseParser parser;
    std::vector<SseEvent> events;
    const auto sink = [&events](const SseEvent& e) {
        events.push_back(e);
    };
    parser.Feed("data: a\n", sink);
    EXPECT_TRUE(events.empty());
    parser.Feed("\n", sink);
    ASSERT_EQ(events.size(), 1U);
    EXPECT_EQ(events[0].data, "a");
}

TEST(SseParser, ALastEventWithoutItsBlankLineIsNotEmitted) {
    EXPECT_EQ(Parse("data: first\n\ndata: cut off\n"), (std::vector<SseEvent>{{"", "first", ""}}));
    EXPECT_EQ(Parse("data: first\n\ndata: cut off"), (std::vector<SseEvent>{{"", "first", ""}}));
}

TEST(SseParser, EmptyDataIsAnEventButNoDataIsNot) {
    EXPECT_EQ(Parse("data:\n\nevent: only\n\n"), (std::vector<SseEvent>{{"", "", ""}}));
}

TEST(SseParser, TheEventTypeDoesNotCarryOver) {
    EXPECT_EQ(Parse("event: a\ndata: 1\n\ndata: 2\n\n"), (std::vector<SseEvent>{{"a", "1", ""}, {"", "2", ""}}));
}

TEST(SseParser, ABomOnlyCountsAtTheStart) {
    const std::string bom = "\xEF\xBB\xBF";
    EXPECT_EQ(
        Parse(
            {"\xEF",
             "\xBB",
             "\xBF"
             "data: x\n\n"}
        ),
        (std::vector<SseEvent>{{"", "x", ""}})
    );
    // Later, the same bytes are just part of a field name, and so an unknown field.
    EXPECT_EQ(Parse("data: x\n\n" + bom + "data: y\n\n"), (std::vector<SseEvent>{{"", "x", ""}}));
}

TEST(SseParser, HoldsOnlyTheUnfinishedPart) {
    SseParser parser;
    int events = 0;
    parser.Feed("data: done\n\ndata: par", [&events](const SseEvent&) { ++events; });
    EXPECT_EQ(events, 1);
    EXPECT_EQ(parser.buffered(), std::string("data: par").size());
}

}  // namespace
}  // namespace agentos::outbound
