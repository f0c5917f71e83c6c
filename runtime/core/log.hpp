#pragma once
/// Logging setup. Code logs through spdlog directly; this only configures the default logger once.

#include <string_view>

namespace agentos::core {

/// Sets the default logger to stderr with level `level` (trace|debug|info|warn|error|off); unknown → info.
void InitLogging(std::string_view level);

}  // namespace agentos::core
