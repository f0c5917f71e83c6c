#include "runtime/template/when_expr.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <utility>

#include "runtime/core/error.hpp"

namespace agentos::templating {

namespace detail {

enum class NodeKind { kLiteral, kPath, kExists, kNot, kAnd, kOr, kCompare };

enum class CompareOp { kEq, kNe, kLt, kLe, kGt, kGe };

// nlohmann::json's destructor may allocate, so tidy flags the implicit one; bad_alloc there terminates anyway.
struct WhenNode {  // NOLINT(bugprone-exception-escape)
    NodeKind kind = NodeKind::kLiteral;
    nlohmann::json literal;                             ///< kLiteral
    std::vector<std::string> path;                      ///< kPath, kExists: root first
    CompareOp op = CompareOp::kEq;                      ///< kCompare
    std::vector<std::shared_ptr<const WhenNode>> kids;  ///< kNot: 1, kCompare: 2, kAnd/kOr: 2 or more
};

}  // namespace detail

namespace {

using detail::CompareOp;
using detail::NodeKind;
using detail::WhenNode;
using NodePtr = std::shared_ptr<const WhenNode>;

bool IsSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool IsAlpha(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

bool IsDigit(char c) {
    return c >= '0' && c <= '9';
}

bool IsWordChar(char c) {
    return IsAlpha(c) || IsDigit(c);
}

bool IsSegmentChar(char c) {
    return IsAlpha(c) || IsDigit(c) || c == '-';
}

/// [A-Za-z_][A-Za-z0-9_-]* or all digits.
bool IsPathSegment(std::string_view name) {
    if (name.empty()) {
        return false;
    }
    if (IsDigit(name.front())) {
        return std::all_of(name.begin(), name.end(), IsDigit);
    }
    return IsAlpha(name.front()) && std::all_of(name.begin(), name.end(), IsSegmentChar);
}

/// A character for a message; bytes outside printable ASCII are shown as hex so the message stays valid UTF-8.
std::string Shown(char c) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7F) {
        return std::string(1, c);
    }
    char buffer[8];
    std::snprintf(buffer, sizeof buffer, "\\x%02X", static_cast<unsigned>(byte));
    return buffer;
}

enum class TokenKind { kString, kNumber, kWord, kLParen, kRParen, kOp, kEnd };

struct Token {
    /// How the token appears in a message: a string literal as written, anything else in quotes.
    std::string Describe() const {
        if (kind == TokenKind::kEnd) {
            return text;
        }
        return kind == TokenKind::kString ? text : "'" + text + "'";
    }

    TokenKind kind = TokenKind::kEnd;
    std::string text;  ///< as written (words, operators); decoded for strings
    nlohmann::json value;
    std::vector<std::string> segments;  ///< kWord: the dotted parts
    std::size_t pos = 0;
};

class Parser {
public:
    Parser(std::string_view text, std::string_view field) : text_(text), field_(field) {}

    NodePtr ParseAll() {
        if (text_.size() > kMaxWhenLength) {
            throw core::Error::Validation(
                field_,
                "longer than " + std::to_string(kMaxWhenLength) + " characters (" + std::to_string(text_.size()) + ")"
            );
        }
        Lex();
        if (tokens_.front().kind == TokenKind::kEnd) {
            throw core::Error::Validation(field_, "empty expression");
        }
        NodePtr root = ParseOr(0);
        const Token& t = Peek();
        if (t.kind == TokenKind::kRParen) {
            Fail("unbalanced ')'", t.pos);
        }
        if (t.kind != TokenKind::kEnd) {
            Fail("unexpected " + t.Describe(), t.pos);
        }
        return root;
    }

    std::vector<std::vector<std::string>> TakePaths() { return std::move(paths_); }

private:
    /// "<field>: <problem> at <pos>[ (<hint>)]".
    [[noreturn]] void Fail(const std::string& problem, std::size_t pos, std::string_view hint = {}) const {
        std::string message = problem + " at " + std::to_string(pos);
        if (!hint.empty()) {
            message.append(" (").append(hint).append(")");
        }
        throw core::Error::Validation(field_, message);
    }

