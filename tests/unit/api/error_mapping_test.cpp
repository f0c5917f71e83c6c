#include "api/middleware/error_mapping.hpp"

#include <gtest/gtest.h>

namespace agentos::api {
namespace {

TEST(ErrorMapping, EveryCodeHasItsStatusAndWireName) {
    const std::vector<std::tuple<core::ErrorCode, int, std::string>> table = {
        {core::ErrorCode::kUnauthenticated, 401, "UNAUTHENTICATED"},
        {core::ErrorCode::kForbidden, 403, "FORBIDDEN"},
        {core::ErrorCode::kNotFound, 404, "NOT_FOUND"},
        {core::ErrorCode::kMethodNotAllowed, 405, "METHOD_NOT_ALLOWED"},
        {core::ErrorCode::kRequestTimeout, 408, "REQUEST_TIMEOUT"},
        {core::ErrorCode::kValidation, 400, "VALIDATION_ERROR"},
        {core::ErrorCode::kConflict, 409, "CONFLICT"},
        {core::ErrorCode::kPayloadTooLarge, 413, "PAYLOAD_TOO_LARGE"},
        {core::ErrorCode::kHeadersTooLarge, 431, "HEADERS_TOO_LARGE"},
        {core::ErrorCode::kRateLimited, 429, "RATE_LIMITED"},
        {core::ErrorCode::kInternal, 500, "INTERNAL"},
        {core::ErrorCode::kUnavailable, 503, "UNAVAILABLE"},
    };
    for (const auto& [code, status, wire] : table) {
        EXPECT_EQ(HttpStatus(code), status) << wire;
        EXPECT_EQ(WireCode(code), wire);
    }
}

TEST(ErrorMapping, BuildsTheEnvelopeWithDetails) {
    const auto r = ErrorResponse(core::Error::Validation("events[0].type", "required"));
    EXPECT_EQ(r.status, 400);
    const auto j = nlohmann::json::parse(r.body);
    EXPECT_TRUE(j["data"].is_null());
    EXPECT_EQ(j["error"]["code"], "VALIDATION_ERROR");
    EXPECT_EQ(j["error"]["message"], "events[0].type: required");
    EXPECT_EQ(j["error"]["details"]["field"], "events[0].type");
    const auto plain = nlohmann::json::parse(ErrorResponse(core::Error::NotFound("run x")).body);
    EXPECT_FALSE(plain["error"].contains("details"));
}

}  // namespace
}  // namespace agentos::api
