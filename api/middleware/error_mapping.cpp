#include "api/middleware/error_mapping.hpp"

namespace agentos::api {
namespace {

struct Mapping {
    core::ErrorCode code;
    int status;
    std::string_view wire;
};

constexpr Mapping kTable[] = {
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

const Mapping& Find(core::ErrorCode code) {
    for (const auto& m : kTable) {
        if (m.code == code) {
            return m;
        }
    }
    return kTable[10];  // INTERNAL: an unmapped code is a bug
}

}  // namespace

int HttpStatus(core::ErrorCode code) {
    return Find(code).status;
}

std::string_view WireCode(core::ErrorCode code) {
    return Find(code).wire;
}

Response ErrorResponse(const core::Error& error) {
    nlohmann::json err = {{"code", WireCode(error.code())}, {"message", error.what()}};
    if (!error.details().is_null()) {
        err["details"] = error.details();
    }
    Response r;
    r.status = HttpStatus(error.code());
    if (const auto& d = error.details();
        d.is_object() && d.contains("retry_after_s") && d["retry_after_s"].is_number()) {
        r.SetHeader("Retry-After", std::to_string(d["retry_after_s"].get<std::int64_t>()));  // a busy session
    }
    r.body = nlohmann::json{{"data", nullptr}, {"error", std::move(err)}}.dump(
        -1, ' ', false, nlohmann::json::error_handler_t::replace
    );
    return r;
}

}  // namespace agentos::api
