#pragma once
/// Router: exact paths first, then ":param" patterns in the order they were added. Knows nothing of auth or
/// errors; it only says which route (if any) a method and path reach.

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "api/server/http_types.hpp"
#include "runtime/net/asio.hpp"

namespace agentos::api {

using Handler = std::function<net::awaitable<Response>(Request&)>;

struct RouteOptions {
    bool authenticated = true;  ///< needs a valid key (and counts against its rate limit)
};

struct Route {
    std::string method;
    std::string pattern;  ///< "/api/v1/runs/:runId"
    Handler handler;
    RouteOptions options;
    std::vector<std::string> segments;  ///< pattern split on '/'
};

struct RouteMatch {
    const Route* route = nullptr;               ///< set when method and path matched
    std::map<std::string, std::string> params;  ///< decoded ":name" values
    std::vector<std::string> allowed_methods;   ///< when the path matched but not the method
};

class Router {
public:
    void Add(std::string method, std::string pattern, Handler handler, RouteOptions options = {});

    /// `path` is the raw (still percent-encoded) path; parameters come back decoded.
    RouteMatch Match(std::string_view method, std::string_view path) const;

    const std::vector<Route>& routes() const { return routes_; }

private:
    std::vector<Route> routes_;
};

}  // namespace agentos::api
