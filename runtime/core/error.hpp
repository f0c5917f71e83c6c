#pragma once
/// The one error type of AgentOS: an API error code, a message that says what to fix, and optional details.
/// Thrown from anywhere; api/middleware/error_mapping.cpp is the only place that turns it into HTTP.

#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace agentos::core {

enum class ErrorCode {
    kUnauthenticated,   ///< missing, malformed, unknown or revoked key
    kForbidden,         ///< key scoped to another agent
    kNotFound,          ///< not found in the caller's workspace
    kMethodNotAllowed,  ///< route exists, method does not
    kValidation,        ///< bad payload or a request the object's state does not allow
    kConflict,          ///< state conflict (closing a closed run, resolving twice)
    kPayloadTooLarge,   ///< body over the limit
    kHeadersTooLarge,   ///< request headers over the limit
    kRequestTimeout,    ///< the client was too slow to send its request
    kRateLimited,       ///< over the per-key request rate
    kInternal,          ///< a bug
    kUnavailable,       ///< database down or shutting down; safe to retry
};

class Error : public std::runtime_error {
public:
    Error(ErrorCode code, const std::string& message, nlohmann::json details = nullptr)
        : std::runtime_error(message), code_(code), details_(std::move(details)) {}

    ErrorCode code() const { return code_; }

    const nlohmann::json& details() const { return details_; }

    /// A VALIDATION_ERROR about one field: message "<field>: <problem>", details {"field": <field>}.
    static Error Validation(std::string_view field, std::string_view problem);

    static Error NotFound(std::string_view what);

    static Error Conflict(const std::string& message) { return {ErrorCode::kConflict, message}; }

private:
    ErrorCode code_;
    nlohmann::json details_;
};

}  // namespace agentos::core
