#pragma once
/// Strict reading of query parameters: each getter names the parameter in its errors, Finish() refuses any
/// parameter no getter asked for.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/server/http_types.hpp"
#include "runtime/core/run_status.hpp"

namespace agentos::api {

class QueryReader {
public:
    explicit QueryReader(const Request& request) : request_(request) {}

    std::optional<std::string> String(std::string_view name);
    /// A UUID (lower-cased) or VALIDATION_ERROR naming the parameter.
    std::optional<std::string> Uuid(std::string_view name);
    std::optional<std::int64_t> Int(std::string_view name, std::int64_t min, std::int64_t max);
    std::optional<core::RunStatus> Status(std::string_view name);
    std::optional<std::string> Enum(std::string_view name, std::initializer_list<std::string_view> allowed);

    /// `limit` (1..200, default 50).
    int Limit();

    void Finish() const;

private:
    const Request& request_;
    std::vector<std::string> known_;
};

/// Lists are read with limit + 1 rows: the extra row only says whether a next page exists. Drops it and returns
/// the cursor of the next page (the last kept item's id), or null on the last page.
template <class Items>
std::optional<std::string> TrimPage(Items& items, int limit) {
    if (static_cast<int>(items.size()) <= limit) {
        return std::nullopt;
    }
    items.resize(static_cast<std::size_t>(limit));
    return items.back().id;
}

}  // namespace agentos::api
