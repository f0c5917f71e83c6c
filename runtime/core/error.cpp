#include "runtime/core/error.hpp"

namespace agentos::core {

Error Error::Validation(std::string_view field, std::string_view problem) {
    std::string message;
    message.reserve(field.size() + problem.size() + 2);
    message.append(field).append(": ").append(problem);
    return {ErrorCode::kValidation, message, nlohmann::json{{"field", field}}};
}

Error Error::NotFound(std::string_view what) {
    std::string message(what);
    message.append(" not found");
    return {ErrorCode::kNotFound, message};
}

}  // namespace agentos::core
