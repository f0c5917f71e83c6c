#include "runtime/core/log.hpp"

#include <string>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace agentos::core {

void InitLogging(std::string_view level) {
    auto logger = spdlog::stderr_color_mt("agentos");
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
    spdlog::set_default_logger(logger);
    const auto parsed = spdlog::level::from_str(std::string(level));
    spdlog::set_level(parsed == spdlog::level::off && level != "off" ? spdlog::level::info : parsed);
}

}  // namespace agentos::core
