#include "runtime/template/when_expr.hpp"

#include <functional>
#include <string>

#include <gtest/gtest.h>

#include "runtime/core/error.hpp"

namespace agentos::templating {
namespace {

using nlohmann::json;

constexpr std::string_view kField = "graph.nodes.route.routes[0].when";

/// The message of the VALIDATION_ERROR that parsing `text` throws; checks the code and the details' field.
std::string ParseError(const std::string& text) {
    try {
        WhenExpr::Parse(text, kField);
    } catch (const core::Error& e) {
        EXPECT_EQ(e.code(), core::ErrorCode::kValidation) << text;
        EXPECT_EQ(e.details().value("field", ""), kField) << text;
        std::string message = e.what();
        EXPECT_EQ(message.rfind(std::string(kField) + ": ", 0), 0U) << message;
        return message;
    }
    ADD_FAILURE() << "expected a VALIDATION_ERROR for: " << text;
    return "";
}

bool Contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

class WhenEval : public ::testing::Test {
protected:
    bool Eval(const std::string& text) const { return WhenExpr::Parse(text, kField).Evaluate(scope_); }

    json scope_ = {
        {"state",
         {
             {"region", "eu"},
             {"count", 3},
             {"ratio", 0.5},
             {"big", 18446744073709551615ULL},
             {"neg", -2},
             {"zero", 0},
             {"zero_f", 0.0},
             {"empty", ""},
             {"yes", true},
             {"no", false},
             {"nothing", nullptr},
             {"obj", {{"k", "v"}}},
             {"empty_obj", json::object()},
             {"list", {10, 20}},
             {"empty_list", json::array()},
             {"with-dash", "d"},
             {"quote", "it's \"q\" \\"},
         }},
        {"input", {{"query", "weather"}, {"n", 1}}},
    };
};

TEST_F(WhenEval, EqualityAndInequality) {
    EXPECT_TRUE(Eval("state.region == 'eu'"));
    EXPECT_FALSE(Eval("state.region == 'us'"));
    EXPECT_TRUE(Eval("state.region != 'us'"));
    EXPECT_FALSE(Eval("state.region != \"eu\""));
    EXPECT_TRUE(Eval("state.count == 3"));
    EXPECT_TRUE(Eval("state.count == 3.0"));
    EXPECT_TRUE(Eval("input.n == 1.0"));
    EXPECT_TRUE(Eval("state.ratio == 0.5"));
    EXPECT_TRUE(Eval("state.yes == true"));
    EXPECT_TRUE(Eval("state.no == false"));
    EXPECT_TRUE(Eval("state.nothing == null"));
    EXPECT_TRUE(Eval("state.obj == state.obj"));
    EXPECT_TRUE(Eval("state.list != state.obj"));
    EXPECT_TRUE(Eval("'a' == 'a'"));
    // No coercion between types.
    EXPECT_FALSE(Eval("state.count == '3'"));
    EXPECT_FALSE(Eval("state.zero == false"));
    EXPECT_FALSE(Eval("state.empty == null"));
    EXPECT_TRUE(Eval("state.zero != false"));
}

TEST_F(WhenEval, NumberOrdering) {
    EXPECT_TRUE(Eval("state.count > 2"));
    EXPECT_FALSE(Eval("state.count > 3"));
    EXPECT_TRUE(Eval("state.count >= 3"));
    EXPECT_TRUE(Eval("state.count < 3.5"));
    EXPECT_TRUE(Eval("state.count <= 3"));
    EXPECT_FALSE(Eval("state.count < 3"));
    EXPECT_TRUE(Eval("state.neg < 0"));
    EXPECT_TRUE(Eval("state.neg < -1.5"));
    EXPECT_TRUE(Eval("-2 == state.neg"));
    EXPECT_TRUE(Eval("state.ratio < 1"));
    EXPECT_TRUE(Eval("10 > 9"));         // numerically, not as text
    EXPECT_TRUE(Eval("state.big > 1"));  // unsigned 64-bit against signed
    EXPECT_TRUE(Eval("state.neg < state.big"));
    EXPECT_FALSE(Eval("state.big == -1"));
    EXPECT_TRUE(Eval("100000000000000000000 > state.big"));  // beyond int64: a double
}

TEST_F(WhenEval, StringOrdering) {
    EXPECT_TRUE(Eval("'abc' < 'abd'"));
    EXPECT_TRUE(Eval("'b' > 'abc'"));
    EXPECT_TRUE(Eval("state.region >= 'eu'"));
    EXPECT_TRUE(Eval("state.region <= 'eu'"));
    EXPECT_TRUE(Eval("'' < 'a'"));
    EXPECT_TRUE(Eval("'10' < '9'"));  // as text
}

TEST_F(WhenEval, MixedTypeOrderingIsAlwaysFalse) {
    for (const char* op : {"<", "<=", ">", ">="}) {
        const std::string o = op;
        EXPECT_FALSE(Eval("state.count " + o + " '3'")) << op;
        EXPECT_FALSE(Eval("'3' " + o + " state.count")) << op;
        EXPECT_FALSE(Eval("state.yes " + o + " 0")) << op;
        EXPECT_FALSE(Eval("state.nothing " + o + " 1")) << op;
        EXPECT_FALSE(Eval("state.absent " + o + " 1")) << op;
        EXPECT_FALSE(Eval("null " + o + " null")) << op;
        EXPECT_FALSE(Eval("state.list " + o + " state.list")) << op;
        EXPECT_FALSE(Eval("state.obj " + o + " 'x'")) << op;
    }
}

TEST_F(WhenEval, TruthinessOfBareValues) {
    const std::vector<std::pair<std::string, bool>> table = {
        {"state.nothing", false},
        {"state.no", false},
        {"state.zero", false},
        {"state.zero_f", false},
        {"state.empty", false},
        {"state.absent", false},
        {"state.absent.deeper", false},
        {"state.yes", true},
        {"state.count", true},
        {"state.neg", true},
        {"state.ratio", true},
        {"state.region", true},
        {"state.obj", true},
        {"state.empty_obj", true},
        {"state.list", true},
        {"state.empty_list", true},
        {"null", false},
        {"false", false},
        {"0", false},
        {"0.0", false},
        {"''", false},
        {"true", true},
        {"1", true},
        {"-1", true},
        {"'x'", true},
        {"'0'", true},
        {"state", true},
    };
    for (const auto& [text, expected] : table) {
        EXPECT_EQ(Eval(text), expected) << text;
    }
}

TEST_F(WhenEval, LogicalOperators) {
    EXPECT_TRUE(Eval("state.yes && state.count"));
    EXPECT_FALSE(Eval("state.yes && state.no"));
    EXPECT_TRUE(Eval("state.no || state.yes"));
    EXPECT_FALSE(Eval("state.no || state.zero || state.empty"));
    EXPECT_TRUE(Eval("state.yes && state.count && state.region"));
    EXPECT_TRUE(Eval("!state.no"));
    EXPECT_FALSE(Eval("!state.yes"));
    EXPECT_TRUE(Eval("!!state.yes"));
    EXPECT_TRUE(Eval("!state.absent"));
}

TEST_F(WhenEval, PrecedenceNotThenCompareThenAndThenOr) {
    // && binds tighter than ||: true || (false && false), and (false && true) || true.
    EXPECT_TRUE(Eval("state.yes || state.no && state.no"));
    EXPECT_TRUE(Eval("state.no && state.yes || state.yes"));
    // Comparisons bind tighter than && and ||: (count == 4) || (region == 'eu').
    EXPECT_TRUE(Eval("state.count == 3 && state.region == 'eu'"));
    EXPECT_TRUE(Eval("state.count == 4 || state.region == 'eu'"));
    EXPECT_FALSE(Eval("state.count == 4 && state.region == 'eu' || state.no"));
    // ! binds tighter than comparisons; each case below differs between (!a) == b and !(a == b).
    EXPECT_FALSE(Eval("!state.zero == 1"));       // (true) == 1 → false; !(0 == 1) would be true
    EXPECT_FALSE(Eval("!state.empty == 1"));      // (true) == 1 → false
    EXPECT_FALSE(Eval("!state.region == 'us'"));  // (false) == 'us' → false; !('eu' == 'us') would be true
    EXPECT_TRUE(Eval("!state.region == false"));  // (false) == false
    EXPECT_TRUE(Eval("!state.region != 'us'"));   // (false) != 'us'; !('eu' != 'us') would be false
    // So a '!' may stand on either side of a comparison.
    EXPECT_TRUE(Eval("state.yes == !state.no"));
    EXPECT_TRUE(Eval("!state.no == !state.zero"));
}

TEST_F(WhenEval, ParenthesesOverridePrecedence) {
    EXPECT_FALSE(Eval("(state.yes || state.no) && state.no"));
    EXPECT_TRUE(Eval("state.yes || (state.no && state.no)"));
    EXPECT_FALSE(Eval("!(state.yes || state.no)"));
    EXPECT_TRUE(Eval("!(state.region == 'us')"));
    EXPECT_TRUE(Eval("(state.count > 2) == true"));
    EXPECT_TRUE(Eval("((((state.yes))))"));
    EXPECT_TRUE(Eval("( state.count == 3 ) && ( input.query == 'weather' )"));
}

TEST_F(WhenEval, StringLiteralsWithEscapes) {
    EXPECT_TRUE(Eval(R"(state.quote == 'it\'s "q" \\')"));
    EXPECT_TRUE(Eval(R"(state.quote == "it's \"q\" \\")"));
    EXPECT_TRUE(Eval(R"('a&&b||c' == "a&&b||c")"));
    EXPECT_TRUE(Eval(R"('(' != ')')"));
    EXPECT_TRUE(Eval(R"('' == "")"));
}

TEST_F(WhenEval, ExistsIsTrueForPresentPathsEvenWhenNull) {
    EXPECT_TRUE(Eval("exists(state.nothing)"));
    EXPECT_TRUE(Eval("exists(state.no)"));
    EXPECT_TRUE(Eval("exists(state.obj.k)"));
    EXPECT_TRUE(Eval("exists(state.list.1)"));
    EXPECT_TRUE(Eval("exists( input.query )"));
    EXPECT_TRUE(Eval("exists (state.with-dash)"));
    EXPECT_FALSE(Eval("exists(state.list.2)"));
    EXPECT_FALSE(Eval("exists(state.absent)"));
    EXPECT_FALSE(Eval("exists(state.region.x)"));
    EXPECT_FALSE(Eval("exists(input.nothing.x)"));
    EXPECT_TRUE(Eval("!exists(state.absent) && exists(state)"));
}

TEST_F(WhenEval, AbsentPathsAreNull) {
    EXPECT_TRUE(Eval("state.absent == null"));
    EXPECT_TRUE(Eval("state.absent == state.nothing"));
    EXPECT_TRUE(Eval("state.region.deeper == null"));
    EXPECT_TRUE(Eval("state.list.7 == null"));
    EXPECT_TRUE(Eval("state.list.0 == 10"));
    EXPECT_TRUE(Eval("state.obj.0 == null"));
    EXPECT_FALSE(Eval("state.absent != null"));
    // A scope without the root, or not an object at all.
    EXPECT_TRUE(WhenExpr::Parse("state.x == null && !exists(input)", kField).Evaluate(json::object()));
    EXPECT_FALSE(WhenExpr::Parse("state.x", kField).Evaluate(json::array()));
}

TEST(WhenExprParse, ExposesTextAndPaths) {
    const auto expr =
        WhenExpr::Parse("state.a.b == 1 || exists(input.x) && !state.a.b && state.list.0 == input.y-z", kField);
    EXPECT_EQ(expr.text(), "state.a.b == 1 || exists(input.x) && !state.a.b && state.list.0 == input.y-z");
    const std::vector<std::vector<std::string>> expected = {
        {"state", "a", "b"}, {"input", "x"}, {"state", "list", "0"}, {"input", "y-z"}};
    EXPECT_EQ(expr.paths(), expected);
    EXPECT_TRUE(WhenExpr::Parse("'x' == 1", kField).paths().empty());
}

TEST(WhenExprParse, CopiesShareTheParsedExpression) {
    const auto original = WhenExpr::Parse("state.n > 1", kField);
    const WhenExpr copy = original;  // NOLINT(performance-unnecessary-copy-initialization)
    EXPECT_TRUE(copy.Evaluate({{"state", {{"n", 2}}}}));
    EXPECT_FALSE(copy.Evaluate({{"state", {{"n", 1}}}}));
    EXPECT_EQ(copy.text(), original.text());
}

TEST(WhenExprParse, UnknownIdentifierNamesItAndItsPosition) {
    EXPECT_EQ(
        ParseError("state.a == foo"),
        "graph.nodes.route.routes[0].when: unexpected 'foo' at 11 (a path starts with state or input)"
    );
    EXPECT_TRUE(Contains(ParseError("foo.bar"), "unexpected 'foo' at 0"));
    EXPECT_TRUE(Contains(ParseError("args.city == 'x'"), "unexpected 'args' at 0"));
    EXPECT_TRUE(Contains(ParseError("True"), "unexpected 'True' at 0"));
    EXPECT_TRUE(Contains(ParseError("true.x"), "unexpected 'true' at 0"));
    EXPECT_TRUE(Contains(ParseError("exists"), "expected '(' after exists at 6"));
    EXPECT_TRUE(Contains(ParseError("state.a and state.b"), "unexpected 'and' at 8"));
}

TEST(WhenExprParse, FunctionCallsOtherThanExistsAreRefused) {
    EXPECT_EQ(
        ParseError("len(state.list) > 1"),
        "graph.nodes.route.routes[0].when: function call 'len(' at 0 (only exists() is allowed)"
    );
    EXPECT_TRUE(Contains(ParseError("state.a && system ('rm')"), "function call 'system(' at 11"));
    EXPECT_TRUE(Contains(ParseError("state.a.b()"), "unexpected '(' at 9"));
    EXPECT_TRUE(Contains(ParseError("exists('x')"), "exists() takes a path, not 'x' at 7"));
    EXPECT_TRUE(Contains(ParseError("exists(state.a, state.b)"), "unexpected ',' at 14"));
    EXPECT_TRUE(Contains(ParseError("exists(state.a state.b)"), "expected ')' to close exists( at 15"));
    EXPECT_TRUE(Contains(ParseError("exists(state.a"), "expected ')' to close exists( at 14"));
    EXPECT_TRUE(Contains(ParseError("exists(foo)"), "unexpected 'foo' at 7"));
    EXPECT_TRUE(Contains(ParseError("exists()"), "exists() takes a path, not ')' at 7"));
}

TEST(WhenExprParse, TrailingTokensAreRefused) {
    EXPECT_TRUE(Contains(ParseError("state.a == 1 2"), "unexpected '2' at 13"));
    EXPECT_TRUE(Contains(ParseError("state.a state.b"), "unexpected 'state.b' at 8"));
    EXPECT_TRUE(Contains(ParseError("state.a == 1 == 1"), "unexpected '==' at 13"));
    EXPECT_TRUE(Contains(ParseError("state.a 'x'"), "unexpected 'x' at 8"));
    EXPECT_TRUE(Contains(ParseError("state.a &&"), "unexpected end of expression at 10"));
    EXPECT_TRUE(Contains(ParseError("== 1"), "unexpected '==' at 0"));
    EXPECT_TRUE(Contains(ParseError("state.a ; 1"), "unexpected ';' at 8"));
    EXPECT_TRUE(Contains(ParseError("state.a = 1"), "unexpected '=' at 8 (use '==')"));
    EXPECT_TRUE(Contains(ParseError("state.a & state.b"), "unexpected '&' at 8 (use '&&')"));
    EXPECT_TRUE(Contains(ParseError("state.a | state.b"), "unexpected '|' at 8 (use '||')"));
    EXPECT_TRUE(Contains(ParseError("state.a == \xC3\xA9"), "unexpected '\\xC3' at 11"));
}

TEST(WhenExprParse, MalformedPathsAndNumbersAreRefused) {
    EXPECT_TRUE(Contains(ParseError("state."), "expected a name after '.' at 6"));
    EXPECT_TRUE(Contains(ParseError("state..a"), "expected a name after '.' at 6"));
    EXPECT_TRUE(Contains(ParseError("state.1a == 1"), "invalid path segment '1a' at 6"));
    EXPECT_TRUE(Contains(ParseError("state.-a"), "invalid path segment '-a' at 6"));
    EXPECT_TRUE(Contains(ParseError("state.a == 1."), "malformed number '1.' at 11"));
    EXPECT_TRUE(Contains(ParseError("state.a == 1.5.2"), "malformed number '1.5.' at 11"));
    EXPECT_TRUE(Contains(ParseError("state.a == 12abc"), "malformed number '12a' at 11"));
    EXPECT_TRUE(Contains(ParseError("state.a == - 1"), "unexpected '-' at 11"));
    EXPECT_TRUE(Contains(ParseError("state.a == 1" + std::string(400, '0')), "out of range at 11"));
}

TEST(WhenExprParse, UnclosedStringsAndBadEscapesAreRefused) {
    EXPECT_EQ(ParseError("state.a == 'eu"), "graph.nodes.route.routes[0].when: unclosed string at 11");
    EXPECT_TRUE(Contains(ParseError("state.a == \"eu'"), "unclosed string at 11"));
    EXPECT_TRUE(Contains(ParseError("state.a == 'eu\\'"), "unclosed string at 11"));
    EXPECT_TRUE(Contains(ParseError("state.a == 'eu\\"), "unclosed string at 11"));
    EXPECT_TRUE(Contains(ParseError("state.a == 'e\\nu'"), "unknown escape '\\n' at 13"));
}

TEST(WhenExprParse, UnbalancedParenthesesAreRefused) {
    EXPECT_TRUE(Contains(ParseError("(state.a == 1"), "unbalanced '(' at 0"));
    EXPECT_TRUE(Contains(ParseError("((state.a) && (state.b)"), "unbalanced '(' at 0"));
    EXPECT_TRUE(Contains(ParseError("state.a == 1)"), "unbalanced ')' at 12"));
    EXPECT_TRUE(Contains(ParseError(")"), "unbalanced ')' at 0"));
    EXPECT_TRUE(Contains(ParseError("()"), "unbalanced ')' at 1"));
    EXPECT_TRUE(Contains(ParseError("(state.a state.b)"), "unexpected 'state.b' at 9"));
}

TEST(WhenExprParse, EmptyExpressionsAreRefused) {
    EXPECT_EQ(ParseError(""), "graph.nodes.route.routes[0].when: empty expression");
    EXPECT_EQ(ParseError("  \t "), "graph.nodes.route.routes[0].when: empty expression");
}

TEST(WhenExprParse, NestingIsCappedAt64) {
    const auto parens = [](int n) {
        return std::string(static_cast<std::size_t>(n), '(') + "state.a" +
               std::string(static_cast<std::size_t>(n), ')');
    };
    EXPECT_NO_THROW(WhenExpr::Parse(parens(64), kField));
    EXPECT_TRUE(Contains(ParseError(parens(65)), "nested deeper than 64 at 64"));
    EXPECT_TRUE(Contains(ParseError(parens(2000)), "nested deeper than 64 at 64"));
    EXPECT_NO_THROW(WhenExpr::Parse(std::string(64, '!') + "state.a", kField));
    EXPECT_TRUE(Contains(ParseError(std::string(65, '!') + "state.a"), "nested deeper than 64 at 64"));
    EXPECT_TRUE(Contains(ParseError(std::string(40, '!') + parens(30)), "nested deeper than 64 at 64"));
    const json scope = {{"state", {{"a", true}}}};
    EXPECT_TRUE(WhenExpr::Parse(std::string(64, '!') + "state.a", kField).Evaluate(scope));
}

TEST(WhenExprParse, LengthIsCappedAt4096) {
    std::string ok = "state.a == '" + std::string(4096 - 13, 'x') + "'";
    ASSERT_EQ(ok.size(), 4096U);
    EXPECT_NO_THROW(WhenExpr::Parse(ok, kField));
    EXPECT_EQ(ParseError(ok + " "), "graph.nodes.route.routes[0].when: longer than 4096 characters (4097)");
}

TEST(WhenExprParse, LongFlatChainsEvaluate) {
    std::string text = "state.a";
    for (int i = 0; i < 300; ++i) {
        text += " && state.a";
    }
    const auto expr = WhenExpr::Parse(text, kField);
    EXPECT_TRUE(expr.Evaluate({{"state", {{"a", 1}}}}));
    EXPECT_FALSE(expr.Evaluate({{"state", {{"a", 0}}}}));
    EXPECT_EQ(expr.paths().size(), 1U);
}

}  // namespace
}  // namespace agentos::templating