    // ---- lexer ----

    void Lex() {
        std::size_t i = 0;
        while (true) {
            while (i < text_.size() && IsSpace(text_[i])) {
                ++i;
            }
            if (i >= text_.size()) {
                tokens_.push_back({TokenKind::kEnd, "end of expression", nullptr, {}, i});
                return;
            }
            const char c = text_[i];
            if (c == '(' || c == ')') {
                tokens_.push_back(
                    {c == '(' ? TokenKind::kLParen : TokenKind::kRParen, std::string(1, c), nullptr, {}, i}
                );
                ++i;
            } else if (c == '\'' || c == '"') {
                i = LexString(i);
            } else if (IsDigit(c) || (c == '-' && i + 1 < text_.size() && IsDigit(text_[i + 1]))) {
                i = LexNumber(i);
            } else if (IsAlpha(c)) {
                i = LexWord(i);
            } else {
                i = LexOperator(i);
            }
        }
    }

    std::size_t LexString(std::size_t start) {
        const char quote = text_[start];
        std::string value;
        std::size_t i = start + 1;
        while (true) {
            if (i >= text_.size()) {
                Fail("unclosed string", start);
            }
            const char c = text_[i];
            if (c == quote) {
                break;
            }
            if (c == '\\') {
                if (i + 1 >= text_.size()) {
                    Fail("unclosed string", start);
                }
                const char escaped = text_[i + 1];
                if (escaped != '\'' && escaped != '"' && escaped != '\\') {
                    Fail("unknown escape '\\" + Shown(escaped) + "'", i, "only \\' \\\" \\\\");
                }
                value += escaped;
                i += 2;
                continue;
            }
            value += c;
            ++i;
        }
        tokens_.push_back({TokenKind::kString, std::string(text_.substr(start, i + 1 - start)), value, {}, start});
        return i + 1;
    }

    std::size_t LexNumber(std::size_t start) {
        std::size_t i = start;
        if (text_[i] == '-') {
            ++i;
        }
        while (i < text_.size() && IsDigit(text_[i])) {
            ++i;
        }
        bool is_float = false;
        if (i < text_.size() && text_[i] == '.') {
            is_float = true;
            ++i;
            if (i >= text_.size() || !IsDigit(text_[i])) {
                Fail("malformed number '" + std::string(text_.substr(start, i - start)) + "'", start);
            }
            while (i < text_.size() && IsDigit(text_[i])) {
                ++i;
            }
        }
        if (i < text_.size() && (IsWordChar(text_[i]) || text_[i] == '.')) {
            Fail("malformed number '" + std::string(text_.substr(start, i + 1 - start)) + "'", start);
        }
        const std::string_view written = text_.substr(start, i - start);
        const char* first = written.data();
        const char* last = written.data() + written.size();
        nlohmann::json value;
        std::int64_t integer = 0;
        if (!is_float && std::from_chars(first, last, integer).ec == std::errc()) {
            value = integer;
        } else {
            double real = 0;
            const auto result = std::from_chars(first, last, real);
            if (result.ec != std::errc() || result.ptr != last) {
                Fail("number '" + std::string(written) + "' out of range", start);
            }
            value = real;
        }
        tokens_.push_back({TokenKind::kNumber, std::string(written), value, {}, start});
        return i;
    }

    std::size_t LexWord(std::size_t start) {
        std::size_t i = start;
        while (i < text_.size() && IsWordChar(text_[i])) {
            ++i;
        }
        std::vector<std::string> segments{std::string(text_.substr(start, i - start))};
        while (i < text_.size() && text_[i] == '.') {
            const std::size_t segment_start = ++i;
            while (i < text_.size() && IsSegmentChar(text_[i])) {
                ++i;
            }
            const std::string_view segment = text_.substr(segment_start, i - segment_start);
            if (segment.empty()) {
                Fail("expected a name after '.'", segment_start);
            }
            if (!IsPathSegment(segment)) {
                Fail("invalid path segment '" + std::string(segment) + "'", segment_start);
            }
            segments.emplace_back(segment);
        }
        tokens_.push_back({TokenKind::kWord, std::string(text_.substr(start, i - start)), nullptr, segments, start});
        return i;
    }

