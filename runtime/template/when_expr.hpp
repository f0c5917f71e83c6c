#pragma once
/// `when` conditions of graph routers ("state.region == 'eu' && exists(input.x)"): parsed once at load time into
/// an immutable AST, evaluated per run. Copies share the AST; any thread may evaluate one concurrently.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace agentos::templating {

namespace detail {
struct WhenNode;
}  // namespace detail

inline constexpr std::size_t kMaxWhenLength = 4096;
inline constexpr int kMaxWhenDepth = 64;  ///< parentheses and '!' nested deeper than this are refused

class WhenExpr {
public:
    /// Grammar (nothing else is allowed):
    ///   or := and ('||' and)* ; and := cmp ('&&' cmp)* ; cmp := unary (('=='|'!='|'<'|'<='|'>'|'>=') unary)? ;
    ///   unary := '!' unary | primary ; primary := literal | path | 'exists' '(' path ')' | '(' or ')'.
    /// So '!' binds tighter than comparisons: "!state.a == false" is "(!state.a) == false".
    /// Literals: 'single' or "double" quoted strings (escapes \' \" \\), numbers -?digits[.digits], true, false, null.
    /// Paths: `state` or `input`, then .name segments ([A-Za-z_][A-Za-z0-9_-]* or all digits).
    /// Any other input → kValidation "<field>: <problem> at <offset>" (0-based character offset).
    static WhenExpr Parse(std::string_view text, std::string_view field);

    /// `scope` is {"state": {...}, "input": {...}}; an absent path is null. == and != compare JSON values (numbers
    /// numerically); < <= > >= hold only for two numbers or two strings. A bare value used as a condition is truthy
    /// unless it is null, false, 0, "" or absent. exists(path) is true when the path is present, even if null.
    bool Evaluate(const nlohmann::json& scope) const;

    /// Every path mentioned, root first ({"state", "a", "b"}), each once, in order of appearance.
    const std::vector<std::vector<std::string>>& paths() const { return paths_; }

    const std::string& text() const { return text_; }

private:
    WhenExpr() = default;

    std::string text_;
    std::shared_ptr<const detail::WhenNode> root_;
    std::vector<std::vector<std::string>> paths_;
};

}  // namespace agentos::templating
