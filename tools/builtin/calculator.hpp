#pragma once
/// The engine of the `calculator` built-in tool: a small recursive-descent arithmetic evaluator (no eval, no state).
/// Pure functions; safe to call from any thread.

#include <cstddef>
#include <string>
#include <string_view>

namespace agentos::tools {

/// Longest accepted expression, in characters.
inline constexpr std::size_t kMaxExpressionLength = 1000;

/// Deepest accepted nesting of parentheses, function calls, unary signs and exponents.
inline constexpr int kMaxExpressionNesting = 64;

/// Evaluates numbers (42, 3.5, .5, 1e3), + - * / % (floating modulo) ^ (power, right-associative, binds tighter than
/// unary minus: -2^2 = -4), unary + -, parentheses, sqrt abs round floor ceil min(a,…) max(a,…) log (natural) log10 exp
/// sin cos tan, and the constants pi and e. Throws core::Error(kValidation) "expression: <what> at <position>", where
/// position is the 1-based character offset of the offending token.
double Calculate(std::string_view expression);

/// Integers print without a decimal point ("42"); other values with up to 15 significant digits ("0.3", "1e+20").
std::string FormatNumber(double value);

}  // namespace agentos::tools
