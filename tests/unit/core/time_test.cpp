#include "runtime/core/time.hpp"

#include <gtest/gtest.h>

namespace agentos::core {
namespace {

TEST(Time, FormatsUtcWithMilliseconds) {
    const auto t = ParseIso("2026-05-11T20:00:00.123456Z");
    ASSERT_TRUE(t);
    EXPECT_EQ(FormatIso(*t), "2026-05-11T20:00:00.123Z");
    EXPECT_EQ(FormatIso(FromUnixMicros(0)), "1970-01-01T00:00:00.000Z");
}

TEST(Time, ParsesOffsetsAndNaiveAsUtc) {
    EXPECT_EQ(FormatIso(*ParseIso("2026-04-02T12:00:00+02:00")), "2026-04-02T10:00:00.000Z");
    EXPECT_EQ(FormatIso(*ParseIso("2026-04-02T08:30:00-0130")), "2026-04-02T10:00:00.000Z");
    EXPECT_EQ(FormatIso(*ParseIso("2026-04-02T10:00:00")), "2026-04-02T10:00:00.000Z");
    EXPECT_EQ(FormatIso(*ParseIso("2026-04-02t10:00:00.5z")), "2026-04-02T10:00:00.500Z");
    EXPECT_EQ(FormatIso(*ParseIso("2024-02-29T23:59:59.999Z")), "2024-02-29T23:59:59.999Z");
}

TEST(Time, RejectsMalformedAndImpossibleTimes) {
    for (const char* bad :
         {"",
          "yesterday",
          "2026-05-11",
          "2026-05-11 20:00:00Z",
          "2026-13-01T00:00:00Z",
          "2026-02-30T00:00:00Z",
          "2025-02-29T00:00:00Z",
          "2026-05-11T24:00:00Z",
          "2026-05-11T20:60:00Z",
          "2026-05-11T20:00:00.Z",
          "2026-05-11T20:00:00+25:00",
          "2026-05-11T20:00:00Zjunk",
          "20260511T200000Z",
          "1778529600"}) {
        EXPECT_FALSE(ParseIso(bad)) << bad;
    }
}

TEST(Time, RoundTripsMicroseconds) {
    const auto t = FromUnixMicros(1'778'529'600'123'456);
    EXPECT_EQ(ToUnixMicros(t), 1'778'529'600'123'456);
}

}  // namespace
}  // namespace agentos::core
