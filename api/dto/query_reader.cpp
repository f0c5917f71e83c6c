#include "api/dto/query_reader.hpp"

#include <algorithm>

#include "runtime/core/error.hpp"
#include "runtime/core/ids.hpp"

namespace agentos::api {

std::optional<std::string> QueryReader::String(std::string_view name) {
    known_.emplace_back(name);
    std::optional<std::string> found;
    for (const auto& [k, v] : request_.query) {
        if (k == name) {
            if (found) {
                throw core::Error::Validation(name, "given more than once");
            }
            found = v;
        }
    }
    if (found && found->empty()) {
        throw core::Error::Validation(name, "must not be empty");
    }
    return found;
}

std::optional<std::string> QueryReader::Uuid(std::string_view name) {
    auto v = String(name);
    if (!v) {
        return std::nullopt;
    }
    return core::RequireUuid(name, *v);
}

std::optional<std::int64_t> QueryReader::Int(std::string_view name, std::int64_t min, std::int64_t max) {
    const auto v = String(name);
    if (!v) {
        return std::nullopt;
    }
    std::int64_t value = 0;
    bool ok = v->size() <= 18;
    for (std::size_t i = 0; ok && i < v->size(); ++i) {
        const char c = (*v)[i];
        ok = c >= '0' && c <= '9';
        value = value * 10 + (c - '0');
    }
    if (!ok || value < min || value > max) {
        throw core::Error::Validation(
            name, "must be a whole number from " + std::to_string(min) + " to " + std::to_string(max)
        );
    }
    return value;
}

std::optional<core::RunStatus> QueryReader::Status(std::string_view name) {
    const auto v = String(name);
    if (!v) {
        return std::nullopt;
    }
    const auto s = core::ParseRunStatus(*v);
    if (!s) {
        throw core::Error::Validation(
            name,
            "must be one of queued, running, awaiting_approval, awaiting_input, completed, failed, cancelled (got \"" +
                *v + "\")"
        );
    }
    return s;
}

std::optional<std::string> QueryReader::Enum(std::string_view name, std::initializer_list<std::string_view> allowed) {
    auto v = String(name);
    if (!v || std::find(allowed.begin(), allowed.end(), *v) != allowed.end()) {
        return v;
    }
    std::string list;
    for (const auto a : allowed) {
        list.append(list.empty() ? "" : ", ").append(a);
    }
    throw core::Error::Validation(name, "must be one of " + list + " (got \"" + *v + "\")");
}

int QueryReader::Limit() {
    return static_cast<int>(Int("limit", 1, 200).value_or(50));
}

void QueryReader::Finish() const {
    for (const auto& [k, v] : request_.query) {
        if (std::find(known_.begin(), known_.end(), k) == known_.end()) {
            std::string allowed;
            for (const auto& n : known_) {
                allowed.append(allowed.empty() ? "" : ", ").append(n);
            }
            throw core::Error::Validation(
                k, "unknown query parameter (allowed here: " + (allowed.empty() ? std::string("none") : allowed) + ")"
            );
        }
    }
}

}  // namespace agentos::api
