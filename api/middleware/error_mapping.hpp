#pragma once
/// The one place where errors become HTTP: ErrorCode → status and wire code, and the error envelope.

#include <string>
#include <string_view>

#include "api/server/http_types.hpp"
#include "runtime/core/error.hpp"

namespace agentos::api {

int HttpStatus(core::ErrorCode code);

/// "VALIDATION_ERROR", "NOT_FOUND", ...
std::string_view WireCode(core::ErrorCode code);

/// {"data": null, "error": {"code", "message", "details"?}} with the mapped status.
Response ErrorResponse(const core::Error& error);

}  // namespace agentos::api