    std::size_t LexOperator(std::size_t start) {
        const char c = text_[start];
        const char next = start + 1 < text_.size() ? text_[start + 1] : '\0';
        std::string op;
        if (((c == '=' || c == '!' || c == '<' || c == '>') && next == '=') || ((c == '&' || c == '|') && next == c)) {
            op = {c, next};
        } else if (c == '!' || c == '<' || c == '>') {
            op = std::string(1, c);
        } else if (c == '=') {
            Fail("unexpected '='", start, "use '=='");
        } else if (c == '&' || c == '|') {
            Fail("unexpected '" + std::string(1, c) + "'", start, "use '" + std::string(2, c) + "'");
        } else {
            Fail("unexpected '" + Shown(c) + "'", start);
        }
        tokens_.push_back({TokenKind::kOp, op, nullptr, {}, start});
        return start + op.size();
    }

    // ---- parser ----

    const Token& Peek() const { return tokens_[next_]; }

    const Token& Take() { return tokens_[next_++]; }

    bool PeekOp(std::string_view op) const { return Peek().kind == TokenKind::kOp && Peek().text == op; }

    void CheckDepth(int depth, std::size_t pos) const {
        if (depth >= kMaxWhenDepth) {
            Fail("nested deeper than " + std::to_string(kMaxWhenDepth), pos);
        }
    }

    static NodePtr Combine(NodeKind kind, std::vector<NodePtr> kids) {
        if (kids.size() == 1) {
            return kids.front();
        }
        auto node = std::make_shared<WhenNode>();
        node->kind = kind;
        node->kids = std::move(kids);
        return node;
    }

    NodePtr ParseOr(int depth) {
        std::vector<NodePtr> kids{ParseAnd(depth)};
        while (PeekOp("||")) {
            Take();
            kids.push_back(ParseAnd(depth));
        }
        return Combine(NodeKind::kOr, std::move(kids));
    }

    NodePtr ParseAnd(int depth) {
        std::vector<NodePtr> kids{ParseCompare(depth)};
        while (PeekOp("&&")) {
            Take();
            kids.push_back(ParseCompare(depth));
        }
        return Combine(NodeKind::kAnd, std::move(kids));
    }

    NodePtr ParseCompare(int depth) {
        NodePtr lhs = ParseUnary(depth);
        static constexpr std::pair<std::string_view, CompareOp> kOps[] = {
            {"==", CompareOp::kEq},
            {"!=", CompareOp::kNe},
            {"<", CompareOp::kLt},
            {"<=", CompareOp::kLe},
            {">", CompareOp::kGt},
            {">=", CompareOp::kGe},
        };
        for (const auto& [text, op] : kOps) {
            if (PeekOp(text)) {
                Take();
                auto node = std::make_shared<WhenNode>();
                node->kind = NodeKind::kCompare;
                node->op = op;
                node->kids = {std::move(lhs), ParseUnary(depth)};
                return node;
            }
        }
        return lhs;
    }

    NodePtr ParseUnary(int depth) {
        if (PeekOp("!")) {
            CheckDepth(depth, Peek().pos);
            Take();
            auto node = std::make_shared<WhenNode>();
            node->kind = NodeKind::kNot;
            node->kids = {ParseUnary(depth + 1)};
            return node;
        }
        return ParsePrimary(depth);
    }

    NodePtr Literal(nlohmann::json value) {
        auto node = std::make_shared<WhenNode>();
        node->kind = NodeKind::kLiteral;
        node->literal = std::move(value);
        return node;
    }

