#pragma once
/// The server config file (`agentos serve --config FILE`, `agentos dev --config FILE`): YAML or JSON with the
/// settings that are too structured for flags — the price table, the http_fetch allow-list, limits of hosted runs,
/// extra trust anchors. Every key is optional; unknown keys are errors. docs/config.md is the reference.

#include <string>
#include <string_view>

#include "api/app.hpp"

namespace agentos::api {

/// Applies the config document `text` (named `source_name` in errors) to `config`. Throws core::Error
/// (VALIDATION_ERROR) naming the field, with line and column when the text itself is malformed.
void ApplyServerConfig(std::string_view text, std::string_view source_name, AppConfig& config);

/// Reads `path` and applies it. A missing or unreadable file is a VALIDATION_ERROR naming --config.
void LoadServerConfigFile(const std::string& path, AppConfig& config);

}  // namespace agentos::api
