#include "runtime/core/json_body.hpp"

#include <gtest/gtest.h>

#include "runtime/core/error.hpp"

namespace agentos::core {
namespace {

std::string MessageOf(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::kValidation);
        return e.what();
    }
    ADD_FAILURE() << "expected a VALIDATION_ERROR";
    return "";
}

TEST(JsonBody, ParsesAnObject) {
    const auto j = ParseJsonBody(R"({"a": [1, {"b": "x"}]})");
    EXPECT_EQ(j["a"][1]["b"], "x");
}

TEST(JsonBody, RefusesEmptyMalformedDeepAndInvalidUtf8) {
    EXPECT_NE(MessageOf([] { ParseJsonBody(""); }).find("body: a JSON object is required"), std::string::npos);
    EXPECT_NE(MessageOf([] { ParseJsonBody("{\"a\": }"); }).find("body: malformed JSON at byte"), std::string::npos);
    EXPECT_NE(MessageOf([] { ParseJsonBody("not json"); }).find("malformed JSON"), std::string::npos);
    const std::string deep = std::string(10000, '[') + std::string(10000, ']');
    EXPECT_NE(MessageOf([&] { ParseJsonBody(deep); }).find("nested deeper than 64"), std::string::npos);
    const std::string bad = std::string("{\"a\": \"caf") + static_cast<char>(0xC3) + "\"}";
    EXPECT_NE(MessageOf([&] { ParseJsonBody(bad); }).find("invalid UTF-8 at byte 10"), std::string::npos);
}

TEST(JsonBody, BracketsInsideStringsDoNotCountAsNesting) {
    const std::string s = "{\"a\": \"" + std::string(500, '[') + "\\\"" + std::string(500, '{') + "\"}";
    EXPECT_NO_THROW(ParseJsonBody(s));
    const std::string ok = std::string(64, '[') + std::string(64, ']');
    EXPECT_NO_THROW(ParseJsonBody(ok));
    const std::string too_deep = std::string(65, '[') + std::string(65, ']');
    EXPECT_THROW(ParseJsonBody(too_deep), Error);
}

TEST(Utf8, AcceptsWellFormedAndFindsTheFirstBadByte) {
    EXPECT_FALSE(FindInvalidUtf8("plain ascii"));
    EXPECT_FALSE(FindInvalidUtf8("Zürich 日本 😀"));
    EXPECT_EQ(FindInvalidUtf8("ab\xFF"), 2U);
    EXPECT_EQ(FindInvalidUtf8("\xC0\xAF"), 0U);          // overlong '/'
    EXPECT_EQ(FindInvalidUtf8("x\xED\xA0\x80"), 1U);     // UTF-16 surrogate
    EXPECT_EQ(FindInvalidUtf8("\xF4\x90\x80\x80"), 0U);  // above U+10FFFF
    EXPECT_EQ(FindInvalidUtf8("\xE2\x82"), 0U);          // truncated
}

TEST(ObjectReader, ReadsTypedFieldsAndNamesWrongOnes) {
    const auto body =
        nlohmann::json::parse(R"({"s": "x", "n": 2.5, "i": 3, "b": true, "o": {}, "a": [], "nul": null})");
    ObjectReader r(body, "");
    EXPECT_EQ(r.String("s"), "x");
    EXPECT_EQ(r.OptNumber("n"), 2.5);
    EXPECT_EQ(r.OptInt("i", 0, 10), 3);
    EXPECT_EQ(r.OptBool("b"), true);
    EXPECT_TRUE(r.OptObject("o"));
    EXPECT_TRUE(r.Array("a").is_array());
    EXPECT_FALSE(r.OptString("nul"));
    EXPECT_FALSE(r.OptString("missing"));
    EXPECT_NO_THROW(r.Finish());

    ObjectReader w(body, "events[3]");
    EXPECT_NE(
        MessageOf([&] { w.OptBool("s"); }).find("events[3].s: must be true or false, not a string"), std::string::npos
    );
    EXPECT_NE(MessageOf([&] { w.String("n"); }).find("events[3].n: must be a string, not a number"), std::string::npos);
    EXPECT_NE(MessageOf([&] { w.OptInt("n", 0, 10); }).find("must be an integer"), std::string::npos);
    EXPECT_NE(MessageOf([&] { w.OptInt("i", 5, 10); }).find("between 5 and 10"), std::string::npos);
    EXPECT_NE(MessageOf([&] { w.String("missing"); }).find("events[3].missing: required"), std::string::npos);
    EXPECT_NE(
        MessageOf([&] {
            w.OptEnum("s", {"a", "b"});
        }).find("must be one of a, b (got \"x\")"),
        std::string::npos
    );
}

TEST(ObjectReader, RefusesUnknownFieldsListingTheAllowedOnes) {
    const auto body = nlohmann::json::parse(R"({"run_id": "x", "evnets": []})");
    ObjectReader r(body, "");
    r.OptString("run_id");
    r.Optional("events");
    try {
        r.Finish();
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.details()["field"], "evnets");
        EXPECT_NE(
            std::string(e.what()).find("evnets: unknown field (allowed here: run_id, events)"), std::string::npos
        );
    }
}

TEST(ObjectReader, RefusesANonObject) {
    EXPECT_NE(
        MessageOf([] { ObjectReader(nlohmann::json::array(), ""); }).find("body: must be a JSON object, not an array"),
        std::string::npos
    );
    EXPECT_NE(
        MessageOf([] { ObjectReader(nlohmann::json("x"), "task"); }).find("task: must be a JSON object, not a string"),
        std::string::npos
    );
}

TEST(ObjectReader, EmptyRequiredStringIsAnError) {
    const auto body = nlohmann::json::parse(R"({"type": ""})");
    ObjectReader r(body, "events[0]");
    EXPECT_NE(MessageOf([&] { r.String("type"); }).find("events[0].type: must not be empty"), std::string::npos);
}

}  // namespace
}  // namespace agentos::core