    NodePtr Path(NodeKind kind, const Token& word) {
        const std::string& root = word.segments.front();
        if (root != "state" && root != "input") {
            if (Peek().kind == TokenKind::kLParen) {
                Fail("function call '" + word.text + "('", word.pos, "only exists() is allowed");
            }
            Fail("unexpected '" + root + "'", word.pos, "a path starts with state or input");
        }
        if (std::find(paths_.begin(), paths_.end(), word.segments) == paths_.end()) {
            paths_.push_back(word.segments);
        }
        auto node = std::make_shared<WhenNode>();
        node->kind = kind;
        node->path = word.segments;
        return node;
    }

    NodePtr ParsePrimary(int depth) {
        const Token& t = Take();
        switch (t.kind) {
            case TokenKind::kString:
            case TokenKind::kNumber:
                return Literal(t.value);
            case TokenKind::kLParen: {
                CheckDepth(depth, t.pos);
                NodePtr inner = ParseOr(depth + 1);
                if (Peek().kind != TokenKind::kRParen) {
                    if (Peek().kind == TokenKind::kEnd) {
                        Fail("unbalanced '('", t.pos);
                    }
                    Fail("unexpected " + Peek().Describe(), Peek().pos);
                }
                Take();
                return inner;
            }
            case TokenKind::kWord:
                break;
            case TokenKind::kRParen:
                Fail("unbalanced ')'", t.pos);
            case TokenKind::kEnd:
                Fail("unexpected end of expression", t.pos);
            case TokenKind::kOp:
                Fail("unexpected " + t.Describe(), t.pos);
        }
        if (t.segments.size() == 1) {
            if (t.text == "true" || t.text == "false") {
                return Literal(t.text == "true");
            }
            if (t.text == "null") {
                return Literal(nullptr);
            }
            if (t.text == "exists") {
                if (Peek().kind != TokenKind::kLParen) {
                    Fail("expected '(' after exists", Peek().pos);
                }
                Take();
                const Token& arg = Take();
                if (arg.kind != TokenKind::kWord) {
                    Fail("exists() takes a path, not " + arg.Describe(), arg.pos);
                }
                NodePtr node = Path(NodeKind::kExists, arg);
                if (Peek().kind != TokenKind::kRParen) {
                    Fail("expected ')' to close exists(", Peek().pos);
                }
                Take();
                return node;
            }
        }
        return Path(NodeKind::kPath, t);
    }

