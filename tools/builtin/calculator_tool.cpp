#include "tools/builtin/calculator_tool.hpp"

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>

#include "runtime/core/error.hpp"
#include "tools/builtin/calculator.hpp"

namespace agentos::tools {
namespace {

/// 2^53: every integer below it is exact in a double.
constexpr double kMaxExactInteger = 9007199254740992.0;

}  // namespace

CalculatorTool::CalculatorTool(spec::ToolSpec tool_spec) : spec_(std::move(tool_spec)) {
    if (spec_.description.empty()) {
        spec_.description =
            "Evaluates an arithmetic expression exactly as written: + - * / % ^, parentheses, sqrt abs round floor "
            "ceil min max log log10 exp sin cos tan, and the constants pi and e.";
    }
    spec_.parameters = {
        {"type", "object"},
        {"properties",
         {{"expression", {{"type", "string"}, {"description", "The expression, e.g. (2 + 3) * sqrt(16) / 4"}}}}},
        {"required", nlohmann::json::array({"expression"})},
    };
}

net::awaitable<ToolOutcome> CalculatorTool::Call(nlohmann::json args, ToolCallContext /*context*/) {
    if (!args.is_object() || !args.contains("expression") || !args["expression"].is_string()) {
        co_return ToolOutcome::Error("expression: required, a string");
    }
    const std::string expression = args["expression"].get<std::string>();
    double result = 0;
    std::string failure;
    try {
        result = Calculate(expression);
    } catch (const core::Error& e) {
        failure = e.what();
    }
    if (!failure.empty()) {
        co_return ToolOutcome::Error(failure);
    }
    nlohmann::json number = result;
    if (std::trunc(result) == result && std::fabs(result) < kMaxExactInteger) {
        number = static_cast<std::int64_t>(result);  // 14, not 14.0
    }
    co_return ToolOutcome{nlohmann::json{{"result", number}, {"text", FormatNumber(result)}}, false};
}

}  // namespace agentos::tools
