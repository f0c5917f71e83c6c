#include "tools/builtin/calculator.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <string>
#include <system_error>
#include <vector>

#include "runtime/core/error.hpp"

namespace agentos::tools {
namespace {

using UnaryFunction = double (*)(double);

struct NamedFunction {
    std::string_view name;
    UnaryFunction function;
};

constexpr std::array<NamedFunction, 11> kUnaryFunctions{{
    {"sqrt",
     [](double x) {
         return std::sqrt(x);
     }},
    {"abs",
     [](double x) {
         return std::fabs(x);
     }},
    {"round",
     [](double x) {
         return std::round(x);
     }},
    {"floor",
     [](double x) {
         return std::floor(x);
     }},
    {"ceil",
     [](double x) {
         return std::ceil(x);
     }},
    {"log",
     [](double x) {
         return std::log(x);
     }},
    {"log10",
     [](double x) {
         return std::log10(x);
     }},
    {"exp",
     [](double x) {
         return std::exp(x);
     }},
    {"sin",
     [](double x) {
         return std::sin(x);
     }},
    {"cos",
     [](double x) {
         return std::cos(x);
     }},
    {"tan",
     [](double x) {
         return std::tan(x);
     }},
}};

constexpr double kPi = 3.14159265358979323846;
constexpr double kE = 2.71828182845904523536;

[[noreturn]] void Fail(const std::string& what, std::size_t offset) {
    const std::size_t position = offset + 1;
    throw core::Error(
        core::ErrorCode::kValidation,
        "expression: " + what + " at " + std::to_string(position),
        nlohmann::json{{"field", "expression"}, {"position", position}}
    );
}

bool IsDigit(char c) {
    return c >= '0' && c <= '9';
}

bool IsIdentifierStart(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool IsIdentifierChar(char c) {
    return IsIdentifierStart(c) || IsDigit(c);
}

/// Names a character for an error message without echoing bytes that are not printable ASCII (the message ends up
/// in JSON, which must stay valid UTF-8).
std::string Describe(char c) {
    if (c > ' ' && c < '\x7f') {
        return std::string("'") + c + "'";
    }
    return "character";
}

class Parser {
public:
    explicit Parser(std::string_view text) : text_(text) {}

    double Run() {
        SkipSpace();
        if (AtEnd()) {
            Fail("empty expression", pos_);
        }
        const double value = ParseExpression();
        SkipSpace();
        if (!AtEnd()) {
            Fail("unexpected " + Describe(text_[pos_]), pos_);
        }
        return value;
    }

private:
    /// Bounds recursion so that a hostile expression cannot exhaust the stack.
    class NestingGuard {
    public:
        NestingGuard(int& depth, std::size_t offset) : depth_(depth) {
            if (++depth_ > kMaxExpressionNesting) {
                Fail("nesting deeper than " + std::to_string(kMaxExpressionNesting), offset);
            }
        }

        ~NestingGuard() { --depth_; }

        NestingGuard(const NestingGuard&) = delete;
        NestingGuard& operator=(const NestingGuard&) = delete;

    private:
        int& depth_;
    };

    bool AtEnd() const { return pos_ >= text_.size(); }

    char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }

    void SkipSpace() {
        while (!AtEnd() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r')) {
            ++pos_;
        }
    }

    static double Finite(double value, std::size_t offset) {
        if (!std::isfinite(value)) {
            Fail("non-finite result", offset);
        }
        return value;
    }

    // expression := term (('+' | '-') term)*
    double ParseExpression() {
        double left = ParseTerm();
        for (;;) {
            SkipSpace();
            const char op = Peek();
            if (op != '+' && op != '-') {
                return left;
            }
            const std::size_t op_pos = pos_++;
            const double right = ParseTerm();
            left = Finite(op == '+' ? left + right : left - right, op_pos);
        }
    }

    // term := unary (('*' | '/' | '%') unary)*
    double ParseTerm() {
        double left = ParseUnary();
        for (;;) {
            SkipSpace();
            const char op = Peek();
            if (op != '*' && op != '/' && op != '%') {
                return left;
            }
            const std::size_t op_pos = pos_++;
            const double right = ParseUnary();
            if (op == '*') {
                left = Finite(left * right, op_pos);
            } else if (right == 0.0) {
                Fail(op == '/' ? "division by zero" : "modulo by zero", op_pos);
            } else {
                left = Finite(op == '/' ? left / right : std::fmod(left, right), op_pos);
            }
        }
    }

    // unary := ('-' | '+') unary | power
    double ParseUnary() {
        SkipSpace();
        const char op = Peek();
        if (op != '-' && op != '+') {
            return ParsePower();
        }
        const NestingGuard guard(depth_, pos_);
        ++pos_;
        const double operand = ParseUnary();
        return op == '-' ? -operand : operand;
    }

    // power := primary ('^' unary)?   — right-associative because the exponent is parsed by ParseUnary.
    double ParsePower() {
        const double base = ParsePrimary();
        SkipSpace();
        if (Peek() != '^') {
            return base;
        }
        const std::size_t op_pos = pos_++;
        const NestingGuard guard(depth_, op_pos);
        const double exponent = ParseUnary();
        return Finite(std::pow(base, exponent), op_pos);
    }

    // primary := number | constant | function '(' arguments ')' | '(' expression ')'
    double ParsePrimary() {
        SkipSpace();
        if (AtEnd()) {
            Fail("unexpected end of expression", pos_);
        }
        const char c = text_[pos_];
        if (IsDigit(c) || c == '.') {
            return ParseNumber();
        }
        if (IsIdentifierStart(c)) {
            return ParseIdentifier();
        }
        if (c == '(') {
            const NestingGuard guard(depth_, pos_);
            ++pos_;
            const double value = ParseExpression();
            ExpectClosingParenthesis();
            return value;
        }
        Fail("unexpected " + Describe(c), pos_);
    }

    void ExpectClosingParenthesis() {
        SkipSpace();
        if (Peek() != ')') {
            Fail(AtEnd() ? "missing ')'" : "expected ')' instead of " + Describe(text_[pos_]), pos_);
        }
        ++pos_;
    }

    double ParseNumber() {
        const std::size_t start = pos_;
        std::size_t digits = 0;
        while (IsDigit(Peek())) {
            ++pos_;
            ++digits;
        }
        if (Peek() == '.') {
            ++pos_;
            while (IsDigit(Peek())) {
                ++pos_;
                ++digits;
            }
        }
        if (digits == 0) {
            Fail("malformed number", start);
        }
        if (Peek() == 'e' || Peek() == 'E') {
            ++pos_;
            if (Peek() == '+' || Peek() == '-') {
                ++pos_;
            }
            if (!IsDigit(Peek())) {
                Fail("malformed number exponent", start);
            }
            while (IsDigit(Peek())) {
                ++pos_;
            }
        }
        if (Peek() == '.' || IsIdentifierChar(Peek())) {
            Fail("malformed number", start);
        }
        double value = 0.0;
        const char* first = text_.data() + start;
        const char* last = text_.data() + pos_;
        const auto [end, ec] = std::from_chars(first, last, value, std::chars_format::general);
        if (ec == std::errc::result_out_of_range) {
            Fail("number out of range", start);
        }
        if (ec != std::errc() || end != last) {
            Fail("malformed number", start);
        }
        return value;
    }

    double ParseIdentifier() {
        const std::size_t start = pos_;
        while (IsIdentifierChar(Peek())) {
            ++pos_;
        }
        const std::string_view name = text_.substr(start, pos_ - start);
        SkipSpace();
        const bool called = Peek() == '(';
        if (name == "pi" || name == "e") {
            if (called) {
                Fail(std::string(name) + " is a constant, not a function", start);
            }
            return name == "pi" ? kPi : kE;
        }
        const bool variadic = name == "min" || name == "max";
        const NamedFunction* unary = nullptr;
        for (const auto& candidate : kUnaryFunctions) {
            if (candidate.name == name) {
                unary = &candidate;
            }
        }
        if (!variadic && unary == nullptr) {
            Fail("unknown identifier '" + std::string(name.substr(0, 32)) + "'", start);
        }
        if (!called) {
            Fail("expected '(' after " + std::string(name), pos_);
        }
        const NestingGuard guard(depth_, pos_);
        ++pos_;
        const std::vector<double> args = ParseArguments();
        if (variadic) {
            if (args.empty()) {
                Fail(std::string(name) + " needs at least 1 argument", start);
            }
            double result = args.front();
            for (const double arg : args) {
                result = name == "min" ? std::fmin(result, arg) : std::fmax(result, arg);
            }
            return result;
        }
        if (args.size() != 1) {
            Fail(std::string(name) + " takes exactly 1 argument, got " + std::to_string(args.size()), start);
        }
        return Finite(unary->function(args.front()), start);
    }

    std::vector<double> ParseArguments() {
        std::vector<double> args;
        SkipSpace();
        if (Peek() == ')') {
            ++pos_;
            return args;
        }
        for (;;) {
            args.push_back(ParseExpression());
            SkipSpace();
            if (Peek() != ',') {
                break;
            }
            ++pos_;
        }
        ExpectClosingParenthesis();
        return args;
    }

    std::string_view text_;
    std::size_t pos_ = 0;
    int depth_ = 0;
};

}  // namespace

double Calculate(std::string_view expression) {
    if (expression.size() > kMaxExpressionLength) {
        Fail("longer than " + std::to_string(kMaxExpressionLength) + " characters", kMaxExpressionLength);
    }
    const double result = Parser(expression).Run();
    if (!std::isfinite(result)) {
        Fail("non-finite result", 0);
    }
    return result == 0.0 ? 0.0 : result;  // no "-0"
}

std::string FormatNumber(double value) {
    if (value == 0.0) {
        return "0";
    }
    std::array<char, 64> buffer{};
    std::to_chars_result written{};
    if (std::isfinite(value) && std::trunc(value) == value && std::fabs(value) < 1e15) {
        written = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value, std::chars_format::fixed, 0);
    } else {
        written = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value, std::chars_format::general, 15);
    }
    return {buffer.data(), written.ptr};
}

}  // namespace agentos::tools