    std::string_view text_;
    std::string_view field_;
    std::vector<Token> tokens_;
    std::size_t next_ = 0;
    std::vector<std::vector<std::string>> paths_;
};

/// Walks object keys, and array indexes for all-digit segments; nullptr when absent.
const nlohmann::json* Find(const nlohmann::json& scope, const std::vector<std::string>& path) {
    const nlohmann::json* node = &scope;
    for (const std::string& segment : path) {
        if (node->is_object()) {
            const auto it = node->find(segment);
            if (it == node->end()) {
                return nullptr;
            }
            node = &*it;
        } else if (node->is_array() && IsDigit(segment.front())) {
            if (segment.size() > 18) {
                return nullptr;
            }
            const std::size_t index = std::stoull(segment);
            if (index >= node->size()) {
                return nullptr;
            }
            node = &(*node)[index];
        } else {
            return nullptr;
        }
    }
    return node;
}

bool Truthy(const nlohmann::json& value) {
    if (value.is_null()) {
        return false;
    }
    if (value.is_boolean()) {
        return value.get<bool>();
    }
    if (value.is_number_float()) {
        return value.get<double>() != 0.0;
    }
    if (value.is_number_unsigned()) {
        return value.get<std::uint64_t>() != 0;
    }
    if (value.is_number_integer()) {
        return value.get<std::int64_t>() != 0;
    }
    if (value.is_string()) {
        return !value.get_ref<const std::string&>().empty();
    }
    return true;
}

template <typename T>
int ThreeWay(T a, T b) {
    return a < b ? -1 : (b < a ? 1 : 0);
}

/// -1, 0 or 1; exact for integers of either signedness, by double otherwise.
int CompareNumbers(const nlohmann::json& a, const nlohmann::json& b) {
    if (a.is_number_float() || b.is_number_float()) {
        return ThreeWay(a.get<double>(), b.get<double>());
    }
    if (a.is_number_unsigned() && b.is_number_unsigned()) {
        return ThreeWay(a.get<std::uint64_t>(), b.get<std::uint64_t>());
    }
    if (!a.is_number_unsigned() && !b.is_number_unsigned()) {
        return ThreeWay(a.get<std::int64_t>(), b.get<std::int64_t>());
    }
    if (a.is_number_unsigned()) {
        const auto s = b.get<std::int64_t>();
        return s < 0 ? 1 : ThreeWay(a.get<std::uint64_t>(), static_cast<std::uint64_t>(s));
    }
    const auto s = a.get<std::int64_t>();
    return s < 0 ? -1 : ThreeWay(static_cast<std::uint64_t>(s), b.get<std::uint64_t>());
}

bool Compare(CompareOp op, const nlohmann::json& a, const nlohmann::json& b) {
    const bool numbers = a.is_number() && b.is_number();
    if (op == CompareOp::kEq || op == CompareOp::kNe) {
        const bool equal = numbers ? CompareNumbers(a, b) == 0 : a == b;
        return op == CompareOp::kEq ? equal : !equal;
    }
    int order = 0;
    if (numbers) {
        order = CompareNumbers(a, b);
    } else if (a.is_string() && b.is_string()) {
        order = ThreeWay(a.get_ref<const std::string&>(), b.get_ref<const std::string&>());
    } else {
        return false;
    }
    switch (op) {
        case CompareOp::kLt:
            return order < 0;
        case CompareOp::kLe:
            return order <= 0;
        case CompareOp::kGt:
            return order > 0;
        case CompareOp::kGe:
            return order >= 0;
        case CompareOp::kEq:
        case CompareOp::kNe:
            break;
    }
    return false;
}

bool Test(const WhenNode& node, const nlohmann::json& scope);

/// The value of an operand: a literal, what a path names (null when absent), or a condition's bool (in `holder`).
const nlohmann::json& ValueOf(const WhenNode& node, const nlohmann::json& scope, nlohmann::json& holder) {
    if (node.kind == NodeKind::kLiteral) {
        return node.literal;
    }
    if (node.kind == NodeKind::kPath) {
        const nlohmann::json* found = Find(scope, node.path);
        if (found != nullptr) {
            return *found;
        }
        holder = nullptr;
        return holder;
    }
    holder = Test(node, scope);
    return holder;
}

bool Test(const WhenNode& node, const nlohmann::json& scope) {
    switch (node.kind) {
        case NodeKind::kLiteral:
            return Truthy(node.literal);
        case NodeKind::kPath: {
            const nlohmann::json* found = Find(scope, node.path);
            return found != nullptr && Truthy(*found);
        }
        case NodeKind::kExists:
            return Find(scope, node.path) != nullptr;
        case NodeKind::kNot:
            return !Test(*node.kids.front(), scope);
        case NodeKind::kAnd:
            return std::all_of(node.kids.begin(), node.kids.end(), [&](const NodePtr& kid) {
                return Test(*kid, scope);
            });
        case NodeKind::kOr:
            return std::any_of(node.kids.begin(), node.kids.end(), [&](const NodePtr& kid) {
                return Test(*kid, scope);
            });
        case NodeKind::kCompare: {
            nlohmann::json lhs_holder;
            nlohmann::json rhs_holder;
            const nlohmann::json& lhs = ValueOf(*node.kids[0], scope, lhs_holder);
            const nlohmann::json& rhs = ValueOf(*node.kids[1], scope, rhs_holder);
            return Compare(node.op, lhs, rhs);
        }
    }
    return false;
}

}  // namespace

WhenExpr WhenExpr::Parse(std::string_view text, std::string_view field) {
    Parser parser(text, field);
    WhenExpr expr;
    expr.root_ = parser.ParseAll();
    expr.paths_ = parser.TakePaths();
    expr.text_ = std::string(text);
    return expr;
}

bool WhenExpr::Evaluate(const nlohmann::json& scope) const {
    return Test(*root_, scope);
}

}  // namespace agentos::templating
