#include "api/server/router.hpp"

#include <algorithm>

namespace agentos::api {
namespace {

std::vector<std::string> Split(std::string_view path) {
    std::vector<std::string> out;
    std::size_t start = 1;  // skip the leading '/'
    while (start <= path.size()) {
        const auto slash = path.find('/', start);
        const auto end = slash == std::string_view::npos ? path.size() : slash;
        out.emplace_back(path.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

bool IsParam(const std::string& segment) {
    return !segment.empty() && segment[0] == ':';
}

/// Matches one route's pattern against the path segments, filling params. Exact segments compare raw.
bool MatchPattern(
    const Route& route, const std::vector<std::string>& parts, std::map<std::string, std::string>& params
) {
    if (route.segments.size() != parts.size()) {
        return false;
    }
    std::map<std::string, std::string> found;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const auto& seg = route.segments[i];
        if (IsParam(seg)) {
            auto decoded = PercentDecode(parts[i], false);
            if (!decoded || decoded->empty()) {
                return false;
            }
            found.emplace(seg.substr(1), std::move(*decoded));
        } else if (seg != parts[i]) {
            return false;
        }
    }
    params = std::move(found);
    return true;
}

}  // namespace

void Router::Add(std::string method, std::string pattern, Handler handler, RouteOptions options) {
    Route r{std::move(method), std::move(pattern), std::move(handler), options, {}};
    r.segments = Split(r.pattern);
    routes_.push_back(std::move(r));
}

RouteMatch Router::Match(std::string_view method, std::string_view path) const {
    RouteMatch m;
    if (path.empty() || path[0] != '/') {
        return m;
    }
    const auto parts = Split(path);
    // Two passes: routes without parameters win over patterns, whatever the order they were added in.
    for (const bool exact_pass : {true, false}) {
        for (const auto& route : routes_) {
            const bool exact = std::none_of(route.segments.begin(), route.segments.end(), IsParam);
            if (exact != exact_pass) {
                continue;
            }
            std::map<std::string, std::string> params;
            if (!MatchPattern(route, parts, params)) {
                continue;
            }
            if (route.method == method) {
                m.route = &route;
                m.params = std::move(params);
                return m;
            }
            if (std::find(m.allowed_methods.begin(), m.allowed_methods.end(), route.method) ==
                m.allowed_methods.end()) {
                m.allowed_methods.push_back(route.method);
            }
        }
        if (!m.allowed_methods.empty()) {
            return m;
        }
    }
    return m;
}

}  // namespace agentos::api
