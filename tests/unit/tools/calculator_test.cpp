#include "tools/builtin/calculator.hpp"

#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "runtime/core/error.hpp"

namespace agentos::tools {
namespace {

/// The message of the core::Error(kValidation) that Calculate throws, or "" (and a test failure) when it does not.
std::string ErrorOf(std::string_view expression) {
    try {
        const double value = Calculate(expression);
        ADD_FAILURE() << "'" << expression << "' evaluated to " << value << " instead of failing";
    } catch (const core::Error& e) {
        EXPECT_EQ(e.code(), core::ErrorCode::kValidation) << expression;
        EXPECT_EQ(e.details().at("field"), "expression") << expression;
        return e.what();
    }
    return "";
}

TEST(Calculator, EvaluatesNumberLiterals) {
    EXPECT_DOUBLE_EQ(Calculate("42"), 42.0);
    EXPECT_DOUBLE_EQ(Calculate("3.25"), 3.25);
    EXPECT_DOUBLE_EQ(Calculate(".5"), 0.5);
    EXPECT_DOUBLE_EQ(Calculate("5."), 5.0);
    EXPECT_DOUBLE_EQ(Calculate("1e3"), 1000.0);
    EXPECT_DOUBLE_EQ(Calculate("1E3"), 1000.0);
    EXPECT_DOUBLE_EQ(Calculate("2.5e+2"), 250.0);
    EXPECT_DOUBLE_EQ(Calculate("1.5e-3"), 0.0015);
    EXPECT_DOUBLE_EQ(Calculate("007"), 7.0);
}

TEST(Calculator, EvaluatesEachBinaryOperator) {
    EXPECT_DOUBLE_EQ(Calculate("2+3"), 5.0);
    EXPECT_DOUBLE_EQ(Calculate("2-3"), -1.0);
    EXPECT_DOUBLE_EQ(Calculate("2*3"), 6.0);
    EXPECT_DOUBLE_EQ(Calculate("3/2"), 1.5);
    EXPECT_DOUBLE_EQ(Calculate("7%3"), 1.0);
    EXPECT_DOUBLE_EQ(Calculate("2^10"), 1024.0);
}

TEST(Calculator, ModuloIsFloatingAndKeepsTheDividendSign) {
    EXPECT_DOUBLE_EQ(Calculate("5.5 % 2"), 1.5);
    EXPECT_DOUBLE_EQ(Calculate("-7 % 3"), -1.0);
    EXPECT_DOUBLE_EQ(Calculate("7 % -3"), 1.0);
    EXPECT_DOUBLE_EQ(Calculate("1 % 0.3"), std::fmod(1.0, 0.3));
}

TEST(Calculator, MultiplicationBindsTighterThanAddition) {
    EXPECT_DOUBLE_EQ(Calculate("2+3*4"), 14.0);
    EXPECT_DOUBLE_EQ(Calculate("2*3+4"), 10.0);
    EXPECT_DOUBLE_EQ(Calculate("10-6/2"), 7.0);
    EXPECT_DOUBLE_EQ(Calculate("1+7%4"), 4.0);
    EXPECT_DOUBLE_EQ(Calculate("2*3^2"), 18.0);
    EXPECT_DOUBLE_EQ(Calculate("(2+3)*4"), 20.0);
}

TEST(Calculator, AdditiveAndMultiplicativeOperatorsAreLeftAssociative) {
    EXPECT_DOUBLE_EQ(Calculate("10-4-3"), 3.0);
    EXPECT_DOUBLE_EQ(Calculate("100/10/5"), 2.0);
    EXPECT_DOUBLE_EQ(Calculate("17%10%4"), 3.0);
    EXPECT_DOUBLE_EQ(Calculate("8/2*4"), 16.0);
}

TEST(Calculator, PowerIsRightAssociative) {
    EXPECT_DOUBLE_EQ(Calculate("2^3^2"), 512.0);
    EXPECT_DOUBLE_EQ(Calculate("(2^3)^2"), 64.0);
    EXPECT_DOUBLE_EQ(Calculate("2^2^2^2"), 65536.0);
}

TEST(Calculator, PowerBindsTighterThanUnaryMinus) {
    EXPECT_DOUBLE_EQ(Calculate("-2^2"), -4.0);
    EXPECT_DOUBLE_EQ(Calculate("(-2)^2"), 4.0);
    EXPECT_DOUBLE_EQ(Calculate("2^-1"), 0.5);
    EXPECT_DOUBLE_EQ(Calculate("2^-1^2"), 0.5);
    EXPECT_DOUBLE_EQ(Calculate("4^0.5"), 2.0);
}

TEST(Calculator, UnaryPlusAndMinusNest) {
    EXPECT_DOUBLE_EQ(Calculate("-5"), -5.0);
    EXPECT_DOUBLE_EQ(Calculate("+5"), 5.0);
    EXPECT_DOUBLE_EQ(Calculate("--5"), 5.0);
    EXPECT_DOUBLE_EQ(Calculate("-+-5"), 5.0);
    EXPECT_DOUBLE_EQ(Calculate("2*-3"), -6.0);
    EXPECT_DOUBLE_EQ(Calculate("2--3"), 5.0);
    EXPECT_DOUBLE_EQ(Calculate("-(2+3)"), -5.0);
}

TEST(Calculator, IgnoresWhitespace) {
    EXPECT_DOUBLE_EQ(Calculate("  1 +\t2 *\n3\r "), 7.0);
    EXPECT_DOUBLE_EQ(Calculate("max ( 1 , 2 )"), 2.0);
}

TEST(Calculator, EvaluatesSingleArgumentFunctions) {
    EXPECT_DOUBLE_EQ(Calculate("sqrt(16)"), 4.0);
    EXPECT_DOUBLE_EQ(Calculate("abs(-3.5)"), 3.5);
    EXPECT_DOUBLE_EQ(Calculate("round(2.5)"), 3.0);
    EXPECT_DOUBLE_EQ(Calculate("round(-2.5)"), -3.0);
    EXPECT_DOUBLE_EQ(Calculate("round(2.4)"), 2.0);
    EXPECT_DOUBLE_EQ(Calculate("floor(-1.5)"), -2.0);
    EXPECT_DOUBLE_EQ(Calculate("ceil(1.2)"), 2.0);
    EXPECT_DOUBLE_EQ(Calculate("log(e)"), 1.0);
    EXPECT_DOUBLE_EQ(Calculate("log10(1000)"), 3.0);
    EXPECT_DOUBLE_EQ(Calculate("exp(0)"), 1.0);
    EXPECT_DOUBLE_EQ(Calculate("exp(1)"), std::exp(1.0));
    EXPECT_DOUBLE_EQ(Calculate("sin(pi/2)"), 1.0);
    EXPECT_DOUBLE_EQ(Calculate("cos(0)"), 1.0);
    EXPECT_NEAR(Calculate("tan(pi/4)"), 1.0, 1e-12);
}

TEST(Calculator, MinAndMaxTakeAnyPositiveNumberOfArguments) {
    EXPECT_DOUBLE_EQ(Calculate("min(5)"), 5.0);
    EXPECT_DOUBLE_EQ(Calculate("min(3,1,2)"), 1.0);
    EXPECT_DOUBLE_EQ(Calculate("max(3,1,2)"), 3.0);
    EXPECT_DOUBLE_EQ(Calculate("max(-1, -2)"), -1.0);
    EXPECT_DOUBLE_EQ(Calculate("min(1+1, 2*3, 10/5-1)"), 1.0);
}

TEST(Calculator, KnowsPiAndE) {
    EXPECT_DOUBLE_EQ(Calculate("pi"), 3.14159265358979323846);
    EXPECT_DOUBLE_EQ(Calculate("e"), 2.71828182845904523536);
    EXPECT_DOUBLE_EQ(Calculate("2*pi"), 2 * 3.14159265358979323846);
}

TEST(Calculator, FunctionsComposeAndNest) {
    EXPECT_DOUBLE_EQ(Calculate("sqrt(max(9, 16)) + abs(-1)"), 5.0);
    EXPECT_DOUBLE_EQ(Calculate("round(sqrt(2)*1000)/1000"), 1.414);
    EXPECT_DOUBLE_EQ(Calculate("((((1+2))))*((3))"), 9.0);
    EXPECT_DOUBLE_EQ(Calculate("-sqrt(4)^2"), -4.0);
}

TEST(Calculator, NeverReturnsNegativeZero) {
    const double zero = Calculate("-0");
    EXPECT_EQ(zero, 0.0);
    EXPECT_FALSE(std::signbit(zero));
}

TEST(Calculator, RefusesDivisionAndModuloByZero) {
    EXPECT_EQ(ErrorOf("1/0"), "expression: division by zero at 2");
    EXPECT_EQ(ErrorOf("1 / (2-2)"), "expression: division by zero at 3");
    EXPECT_EQ(ErrorOf("0/0"), "expression: division by zero at 2");
    EXPECT_EQ(ErrorOf("5 % 0"), "expression: modulo by zero at 3");
}

TEST(Calculator, RefusesUnknownIdentifiers) {
    EXPECT_EQ(ErrorOf("foo(1)"), "expression: unknown identifier 'foo' at 1");
    EXPECT_EQ(ErrorOf("1 + x"), "expression: unknown identifier 'x' at 5");
    EXPECT_EQ(ErrorOf("PI"), "expression: unknown identifier 'PI' at 1");
    EXPECT_EQ(ErrorOf("system(1)"), "expression: unknown identifier 'system' at 1");
    EXPECT_EQ(ErrorOf("__import__"), "expression: unknown identifier '__import__' at 1");
}

TEST(Calculator, RefusesMisusedFunctionsAndConstants) {
    EXPECT_EQ(ErrorOf("sqrt 4"), "expression: expected '(' after sqrt at 6");
    EXPECT_EQ(ErrorOf("sqrt"), "expression: expected '(' after sqrt at 5");
    EXPECT_EQ(ErrorOf("pi(2)"), "expression: pi is a constant, not a function at 1");
    EXPECT_EQ(ErrorOf("min()"), "expression: min needs at least 1 argument at 1");
    EXPECT_EQ(ErrorOf("max()"), "expression: max needs at least 1 argument at 1");
    EXPECT_EQ(ErrorOf("sqrt()"), "expression: sqrt takes exactly 1 argument, got 0 at 1");
    EXPECT_EQ(ErrorOf("sqrt(1,2)"), "expression: sqrt takes exactly 1 argument, got 2 at 1");
    EXPECT_EQ(ErrorOf("max(1,)"), "expression: unexpected ')' at 7");
    EXPECT_EQ(ErrorOf("max(1 2)"), "expression: expected ')' instead of '2' at 7");
}

TEST(Calculator, RefusesBadSyntax) {
    EXPECT_EQ(ErrorOf(""), "expression: empty expression at 1");
    EXPECT_EQ(ErrorOf("   "), "expression: empty expression at 4");
    EXPECT_EQ(ErrorOf("2 +"), "expression: unexpected end of expression at 4");
    EXPECT_EQ(ErrorOf("1 2"), "expression: unexpected '2' at 3");
    EXPECT_EQ(ErrorOf("(1+2"), "expression: missing ')' at 5");
    EXPECT_EQ(ErrorOf("1+2)"), "expression: unexpected ')' at 4");
    EXPECT_EQ(ErrorOf("()"), "expression: unexpected ')' at 2");
    EXPECT_EQ(ErrorOf("(1,2)"), "expression: expected ')' instead of ',' at 3");
    EXPECT_EQ(ErrorOf("2 $ 3"), "expression: unexpected '$' at 3");
    EXPECT_EQ(ErrorOf("*2"), "expression: unexpected '*' at 1");
    EXPECT_EQ(ErrorOf("2**3"), "expression: unexpected '*' at 3");
    EXPECT_EQ(ErrorOf("2^"), "expression: unexpected end of expression at 3");
    EXPECT_EQ(ErrorOf("1 + \xC3\xA9"), "expression: unexpected character at 5");
    EXPECT_EQ(ErrorOf(std::string_view("1+\0", 3)), "expression: unexpected character at 3");
}

TEST(Calculator, RefusesMalformedNumbers) {
    EXPECT_EQ(ErrorOf("."), "expression: malformed number at 1");
    EXPECT_EQ(ErrorOf("1.2.3"), "expression: malformed number at 1");
    EXPECT_EQ(ErrorOf("1e"), "expression: malformed number exponent at 1");
    EXPECT_EQ(ErrorOf("2 + 1e+"), "expression: malformed number exponent at 5");
    EXPECT_EQ(ErrorOf("2pi"), "expression: malformed number at 1");
    EXPECT_EQ(ErrorOf("0x10"), "expression: malformed number at 1");
    EXPECT_EQ(ErrorOf("1e999"), "expression: number out of range at 1");
}

TEST(Calculator, RefusesNonFiniteResults) {
    EXPECT_EQ(ErrorOf("sqrt(-1)"), "expression: non-finite result at 1");
    EXPECT_EQ(ErrorOf("log(0)"), "expression: non-finite result at 1");
    EXPECT_EQ(ErrorOf("2 + log10(-1)"), "expression: non-finite result at 5");
    EXPECT_EQ(ErrorOf("1e308*10"), "expression: non-finite result at 6");
    EXPECT_EQ(ErrorOf("1e308+1e308"), "expression: non-finite result at 6");
    EXPECT_EQ(ErrorOf("-1e308-1e308"), "expression: non-finite result at 7");
    EXPECT_EQ(ErrorOf("10^400"), "expression: non-finite result at 3");
    EXPECT_EQ(ErrorOf("0^-1"), "expression: non-finite result at 2");
    EXPECT_EQ(ErrorOf("(-8)^(1/3)"), "expression: non-finite result at 5");
    EXPECT_EQ(ErrorOf("exp(1000)"), "expression: non-finite result at 1");
    EXPECT_EQ(ErrorOf("1e308/1e-308"), "expression: non-finite result at 6");
}

TEST(Calculator, RefusesExpressionsLongerThanTheLimit) {
    std::string at_limit = "1";
    while (at_limit.size() + 1 < kMaxExpressionLength) {
        at_limit += "+1";
    }
    ASSERT_EQ(at_limit.size(), 999U);
    at_limit += " ";
    EXPECT_DOUBLE_EQ(Calculate(at_limit), 500.0);
    EXPECT_EQ(ErrorOf(at_limit + "1"), "expression: longer than 1000 characters at 1001");
}

TEST(Calculator, RefusesNestingDeeperThanTheLimit) {
    const auto nested = [](int depth) {
        return std::string(static_cast<std::size_t>(depth), '(') + "1" +
               std::string(static_cast<std::size_t>(depth), ')');
    };
    EXPECT_DOUBLE_EQ(Calculate(nested(64)), 1.0);
    EXPECT_EQ(ErrorOf(nested(65)), "expression: nesting deeper than 64 at 65");
    EXPECT_EQ(ErrorOf(nested(400)), "expression: nesting deeper than 64 at 65");

    EXPECT_DOUBLE_EQ(Calculate(std::string(64, '-') + "1"), 1.0);
    EXPECT_EQ(ErrorOf(std::string(65, '-') + "1"), "expression: nesting deeper than 64 at 65");

    std::string calls;
    for (int i = 0; i < 70; ++i) {
        calls += "abs(";
    }
    calls += "1" + std::string(70, ')');
    EXPECT_EQ(ErrorOf(calls), "expression: nesting deeper than 64 at 260");

    std::string tower = "1";
    for (int i = 0; i < 70; ++i) {
        tower += "^1";
    }
    EXPECT_EQ(ErrorOf(tower), "expression: nesting deeper than 64 at 130");
}

TEST(Calculator, SurvivesAHostileDeeplyNestedInputOfMaximalLength) {
    EXPECT_FALSE(ErrorOf(std::string(1000, '(')).empty());
    EXPECT_FALSE(ErrorOf(std::string(1000, '-')).empty());
    EXPECT_FALSE(ErrorOf(std::string(1000, ')')).empty());
}

TEST(CalculatorFormatNumber, PrintsIntegersWithoutADecimalPoint) {
    EXPECT_EQ(FormatNumber(42.0), "42");
    EXPECT_EQ(FormatNumber(-7.0), "-7");
    EXPECT_EQ(FormatNumber(0.0), "0");
    EXPECT_EQ(FormatNumber(-0.0), "0");
    EXPECT_EQ(FormatNumber(1024.0), "1024");
    EXPECT_EQ(FormatNumber(999999999999999.0), "999999999999999");
}

TEST(CalculatorFormatNumber, PrintsOtherValuesWithFifteenSignificantDigits) {
    EXPECT_EQ(FormatNumber(0.5), "0.5");
    EXPECT_EQ(FormatNumber(-2.25), "-2.25");
    EXPECT_EQ(FormatNumber(0.1 + 0.2), "0.3");
    EXPECT_EQ(FormatNumber(1.0 / 3.0), "0.333333333333333");
    EXPECT_EQ(FormatNumber(3.14159265358979323846), "3.14159265358979");
    EXPECT_EQ(FormatNumber(1e-7), "1e-07");
    EXPECT_EQ(FormatNumber(1e20), "1e+20");
    EXPECT_EQ(FormatNumber(1e15), "1e+15");
}

TEST(CalculatorFormatNumber, FormatsCalculatedResults) {
    EXPECT_EQ(FormatNumber(Calculate("6*7")), "42");
    EXPECT_EQ(FormatNumber(Calculate("10/4")), "2.5");
    EXPECT_EQ(FormatNumber(Calculate("2^0.5")), "1.4142135623731");
}

}  // namespace
}  // namespace agentos::tools
